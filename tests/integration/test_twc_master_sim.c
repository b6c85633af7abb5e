/* SPDX-License-Identifier: MIT */
/*
 * The master (twc_bus + twc_master) against simulated Wall Connector slaves (sim/) on an
 * in-memory RS485 bus (tp_mem), in virtual time. Each slave has its own bus endpoint, so it can
 * be "unplugged"; a passive tap endpoint records every frame on the wire for the assertions.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "drivers/base/amp_err.h"
#include "drivers/base/log.h"
#include "drivers/transport/tp_fault.h"
#include "drivers/transport/tp_link.h"
#include "drivers/transport/tp_mem.h"
#include "drivers/twc/twc_bus.h"
#include "drivers/twc/twc_codec.h"
#include "sim/sim_native_master.h"
#include "sim/sim_twc_slave.h"
#include "tests/support/amp_tap.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

#define MID      0xA1B2
#define MAX_SIMS 5
#define MAX_EVS  1024
#define MAX_WIRE 20000

struct sim_ep {
    struct sim_twc_slave s;
    struct tp *ep;
    bool attached;
};

/* One frame seen on the wire by the tap. */
struct wire_rec {
    uint64_t t;
    uint16_t code, src, dst;
    uint8_t cmd, len;
    uint16_t amps_ca;
};

struct rig {
    struct tp_mem_bus *mb;
    struct tp_link *link;
    struct tp *fault; /* the master's endpoint wrapper, borrowed from link */
    struct twc_bus bus;
    struct sim_ep sim[MAX_SIMS];
    size_t nsim;
    struct sim_native_master nm;
    struct tp *nm_ep;
    bool nm_on;
    struct tp *noise; /* an endpoint that writes garbage */
    struct tp *tap;
    struct twc_deframer tapdf;
    struct wire_rec wire[MAX_WIRE];
    size_t nwire;
    uint32_t tap_bad;
    uint64_t now;
    int32_t target_ma; /* what the "controller" sets on every link */
    struct twc_master_event ev[MAX_EVS];
    size_t nev;
    uint64_t moved;
};

static void on_event(void *ctx, const struct twc_master_event *ev)
{
    struct rig *r = ctx;
    if (r->nev < MAX_EVS) {
        r->ev[r->nev++] = *ev;
    }
    if (ev->type == TWC_MEV_SLAVE_LINKED) {
        /* the controller's answer to a new slave */
        ck_assert_int_eq(
            twc_master_set_target(twc_bus_master(&r->bus), ev->at_ms, ev->slave_id, r->target_ma),
            0);
    }
}

static void quiet_sink(void *ctx, enum log_level lvl, const char *mod, const char *line)
{
    (void)ctx;
    (void)lvl;
    (void)mod;
    (void)line;
}

static void rig_init(struct rig *r, bool fault)
{
    memset(r, 0, sizeof(*r));
    log_set_sink(quiet_sink, NULL, LOG_LEVEL_WARN);
    r->target_ma = 16000;
    ck_assert_int_eq(tp_mem_bus_new(MAX_SIMS + 4, 8192, &r->mb), 0);
    struct tp *mep;
    ck_assert_int_eq(tp_mem_bus_attach(r->mb, "master", false, &mep), 0);
    if (fault) {
        ck_assert_int_eq(tp_fault_wrap(mep, amp_test_seed(), &r->fault), 0);
        mep = r->fault;
    }
    ck_assert_int_eq(tp_link_new(mep, &r->link), 0);
    ck_assert_int_eq(tp_mem_bus_attach(r->mb, "tap", false, &r->tap), 0);
    twc_deframer_init(&r->tapdf);
    struct twc_bus_config bc;
    twc_bus_config_init(&bc);
    bc.master.id = MID;
    bc.master.sign = 0x42;
    bc.on_event = on_event;
    bc.on_event_ctx = r;
    ck_assert_int_eq(twc_bus_init(&r->bus, r->link, &bc, 0), 0);
}

static void rig_fini(struct rig *r)
{
    for (size_t i = 0; i < r->nsim; i++) {
        tp_free(r->sim[i].ep);
    }
    tp_free(r->nm_ep);
    tp_free(r->noise);
    tp_free(r->tap);
    tp_link_free(r->link);
    tp_mem_bus_free(r->mb);
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
}

