/* SPDX-License-Identifier: MIT */
/* The seed scenario under either master (see sim_seed.h). */
#include "sim/sim_seed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/engine/config.h"
#include "controller/engine/policy_loader.h"
#include "controller/engine/site_ini.h"
#include "drivers/twc/twc_master.h"
#include "sim/sim_gw.h"
#include "sim/sim_native_master.h"
#include "sim/sim_twc_slaves.h"
#include "sim/sim_vbus.h"

/* Any seed gives the same ID; the bus section of the site names it (twc_master_pick_id avoids
 * TWCManager's 7777 and bytes that need escaping). */
#define SEED_MASTER_SEED 0x5EED

struct sim_seed {
    enum sim_seed_master which;
    struct sim_seed_cfg cfg;
    struct sim_twc_slaves set;
    struct sim_sched sched;
    struct sim_vbus vb;
    int port_master, port_slaves;
    bool vb_up;
    bool woke;
    bool filled; /* the i3 was made full (cfg.i3_full_ms) */
    /* native */
    struct sim_native_master nm;
    /* ampshare: the real bus driver and control loop, bound as the daemon binds them */
    struct site *site;
    struct policy_handle ph;
    struct sim_gw *gw;
    struct ctl *ctl; /* the gateway's (borrowed) */
};

void sim_seed_cfg_default(struct sim_seed_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->circuit_ma = 40000; /* §7.3: TMC page 3, a 40 A circuit */
    snprintf(cfg->policy, sizeof(cfg->policy), "%s", CFG_DEFAULT_POLICY);
    /* long enough for the policies' demand rule to settle (docs/simulator.md) */
    cfg->duration_ms = 150000;
    cfg->sample_ms = 15000;
}

int sim_seed_site_ini(const struct sim_seed_cfg *cfg, char *buf, size_t cap)
{
    uint16_t id;
    uint8_t sign;
    twc_master_pick_id(SEED_MASTER_SEED, &id, &sign);
    char lim[16], oc[16], wc[16];
    cfg_fmt_amps(cfg->circuit_ma, lim, sizeof(lim));
    cfg_fmt_amps(cfg->overcommit_ma, oc, sizeof(oc));
    /* §5.3: the Wall Connectors' own setting; 40 A on the seed's circuit, never above the
     * 80 A units */
    cfg_fmt_amps(cfg->circuit_ma < 80000 ? cfg->circuit_ma : 80000, wc, sizeof(wc));
    /* The seed knows one circuit: the supply gets the same rating and overcommit, so the
     * circuit is what limits (and what the reasons name). */
    int n =
        snprintf(buf, cap,
                 "[site]\nname = seed\nsupply_limit_a = %s\nphases = 1\novercommit_a = %s\n"
                 "[circuit garage]\nlimit_a = %s\novercommit_a = %s\n"
                 "[bus rs485]\n"
                 "transport = pty:/tmp/ampshare-sim-seed ; not opened: the sim connects it\n"
                 "master_address = %04x\n"
                 "[wallconnector tesla]\nbus = rs485\naddress = %04x\ncircuit = garage\n"
                 "max_current_a = %s\n"
                 "[wallconnector i3]\nbus = rs485\naddress = auto\ncircuit = garage\n"
                 "max_current_a = %s\n"
                 "[policy]\nname = %s\n",
                 lim, oc, lim, oc, (unsigned)id, (unsigned)SIM_SEED_TESLA_ID, wc, wc, cfg->policy);
    return n < 0 || (size_t)n >= cap ? -EMSGSIZE : n;
}

/* ---- ampshare's half: the site, the policy, and the gateway's code on the bus ---- */

static int amp_setup(struct sim_seed *s, char *err, size_t errlen)
{
    char ini[SIM_SEED_INI_MAX];
    int rc = sim_seed_site_ini(&s->cfg, ini, sizeof(ini));
    if (rc < 0) {
        snprintf(err, errlen, "seed site: policy name too long");
        return -EINVAL;
    }
    rc = site_new_from_ini(ini, "seed.ini", &s->site, err, errlen);
    if (rc == 0) {
        struct policy_open_opts po = {.in_process = !s->site->policy_isolate,
                                      .timeout_ms = s->site->policy_timeout_ms};
        rc = policy_open_ex(s->site->policy, &po, &s->ph, err, errlen);
    }
    if (rc == 0) {
        /* the site names the master's ID; the seed gives its sign byte */
        rc = sim_gw_new(s->site, s->ph.policy, SEED_MASTER_SEED, &s->sched, &s->gw, err, errlen);
    }
    if (rc == 0) {
        s->ctl = sim_gw_ctl(s->gw);
        rc = sim_vbus_init(&s->vb, &s->sched, "seed", SIM_VBUS_BAUD);
        s->vb_up = rc == 0;
    }
    if (rc == 0) {
        s->port_master = (int)s->vb.n_port;
        rc = sim_gw_attach_bus(s->gw, 0, &s->vb);
    }
    return rc;
}

