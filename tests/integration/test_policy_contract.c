/* SPDX-License-Identifier: MIT */
/*
 * The policy contract (STYLE §2.7), run against every built-in and every built plugin
 * (every .so in <build>/policies, the docs example included):
 *   - init with no options and with junk options returns 0 or a negative code;
 *   - on thousands of seeded random fleets the answer needs no clamping, and the clamped answer
 *     keeps every limit (checked by an independent checker);
 *   - the same input twice gives the same output, two fresh instances agree, and two instances
 *     interleaved give what each gives alone;
 *   - each built-in and its own plugin build answer identically.
 * And the loader: an ABI-mismatched plugin, one without the entry symbol, one that refuses our
 * major and one with a missing function are all refused with a clear message. A hostile plugin
 * (random nonsense) still cannot break a limit through the clamp.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "controller/engine/alloc.h"
#include "controller/engine/policy_loader.h"
#include "tests/support/amp_fleet.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

#define PLUGIN_DIR AMP_TEST_BUILD_DIR "/policies"
#define FLEETS     3000

/* The engine's host: ctx is the policy description, through which a plugin run in a child
 * process (policy_child.h) finds its plugin. Plugins run isolated here, as in the daemon. */
static struct ampshare_policy_host host_of_p = {
    .struct_size = sizeof(struct ampshare_policy_host),
    .max_evse = AMP_FLEET_EVSE_MAX,
    .max_circuit = AMP_FLEET_CIRCUITS_MAX,
};

static const struct ampshare_policy_host *host_for(const struct ampshare_policy *p)
{
    host_of_p.ctx = (void *)(uintptr_t)p;
    return &host_of_p;
}

struct subject {
    char name[300];
    struct policy_handle h;
    bool well_behaved; /* answers need no clamping */
};

static struct subject subjects[32];
static size_t n_subjects;

static void add_subject(const char *name, bool well_behaved)
{
    ck_assert_uint_lt(n_subjects, sizeof(subjects) / sizeof(subjects[0]));
    struct subject *s = &subjects[n_subjects];
    char err[512];
    ck_assert_msg(policy_open(name, &s->h, err, sizeof(err)) == 0, "%s", err);
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->well_behaved = well_behaved;
    n_subjects++;
}

/* acnportal's uncontrolled baseline offers every car its maximum whatever the limits, by
 * definition: only the clamped answer is held to them. */
static bool is_uncontrolled(const char *name)
{
    return strstr(name, "acn_uncontrolled") != NULL;
}

/* Every built-in, every plugin in <build>/policies, and the hostile test plugin. */
static void collect(void)
{
    n_subjects = 0;
    for (size_t i = 0; i < policy_builtin_count(); i++) {
        add_subject(policy_builtin_at(i)->name, !is_uncontrolled(policy_builtin_at(i)->name));
    }
    DIR *d = opendir(PLUGIN_DIR);
    ck_assert_msg(d != NULL, "no plugin directory %s", PLUGIN_DIR);
    struct dirent *e;
    size_t plugins = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 3 && strcmp(e->d_name + len - 3, ".so") == 0) {
            char path[512];
            snprintf(path, sizeof(path), "%s/%s", PLUGIN_DIR, e->d_name);
            add_subject(path, !is_uncontrolled(e->d_name));
            plugins++;
        }
    }
    closedir(d);
    /* six built-ins as plugins plus the docs example: none may silently go missing */
    ck_assert_uint_ge(plugins, policy_builtin_count() + 1);
    add_subject(PLUGIN_DIR "/test/hostile.so", false);
    /* the docs example built against the ABI 1.0 header: it must keep working on a 1.1 host */
    add_subject(PLUGIN_DIR "/test/fair_cap_abi10.so", true);
}

static void release(void)
{
    for (size_t i = 0; i < n_subjects; i++) {
        policy_close(&subjects[i].h);
    }
    n_subjects = 0;
}

