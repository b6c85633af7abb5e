/* SPDX-License-Identifier: MIT */
/*
 * The site controller (controller/ctl.c) with the real engine and built-in policies, fed by a
 * recording adapter: the one place readings become the engine's input, the shutdown currents
 * (an equal share that fits every circuit), the safe stop (never a raise, applied on every
 * step, no more ticks) and the reload (readings carried over by name). Expected values are
 * worked out by hand beside each assertion.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "controller/ctl.h"
#include "controller/engine/policy_loader.h"
#include "controller/engine/site_ini.h"
#include "tests/support/check_main.h"

struct rec {
    int services, reads, applies;
    int32_t applied[8];
};

static void rec_service(void *self, struct ctl *c, uint64_t now)
{
    (void)c;
    (void)now;
    ((struct rec *)self)->services++;
}

static void rec_read(void *self, struct ctl *c, uint64_t now)
{
    (void)c;
    (void)now;
    ((struct rec *)self)->reads++;
}

static void rec_apply(void *self, struct ctl *c, uint64_t now)
{
    (void)now;
    struct rec *r = self;
    r->applies++;
    for (size_t e = 0; e < ctl_site(c)->n_evse && e < 8; e++) {
        r->applied[e] = ctl_target_ma(c, e);
    }
}

static const struct ctl_adapter_ops rec_ops = {
    .name = "rec", .service = rec_service, .read = rec_read, .apply = rec_apply};

/* Supply 32 A; circuit a (20 A) and b (16 A); four 16 A Wall Connectors on them (names[i] on
 * circ[i]), the first three on bus r. */
static struct site *make_site(const char *extra_site, const char *names[4], const char *circ[4])
{
    char ini[2048], err[256] = "";
    int n = snprintf(ini, sizeof(ini),
                     "[site]\nsupply_limit_a = 32\nphases = 1\n%s"
                     "[circuit a]\nlimit_a = 20\n[circuit b]\nlimit_a = 16\n"
                     "[bus r]\ntransport = serial:/dev/null\n"
                     "[bus s]\ntransport = serial:/dev/zero\n",
                     extra_site);
    for (int i = 0; i < 4; i++) {
        n += snprintf(ini + n, sizeof(ini) - (size_t)n,
                      "[wallconnector %s]\nbus = %s\naddress = auto\ncircuit = %s\n"
                      "max_current_a = 16\n",
                      names[i], i < 3 ? "r" : "s", circ[i]);
    }
    snprintf(ini + n, sizeof(ini) - (size_t)n, "[policy]\nname = equal_share\n");
    struct site *site = NULL;
    ck_assert_msg(site_new_from_ini(ini, "t.ini", &site, err, sizeof(err)) == 0, "%s", err);
    return site;
}

static const char *NAMES[4] = {"a1", "a2", "a3", "b1"};
static const char *CIRC[4] = {"a", "a", "a", "b"};

START_TEST(test_shutdown_is_an_equal_share_that_fits_every_circuit)
{
    struct site *site = make_site("", NAMES, CIRC);
    /* a: 20 A / 3 = 6.666 A (the supply's 32 / 4 = 8 A is more); b: 16 A / 1 but the
     * supply's share 8 A is less */
    ck_assert_int_eq(ctl_shutdown_ma(site, 0), 6666);
    ck_assert_int_eq(ctl_shutdown_ma(site, 2), 6666);
    ck_assert_int_eq(ctl_shutdown_ma(site, 3), 8000);
    int32_t sum = 0;
    for (size_t e = 0; e < site->n_evse; e++) {
        sum += ctl_shutdown_ma(site, e);
    }
    ck_assert_int_le(sum, 32000);
    site_free(site);

    site = make_site("shutdown_current_a = 7\n", NAMES, CIRC);
    ck_assert_int_eq(ctl_shutdown_ma(site, 0), 6666); /* the share is still the bound */
    ck_assert_int_eq(ctl_shutdown_ma(site, 3), 7000); /* the configured current */
    site_free(site);

    site = make_site("shutdown_current_a = 5\n", NAMES, CIRC);
    ck_assert_int_eq(ctl_shutdown_ma(site, 0), 0); /* below the 6 A minimum: stop */
    site_free(site);
}

END_TEST