static struct sim_twc_slave *
add_slave(struct rig *r, uint16_t id, enum sim_twc_proto proto, const char *car, uint32_t first_ms)
{
    ck_assert_uint_lt(r->nsim, MAX_SIMS);
    struct sim_ep *e = &r->sim[r->nsim++];
    struct sim_twc_slave_cfg cfg;
    sim_twc_slave_cfg_default(&cfg, id, proto);
    cfg.linkready_first_ms = first_ms;
    struct sim_car_cfg cc;
    if (car) {
        ck_assert_int_eq(sim_car_cfg_preset(&cc, car), 0);
    }
    ck_assert_int_eq(sim_twc_slave_init(&e->s, &cfg, car ? &cc : NULL, r->now), 0);
    char label[16];
    snprintf(label, sizeof(label), "slave%04x", id);
    ck_assert_int_eq(tp_mem_bus_attach(r->mb, label, false, &e->ep), 0);
    e->attached = true;
    return &e->s;
}

static void on_tap_frame(void *ctx, const struct twc_msg *msg)
{
    struct rig *r = ctx;
    if (r->nwire < MAX_WIRE) {
        struct wire_rec *w = &r->wire[r->nwire++];
        w->t = r->now;
        w->code = msg->code;
        w->src = msg->src;
        w->dst = msg->dst;
        w->len = msg->body_len;
        w->cmd = msg->kind == TWC_KIND_MASTER_HEARTBEAT ? msg->u.mhb.cmd : 0;
        w->amps_ca = msg->kind == TWC_KIND_MASTER_HEARTBEAT ? msg->u.mhb.amps_ca : 0;
    }
}

static void tap_read(struct rig *r)
{
    r->tap_bad += amp_tap_read(r->tap, &r->tapdf, on_tap_frame, r);
}

/* Moves every byte that can move at r->now; returns the earliest next event time. */
static uint64_t rig_step(struct rig *r)
{
    uint64_t next = UINT64_MAX;
    for (int spin = 0; spin < 50; spin++) {
        uint64_t before = r->moved + r->bus.stats.tx_bytes;
        (void)twc_bus_service(&r->bus, r->now);
        uint8_t buf[1024];
        next = twc_bus_next_wakeup_ms(&r->bus);
        for (size_t i = 0; i < r->nsim; i++) {
            struct sim_ep *e = &r->sim[i];
            if (!e->attached) {
                continue;
            }
            ssize_t n;
            while ((n = tp_read(e->ep, buf, sizeof(buf))) > 0) {
                sim_twc_slave_on_bytes(&e->s, r->now, buf, (size_t)n);
            }
            uint64_t nx = UINT64_MAX;
            size_t out = sim_twc_slave_poll(&e->s, r->now, buf, sizeof(buf), &nx);
            if (out > 0) {
                ck_assert_int_eq(tp_write(e->ep, buf, out), (ssize_t)out);
                r->moved += out;
            }
            next = nx < next ? nx : next;
        }
        if (r->nm_on) {
            ssize_t n;
            while ((n = tp_read(r->nm_ep, buf, sizeof(buf))) > 0) {
                sim_native_master_on_bytes(&r->nm, r->now, buf, (size_t)n);
            }
            uint64_t nx = UINT64_MAX;
            size_t out = sim_native_master_poll(&r->nm, r->now, buf, sizeof(buf), &nx);
            if (out > 0) {
                ck_assert_int_eq(tp_write(r->nm_ep, buf, out), (ssize_t)out);
                r->moved += out;
            }
            next = nx < next ? nx : next;
        }
        tap_read(r);
        if (r->moved + r->bus.stats.tx_bytes == before) {
            break;
        }
    }
    return next;
}

static void rig_run(struct rig *r, uint64_t until)
{
    while (r->now < until) {
        uint64_t next = rig_step(r);
        if (next <= r->now) {
            next = r->now + 1;
        }
        r->now = next < until ? next : until;
    }
    (void)rig_step(r);
}

static size_t count_events(const struct rig *r, enum twc_master_event_type type, uint16_t id)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nev; i++) {
        n += r->ev[i].type == type && (id == 0 || r->ev[i].slave_id == id);
    }
    return n;
}

static void expect_linked(struct rig *r, uint16_t id, uint8_t proto)
{
    struct twc_master_slave_info info;
    ck_assert_msg(twc_master_slave_find(twc_bus_master(&r->bus), id, &info) == 0,
                  "slave %04x not linked", id);
    ck_assert_uint_eq(info.proto, proto);
    ck_assert(info.replied);
}