static int run(const struct ampshare_policy *p, void *st, const struct amp_fleet *f, int32_t *out)
{
    uint8_t why[AMP_FLEET_EVSE_MAX];
    struct ampshare_policy_output o = {.struct_size = sizeof(o), .target_ma = out, .why = why};
    for (size_t i = 0; i < f->in.n_evse; i++) {
        out[i] = 0;
        why[i] = AMPSHARE_WHY_POLICY;
    }
    return p->allocate(st, &f->in, &o);
}

START_TEST(test_init_with_no_and_junk_options_succeeds_or_returns_a_code)
{
    collect();
    const struct ampshare_policy_option junk[] = {
        {"max_evse", "-1"}, {"", ""}, {"cap_a", "lots"}, {"\x01\x02", "\xff"}};
    for (size_t i = 0; i < n_subjects; i++) {
        const struct ampshare_policy *p = subjects[i].h.policy;
        void *st = NULL;
        int rc = p->init(host_for(p), NULL, 0, &st);
        ck_assert_msg(rc == 0, "%s: init without options: %d", subjects[i].name, rc);
        p->destroy(st);
        st = NULL;
        rc = p->init(host_for(p), junk, 4, &st);
        ck_assert_msg(rc <= 0, "%s: init with junk returned %d", subjects[i].name, rc);
        if (rc == 0) {
            p->destroy(st);
        }
    }
    release();
}

END_TEST

START_TEST(test_random_fleets_keep_every_limit)
{
    collect();
    uint64_t seed = amp_test_seed();
    struct alloc_clamp_scratch sc;
    ck_assert_int_eq(alloc_clamp_scratch_init(&sc, AMP_FLEET_CIRCUITS_MAX, AMP_FLEET_EVSE_MAX), 0);
    for (size_t i = 0; i < n_subjects; i++) {
        const struct ampshare_policy *p = subjects[i].h.policy;
        void *st = NULL;
        ck_assert_int_eq(p->init(host_for(p), NULL, 0, &st), 0);
        uint64_t rng = seed ^ (0x5a5a + i);
        struct amp_fleet f;
        int32_t raw[AMP_FLEET_EVSE_MAX], out[AMP_FLEET_EVSE_MAX];
        for (int k = 0; k < FLEETS; k++) {
            amp_fleet_random(&f, &rng, 40, 8, 1000000 + (uint64_t)k * 1000);
            int rc = run(p, st, &f, raw);
            ck_assert_msg(rc <= 0, "%s: allocate returned %d", subjects[i].name, rc);
            if (rc < 0) {
                ck_assert_msg(!subjects[i].well_behaved, "%s: fleet %d: allocate failed: %d",
                              subjects[i].name, k, rc);
                continue;
            }
            char msg[200];
            if (subjects[i].well_behaved) {
                ck_assert_msg(amp_check_limits(&f.in, raw, msg, sizeof(msg)) == 0,
                              "%s: fleet %d (seed %llu): the answer needs clamping: %s",
                              subjects[i].name, k, (unsigned long long)seed, msg);
            }
            int fixed = alloc_clamp(&f.in, raw, out, NULL, NULL, &sc);
            ck_assert_int_ge(fixed, 0);
            ck_assert_msg(!subjects[i].well_behaved || fixed == 0, "%s: %d corrections",
                          subjects[i].name, fixed);
            ck_assert_msg(amp_check_limits(&f.in, out, msg, sizeof(msg)) == 0,
                          "%s: fleet %d (seed %llu): clamped answer breaks a limit: %s",
                          subjects[i].name, k, (unsigned long long)seed, msg);
        }
        p->destroy(st);
    }
    alloc_clamp_scratch_fini(&sc);
    release();
}

END_TEST

