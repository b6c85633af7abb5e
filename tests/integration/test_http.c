/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server on a real loop in a child process, read by peers no one here wrote: curl for
 * the endpoints and methods, promtool (Prometheus's own checker) for /metrics, and headless
 * Chromium for the status page (its DOM after the scripts ran, the chart drawn, a screenshot).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "controller/loop.h"
#include "controller/telemetry/http.h"
#include "tests/support/check_main.h"

#define PROMTOOL "/var/cache/ampshare-tests/promtool"

static pid_t child;
static uint16_t port;
static char tmp[64];

static int fill(void *ctx, struct status_snapshot *s)
{
    unsigned *calls = ctx;
    unsigned k = ++*calls;
    snprintf(s->site, sizeof(s->site), "office");
    snprintf(s->policy, sizeof(s->policy), "idle_reclaim");
    s->wall_ms = 1765000000000LL + (int64_t)k * 1000;
    s->n_charger = 2;
    struct status_charger *t = &s->charger[0], *i3 = &s->charger[1];
    snprintf(t->name, sizeof(t->name), "tesla-bay1");
    snprintf(t->state, sizeof(t->state), "charging");
    snprintf(t->reason, sizeof(t->reason), "limited by circuit garage");
    t->phases = 1;
    t->offer_ma = 39000;
    t->target_ma = 39000;
    t->measured_ma[0] = 38650 - (int32_t)(k % 5) * 100;
    t->session_wh = 4321;
    t->energy_wh = 9876;
    snprintf(i3->name, sizeof(i3->name), "bmw-i3-bay2");
    snprintf(i3->state, sizeof(i3->state), "idle");
    snprintf(i3->reason, sizeof(i3->reason), "idle for 4 min");
    i3->phases = 1;
    i3->session_wh = -1;
    s->n_circuit = 1;
    struct status_circuit *c = &s->circuit[0];
    snprintf(c->name, sizeof(c->name), "garage \"40A\"");
    c->phases = 1;
    c->rating_ma[0] = 40000;
    c->limit_ma[0] = 40000;
    c->load_ma[0] = t->measured_ma[0];
    s->n_bus = 1;
    snprintf(s->bus[0].name, sizeof(s->bus[0].name), "rs485");
    s->bus[0].up = true;
    s->bus[0].slaves = 2;
    s->n_meter = 1;
    snprintf(s->meter[0].name, sizeof(s->meter[0].name), "grid");
    s->meter[0].age_ms = 800;
    s->n_error = 1;
    snprintf(s->error[0].kind, sizeof(s->error[0].kind), "meter_read");
    s->error[0].n = 2;
    s->loop.ticks = k;
    return 0;
}

/* The session log's stand-in: echoes what it got (on the server's worker thread). */
static int fake_sessions(const char *db, const char *since, const char *charger, char **out)
{
    if (since && strcmp(since, "bad") == 0) {
        return -EINVAL;
    }
    return asprintf(out, "[{\"db\": \"%s\", \"since\": \"%s\", \"charger\": \"%s\"}]", db,
                    since ? since : "-", charger ? charger : "-") < 0
               ? -ENOMEM
               : 0;
}

static void child_stop(struct loop *l, int signo, void *ctx)
{
    (void)signo;
    (void)ctx;
    loop_stop(l);
}

static void serve(int report)
{
    struct loop *l;
    unsigned calls = 0;
    static const int sigs[] = {SIGTERM};
    if (loop_new(NULL, &l) != 0 || loop_signals_catch(l, sigs, 1, child_stop, NULL) != 0) {
        _exit(2);
    }
    struct http_options o = {.host = "127.0.0.1",
                             .port = 0,
                             .history_interval_ms = 100,
                             .caps = {.charger = 4, .circuit = 2, .bus = 1, .meter = 1},
                             .fill = fill,
                             .ctx = &calls,
                             .version = "test",
                             .sessions = fake_sessions,
                             .sessions_db = "/x/sessions.db"};
    struct http_srv *s;
    char err[256];
    if (http_srv_open(l, &o, &s, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        _exit(3);
    }
    uint16_t p = http_srv_port(s);
    if (write(report, &p, sizeof(p)) != (ssize_t)sizeof(p)) {
        _exit(4);
    }
    close(report);
    loop_run(l);
    http_srv_close(s);
    loop_free(l);
    _exit(0);
}

static void setup(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/ampshare-http-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        close(p[0]);
        serve(p[1]);
    }
    close(p[1]);
    ck_assert_int_eq(read(p[0], &port, sizeof(port)), (ssize_t)sizeof(port));
    close(p[0]);
    ck_assert_int_ne(port, 0);
}

static void teardown(void)
{
    kill(child, SIGTERM);
    int st;
    waitpid(child, &st, 0);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "server exited %d", st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
    ck_assert_int_eq(system(cmd), 0);
}

/* Runs a shell command; returns its stdout (malloc'd) and exit status. */
static char *run(const char *cmd, int *status)
{
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    size_t cap = 1 << 20, n = 0;
    char *buf = calloc(1, cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
    }
    int st = pclose(f);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

static char *curl(const char *args, const char *path, int *status)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "curl -sS --max-time 10 %s http://127.0.0.1:%u%s", args,
             (unsigned)port, path);
    return run(cmd, status);
}

