/* SPDX-License-Identifier: MIT */
/*
 * Plugins run in a child process (policy_child.c): real plugins that segfault, abort, write far
 * past their arrays, loop for ever or write garbage into the host's socket, driven through the
 * real engine. On the tick a plugin fails, the engine's fallback (equal share) decides, every
 * limit holds and the engine goes on; the child is started again after its back-off, answers
 * again, and the back-off grows when it fails again.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "controller/engine/alloc.h"
#include "controller/engine/policy_child.h"
#include "controller/engine/policy_loader.h"
#include "tests/support/amp_fleet.h"
#include "tests/support/check_main.h"

#define PLUGIN_DIR AMP_TEST_BUILD_DIR "/policies"

struct rig {
    struct site *site;
    struct policy_handle h;
    struct alloc *a;
    struct site_state *st;
    struct alloc_result *r;
};

/* Three cars charging on one 40 A circuit; the plugin answers each with its 6 A minimum for
 * `after` ticks, then misbehaves on every tick (tests/plugins/misbehave.h). */
static void rig_start(struct rig *g, const char *plugin, int after, unsigned timeout_ms)
{
    memset(g, 0, sizeof(*g));
    char ini[1024], err[512];
    snprintf(ini, sizeof(ini),
             "[site]\nsupply_limit_a = 40\nphases = 1\n"
             "[bus b]\ntransport = serial:/dev/ttyUSB0\n"
             "[wallconnector a]\nbus = b\naddress = 1111\ncircuit = supply\nmax_current_a = 32\n"
             "[wallconnector b]\nbus = b\naddress = 2222\ncircuit = supply\nmax_current_a = 32\n"
             "[wallconnector c]\nbus = b\naddress = 3333\ncircuit = supply\nmax_current_a = 32\n"
             "[policy]\nname = %s/test/%s.so\nafter = %d\ntimeout_ms = %u\n",
             PLUGIN_DIR, plugin, after, timeout_ms);
    g->site = amp_test_site(ini);
    ck_assert(g->site->policy_isolate);
    ck_assert_uint_eq(g->site->policy_timeout_ms, timeout_ms);
    struct policy_open_opts po = {.timeout_ms = g->site->policy_timeout_ms};
    ck_assert_msg(policy_open_ex(g->site->policy, &po, &g->h, err, sizeof(err)) == 0, "%s", err);
    ck_assert_ptr_nonnull(g->h.child);
    ck_assert_ptr_null(g->h.dl); /* its code was never mapped into this process */
    ck_assert_str_eq(g->h.policy->name, plugin);
    ck_assert_msg(alloc_new(g->site, g->h.policy, &g->a, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(site_state_new(g->site, &g->st), 0);
    ck_assert_int_eq(alloc_result_new(g->site, &g->r), 0);
}

static void rig_stop(struct rig *g)
{
    alloc_result_free(g->r);
    site_state_free(g->st);
    alloc_free(g->a);
    policy_close(&g->h);
    site_free(g->site);
}

/* One tick with every car drawing its offer; the answer must keep every limit. */
static void tick(struct rig *g, uint64_t now)
{
    for (size_t i = 0; i < g->site->n_evse; i++) {
        struct site_evse_input *in = &g->st->evse[i];
        int32_t offer = g->r->evse[i].target_ma > 0 ? g->r->evse[i].target_ma : 6000;
        *in = (struct site_evse_input){
            .connected = true,
            .draw_ma = {offer, offer, offer},
            .draw_at_ms = now,
            .offer_ma = offer,
            .energy_wanted_wh = -1,
        };
    }
    ck_assert_int_eq(alloc_tick(g->a, g->st, now, g->r), 0);
    const struct ampshare_policy_input *in = alloc_last_view(g->a);
    int32_t t[8], sum = 0;
    for (size_t v = 0; v < in->n_evse; v++) {
        t[v] = g->r->evse[g->site->controllable[v]].target_ma;
        sum += t[v];
    }
    char msg[160];
    ck_assert_msg(amp_check_limits(in, t, msg, sizeof(msg)) == 0, "t = %llu: %s",
                  (unsigned long long)now, msg);
    ck_assert_int_le(sum, 40000);
}

static const struct policy_child_stats *stats(const struct rig *g)
{
    return policy_child_get_stats(g->h.child);
}

static void assert_answered(const struct rig *g)
{
    ck_assert_int_eq(g->r->policy_rc, 0);
    for (size_t i = 0; i < g->site->n_evse; i++) {
        ck_assert_int_eq(g->r->evse[i].target_ma, 6000); /* the plugin's own answer */
    }
}

static void assert_fallback(const struct rig *g)
{
    ck_assert_int_lt(g->r->policy_rc, 0);
    for (size_t i = 0; i < g->site->n_evse; i++) {
        ck_assert_int_eq(g->r->evse[i].why, ALLOC_WHY_FALLBACK);
        /* equal share of 40 A: 14, 13, 13 */
        ck_assert_int_ge(g->r->evse[i].target_ma, 13000);
        ck_assert_int_le(g->r->evse[i].target_ma, 14000);
    }
}

struct bad {
    const char *plugin;
    int fault;           /* enum policy_child_fault */
    unsigned timeout_ms; /* generous where the plugin answers: a sanitizer slows the child */
};

static const struct bad bads[] = {
    {"crash_segv", POLICY_CHILD_CRASH, 2000}, {"crash_abort", POLICY_CHILD_CRASH, 2000},
    {"overrun", POLICY_CHILD_CRASH, 2000},    {"hang", POLICY_CHILD_HANG, 100},
    {"garbage", POLICY_CHILD_GARBAGE, 2000},
};

START_TEST(test_failing_plugin_falls_back_that_tick_and_restarts)
{
    const struct bad *b = &bads[_i];
    struct rig g;
    rig_start(&g, b->plugin, 2, b->timeout_ms);
    int first_pid = stats(&g)->last_pid;
    ck_assert_int_gt(first_pid, 0);
    tick(&g, 1000);
    assert_answered(&g);
    tick(&g, 2000);
    assert_answered(&g);
    /* its third tick: it fails; the fallback decides on this very tick */
    tick(&g, 3000);
    assert_fallback(&g);
    ck_assert_int_eq(stats(&g)->last_fault, b->fault);
    ck_assert_uint_eq(stats(&g)->crashes + stats(&g)->hangs + stats(&g)->garbage, 1);
    ck_assert_int_eq(kill(first_pid, 0), -1); /* killed and reaped */
    ck_assert_int_eq(errno, ESRCH);
    /* within the back-off (1 s) no child runs and the fallback goes on deciding */
    tick(&g, 3500);
    assert_fallback(&g);
    ck_assert_int_eq(stats(&g)->last_fault, POLICY_CHILD_DOWN);
    ck_assert_uint_eq(stats(&g)->restarts, 0);
    /* after it: a fresh child answers again */
    tick(&g, 4000);
    ck_assert_uint_eq(stats(&g)->restarts, 1);
    ck_assert_int_ne(stats(&g)->last_pid, first_pid);
    assert_answered(&g);
    tick(&g, 5000);
    assert_answered(&g);
    /* it fails again: now the back-off is 2 s */
    tick(&g, 6000);
    assert_fallback(&g);
    tick(&g, 7000);
    assert_fallback(&g);
    ck_assert_uint_eq(stats(&g)->restarts, 1);
    tick(&g, 8000);
    ck_assert_uint_eq(stats(&g)->restarts, 2);
    assert_answered(&g);
    ck_assert_uint_eq(alloc_get_stats(g.a)->policy_errors, 4);
    rig_stop(&g);
}

END_TEST

/* A plugin that crashes on its first tick never answers; the engine keeps going regardless. */
START_TEST(test_plugin_failing_from_the_start_never_stops_the_engine)
{
    struct rig g;
    rig_start(&g, "crash_segv", 0, 2000);
    for (uint64_t t = 1000; t <= 120000; t += 1000) {
        tick(&g, t);
        assert_fallback(&g);
    }
    /* restarts at 1, 2, 4, 8, 16, 32 and 60 s intervals: a handful, not one per tick */
    ck_assert_uint_ge(stats(&g)->restarts, 5);
    ck_assert_uint_le(stats(&g)->restarts, 8);
    ck_assert_uint_eq(alloc_get_stats(g.a)->ticks, 120);
    rig_stop(&g);
}

END_TEST

START_TEST(test_destroy_reaps_the_child)
{
    struct rig g;
    rig_start(&g, "crash_segv", 100, 2000);
    tick(&g, 1000);
    assert_answered(&g);
    int pid = stats(&g)->last_pid;
    rig_stop(&g);
    ck_assert_int_eq(kill(pid, 0), -1);
    ck_assert_int_eq(errno, ESRCH);
}

END_TEST

START_TEST(test_load_errors_come_back_from_the_child)
{
    struct policy_handle h;
    char err[512] = "";
    ck_assert_int_eq(policy_open(PLUGIN_DIR "/test/abi_mismatch.so", &h, err, sizeof(err)),
                     -EPROTONOSUPPORT);
    ck_assert_ptr_nonnull(strstr(err, "built for policy ABI 2.0"));
    ck_assert_ptr_null(h.policy);
    ck_assert_ptr_null(h.child);
    /* in process, on request, as before */
    struct policy_open_opts in_proc = {.in_process = true};
    ck_assert_int_eq(policy_open_ex(PLUGIN_DIR "/test/hang.so", &in_proc, &h, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(h.dl);
    ck_assert_ptr_null(h.child);
    policy_close(&h);
}

END_TEST

static Suite *policy_child_suite(void)
{
    Suite *s = suite_create("policy_child");
    TCase *tc = tcase_create("child");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_failing_plugin_falls_back_that_tick_and_restarts, 0,
                        (int)(sizeof(bads) / sizeof(bads[0])));
    tcase_add_test(tc, test_plugin_failing_from_the_start_never_stops_the_engine);
    tcase_add_test(tc, test_destroy_reaps_the_child);
    tcase_add_test(tc, test_load_errors_come_back_from_the_child);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(policy_child_suite)