START_TEST(test_identical_input_gives_identical_output)
{
    collect();
    uint64_t seed = amp_test_seed();
    for (size_t i = 0; i < n_subjects; i++) {
        const struct ampshare_policy *p = subjects[i].h.policy;
        void *a = NULL, *b = NULL;
        ck_assert_int_eq(p->init(host_for(p), NULL, 0, &a), 0);
        ck_assert_int_eq(p->init(host_for(p), NULL, 0, &b), 0);
        uint64_t rng = seed ^ 0x77;
        struct amp_fleet f;
        int32_t x[AMP_FLEET_EVSE_MAX], y[AMP_FLEET_EVSE_MAX], z[AMP_FLEET_EVSE_MAX];
        for (int k = 0; k < FLEETS / 3; k++) {
            amp_fleet_random(&f, &rng, 30, 6, 5000000 + (uint64_t)k * 700);
            int ra = run(p, a, &f, x);
            int rz = run(p, a, &f, z); /* the same input again, same instance */
            int rb = run(p, b, &f, y);
            ck_assert_int_eq(ra, rz);
            ck_assert_int_eq(ra, rb);
            ck_assert_msg(memcmp(x, z, f.in.n_evse * sizeof(*x)) == 0,
                          "%s: fleet %d: a repeated input changed the answer", subjects[i].name, k);
            ck_assert_msg(memcmp(x, y, f.in.n_evse * sizeof(*x)) == 0,
                          "%s: fleet %d: two instances disagree", subjects[i].name, k);
        }
        p->destroy(a);
        p->destroy(b);
    }
    release();
}

END_TEST

/* Two instances fed two different streams, interleaved, answer as each would alone. */
START_TEST(test_two_instances_do_not_interfere)
{
    collect();
    uint64_t seed = amp_test_seed();

    enum {
        N = 300
    };

    static int32_t alone[2][N][AMP_FLEET_EVSE_MAX];
    for (size_t i = 0; i < n_subjects; i++) {
        const struct ampshare_policy *p = subjects[i].h.policy;
        struct amp_fleet f;
        for (int s = 0; s < 2; s++) {
            void *st = NULL;
            ck_assert_int_eq(p->init(host_for(p), NULL, 0, &st), 0);
            uint64_t rng = seed ^ (uint64_t)(s + 1) * 0x1234567;
            for (int k = 0; k < N; k++) {
                amp_fleet_random(&f, &rng, 20, 5, 1000 + (uint64_t)k * 60000);
                run(p, st, &f, alone[s][k]);
            }
            p->destroy(st);
        }
        void *st[2] = {NULL, NULL};
        uint64_t rng[2];
        for (int s = 0; s < 2; s++) {
            ck_assert_int_eq(p->init(host_for(p), NULL, 0, &st[s]), 0);
            rng[s] = seed ^ (uint64_t)(s + 1) * 0x1234567;
        }
        for (int k = 0; k < N; k++) {
            for (int s = 0; s < 2; s++) {
                int32_t out[AMP_FLEET_EVSE_MAX];
                amp_fleet_random(&f, &rng[s], 20, 5, 1000 + (uint64_t)k * 60000);
                run(p, st[s], &f, out);
                ck_assert_msg(memcmp(out, alone[s][k], f.in.n_evse * sizeof(*out)) == 0,
                              "%s: instance %d, fleet %d: interleaving changed the answer",
                              subjects[i].name, s, k);
            }
        }
        p->destroy(st[0]);
        p->destroy(st[1]);
    }
    release();
}

END_TEST