START_TEST(test_three_v2_slaves_link_charge_and_report)
{
    struct rig r;
    rig_init(&r, false);
    struct sim_twc_slave *s[3];
    s[0] = add_slave(&r, 0x2019, SIM_TWC_EXT, "tesla", 0);
    s[1] = add_slave(&r, 0x4085, SIM_TWC_V2, "tesla", 3000);
    s[2] = add_slave(&r, 0x8725, SIM_TWC_EXT, "bmw-i3", 6000);
    rig_run(&r, 60000);
    uint16_t ids[3] = {0x2019, 0x4085, 0x8725};
    for (int i = 0; i < 3; i++) {
        expect_linked(&r, ids[i], 2);
        struct sim_twc_slave_view v;
        sim_twc_slave_view(s[i], r.now, &v);
        ck_assert(v.linked);
        ck_assert_uint_eq(v.master_id, MID);
        /* the slave echoes the 16 A we set, and the car draws near it (§5.3) */
        ck_assert_uint_eq(v.limit_ca, 1600);
        struct twc_master_slave_info info;
        ck_assert_int_eq(twc_master_slave_find(twc_bus_master(&r.bus), ids[i], &info), 0);
        ck_assert_int_eq(info.limit_ma, 16000);
        ck_assert_int_gt(info.actual_ma, 14000);
        ck_assert_int_le(info.actual_ma, 16000);
        ck_assert_int_eq(info.actual_ma, (int32_t)v.actual_ca * 10);
    }
    /* 4.5.3 slaves: version, serial and meter; a Tesla gives its VIN, the i3 none (§7.4) */
    struct twc_master_slave_info a, c;
    ck_assert_int_eq(twc_master_slave_find(twc_bus_master(&r.bus), 0x2019, &a), 0);
    ck_assert(a.fw_known && a.ext && a.serial_known && a.meter_known);
    ck_assert(a.vin_known);
    ck_assert_uint_eq(strlen(a.vin), 17);
    ck_assert_str_eq(a.serial, "A18F0002019");
    ck_assert_int_eq(twc_master_slave_find(twc_bus_master(&r.bus), 0x8725, &c), 0);
    ck_assert(c.vin_known);
    ck_assert_str_eq(c.vin, "");
    ck_assert_uint_eq(count_events(&r, TWC_MEV_SLAVE_DROPPED, 0), 0);
    ck_assert_uint_eq(r.tap_bad, 0);
    rig_fini(&r);
}

END_TEST

START_TEST(test_v1_and_mixed_slaves_get_their_own_lengths_and_commands)
{
    struct rig r;
    rig_init(&r, false);
    struct sim_twc_slave *v1 = add_slave(&r, 0x022C, SIM_TWC_V1, "tesla", 0);
    add_slave(&r, 0x2433, SIM_TWC_V2, "tesla", 2000);
    add_slave(&r, 0x5850, SIM_TWC_EXT, "tesla", 4000);
    rig_run(&r, 40000);
    expect_linked(&r, 0x022C, 1);
    expect_linked(&r, 0x2433, 2);
    expect_linked(&r, 0x5850, 2);
    struct sim_twc_slave_view v;
    sim_twc_slave_view(v1, r.now, &v);
    ck_assert_uint_eq(v.limit_ca, 1600);
    /* on the wire: 14-byte heartbeats with 05 to the v1 slave, 16-byte with 09 to the others
     * (§4.1, §9 #8, §9 #14) and no queries to the v1 slave (§4.2) */
    size_t to_v1 = 0, to_v2 = 0;
    for (size_t i = 0; i < r.nwire; i++) {
        const struct wire_rec *w = &r.wire[i];
        if (w->src != MID || w->code == 0xFCE1 || w->code == 0xFBE2) {
            continue;
        }
        if (w->dst == 0x022C) {
            ck_assert_uint_eq(w->code, 0xFBE0);
            ck_assert_uint_eq(w->len, 14);
            ck_assert(w->cmd == 0x00 || w->cmd == 0x05);
            to_v1++;
        } else {
            ck_assert_uint_eq(w->len, 16);
            if (w->code == 0xFBE0) {
                ck_assert(w->cmd == 0x00 || w->cmd == 0x09);
                to_v2++;
            }
        }
    }
    ck_assert_uint_gt(to_v1, 30);
    ck_assert_uint_gt(to_v2, 60);
    rig_fini(&r);
}