/* ---- the slaves ---- */

int sim_seed_add_slaves(struct sim_twc_slaves *set, const struct sim_seed_cfg *sc)
{
    struct sim_twc_slave_cfg cfg;
    struct sim_car_cfg car;
    sim_twc_slaves_init(set);
    /* US 80 A units (a 40 A circuit is a US rotary setting, §5.3), firmware v2. Both show the
     * 0.25 A no-load offset of §5.2 while their car draws nothing. */
    sim_twc_slave_cfg_default(&cfg, SIM_SEED_TESLA_ID, SIM_TWC_V2);
    cfg.max_ca = 8000;
    cfg.noload_actual_ca = 25;
    sim_car_cfg_preset(&car, "tesla"); /* a Model X with a 48 A charger: wants it all */
    car.lock_6a = sc->tesla_lock;
    int rc = sim_twc_slaves_add(set, &cfg, &car, 0);
    if (rc < 0) {
        return rc;
    }
    sim_twc_slave_cfg_default(&cfg, SIM_SEED_I3_ID, SIM_TWC_V2);
    cfg.max_ca = 8000;
    cfg.noload_actual_ca = 25;
    cfg.linkready_first_ms = 300; /* not on top of the first one */
    /* plugged in, not charging (§7.3); or charging until it is made full */
    sim_car_cfg_preset(&car, sc->i3_full_ms ? "bmw-i3" : "bmw-i3-idle");
    if (sc->i3_jump) {
        car.start_draw_ma = car.max_ma; /* straight to its whole offer */
        car.start_ramp_ms = 1;
        car.raise_ms = 1;
        car.follow_delay_ms = 0;
    }
    rc = sim_twc_slaves_add(set, &cfg, &car, 0);
    return rc < 0 ? rc : 0;
}

void sim_seed_free(struct sim_seed *s)
{
    if (!s) {
        return;
    }
    sim_gw_free(s->gw);
    if (s->vb_up) {
        sim_vbus_fini(&s->vb);
    }
    policy_close(&s->ph);
    site_free(s->site);
    free(s);
}