START_TEST(test_endpoints_and_methods)
{
    int st;
    char *out = curl("-i", "/metrics", &st);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "HTTP/1.1 200"));
    ck_assert_ptr_nonnull(strstr(out, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
    ck_assert_ptr_nonnull(strstr(out, "ampshare_evse_offer_amperes{charger=\"tesla-bay1\"} 39\n"));
    ck_assert_ptr_nonnull(strstr(out, "ampshare_evse_energy_joules_total{charger=\"tesla-bay1\"} "
                                      "35553600\n"));
    /* a label value with a quote, escaped as the format says */
    ck_assert_ptr_nonnull(strstr(out, "circuit=\"garage \\\"40A\\\"\",phase=\"L1\"} 40\n"));
    ck_assert_ptr_nonnull(strstr(out, "ampshare_errors_total{kind=\"meter_read\"} 2\n"));
    free(out);
    out = curl("", "/api/status", &st);
    json_t *doc = json_loads(out, 0, NULL);
    ck_assert_msg(doc != NULL, "not JSON: %s", out);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "site")), "office");
    json_decref(doc);
    free(out);
    out = curl("", "/api/history", &st);
    doc = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "circuits")), 1);
    json_decref(doc);
    free(out);
    out = curl("-i -X POST", "/api/status", &st);
    ck_assert_ptr_nonnull(strstr(out, "HTTP/1.1 405"));
    ck_assert_ptr_nonnull(strstr(out, "Allow: GET, HEAD"));
    free(out);
    out = curl("-i", "/nope", &st);
    ck_assert_ptr_nonnull(strstr(out, "HTTP/1.1 404"));
    free(out);
    /* answered from the server's worker thread, the connection suspended meanwhile */
    out = curl("-i", "/api/sessions?since=2025-12-01\\&charger=bay1", &st);
    ck_assert_ptr_nonnull(strstr(out, "HTTP/1.1 200"));
    ck_assert_msg(strstr(out, "[{\"db\": \"/x/sessions.db\", \"since\": \"2025-12-01\", "
                              "\"charger\": \"bay1\"}]"),
                  "%s", out);
    free(out);
    out = curl("-i", "/api/sessions?since=bad", &st);
    ck_assert_ptr_nonnull(strstr(out, "HTTP/1.1 400"));
    free(out);
    for (int i = 0; i < 5; i++) { /* one after another on one worker */
        out = curl("", "/api/sessions", &st);
        ck_assert_int_eq(st, 0);
        ck_assert_ptr_nonnull(strstr(out, "\"since\": \"-\""));
        free(out);
    }
}

END_TEST

START_TEST(test_metrics_pass_promtool)
{
    if (access(PROMTOOL, X_OK) != 0) {
        ck_abort_msg("%s missing: tests/deps.sh unpacks it", PROMTOOL);
    }
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "curl -sS --max-time 10 http://127.0.0.1:%u/metrics | %s check metrics 2>&1",
             (unsigned)port, PROMTOOL);
    int st;
    char *out = run(cmd, &st);
    ck_assert_msg(st == 0, "promtool check metrics (exit %d):\n%s", st, out);
    free(out);
}

END_TEST

/* True once /api/history's first circuit has at least n points; false after a minute. */
static bool history_points_at_least(size_t n)
{
    for (int i = 0; i < 600; i++) {
        int st;
        char *out = curl("", "/api/history", &st);
        json_t *doc = json_loads(out, 0, NULL);
        json_t *c0 = json_array_get(json_object_get(doc, "circuits"), 0);
        size_t have = json_array_size(json_object_get(c0, "points"));
        json_decref(doc);
        free(out);
        if (have >= n) {
            return true;
        }
        nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
    }
    return false;
}

START_TEST(test_page_in_headless_chromium)
{
    if (access("/usr/bin/chromium", X_OK) != 0) {
        ck_abort_msg("/usr/bin/chromium missing: tests/deps.sh installs it");
    }
    /* the chart needs two history samples (one every 100 ms here): wait for them, not a time */
    ck_assert_msg(history_points_at_least(2), "the history never had 2 samples");
    const char *flags = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                        "--disable-background-networking --disable-component-update "
                        "--disable-sync --disable-dev-shm-usage --virtual-time-budget=5000 "
                        "--window-size=1100,900";
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "chromium %s --user-data-dir=%s/profile --dump-dom http://127.0.0.1:%u/ "
             "2>/dev/null",
             flags, tmp, (unsigned)port);
    int st;
    char *dom = run(cmd, &st);
    ck_assert_msg(st == 0, "chromium --dump-dom exit %d", st);
    ck_assert_msg(strstr(dom, "tesla-bay1") && strstr(dom, "bmw-i3-bay2"), "names:\n%s", dom);
    ck_assert_ptr_nonnull(strstr(dom, "39.0"));                      /* the Tesla's offer */
    ck_assert_ptr_nonnull(strstr(dom, "limited by circuit garage")); /* its reason */
    ck_assert_ptr_nonnull(strstr(dom, "data-charted=\"1\""));        /* the chart ran */
    const char *pts = strstr(dom, "data-points=\"");
    ck_assert_ptr_nonnull(pts);
    ck_assert_int_ge(atoi(pts + strlen("data-points=\"")), 2);
    free(dom);
    const char *shots = getenv("AMPSHARE_SCREENSHOT_DIR");
    char png[256];
    snprintf(png, sizeof(png), "%s/status-page.png", shots ? shots : tmp);
    snprintf(cmd, sizeof(cmd),
             "chromium %s --user-data-dir=%s/profile2 --screenshot=%s http://127.0.0.1:%u/ "
             ">/dev/null 2>&1",
             flags, tmp, png, (unsigned)port);
    char *o = run(cmd, &st);
    free(o);
    struct stat sb;
    ck_assert_int_eq(stat(png, &sb), 0);
    ck_assert_int_gt(sb.st_size, 10000); /* a rendered page, not a blank one */
}

END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("server");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_endpoints_and_methods);
    tcase_add_test(tc, test_metrics_pass_promtool);
    tcase_add_test(tc, test_page_in_headless_chromium);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(http_suite)