END_TEST

START_TEST(test_cadence_is_one_heartbeat_per_second_and_one_exchange_at_a_time)
{
    struct rig r;
    rig_init(&r, false);
    add_slave(&r, 0x1001, SIM_TWC_V2, "tesla", 0);
    add_slave(&r, 0x1002, SIM_TWC_V2, "tesla", 100);
    add_slave(&r, 0x1003, SIM_TWC_V2, "tesla", 200);
    rig_run(&r, 30000);
    uint64_t last[3] = {0, 0, 0};
    size_t n[3] = {0, 0, 0};
    const struct wire_rec *pending = NULL;
    for (size_t i = 0; i < r.nwire; i++) {
        const struct wire_rec *w = &r.wire[i];
        if (w->src == MID && w->code == 0xFBE0) {
            int k = (int)(w->dst - 0x1001);
            ck_assert(k >= 0 && k < 3);
            if (last[k] != 0 && w->t > 5000) {
                /* §6.3: about one per second per slave; an info exchange may push one back */
                ck_assert_msg(w->t - last[k] >= 1000 && w->t - last[k] <= 1400,
                              "slave %d interval %llu", k, (unsigned long long)(w->t - last[k]));
            }
            last[k] = w->t;
            n[k]++;
        }
        if (w->src == MID && w->dst != 0 && w->code != 0xFCE1 && w->code != 0xFBE2) {
            /* one exchange at a time: the previous request was answered or timed out */
            if (pending) {
                ck_assert_msg(w->t >= pending->t + 300, "request at %llu overlaps the one at %llu",
                              (unsigned long long)w->t, (unsigned long long)pending->t);
            }
            pending = w;
        } else if (pending && w->src == pending->dst && (w->code >> 8) == 0xFD) {
            pending = NULL;
        }
    }
    for (int k = 0; k < 3; k++) {
        ck_assert_uint_ge(n[k], 27);
    }
    rig_fini(&r);
}

END_TEST

START_TEST(test_limit_changes_reach_the_slave_and_cuts_go_out_at_once)
{
    struct rig r;
    rig_init(&r, false);
    struct sim_twc_slave *s = add_slave(&r, 0x2019, SIM_TWC_V2, "tesla", 0);
    rig_run(&r, 20000);
    struct twc_master *m = twc_bus_master(&r.bus);
    ck_assert_int_eq(twc_master_set_target(m, r.now, 0x2019, 32000), 0);
    rig_run(&r, 40000);
    struct sim_twc_slave_view v;
    sim_twc_slave_view(s, r.now, &v);
    ck_assert_uint_eq(v.limit_ca, 3200);
    ck_assert_uint_gt(v.actual_ca, 3000);
    /* a safety cut to 10 A: on the wire within one exchange (reply timeout + gap), not at the
     * next 1 s heartbeat */
    uint64_t cut_at = r.now;
    size_t from = r.nwire;
    ck_assert_int_eq(twc_master_set_target(m, r.now, 0x2019, 10000), 0);
    rig_run(&r, cut_at + 2000);
    uint64_t seen = 0;
    for (size_t i = from; i < r.nwire && !seen; i++) {
        if (r.wire[i].src == MID && r.wire[i].code == 0xFBE0 && r.wire[i].amps_ca == 1000) {
            seen = r.wire[i].t;
        }
    }
    ck_assert_uint_ne(seen, 0);
    ck_assert_uint_le(seen - cut_at, 350);
    sim_twc_slave_view(s, r.now, &v);
    ck_assert_uint_eq(v.limit_ca, 1000);
    /* a stop: 09 00 00 on every heartbeat from then on (§7.1) */
    ck_assert_int_eq(twc_master_set_target(m, r.now, 0x2019, 0), 0);
    from = r.nwire;
    rig_run(&r, r.now + 10000);
    size_t zeros = 0;
    for (size_t i = from; i < r.nwire; i++) {
        if (r.wire[i].src == MID && r.wire[i].code == 0xFBE0 && r.wire[i].t > r.now - 9000) {
            ck_assert_uint_eq(r.wire[i].cmd, 0x09);
            ck_assert_uint_eq(r.wire[i].amps_ca, 0);
            zeros++;
        }
    }
    ck_assert_uint_ge(zeros, 8);
    sim_twc_slave_view(s, r.now, &v);
    ck_assert_uint_eq(v.limit_ca, 0);
    ck_assert_uint_lt(v.actual_ca, 100);
    rig_fini(&r);
}

