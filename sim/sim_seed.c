/* SPDX-License-Identifier: MIT */
/* The seed scenario under either master (see sim_seed.h). */
#include "sim/sim_seed.h"

#include <errno.h>
#include <string.h>

#include "drivers/twc/twc_master.h"
#include "sim/sim_native_master.h"
#include "sim/sim_twc_frames.h"
#include "sim/sim_twc_slaves.h"
#include "sim/sim_vbus.h"

void sim_seed_cfg_default(struct sim_seed_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->circuit_ma = 40000; /* §7.3: TMC page 3, a 40 A circuit */
    cfg->duration_ms = 60000;
    cfg->sample_ms = 5000;
}

/*
 * ampshare's master as a bus party. The allocation here is the demo's stand-in for the
 * allocation engine (not yet merged): a connected car that does not want current (state 03,
 * "do not charge": idle or full, §5.2) gets nothing, and the cars that want current (asking
 * with 04/08, or charging) share the circuit equally. That is the seed's improvement: the idle
 * i3's 6 A reserve goes to the Tesla.
 */
struct seed_amp {
    struct twc_master m;
    struct twc_deframer df;
    int32_t circuit_ma;
};

static bool wants_current(uint8_t state)
{
    return state != 0x00 && state != 0x02 && state != 0x03;
}