int sim_seed_new(enum sim_seed_master which,
                 const struct sim_seed_cfg *cfg,
                 struct sim_seed **out,
                 char *err,
                 size_t errlen)
{
    *out = NULL;
    if ((which != SIM_SEED_NATIVE && which != SIM_SEED_AMPSHARE) || cfg->circuit_ma <= 0 ||
        cfg->overcommit_ma < 0 || cfg->sample_ms == 0) {
        snprintf(err, errlen, "seed: bad master, circuit, overcommit or sample period");
        return -EINVAL;
    }
    struct sim_seed *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->which = which;
    s->cfg = *cfg;
    s->cfg.policy[sizeof(s->cfg.policy) - 1] = '\0';
    sim_sched_init(&s->sched, 0);
    int rc = sim_seed_add_slaves(&s->set, cfg);
    if (rc == 0 && which == SIM_SEED_NATIVE) {
        rc = sim_vbus_init(&s->vb, &s->sched, "seed", SIM_VBUS_BAUD);
        s->vb_up = rc == 0;
    }
    if (rc == 0 && which == SIM_SEED_NATIVE) {
        struct sim_native_master_cfg mc;
        sim_native_master_cfg_default(&mc);
        mc.circuit_ma = cfg->circuit_ma;
        rc = sim_native_master_init(&s->nm, &mc, 0);
        s->port_master = rc == 0 ? sim_vbus_add_native(&s->vb, &s->nm) : rc;
        rc = s->port_master < 0 ? s->port_master : 0;
    } else if (rc == 0) {
        rc = amp_setup(s, err, errlen);
    }
    if (rc == 0) {
        s->port_slaves = sim_vbus_add_slaves(&s->vb, &s->set);
        rc = s->port_slaves < 0 ? s->port_slaves : 0;
    }
    if (rc != 0) {
        sim_seed_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Makes the i3 full (cfg.i3_full_ms): it stops drawing, plugged in. */
static void make_full(struct sim_seed *s)
{
    struct sim_twc_slave *sl = sim_twc_slaves_find(&s->set, SIM_SEED_I3_ID);
    if (sl && sl->has_car) {
        sim_car_full(&sl->car, s->sched.now_ms);
        sim_twc_slave_car_changed(sl);
        sim_vbus_wake(&s->vb, s->port_slaves, s->sched.now_ms);
    }
}

/* Runs the bus to `at` and fires a scenario event there, once (at == 0: never). */
static int fire(struct sim_seed *s, uint64_t at, uint64_t until_ms, bool *done, bool wake)
{
    if (!at || *done || until_ms < at) {
        return 0;
    }
    int rc = sim_sched_run(&s->sched, at);
    if (rc != 0) {
        return rc;
    }
    *done = true;
    if (wake) {
        sim_seed_wake(s, SIM_SEED_I3_ID);
    } else {
        make_full(s);
    }
    return 0;
}

int sim_seed_advance(struct sim_seed *s, uint64_t until_ms)
{
    uint64_t wake = s->cfg.wake_i3_ms, full = s->cfg.i3_full_ms;
    bool wake_first = !full || (wake && wake <= full);
    int rc = wake_first ? fire(s, wake, until_ms, &s->woke, true)
                        : fire(s, full, until_ms, &s->filled, false);
    if (rc == 0) {
        rc = wake_first ? fire(s, full, until_ms, &s->filled, false)
                        : fire(s, wake, until_ms, &s->woke, true);
    }
    return rc == 0 ? sim_sched_run(&s->sched, until_ms) : rc;
}

uint64_t sim_seed_now(const struct sim_seed *s)
{
    return s->sched.now_ms;
}

int sim_seed_unit(struct sim_seed *s, uint16_t id, struct sim_seed_unit *u)
{
    struct sim_twc_slave *sl = sim_twc_slaves_find(&s->set, id);
    if (!sl) {
        return -ENOENT;
    }
    struct sim_twc_slave_view v;
    sim_twc_slave_view(sl, s->sched.now_ms, &v);
    memset(u, 0, sizeof(*u));
    u->state = v.state;
    u->limit_ca = v.limit_ca;
    u->actual_ca = v.actual_ca;
    if (s->ctl) {
        struct twc_master_slave_info info;
        int e = ctl_twc_evse_of(sim_gw_twc(s->gw), 0, id);
        if (twc_master_slave_find(twc_bus_master(sim_gw_bus(s->gw, 0)), id, &info) != 0) {
            snprintf(u->why, sizeof(u->why), "not linked yet");
        } else if (e < 0 ||
                   ctl_why(s->ctl, (size_t)e, s->sched.now_ms, u->why, sizeof(u->why)) < 0) {
            snprintf(u->why, sizeof(u->why), "not bound to a [wallconnector]");
        }
    }
    return 0;
}

int sim_seed_wake(struct sim_seed *s, uint16_t id)
{
    struct sim_twc_slave *sl = sim_twc_slaves_find(&s->set, id);
    if (!sl || !sl->has_car) {
        return -ENOENT;
    }
    sim_car_want(&sl->car, s->sched.now_ms, -1); /* wants to charge, as much as it gets */
    sim_twc_slave_car_changed(sl);
    sim_vbus_wake(&s->vb, s->port_slaves, s->sched.now_ms);
    return 0;
}

void sim_seed_bytes(const struct sim_seed *s, uint64_t *master, uint64_t *slaves)
{
    *master = sim_vbus_bytes_tx(&s->vb, s->port_master);
    *slaves = sim_vbus_bytes_tx(&s->vb, s->port_slaves);
}

struct sim_sched *sim_seed_sched(struct sim_seed *s)
{
    return &s->sched;
}

struct sim_vbus *sim_seed_vbus(struct sim_seed *s)
{
    return &s->vb;
}

const struct ctl *sim_seed_ctl(const struct sim_seed *s)
{
    return s->ctl;
}

int sim_seed_run(enum sim_seed_master which,
                 const struct sim_seed_cfg *cfg,
                 struct sim_seed_result *res,
                 char *err,
                 size_t errlen)
{
    memset(res, 0, sizeof(*res));
    struct sim_seed *s = NULL;
    int rc = sim_seed_new(which, cfg, &s, err, errlen);
    for (uint64_t t = 0; rc == 0 && t <= cfg->duration_ms; t += cfg->sample_ms) {
        rc = sim_seed_advance(s, t);
        if (rc == 0 && res->n < SIM_SEED_SAMPLES) {
            struct sim_seed_sample *row = &res->sample[res->n++];
            row->t_ms = t;
            sim_seed_unit(s, SIM_SEED_TESLA_ID, &row->tesla);
            sim_seed_unit(s, SIM_SEED_I3_ID, &row->i3);
        }
    }
    if (s) {
        sim_seed_unit(s, SIM_SEED_TESLA_ID, &res->tesla);
        sim_seed_unit(s, SIM_SEED_I3_ID, &res->i3);
        sim_seed_bytes(s, &res->bytes_master, &res->bytes_slaves);
    }
    sim_seed_free(s);
    return rc;
}