END_TEST

START_TEST(test_spike_with_headroom_then_the_target)
{
    struct rig r;
    rig_init(&r, false);
    r.target_ma = 0;
    add_slave(&r, 0x2019, SIM_TWC_V2, "tesla", 0);
    rig_run(&r, 15000);
    struct twc_master *m = twc_bus_master(&r.bus);
    size_t from = r.nwire;
    ck_assert_int_eq(twc_master_set_target_ceiling(m, r.now, 0x2019, 8000, 32000), 0);
    uint64_t t0 = r.now;
    rig_run(&r, t0 + 12000);
    /* §7.1: 16 A for >= 5 s, then 8 A */
    uint64_t first16 = 0, first8 = 0;
    for (size_t i = from; i < r.nwire; i++) {
        const struct wire_rec *w = &r.wire[i];
        if (w->src != MID || w->code != 0xFBE0 || w->cmd != 0x09) {
            continue;
        }
        if (w->amps_ca == 1600 && !first16) {
            first16 = w->t;
        }
        if (w->amps_ca == 800 && !first8) {
            first8 = w->t;
        }
    }
    ck_assert_uint_ne(first16, 0);
    ck_assert_uint_ne(first8, 0);
    ck_assert_uint_ge(first8 - t0, 5000);
    ck_assert_uint_lt(first16, first8);
    rig_fini(&r);
}

END_TEST

START_TEST(test_silent_slave_is_dropped_and_relinked_when_it_returns)
{
    struct rig r;
    rig_init(&r, false);
    add_slave(&r, 0x2019, SIM_TWC_V2, "tesla", 0);
    add_slave(&r, 0x4085, SIM_TWC_V2, "tesla", 500);
    rig_run(&r, 15000);
    expect_linked(&r, 0x4085, 2);
    /* unplug 4085's wires */
    tp_close(r.sim[1].ep);
    r.sim[1].attached = false;
    uint64_t gone = r.now;
    rig_run(&r, gone + 30000);
    ck_assert_uint_eq(count_events(&r, TWC_MEV_SLAVE_DROPPED, 0x4085), 1);
    ck_assert_uint_eq(count_events(&r, TWC_MEV_SLAVE_DROPPED, 0x2019), 0);
    for (size_t i = 0; i < r.nev; i++) {
        if (r.ev[i].type == TWC_MEV_SLAVE_DROPPED) {
            /* §6.4: after about 26 s of silence */
            ck_assert_uint_ge(r.ev[i].at_ms - gone, 25000);
            ck_assert_uint_le(r.ev[i].at_ms - gone, 27000);
        }
    }
    struct twc_master_slave_info info;
    ck_assert_int_eq(twc_master_slave_find(twc_bus_master(&r.bus), 0x4085, &info), -ENOENT);
    /* wires back: its linkready (every 10 s) links it again */
    ck_assert_int_eq(tp_open(r.sim[1].ep), 0);
    r.sim[1].attached = true;
    rig_run(&r, r.now + 25000);
    expect_linked(&r, 0x4085, 2);
    ck_assert_uint_eq(count_events(&r, TWC_MEV_SLAVE_LINKED, 0x4085), 2);
    struct sim_twc_slave_view v;
    sim_twc_slave_view(&r.sim[1].s, r.now, &v);
    ck_assert(v.linked);
    ck_assert_uint_eq(v.limit_ca, 1600);
    rig_fini(&r);
}

END_TEST

START_TEST(test_a_fourth_slave_is_refused)
{
    struct rig r;
    rig_init(&r, false);
    add_slave(&r, 0x1001, SIM_TWC_V2, "tesla", 0);
    add_slave(&r, 0x1002, SIM_TWC_V2, "tesla", 300);
    add_slave(&r, 0x1003, SIM_TWC_V2, "tesla", 600);
    struct sim_twc_slave *s4 = add_slave(&r, 0x1004, SIM_TWC_V2, "tesla", 900);
    rig_run(&r, 30000);
    ck_assert_uint_eq(twc_master_slave_count(twc_bus_master(&r.bus)), 3);
    ck_assert_uint_ge(count_events(&r, TWC_MEV_TOO_MANY_SLAVES, 0x1004), 1);
    struct sim_twc_slave_view v;
    sim_twc_slave_view(s4, r.now, &v);
    ck_assert(!v.linked);
    for (size_t i = 0; i < r.nwire; i++) {
        ck_assert(!(r.wire[i].src == MID && r.wire[i].dst == 0x1004));
    }
    rig_fini(&r);
}