struct rig {
    struct site *site;
    struct policy_handle ph;
    struct ctl *c;
    struct rec rec;
};

static void rig_start(struct rig *g, const char *extra)
{
    char err[256] = "";
    memset(g, 0, sizeof(*g));
    g->site = make_site(extra, NAMES, CIRC);
    ck_assert_msg(policy_open(g->site->policy, &g->ph, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(ctl_new(g->site, g->ph.policy, &g->c, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(ctl_add_adapter(g->c, &rec_ops, &g->rec), 0);
}

static void rig_stop(struct rig *g)
{
    ctl_free(g->c);
    policy_close(&g->ph);
    site_free(g->site);
}

/* A car on evse e drawing ma, heard at now, offered offer. */
static void car(struct rig *g, size_t e, int32_t ma, int32_t offer, uint64_t now)
{
    struct ctl_evse_reading r = {
        .car = true, .n_draw = 1, .draw_ma = {ma}, .draw_at_ms = now, .offer_ma = offer};
    ctl_report_evse(g->c, e, &r);
}

START_TEST(test_report_counts_a_drawing_unit_and_clamps_negatives)
{
    struct rig g;
    rig_start(&g, "");
    struct ctl_evse_reading r = {
        .car = false, .n_draw = 1, .draw_ma = {1500}, .draw_at_ms = 7, .offer_ma = 6000};
    ctl_report_evse(g.c, 1, &r);
    const struct site_evse_input *in = &ctl_state(g.c)->evse[1];
    ck_assert(in->connected); /* 1.5 A >= the 1 A charging threshold: a car, whatever it said */
    ck_assert_int_eq(in->draw_ma[0], 1500);
    ck_assert_int_eq(in->draw_ma[2], 1500); /* one current for the unit: on every conductor */
    ck_assert_int_eq(in->offer_ma, 6000);
    r = (struct ctl_evse_reading){.n_draw = 3, .draw_ma = {-25, 300, 0}, .offer_ma = -7};
    ctl_report_evse(g.c, 1, &r);
    ck_assert(!in->connected); /* 0.3 A: below the threshold, and no car said */
    ck_assert_int_eq(in->draw_ma[0], 0);
    ck_assert_int_eq(in->offer_ma, SITE_OFFER_UNKNOWN);
    int32_t m[3] = {-4000, 5000, INT32_MIN};
    /* no meter on this site: an index past the end is ignored */
    ctl_report_meter(g.c, 0, m, 10);
    ctl_forget_evse(g.c, 1);
    ck_assert_int_eq(in->draw_at_ms, 0);
    rig_stop(&g);
}

END_TEST

START_TEST(test_stop_never_raises_and_applies_on_every_step)
{
    struct rig g;
    rig_start(&g, "");
    /* a1 charges at 16 A wanted; a2 is idle; nothing on a3 and b1 */
    car(&g, 0, 15000, 16000, 1000);
    car(&g, 1, 0, 6000, 1000);
    ck_assert_int_eq(ctl_step(g.c, 1000), 1);
    int32_t before[4];
    for (size_t e = 0; e < 4; e++) {
        before[e] = ctl_target_ma(g.c, e);
    }
    ck_assert_int_eq(g.rec.applies, 1);
    ctl_stop(g.c, 1100);
    ck_assert(ctl_stopping(g.c));
    ck_assert_int_eq(g.rec.applies, 2); /* the stop is applied at once */
    for (size_t e = 0; e < 4; e++) {
        int32_t s = ctl_shutdown_ma(g.site, e);
        int32_t want = before[e] < s ? before[e] : s;
        ck_assert_int_eq(g.rec.applied[e], want);
        ck_assert_int_le(g.rec.applied[e], before[e]); /* never a raise */
    }
    uint64_t ticks = ctl_get_stats(g.c)->ticks;
    ck_assert_int_eq(ctl_step(g.c, 5000), 0); /* no tick after a stop ... */
    ck_assert_uint_eq(ctl_get_stats(g.c)->ticks, ticks);
    ck_assert_int_eq(g.rec.applies, 3); /* ... but the stop values again, to late links */
    rig_stop(&g);
}

END_TEST

START_TEST(test_stop_before_any_tick_gives_the_shutdown_current)
{
    struct rig g;
    rig_start(&g, "shutdown_current_a = 6\n");
    ctl_stop(g.c, 10);
    ck_assert_int_eq(g.rec.applied[0], 6000);
    ck_assert_int_eq(g.rec.applied[3], 6000);
    rig_stop(&g);
}

END_TEST

START_TEST(test_reload_carries_readings_by_name_and_ticks_at_once)
{
    struct rig g;
    rig_start(&g, "");
    car(&g, 3, 9000, 10000, 500);
    ck_assert_int_eq(ctl_step(g.c, 500), 1);
    ck_assert_int_eq(ctl_step(g.c, 700), 0);
    /* the new site lists b1 first, then a1..a3 */
    const char *names[4] = {"b1", "a1", "a2", "a3"};
    const char *circ[4] = {"b", "a", "a", "a"};
    struct site *next = make_site("", names, circ);
    char err[256] = "";
    ck_assert_msg(ctl_reload(g.c, next, g.ph.policy, err, sizeof(err)) == 0, "%s", err);
    ck_assert_ptr_eq(ctl_site(g.c), next);
    const struct site_evse_input *in = &ctl_state(g.c)->evse[0];
    ck_assert(in->connected);
    ck_assert_int_eq(in->draw_ma[0], 9000);
    ck_assert_int_eq(in->draw_at_ms, 500);
    ck_assert_int_eq(ctl_next_ms(g.c), 0);
    ck_assert_int_eq(ctl_step(g.c, 800), 1); /* the new engine ticks on the next step */
    ck_assert_uint_eq(ctl_get_stats(g.c)->reloads, 1);
    site_free(g.site);
    g.site = next;
    rig_stop(&g);
}

END_TEST

START_TEST(test_adapters_register_and_leave)
{
    struct rig g;
    rig_start(&g, "");
    struct rec more[CTL_ADAPTERS_MAX];
    for (size_t i = 1; i < CTL_ADAPTERS_MAX; i++) {
        ck_assert_int_eq(ctl_add_adapter(g.c, &rec_ops, &more[i]), 0);
    }
    ck_assert_int_eq(ctl_add_adapter(g.c, &rec_ops, &more[0]), -ENOSPC);
    ctl_remove_adapter(g.c, &g.rec);
    ctl_step(g.c, 1);
    ck_assert_int_eq(g.rec.reads, 0);
    rig_stop(&g);
}

END_TEST

START_TEST(test_readings_are_taken_before_each_tick_and_services_run_every_step)
{
    /* A step runs after every bus frame; the readings are only used by the engine, so they are
     * taken before each tick (and on every step once stopping), the services on every step. */
    struct rig g;
    rig_start(&g, "");
    ck_assert_int_eq(ctl_step(g.c, 1000), 1); /* the first step ticks */
    ck_assert_int_eq(g.rec.reads, 1);
    for (uint64_t t = 1010; t < 2000; t += 10) {
        ck_assert_int_eq(ctl_step(g.c, t), 0);
    }
    ck_assert_int_eq(g.rec.reads, 1);
    ck_assert_int_eq(g.rec.services, 100);
    ck_assert_int_eq(ctl_step(g.c, 2000), 1);
    ck_assert_int_eq(g.rec.reads, 2);
    ctl_stop(g.c, 2100);
    ck_assert_int_eq(ctl_step(g.c, 2110), 0);
    ck_assert_int_eq(g.rec.reads, 3); /* stopping: read and applied on every step */
    ck_assert_int_eq(g.rec.services, 102);
    rig_stop(&g);
}

END_TEST

static Suite *ctl_suite(void)
{
    Suite *s = suite_create("ctl");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_shutdown_is_an_equal_share_that_fits_every_circuit);
    tcase_add_test(tc, test_report_counts_a_drawing_unit_and_clamps_negatives);
    tcase_add_test(tc, test_stop_never_raises_and_applies_on_every_step);
    tcase_add_test(tc, test_stop_before_any_tick_gives_the_shutdown_current);
    tcase_add_test(tc, test_reload_carries_readings_by_name_and_ticks_at_once);
    tcase_add_test(tc, test_adapters_register_and_leave);
    tcase_add_test(tc, test_readings_are_taken_before_each_tick_and_services_run_every_step);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(ctl_suite)