/* Each built-in and the plugin built from the same source give the same answers. */
START_TEST(test_builtin_and_its_plugin_agree)
{
    uint64_t seed = amp_test_seed();
    for (size_t i = 0; i < policy_builtin_count(); i++) {
        const struct ampshare_policy *bi = policy_builtin_at(i);
        char path[512], err[512];
        snprintf(path, sizeof(path), "%s/%s.so", PLUGIN_DIR, bi->name);
        struct policy_handle h;
        ck_assert_msg(policy_open(path, &h, err, sizeof(err)) == 0, "%s", err);
        ck_assert_str_eq(h.policy->name, bi->name);
        ck_assert_ptr_ne(h.policy, bi);
        void *a = NULL, *b = NULL;
        ck_assert_int_eq(bi->init(host_for(bi), NULL, 0, &a), 0);
        ck_assert_int_eq(h.policy->init(host_for(h.policy), NULL, 0, &b), 0);
        uint64_t rng = seed ^ 0x99;
        struct amp_fleet f;
        for (int k = 0; k < 500; k++) {
            int32_t x[AMP_FLEET_EVSE_MAX], y[AMP_FLEET_EVSE_MAX];
            amp_fleet_random(&f, &rng, 30, 6, 100000 + (uint64_t)k * 5000);
            ck_assert_int_eq(run(bi, a, &f, x), run(h.policy, b, &f, y));
            ck_assert_msg(memcmp(x, y, f.in.n_evse * sizeof(*x)) == 0, "%s: fleet %d differs",
                          bi->name, k);
        }
        bi->destroy(a);
        h.policy->destroy(b);
        policy_close(&h);
    }
}

END_TEST

/*
 * ABI minor 1 both ways. A plugin built against 1.0 loads (its descriptor says 1.0, and
 * its struct_size is 1.0's) and answers on the host's larger records as it did (the random-fleet
 * tests above run it). And a minor-1 policy given a 1.0 host's view (records without the settle
 * facts, evse_size of 1.0) reads nothing past them: its answers keep every limit, and equal its
 * answers on the full view where every car is settled (what a 1.0 host's policies assumed).
 */
START_TEST(test_abi_minor_0_plugins_and_views_keep_working)
{
    char err[512];
    struct policy_handle h;
    ck_assert_msg(policy_open(PLUGIN_DIR "/test/fair_cap_abi10.so", &h, err, sizeof(err)) == 0,
                  "%s", err);
    ck_assert_uint_eq(h.policy->abi_major, 1);
    ck_assert_uint_eq(h.policy->abi_minor, 0);
    policy_close(&h);

    const size_t old_size = offsetof(struct ampshare_policy_evse, offered_since_ms);
    ck_assert_uint_lt(old_size, sizeof(struct ampshare_policy_evse));
    ck_assert(!AMPSHARE_POLICY_HAS_FIELD(old_size, struct ampshare_policy_evse, below_since_ms));
    uint64_t seed = amp_test_seed();
    static unsigned char packed[AMP_FLEET_EVSE_MAX * sizeof(struct ampshare_policy_evse)];
    for (size_t i = 0; i < policy_builtin_count(); i++) {
        const struct ampshare_policy *p = policy_builtin_at(i);
        void *st = NULL;
        ck_assert_int_eq(p->init(host_for(p), NULL, 0, &st), 0);
        uint64_t rng = seed ^ 0xab10;
        struct amp_fleet f;
        for (int k = 0; k < 500; k++) {
            amp_fleet_random(&f, &rng, 30, 6, 2000000 + (uint64_t)k * 3000);
            /* the full view, every car below its offer settled long ago */
            for (size_t e = 0; e < f.in.n_evse; e++) {
                f.evse[e].below_since_ms = 1;
                f.evse[e].state_since_ms =
                    f.evse[e].state_since_ms < 1000 ? f.evse[e].state_since_ms : 1000;
            }
            int32_t full[AMP_FLEET_EVSE_MAX], old[AMP_FLEET_EVSE_MAX];
            int rf = run(p, st, &f, full);
            /* the same fleet in 1.0 records */
            for (size_t e = 0; e < f.in.n_evse; e++) {
                memcpy(packed + e * old_size, &f.evse[e], old_size);
            }
            struct amp_fleet g = f;
            g.in.evse_size = (uint32_t)old_size;
            g.in.evse = (const struct ampshare_policy_evse *)(const void *)packed;
            int ro = run(p, st, &g, old);
            ck_assert_int_eq(rf, ro);
            if (ro != 0) {
                continue;
            }
            char msg[200];
            ck_assert_msg(is_uncontrolled(p->name) ||
                              amp_check_limits(&g.in, old, msg, sizeof(msg)) == 0,
                          "%s: fleet %d on a 1.0 view: %s", p->name, k, msg);
            ck_assert_msg(memcmp(full, old, f.in.n_evse * sizeof(*old)) == 0,
                          "%s: fleet %d: a 1.0 view answers differently", p->name, k);
        }
        p->destroy(st);
    }
}