END_TEST

START_TEST(test_a_second_master_silences_ampshare_until_it_leaves)
{
    struct rig r;
    rig_init(&r, false);
    add_slave(&r, 0x2019, SIM_TWC_V2, "tesla", 0);
    rig_run(&r, 15000);
    expect_linked(&r, 0x2019, 2);
    /* a native master is powered up on the same bus */
    struct sim_native_master_cfg nc;
    sim_native_master_cfg_default(&nc);
    ck_assert_int_eq(sim_native_master_init(&r.nm, &nc, r.now), 0);
    ck_assert_int_eq(tp_mem_bus_attach(r.mb, "native", false, &r.nm_ep), 0);
    r.nm_on = true;
    rig_run(&r, 30000);
    ck_assert(twc_master_clashed(twc_bus_master(&r.bus)));
    ck_assert_uint_eq(count_events(&r, TWC_MEV_MASTER_CLASH, 0), 1);
    ck_assert_int_eq(twc_bus_service(&r.bus, r.now), AMP_ERR_MASTER_CLASH);
    uint64_t clash_at = 0;
    for (size_t i = 0; i < r.nev; i++) {
        if (r.ev[i].type == TWC_MEV_MASTER_CLASH) {
            clash_at = r.ev[i].at_ms;
            ck_assert_uint_eq(r.ev[i].slave_id, nc.id);
        }
    }
    for (size_t i = 0; i < r.nwire; i++) {
        /* nothing from us after the clash */
        ck_assert(!(r.wire[i].src == MID && r.wire[i].t > clash_at));
    }
    /* the native master is switched to F: after 60 s of quiet ampshare is master again, under
     * a fresh ID, and the slave links to it */
    uint64_t off_at = r.now;
    tp_free(r.nm_ep);
    r.nm_ep = NULL;
    r.nm_on = false;
    rig_run(&r, r.now + TWC_MASTER_CLASH_QUIET_MS + 30000);
    ck_assert(!twc_master_clashed(twc_bus_master(&r.bus)));
    ck_assert_uint_eq(count_events(&r, TWC_MEV_MASTER_RESUMED, nc.id), 1);
    uint16_t id = twc_master_id(twc_bus_master(&r.bus));
    ck_assert_uint_ne(id, MID);
    ck_assert_uint_ne(id, nc.id);
    for (size_t i = 0; i < r.nev; i++) {
        if (r.ev[i].type == TWC_MEV_MASTER_RESUMED) {
            ck_assert_uint_ge(r.ev[i].at_ms, off_at + TWC_MASTER_CLASH_QUIET_MS - 1100);
            ck_assert_uint_eq(r.ev[i].u.resumed.new_id, id);
        }
    }
    expect_linked(&r, 0x2019, 2);
    struct sim_twc_slave_view v;
    sim_twc_slave_view(&r.sim[0].s, r.now, &v);
    ck_assert(v.linked);
    ck_assert_uint_eq(v.master_id, id);
    rig_fini(&r);
}

END_TEST