static void amp_allocate(struct seed_amp *a, uint64_t now)
{
    size_t n = twc_master_slave_count(&a->m);
    size_t wanting = 0;
    struct twc_master_slave_info info;
    for (size_t i = 0; i < n; i++) {
        if (twc_master_slave_at(&a->m, i, &info) == 0 && info.replied &&
            wants_current(info.state)) {
            wanting++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (twc_master_slave_at(&a->m, i, &info) != 0 || !info.replied) {
            continue;
        }
        int32_t target = 0;
        if (wants_current(info.state)) {
            target = a->circuit_ma / (int32_t)wanting;
        }
        if (target != info.target_ma) {
            twc_master_set_target(&a->m, now, info.id, target);
        }
    }
}

static void amp_rx(void *ctx, uint64_t now_ms, const uint8_t *buf, size_t len)
{
    struct seed_amp *a = ctx;
    struct twc_msg msg;
    uint32_t bad = 0; /* the demo reports outcomes, not line quality */
    while (sim_twc_next_msg(&a->df, &buf, &len, &msg, &bad) == 1) {
        twc_master_on_frame(&a->m, now_ms, &msg);
    }
    struct twc_master_event e;
    while (twc_master_next_event(&a->m, &e) == 1) {
        /* Events only matter to a controller; the demo reads the slave table instead. */
    }
}

static size_t amp_tx(void *ctx, uint64_t now_ms, uint8_t *out, size_t cap, uint64_t *next_ms)
{
    struct seed_amp *a = ctx;
    amp_allocate(a, now_ms);
    struct twc_master_out mo;
    int rc = twc_master_poll(&a->m, now_ms, &mo);
    *next_ms = mo.next_ms;
    if (rc != 1 || !mo.has_frame || mo.wire_len > cap) {
        return 0;
    }
    memcpy(out, mo.wire, mo.wire_len);
    return mo.wire_len;
}

static int add_slaves(struct sim_twc_slaves *set)
{
    struct sim_twc_slave_cfg cfg;
    struct sim_car_cfg car;
    sim_twc_slaves_init(set);
    /* US 80 A units (a 40 A circuit is a US rotary setting, §5.3), firmware v2. */
    sim_twc_slave_cfg_default(&cfg, SIM_SEED_TESLA_ID, SIM_TWC_V2);
    cfg.max_ca = 8000;
    sim_car_cfg_preset(&car, "tesla"); /* a Model X with a 48 A charger: wants it all */
    int rc = sim_twc_slaves_add(set, &cfg, &car, 0);
    if (rc < 0) {
        return rc;
    }
    sim_twc_slave_cfg_default(&cfg, SIM_SEED_I3_ID, SIM_TWC_V2);
    cfg.max_ca = 8000;
    cfg.linkready_first_ms = 300;            /* not on top of the first one */
    sim_car_cfg_preset(&car, "bmw-i3-idle"); /* plugged in, not charging (§7.3) */
    rc = sim_twc_slaves_add(set, &cfg, &car, 0);
    return rc < 0 ? rc : 0;
}

static void unit_of(struct sim_twc_slaves *set, uint16_t id, uint64_t now, struct sim_seed_unit *u)
{
    struct sim_twc_slave_view v;
    sim_twc_slave_view(sim_twc_slaves_find(set, id), now, &v);
    u->state = v.state;
    u->limit_ca = v.limit_ca;
    u->actual_ca = v.actual_ca;
}

/* Everything one run needs, kept off the stack of the caller's caller. */
struct seed_run {
    struct sim_twc_slaves set;
    struct sim_native_master nm;
    struct seed_amp amp;
    struct sim_vbus vb;
};

static int master_party(struct seed_run *r,
                        enum sim_seed_master which,
                        int32_t circuit_ma,
                        struct sim_vbus_party *p)
{
    if (which == SIM_SEED_NATIVE) {
        struct sim_native_master_cfg mc;
        sim_native_master_cfg_default(&mc);
        mc.circuit_ma = circuit_ma;
        sim_vbus_party_native(p, &r->nm);
        return sim_native_master_init(&r->nm, &mc, 0);
    }
    struct twc_master_config mc;
    twc_master_config_init(&mc);
    twc_master_pick_id(0x5EED, &mc.id, &mc.sign);
    twc_deframer_init(&r->amp.df);
    r->amp.circuit_ma = circuit_ma;
    p->rx = amp_rx;
    p->tx = amp_tx;
    p->ctx = &r->amp;
    return twc_master_init(&r->amp.m, &mc, 0);
}

static int run(struct seed_run *r,
               enum sim_seed_master which,
               const struct sim_seed_cfg *cfg,
               struct sim_seed_result *res)
{
    struct sim_vbus_party pm, ps;
    int rc = add_slaves(&r->set);
    if (rc == 0) {
        rc = master_party(r, which, cfg->circuit_ma, &pm);
    }
    if (rc < 0) {
        return rc;
    }
    sim_vbus_party_slaves(&ps, &r->set);
    rc = sim_vbus_init(&r->vb, &pm, &ps, 0);
    if (rc < 0) {
        return rc;
    }
    for (uint64_t t = 0; rc == 0 && t <= cfg->duration_ms; t += cfg->sample_ms) {
        rc = sim_vbus_run(&r->vb, t, 1);
        if (rc == 0 && res->n < SIM_SEED_SAMPLES) {
            struct sim_seed_sample *s = &res->sample[res->n++];
            s->t_ms = t;
            unit_of(&r->set, SIM_SEED_TESLA_ID, t, &s->tesla);
            unit_of(&r->set, SIM_SEED_I3_ID, t, &s->i3);
        }
    }
    unit_of(&r->set, SIM_SEED_TESLA_ID, r->vb.now_ms, &res->tesla);
    unit_of(&r->set, SIM_SEED_I3_ID, r->vb.now_ms, &res->i3);
    res->bytes_master = r->vb.bytes_tx[SIM_VBUS_MASTER];
    res->bytes_slaves = r->vb.bytes_tx[SIM_VBUS_SLAVES];
    sim_vbus_fini(&r->vb);
    return rc;
}

int sim_seed_run(enum sim_seed_master which,
                 const struct sim_seed_cfg *cfg,
                 struct sim_seed_result *res)
{
    if ((which != SIM_SEED_NATIVE && which != SIM_SEED_AMPSHARE) || cfg->circuit_ma <= 0 ||
        cfg->sample_ms == 0) {
        return -EINVAL;
    }
    memset(res, 0, sizeof(*res));
    static const struct seed_run zero;
    struct seed_run r = zero;
    return run(&r, which, cfg, res);
}