END_TEST

struct refusal {
    const char *path;
    int rc;
    const char *text;
};

static const struct refusal refusals[] = {
    {PLUGIN_DIR "/test/abi_mismatch.so", -EPROTONOSUPPORT,
     "built for policy ABI 2.0, this ampshare speaks ABI 1.1; rebuild it against this "
     "ampshare_policy.h"},
    {PLUGIN_DIR "/test/refuses_major.so", -EPROTONOSUPPORT, "does not support policy ABI major 1"},
    {PLUGIN_DIR "/test/no_entry.so", -ENOENT,
     "missing symbol ampshare_policy_entry (is it exported?)"},
    {PLUGIN_DIR "/test/missing_allocate.so", -EINVAL, "its description has no allocate"},
    {PLUGIN_DIR "/test/undefined_symbol.so", -ENOENT,
     "cannot load: " PLUGIN_DIR "/test/undefined_symbol.so: undefined symbol: "
     "ampshare_test_undefined_function"},
    {PLUGIN_DIR "/test/not_there.so", -ENOENT, "cannot load: "},
    {"no_such_policy", -ENOENT, "no such built-in"},
};

START_TEST(test_loader_refuses_a_bad_plugin_with_a_clear_message)
{
    const struct refusal *r = &refusals[_i];
    struct policy_handle h;
    char err[512] = "";
    ck_assert_int_eq(policy_open(r->path, &h, err, sizeof(err)), r->rc);
    ck_assert_msg(strstr(err, r->text) != NULL, "message '%s' lacks '%s'", err, r->text);
    ck_assert_msg(strstr(err, r->path) != NULL, "message '%s' does not name '%s'", err, r->path);
    ck_assert_ptr_null(h.policy);
    ck_assert_ptr_null(h.dl);
}

END_TEST

START_TEST(test_loader_checks_struct_size_and_functions)
{
    struct ampshare_policy p = *policy_builtin_find("fifo");
    char err[256];
    ck_assert_int_eq(policy_check(&p, "x", err, sizeof(err)), 0);
    p.struct_size = 8;
    ck_assert_int_eq(policy_check(&p, "x", err, sizeof(err)), -EPROTONOSUPPORT);
    ck_assert_str_eq(err, "policy x: struct ampshare_policy is 8 bytes, smaller than ABI 1.0's 48");
    p = *policy_builtin_find("fifo");
    p.destroy = NULL;
    ck_assert_int_eq(policy_check(&p, "x", err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "policy x: its description has no destroy");
    p = *policy_builtin_find("fifo");
    p.name = "";
    ck_assert_int_eq(policy_check(&p, "x", err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(policy_builtin_find("equal-share")); /* '-' and '_' are one */
}

END_TEST

static Suite *policy_contract_suite(void)
{
    Suite *s = suite_create("policy_contract");
    TCase *tc = tcase_create("contract");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_init_with_no_and_junk_options_succeeds_or_returns_a_code);
    tcase_add_test(tc, test_random_fleets_keep_every_limit);
    tcase_add_test(tc, test_identical_input_gives_identical_output);
    tcase_add_test(tc, test_two_instances_do_not_interfere);
    tcase_add_test(tc, test_builtin_and_its_plugin_agree);
    tcase_add_test(tc, test_abi_minor_0_plugins_and_views_keep_working);
    tcase_add_loop_test(tc, test_loader_refuses_a_bad_plugin_with_a_clear_message, 0,
                        (int)(sizeof(refusals) / sizeof(refusals[0])));
    tcase_add_test(tc, test_loader_checks_struct_size_and_functions);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(policy_contract_suite)