START_TEST(test_garbage_and_corruption_on_the_bus_are_survived)
{
    struct rig r;
    rig_init(&r, true);
    struct tp_fault_cfg fc = {.drop_permille = 3, .corrupt_permille = 5, .dup_permille = 2};
    ck_assert_int_eq(tp_fault_set(r.fault, TP_FAULT_RX, &fc), 0);
    ck_assert_int_eq(tp_mem_bus_attach(r.mb, "noise", false, &r.noise), 0);
    add_slave(&r, 0x1001, SIM_TWC_V2, "tesla", 0);
    add_slave(&r, 0x1002, SIM_TWC_V1, "tesla", 300);
    add_slave(&r, 0x1003, SIM_TWC_EXT, "tesla", 600);
    uint64_t rng = amp_test_seed();
    while (r.now < 120000) {
        /* every ~0.7 s: random bytes, a stray delimiter, or a truncated frame start, written
         * between or over other frames (§2.4, §6.6) */
        uint64_t x = amp_test_rand(&rng);
        uint8_t junk[24];
        size_t n = 1 + x % sizeof(junk);
        for (size_t i = 0; i < n; i++) {
            junk[i] = (uint8_t)amp_test_rand(&rng);
        }
        if (x % 3 == 0) {
            junk[0] = 0xC0;
            junk[1 % n] = 0xFD;
        }
        ck_assert_int_eq(tp_write(r.noise, junk, n), (ssize_t)n);
        rig_run(&r, r.now + 200 + (x >> 32) % 1000);
    }
    for (uint16_t id = 0x1001; id <= 0x1003; id++) {
        expect_linked(&r, id, id == 0x1002 ? 1 : 2);
    }
    /* heartbeats repeat every second, so nothing was dropped (§6.6) */
    ck_assert_uint_eq(count_events(&r, TWC_MEV_SLAVE_DROPPED, 0), 0);
    ck_assert(!twc_master_clashed(twc_bus_master(&r.bus)));
    const struct twc_bus_stats *st = twc_bus_get_stats(&r.bus);
    ck_assert_uint_gt(st->bad_checksum + st->garbage + st->bad_length + st->bad_escape, 0);
    /* safety: no limit on the wire ever above what the controller set (16 A) */
    for (size_t i = 0; i < r.nwire; i++) {
        if (r.wire[i].src == MID && r.wire[i].code == 0xFBE0) {
            ck_assert_uint_le(r.wire[i].amps_ca, 1600);
        }
    }
    rig_fini(&r);
}

END_TEST

START_TEST(test_adapter_echo_is_ignored)
{
    struct rig r;
    memset(&r, 0, sizeof(r));
    /* like rig_init, but the master's endpoint hears its own bytes (§1 "Echo") */
    log_set_sink(quiet_sink, NULL, LOG_LEVEL_WARN);
    r.target_ma = 16000;
    ck_assert_int_eq(tp_mem_bus_new(MAX_SIMS + 4, 8192, &r.mb), 0);
    struct tp *mep;
    ck_assert_int_eq(tp_mem_bus_attach(r.mb, "master", true, &mep), 0);
    ck_assert_int_eq(tp_link_new(mep, &r.link), 0);
    ck_assert_int_eq(tp_mem_bus_attach(r.mb, "tap", false, &r.tap), 0);
    twc_deframer_init(&r.tapdf);
    struct twc_bus_config bc;
    twc_bus_config_init(&bc);
    bc.master.id = MID;
    bc.master.sign = 0x42;
    bc.on_event = on_event;
    bc.on_event_ctx = &r;
    ck_assert_int_eq(twc_bus_init(&r.bus, r.link, &bc, 0), 0);
    add_slave(&r, 0x2019, SIM_TWC_V2, "tesla", 0);
    rig_run(&r, 20000);
    expect_linked(&r, 0x2019, 2);
    ck_assert(!twc_master_clashed(twc_bus_master(&r.bus)));
    ck_assert_uint_gt(twc_master_get_stats(twc_bus_master(&r.bus))->echoes, 20);
    rig_fini(&r);
}

END_TEST

static Suite *master_sim_suite(void)
{
    Suite *s = suite_create("twc_master_sim");
    TCase *tc = tcase_create("sim");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_three_v2_slaves_link_charge_and_report);
    tcase_add_test(tc, test_v1_and_mixed_slaves_get_their_own_lengths_and_commands);
    tcase_add_test(tc, test_cadence_is_one_heartbeat_per_second_and_one_exchange_at_a_time);
    tcase_add_test(tc, test_limit_changes_reach_the_slave_and_cuts_go_out_at_once);
    tcase_add_test(tc, test_spike_with_headroom_then_the_target);
    tcase_add_test(tc, test_silent_slave_is_dropped_and_relinked_when_it_returns);
    tcase_add_test(tc, test_a_fourth_slave_is_refused);
    tcase_add_test(tc, test_a_second_master_silences_ampshare_until_it_leaves);
    tcase_add_test(tc, test_garbage_and_corruption_on_the_bus_are_survived);
    tcase_add_test(tc, test_adapter_echo_is_ignored);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(master_sim_suite)
