/* SPDX-License-Identifier: MIT */
/*
 * The Wall Connector control loop: a real twc_master fed hand-made slave frames (checksums by
 * the test's own §3 sum), the real engine and built-in policies. Checks the binding of slave
 * IDs (fixed and auto), the §5.2 state mapping into the engine's input, the control period,
 * targets and reasons from the engine, cuts sent at once, the hold, and the fail-safes for a
 * silent and a dropped slave. Expected values are worked out by hand beside each assertion.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "controller/ctl_twc.h"
#include "controller/engine/policy_loader.h"
#include "controller/engine/site_ini.h"
#include "drivers/twc/twc_codec.h"
#include "tests/support/check_main.h"

#define MID   0x7777 /* our master ID (the site's master_address) */
#define TESLA 0x2019
#define I3    0x2431
#define OTHER 0x4085

struct rig {
    struct site *site;
    struct policy_handle ph;
    struct ctl *ctl;
    struct ctl_twc *c;
    struct twc_master m;
};

/* twc-gen2.md §7.3: one 40 A circuit, the Tesla's unit at 2019, the i3's at `address = auto`. */
static void rig_start(struct rig *g, const char *policy, int oc_a)
{
    char ini[1024], err[256] = "";
    snprintf(ini, sizeof(ini),
             "[site]\nsupply_limit_a = 40\nphases = 1\novercommit_a = %d\n"
             "[circuit garage]\nlimit_a = 40\novercommit_a = %d\n"
             "[bus rs485]\ntransport = serial:/dev/ttyUSB0\nmaster_address = 7777\n"
             "[wallconnector tesla]\nbus = rs485\naddress = 2019\ncircuit = garage\n"
             "max_current_a = 40\n"
             "[wallconnector i3]\nbus = rs485\naddress = auto\ncircuit = garage\n"
             "max_current_a = 40\n"
             "[policy]\nname = %s\n",
             oc_a, oc_a, policy);
    memset(g, 0, sizeof(*g));
    ck_assert_msg(site_new_from_ini(ini, "seed.ini", &g->site, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(policy_open(g->site->policy, &g->ph, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(ctl_new(g->site, g->ph.policy, &g->ctl, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(ctl_twc_new(g->ctl, &g->c), 0);
    struct twc_master_config mc;
    twc_master_config_init(&mc);
    mc.id = MID;
    mc.sign = 0x77;
    mc.query_info = false;
    mc.meter_period_ms = 0;
    ck_assert_int_eq(twc_master_init(&g->m, &mc, 0), 0);
    ck_assert_int_eq(ctl_twc_attach(g->c, 0, &g->m), 0);
}

static void rig_stop(struct rig *g)
{
    ctl_twc_free(g->c);
    ctl_free(g->ctl);
    policy_close(&g->ph);
    site_free(g->site);
}

/* The test's own checksum (§3: body[1..n-2], the type byte excluded). */
static void seal(uint8_t *b, size_t len)
{
    unsigned sum = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        sum += b[i];
    }
    b[len - 1] = (uint8_t)sum;
}

static void feed(struct rig *g, uint64_t now, uint8_t *b)
{
    struct twc_msg msg;
    seal(b, 16);
    ck_assert_int_eq(twc_decode(b, 16, &msg), 0);
    (void)twc_master_on_frame(&g->m, now, &msg);
}

/* §4.3: a 16-byte (v2) slave linkready, 80.00 A maximum (1F 40). */
static void linkready(struct rig *g, uint64_t now, uint16_t id)
{
    uint8_t b[16] = {0xFD, 0xE2, (uint8_t)(id >> 8), (uint8_t)id, 0x5A, 0x1F, 0x40};
    feed(g, now, b);
}

/* §5.2: a 16-byte heartbeat reply to us: state, limit echo, actual current. */
static void
reply(struct rig *g, uint64_t now, uint16_t id, uint8_t state, uint16_t lim_ca, uint16_t act_ca)
{
    uint8_t b[16] = {
        0xFD,           0xE0,  (uint8_t)(id >> 8),     (uint8_t)id,     MID >> 8,
        MID & 0xFF,     state, (uint8_t)(lim_ca >> 8), (uint8_t)lim_ca, (uint8_t)(act_ca >> 8),
        (uint8_t)act_ca};
    feed(g, now, b);
}

static int evse(const struct rig *g, const char *name)
{
    int e = site_find_evse(g->site, name);
    ck_assert_int_ge(e, 0);
    return e;
}

static struct twc_master_slave_info slave(const struct rig *g, uint16_t id)
{
    struct twc_master_slave_info info;
    ck_assert_int_eq(twc_master_slave_find(&g->m, id, &info), 0);
    return info;
}

static const char *why(const struct rig *g, const char *name, uint64_t now)
{
    static char buf[96]; /* test-only convenience */
    ck_assert_int_gt(ctl_why(g->ctl, (size_t)evse(g, name), now, buf, sizeof(buf)), 0);
    return buf;
}

START_TEST(test_fixed_address_binds_its_id_and_auto_the_first_unknown_slave)
{
    struct rig g;
    rig_start(&g, "idle_reclaim", 0);
    uint16_t id = 0;
    ck_assert(ctl_twc_slave_of(g.c, (size_t)evse(&g, "tesla"), &id)); /* bound from the start */
    ck_assert_uint_eq(id, TESLA);
    ck_assert(!ctl_twc_slave_of(g.c, (size_t)evse(&g, "i3"), &id));
    /* the i3's unit links first, then the Tesla's, then a third one nobody configured */
    linkready(&g, 100, I3);
    linkready(&g, 200, TESLA);
    linkready(&g, 300, OTHER);
    ck_assert_int_eq(ctl_step(g.ctl, 400), 1);
    ck_assert_int_eq(ctl_twc_evse_of(g.c, 0, TESLA), evse(&g, "tesla"));
    ck_assert_int_eq(ctl_twc_evse_of(g.c, 0, I3), evse(&g, "i3"));
    ck_assert_int_eq(ctl_twc_evse_of(g.c, 0, OTHER), -1);
    ck_assert_uint_eq(ctl_twc_get_stats(g.c)->auto_bindings, 1);
    ck_assert_uint_eq(ctl_twc_get_stats(g.c)->unknown_slaves, 1);
    /* the unknown slave is held at 0 A whatever it was given: no circuit accounts for it (the
     * controller reads its buses before each tick) */
    ck_assert_int_eq(twc_master_set_target(&g.m, 500, OTHER, 16000), 0);
    ck_assert_int_eq(slave(&g, OTHER).offered_ma, 16000);
    ck_assert_int_eq(ctl_step(g.ctl, 1400), 1);
    ck_assert_int_eq(slave(&g, OTHER).target_ma, 0);
    ck_assert_int_eq(slave(&g, OTHER).offered_ma, 0);
    rig_stop(&g);
}

END_TEST

START_TEST(test_auto_binds_in_link_order_not_table_order)
{
    struct rig g;
    rig_start(&g, "idle_reclaim", 0);
    /* 3333 takes the master's first slot, 4085 the second; 3333 falls silent and is dropped,
     * and the i3's unit links into the freed first slot later than 4085 did */
    linkready(&g, 100, 0x3333);
    linkready(&g, 200, OTHER);
    reply(&g, 20000, OTHER, 0x00, 0, 0);
    struct twc_master_out out;
    twc_master_poll(&g.m, 27000, &out);
    ck_assert_uint_eq(twc_master_slave_count(&g.m), 1);
    linkready(&g, 28000, I3);
    struct twc_master_slave_info first;
    ck_assert_int_eq(twc_master_slave_at(&g.m, 0, &first), 0);
    ck_assert_uint_eq(first.id, I3);
    /* one step sees both unknown: the one that linked first (4085) gets the auto place */
    ctl_step(g.ctl, 28001);
    ck_assert_int_eq(ctl_twc_evse_of(g.c, 0, OTHER), evse(&g, "i3"));
    ck_assert_int_eq(ctl_twc_evse_of(g.c, 0, I3), -1);
    rig_stop(&g);
}

END_TEST

/* §5.2 state codes and the measured current become the engine's input. */
START_TEST(test_heartbeat_reply_becomes_the_engine_input)
{
    struct rig g;
    rig_start(&g, "idle_reclaim", 0);
    struct site_state *st = ctl_state(g.ctl);
    const struct site_evse_input *t = &st->evse[evse(&g, "tesla")];
    const struct site_evse_input *i = &st->evse[evse(&g, "i3")];
    linkready(&g, 100, TESLA);
    linkready(&g, 200, I3);
    ctl_step(g.ctl, 300);
    /* linked, not heard yet: nothing known */
    ck_assert(!t->connected);
    ck_assert_int_eq(t->offer_ma, SITE_OFFER_UNKNOWN);
    ck_assert_uint_eq(t->draw_at_ms, 0);
    /* 01 charging, 32.00 A echoed (0C 80), 31.20 A actual (0C 30); the unit's one current on
     * every conductor */
    reply(&g, 1200, TESLA, 0x01, 0x0C80, 0x0C30);
    /* 03 do not charge, limit 0, 0.25 A actual (00 19): a car, idle */
    reply(&g, 1300, I3, 0x03, 0x0000, 0x0019);
    ctl_step(g.ctl, 1400);
    ck_assert(t->connected);
    ck_assert_int_eq(t->draw_ma[0], 31200);
    ck_assert_int_eq(t->draw_ma[1], 31200);
    ck_assert_int_eq(t->draw_ma[2], 31200);
    ck_assert_uint_eq(t->draw_at_ms, 1200);
    ck_assert_int_eq(t->offer_ma, 32000);
    ck_assert(i->connected);
    ck_assert_int_eq(i->draw_ma[0], 250);
    ck_assert_int_eq(i->offer_ma, 0);
    /* 00 with the 0.25 A no-load offset: an empty unit */
    reply(&g, 2300, I3, 0x00, 0x0000, 0x0019);
    ctl_step(g.ctl, 2400);
    ck_assert(!i->connected);
    /* 00 but drawing 5.00 A (01 F4; a woken full Tesla shows 00, §5.2): counted as a car */
    reply(&g, 3300, I3, 0x00, 0x0258, 0x01F4);
    ctl_step(g.ctl, 3400);
    ck_assert(i->connected);
    ck_assert_int_eq(i->draw_ma[0], 5000);
    /* 02 error, nothing drawn: no car to offer anything to */
    reply(&g, 4300, I3, 0x02, 0x0000, 0x0000);
    ctl_step(g.ctl, 4400);
    ck_assert(!i->connected);
    /* 04 asking (limit 0) and 08 starting: cars */
    reply(&g, 5300, I3, 0x04, 0x0000, 0x0000);
    ctl_step(g.ctl, 5400);
    ck_assert(i->connected);
    reply(&g, 6300, I3, 0x08, 0x0258, 0x0082);
    ctl_step(g.ctl, 6400);
    ck_assert(i->connected);
    ck_assert_int_eq(i->offer_ma, 6000);
    ck_assert_int_eq(i->draw_ma[0], 1300);
    rig_stop(&g);
}

END_TEST

START_TEST(test_the_engine_runs_once_per_control_interval)
{
    struct rig g;
    rig_start(&g, "idle_reclaim", 0);
    ck_assert_uint_eq(ctl_next_ms(g.ctl), 0);
    ck_assert_int_eq(ctl_step(g.ctl, 5), 1); /* the first step ticks */
    ck_assert_uint_eq(ctl_next_ms(g.ctl), 1005);
    ck_assert_int_eq(ctl_step(g.ctl, 500), 0);
    ck_assert_int_eq(ctl_step(g.ctl, 1004), 0);
    ck_assert_int_eq(ctl_step(g.ctl, 1005), 1);
    ck_assert_uint_eq(ctl_next_ms(g.ctl), 2005);
    ck_assert_int_eq(ctl_step(g.ctl, 2300), 1); /* a little late: the cadence is kept */
    ck_assert_uint_eq(ctl_next_ms(g.ctl), 3005);
    ck_assert_int_eq(ctl_step(g.ctl, 9000), 1); /* very late: one period from now */
    ck_assert_uint_eq(ctl_next_ms(g.ctl), 10000);
    ck_assert_uint_eq(ctl_get_stats(g.ctl)->ticks, 4);
    rig_stop(&g);
}

END_TEST

/*
 * twc-gen2.md §7.3 through ampshare: the native policy keeps 6 A for the idle i3, so the Tesla
 * gets 40 - 6 = 34 A. The Tesla's cut from its 40 A echo goes to the master at once; the i3's
 * raise from 0 waits until the cut is echoed (40 + 6 > 40 while the Tesla still holds 40).
 */
START_TEST(test_native_policy_gives_34_a_and_cuts_before_it_raises)
{
    struct rig g;
    rig_start(&g, "native", 0);
    linkready(&g, 100, TESLA);
    linkready(&g, 200, I3);
    ctl_step(g.ctl, 300);
    /* §5.3: 38.76 A actual (0F 24) at a 40 A limit (0F A0) */
    reply(&g, 1100, TESLA, 0x01, 0x0FA0, 0x0F24);
    reply(&g, 1200, I3, 0x03, 0x0000, 0x0019);
    ck_assert_int_eq(ctl_step(g.ctl, 1300), 1);
    const struct alloc_result *r = ctl_result(g.ctl);
    ck_assert_int_eq(r->evse[evse(&g, "tesla")].target_ma, 34000);
    ck_assert_int_eq(r->evse[evse(&g, "i3")].target_ma, 0);
    ck_assert_str_eq(why(&g, "i3", 1300), "raise held until cuts elsewhere are in force");
    /* the cut is in the master's offer at once (ceiling = target: no 5 s pacing) */
    ck_assert_int_eq(slave(&g, TESLA).target_ma, 34000);
    ck_assert_int_eq(slave(&g, TESLA).ceiling_ma, 34000);
    ck_assert_int_eq(slave(&g, TESLA).offered_ma, 34000);
    ck_assert_int_eq(slave(&g, I3).offered_ma, 0);
    /* the Tesla echoes 34.00 A (0D 48); the next tick gives the i3 its 6 A */
    reply(&g, 2100, TESLA, 0x01, 0x0D48, 0x0F24);
    reply(&g, 2200, I3, 0x03, 0x0000, 0x0019);
    ck_assert_int_eq(ctl_step(g.ctl, 2300), 1);
    ck_assert_int_eq(r->evse[evse(&g, "tesla")].target_ma, 34000);
    ck_assert_int_eq(r->evse[evse(&g, "i3")].target_ma, 6000);
    ck_assert_str_eq(why(&g, "tesla", 2300), "limited by circuit garage");
    ck_assert_str_eq(why(&g, "i3", 2300), "idle for 1 s");
    ck_assert_int_eq(slave(&g, I3).offered_ma, 6000);
    ck_assert_uint_eq(alloc_get_stats(ctl_alloc(g.ctl))->ticks, 3); /* 300, 1300, 2300 */
    rig_stop(&g);
}

END_TEST

/* Runs the master until it sends a frame; returns its time. */
static uint64_t next_frame(struct rig *g, uint64_t now, struct twc_master_out *out)
{
    for (int i = 0; i < 100; i++) {
        int rc = twc_master_poll(&g->m, now, out);
        ck_assert_int_ge(rc, 0);
        if (rc == 1) {
            return now;
        }
        ck_assert_uint_ne(out->next_ms, UINT64_MAX);
        now = out->next_ms > now ? out->next_ms : now + 1;
    }
    ck_abort_msg("no frame");
    return now;
}

/*
 * A waking i3 with overcommit (docs/allocation.md): 6 A over the circuit's 40 A lets the idle
 * i3 keep its 6 A beside the Tesla's 39 A (39 + 0.25 A counted <= 40; 39 + 6 <= 46). When the
 * i3 draws, the tick that hears it counts it in full and cuts the Tesla to an equal 20 A (the
 * i3, drawing 1.3 A of 6 since a moment, has not settled: it counts as taking all it gets), and
 * the very next frame on the bus carries the cut.
 */
START_TEST(test_a_waking_car_cuts_the_other_at_once)
{
    struct rig g;
    rig_start(&g, "idle_reclaim", 6);
    linkready(&g, 100, TESLA);
    linkready(&g, 200, I3);
    struct twc_master_out out;
    uint64_t now = 300;
    /* past the burst (10 frames) and both link answers */
    for (int i = 0; i < 12; i++) {
        now = next_frame(&g, now, &out) + 1;
    }
    /* 01 at 39.00 A (0F 3C) drawing 38.20 A (0E EC); the i3 03 at 6.00 A (02 58), 0.25 A */
    reply(&g, now, TESLA, 0x01, 0x0F3C, 0x0EEC);
    reply(&g, now, I3, 0x03, 0x0258, 0x0019);
    ctl_step(g.ctl, now);
    const struct alloc_result *r = ctl_result(g.ctl);
    ck_assert_int_eq(r->evse[evse(&g, "tesla")].target_ma, 39000);
    ck_assert_int_eq(r->evse[evse(&g, "i3")].target_ma, 6000);
    /* the i3 starts drawing: 08 at 1.30 A (00 82) */
    now += 1000;
    reply(&g, now, TESLA, 0x01, 0x0F3C, 0x0EEC);
    reply(&g, now, I3, 0x08, 0x0258, 0x0082);
    ck_assert_int_eq(ctl_step(g.ctl, now), 1);
    ck_assert_int_eq(r->evse[evse(&g, "tesla")].target_ma, 20000);
    ck_assert_int_eq(r->evse[evse(&g, "i3")].target_ma, 6000); /* raised once the cut is echoed */
    ck_assert_int_eq(slave(&g, TESLA).offered_ma, 20000);
    uint64_t sent = next_frame(&g, now, &out);
    ck_assert_uint_le(sent - now, 350); /* docs/master.md: within 350 ms, in memory */
    ck_assert_int_eq(out.msg.kind, TWC_KIND_MASTER_HEARTBEAT);
    ck_assert_uint_eq(out.msg.dst, TESLA);
    ck_assert_uint_eq(out.msg.u.mhb.cmd, 0x09);
    ck_assert_uint_eq(out.msg.u.mhb.amps_ca, 2000);
    rig_stop(&g);
}

END_TEST

/*
 * A slave that goes silent: stale after the bus's 10 s (the engine then counts its whole last
 * offer and never raises it), dropped by the master after 26 s (§6.4), still counted for 25 s
 * more (its car stops only 25 s after its last heartbeat), then unplugged and, being an auto
 * place, free for another slave.
 */
START_TEST(test_a_silent_slave_is_stale_then_held_then_released)
{
    struct rig g;
    rig_start(&g, "idle_reclaim", 0);
    int i3 = evse(&g, "i3");
    const struct site_evse_input *in = &ctl_state(g.ctl)->evse[i3];
    linkready(&g, 100, I3);
    reply(&g, 1000, I3, 0x01, 0x0FA0, 0x0F24); /* 40.00 A echo, 38.76 A drawn (§5.3) */
    ctl_step(g.ctl, 1000);
    ck_assert(in->connected);
    ck_assert(!ctl_result(g.ctl)->evse[i3].stale);
    /* silent from 1000: stale after 10 s */
    ctl_step(g.ctl, 11001);
    ck_assert(ctl_result(g.ctl)->evse[i3].stale);
    ck_assert_str_eq(why(&g, "i3", 11001), "meter stale");
    /* the master drops it at 26 s of silence (polling advances its timers) */
    struct twc_master_out out;
    twc_master_poll(&g.m, 27001, &out);
    ck_assert_uint_eq(twc_master_slave_count(&g.m), 0);
    ctl_step(g.ctl, 27001);
    ck_assert(in->connected); /* held: its car may still draw */
    ck_assert_int_eq(ctl_twc_evse_of(g.c, 0, I3), i3);
    ctl_step(g.ctl, 27001 + 24999); /* a tick: still within the hold */
    ck_assert(in->connected);
    ctl_step(g.ctl, 27001 + 25000); /* the hold is over, but no tick reads it yet */
    ctl_step(g.ctl, 27001 + 25999); /* the next tick: released */
    ck_assert(!in->connected);
    ck_assert_int_eq(ctl_twc_evse_of(g.c, 0, I3), -1);
    /* another unit now takes the place */
    linkready(&g, 60000, OTHER);
    ctl_step(g.ctl, 60001);
    ck_assert_int_eq(ctl_twc_evse_of(g.c, 0, OTHER), i3);
    rig_stop(&g);
}

END_TEST

/*
 * The step runs after every bus service but reads the tables only before a tick, and then only
 * a table that changed (a frame, a drop, a target); a reload fills the new controller state
 * from every table.
 */
START_TEST(test_a_step_reads_a_table_only_when_it_changed)
{
    struct rig g;
    rig_start(&g, "idle_reclaim", 0);
    int te = evse(&g, "tesla");
    linkready(&g, 100, TESLA);
    reply(&g, 1200, TESLA, 0x01, 0x0C80, 0x0C30); /* 31.20 A drawn */
    ctl_step(g.ctl, 1300); /* the first tick: its targets change the table once more */
    ck_assert_int_eq(ctl_state(g.ctl)->evse[te].draw_ma[0], 31200);
    ctl_step(g.ctl, 2300);
    uint64_t reads = ctl_twc_get_stats(g.c)->snapshots;
    ctl_step(g.ctl, 3300);
    ctl_step(g.ctl, 4300);
    ck_assert_uint_eq(ctl_twc_get_stats(g.c)->snapshots, reads); /* nothing new: not read */
    reply(&g, 4400, TESLA, 0x01, 0x0C80, 0x0BB8);                /* 30.00 A */
    ctl_step(g.ctl, 4500);                                       /* between ticks: not read yet */
    ck_assert_uint_eq(ctl_twc_get_stats(g.c)->snapshots, reads);
    ck_assert_int_eq(ctl_state(g.ctl)->evse[te].draw_ma[0], 31200);
    ctl_step(g.ctl, 5300);
    ck_assert_uint_eq(ctl_twc_get_stats(g.c)->snapshots, reads + 1);
    ck_assert_int_eq(ctl_state(g.ctl)->evse[te].draw_ma[0], 30000);
    ck_assert_uint_eq(ctl_state(g.ctl)->evse[te].draw_at_ms, 4400);
    /* a reload swaps the controller's state: it is filled again without a new frame */
    char err[256] = "";
    ck_assert_msg(ctl_reload(g.ctl, g.site, g.ph.policy, err, sizeof(err)) == 0, "%s", err);
    ctl_step(g.ctl, 5400);
    ck_assert_uint_eq(ctl_twc_get_stats(g.c)->snapshots, reads + 2);
    ck_assert(ctl_state(g.ctl)->evse[te].connected);
    ck_assert_int_eq(ctl_state(g.ctl)->evse[te].draw_ma[0], 30000);
    rig_stop(&g);
}

END_TEST

START_TEST(test_bad_bus_index_and_bad_site_text_are_refused)
{
    struct rig g;
    rig_start(&g, "idle_reclaim", 0);
    ck_assert_int_eq(ctl_twc_attach(g.c, 1, &g.m), -EINVAL);
    char buf[8];
    ck_assert_int_eq(ctl_why(g.ctl, 99, 0, buf, sizeof(buf)), -EINVAL);
    rig_stop(&g);
    struct site *s = (struct site *)&g; /* must be set to NULL */
    char err[256] = "";
    ck_assert_int_eq(
        site_new_from_ini("[site]\nsupply_limit_a = x\n", "bad.ini", &s, err, sizeof(err)),
        -EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_msg(strncmp(err, "bad.ini:2: ", 11) == 0, "%s", err);
}

END_TEST

static Suite *ctl_twc_suite(void)
{
    Suite *s = suite_create("ctl_twc");
    TCase *tc = tcase_create("ctl_twc");
    tcase_add_test(tc, test_fixed_address_binds_its_id_and_auto_the_first_unknown_slave);
    tcase_add_test(tc, test_auto_binds_in_link_order_not_table_order);
    tcase_add_test(tc, test_heartbeat_reply_becomes_the_engine_input);
    tcase_add_test(tc, test_the_engine_runs_once_per_control_interval);
    tcase_add_test(tc, test_native_policy_gives_34_a_and_cuts_before_it_raises);
    tcase_add_test(tc, test_a_waking_car_cuts_the_other_at_once);
    tcase_add_test(tc, test_a_silent_slave_is_stale_then_held_then_released);
    tcase_add_test(tc, test_a_step_reads_a_table_only_when_it_changed);
    tcase_add_test(tc, test_bad_bus_index_and_bad_site_text_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(ctl_twc_suite)
