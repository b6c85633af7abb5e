/* SPDX-License-Identifier: MIT */
/* The status socket on a real loop and a real Unix socket: requests answered in order, bad
 * ones refused without dropping the client, an over-long line closes only that client, a
 * client that never reads does not stop the others, a second daemon cannot steal the socket,
 * and `ampshare status` (the real binary) prints exactly what the server sent. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "controller/loop.h"
#include "controller/status/status_srv.h"
#include "tests/support/check_main.h"

extern char **environ;

static char dir[64], path[96];
static struct loop *l;
static struct status_srv *srv;
static int fills;

static int fill(void *ctx, struct status_snapshot *s)
{
    (void)ctx;
    fills++;
    snprintf(s->site, sizeof(s->site), "test-site");
    snprintf(s->policy, sizeof(s->policy), "idle_reclaim");
    s->wall_ms = 1765000000000LL;
    ck_assert_uint_ge(s->cap_charger, 2);
    s->n_charger = 2;
    snprintf(s->charger[0].name, sizeof(s->charger[0].name), "tesla");
    snprintf(s->charger[0].state, sizeof(s->charger[0].state), "charging");
    s->charger[0].offer_ma = 40000;
    s->charger[0].phases = 1;
    s->charger[0].measured_ma[0] = 39100;
    s->charger[0].session_wh = -1;
    snprintf(s->charger[1].name, sizeof(s->charger[1].name), "i3");
    s->charger[1].session_wh = 800;
    s->n_circuit = 1;
    snprintf(s->circuit[0].name, sizeof(s->circuit[0].name), "supply");
    s->circuit[0].phases = 7;
    s->loop.ticks = (uint64_t)fills;
    return 0;
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/ampshare-status-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/ampshare.sock", dir);
    ck_assert_int_eq(loop_new(NULL, &l), 0);
    char err[256];
    struct status_caps caps = {.charger = 4, .circuit = 2, .bus = 1, .meter = 1};
    ck_assert_msg(status_srv_open(l, path, &caps, fill, NULL, &srv, err, sizeof(err)) == 0, "%s",
                  err);
    fills = 0;
}

static void teardown(void)
{
    status_srv_close(srv);
    loop_free(l);
    rmdir(dir);
}

static int client(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* Runs loop turns until fd has a whole line (or EOF: returns NULL); bounded to ~5 s. */
static json_t *pump_line(int fd, char *buf, size_t cap, size_t *n)
{
    for (int i = 0; i < 500; i++) {
        loop_run_once(l, LOOP_NOWAIT);
        ssize_t r = read(fd, buf + *n, cap - *n - 1);
        if (r == 0) {
            return NULL;
        }
        if (r > 0) {
            *n += (size_t)r;
        }
        char *nl = memchr(buf, '\n', *n);
        if (nl) {
            json_t *j = json_loadb(buf, (size_t)(nl - buf), 0, NULL);
            size_t used = (size_t)(nl - buf) + 1;
            memmove(buf, nl + 1, *n - used);
            *n -= used;
            ck_assert_ptr_nonnull(j);
            return j;
        }
        poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 10);
    }
    ck_abort_msg("no reply within 5 s");
    return NULL;
}

static void say(int fd, const char *text)
{
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

START_TEST(test_requests_answered_in_order_bad_ones_refused)
{
    int fd = client();
    char buf[65536];
    size_t n = 0;
    say(fd, "{\"cmd\":\"status\",\"id\":7}\nnot json\n{\"cmd\":\"reboot\"}\n[1,2]\n"
            "{\"cmd\":\"status\",\"cmd\":\"ping\"}\n{\"cmd\":\"ping\",\"id\":\"x\"}\n");
    json_t *r = pump_line(fd, buf, sizeof(buf), &n);
    ck_assert(json_is_true(json_object_get(r, "ok")));
    ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 7);
    json_t *st = json_object_get(r, "status");
    ck_assert_str_eq(json_string_value(json_object_get(st, "site")), "test-site");
    ck_assert_uint_eq(json_array_size(json_object_get(st, "chargers")), 2);
    json_decref(r);
    for (int i = 0; i < 4; i++) { /* not json, unknown cmd, not an object, duplicate key */
        r = pump_line(fd, buf, sizeof(buf), &n);
        ck_assert_msg(json_is_false(json_object_get(r, "ok")), "request %d accepted", i);
        ck_assert(json_is_string(json_object_get(r, "error")));
        json_decref(r);
    }
    r = pump_line(fd, buf, sizeof(buf), &n); /* the connection survived all of that */
    ck_assert(json_is_true(json_object_get(r, "ok")));
    ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "x");
    json_decref(r);
    ck_assert_uint_eq(status_srv_get_stats(srv)->refused, 4);
    close(fd);
}
END_TEST

START_TEST(test_long_line_closes_only_that_client)
{
    int quiet = client(); /* connects, asks, never reads its reply */
    say(quiet, "{\"cmd\":\"status\"}\n");
    int bad = client();
    char big[STATUS_SRV_LINE_MAX + 100];
    memset(big, 'x', sizeof(big));
    ck_assert_int_eq(write(bad, big, sizeof(big)), (ssize_t)sizeof(big));
    char buf[65536];
    size_t n = 0;
    json_t *r = pump_line(bad, buf, sizeof(buf), &n);
    ck_assert(json_is_false(json_object_get(r, "ok")));
    json_decref(r);
    ck_assert_ptr_null(pump_line(bad, buf, sizeof(buf), &n)); /* then EOF */
    int good = client();
    say(good, "{\"cmd\":\"status\"}\n");
    n = 0;
    r = pump_line(good, buf, sizeof(buf), &n);
    ck_assert(json_is_true(json_object_get(r, "ok")));
    json_decref(r);
    close(bad);
    close(good);
    close(quiet);
}
END_TEST

START_TEST(test_more_clients_than_slots_wait_their_turn)
{
    int fd[STATUS_SRV_CLIENTS + 1];
    for (int i = 0; i <= STATUS_SRV_CLIENTS; i++) {
        fd[i] = client();
        loop_run_once(l, LOOP_NOWAIT);
    }
    say(fd[STATUS_SRV_CLIENTS], "{\"cmd\":\"ping\"}\n");
    for (int i = 0; i < 20; i++) {
        loop_run_once(l, LOOP_NOWAIT);
    }
    char buf[256];
    ck_assert_int_lt(read(fd[STATUS_SRV_CLIENTS], buf, sizeof(buf)), 0); /* not yet accepted */
    close(fd[0]);
    size_t n = 0;
    json_t *r = pump_line(fd[STATUS_SRV_CLIENTS], buf, sizeof(buf), &n);
    ck_assert(json_is_true(json_object_get(r, "ok")));
    json_decref(r);
    for (int i = 1; i <= STATUS_SRV_CLIENTS; i++) {
        close(fd[i]);
    }
}
END_TEST

START_TEST(test_second_daemon_cannot_steal_the_socket)
{
    struct status_srv *two = NULL;
    char err[256];
    struct status_caps caps = {.charger = 1};
    ck_assert_int_eq(status_srv_open(l, path, &caps, fill, NULL, &two, err, sizeof(err)),
                     -EADDRINUSE);
    ck_assert_ptr_nonnull(strstr(err, "another ampshare is running"));
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0660);
    /* A stale socket (its daemon killed -9) is replaced; a regular file is not touched. */
    char other[96];
    snprintf(other, sizeof(other), "%s/stale.sock", dir);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", other);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(s);
    ck_assert_int_eq(status_srv_open(l, other, &caps, fill, NULL, &two, err, sizeof(err)), 0);
    status_srv_close(two);
    ck_assert_int_ne(access(other, F_OK), 0); /* close removes it */
    FILE *f = fopen(other, "w");
    fclose(f);
    ck_assert_int_eq(status_srv_open(l, other, &caps, fill, NULL, &two, err, sizeof(err)), -EEXIST);
    ck_assert_int_eq(access(other, F_OK), 0);
    unlink(other);
}
END_TEST

/* Runs `ampshare status ARGS --socket PATH` while the loop serves it; returns its stdout. */
static char *run_cli(const char *const *args, int *status)
{
    const char *bin = getenv("AMPSHARE_BIN");
    ck_assert_ptr_nonnull(bin);
    int out[2];
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    /* posix_spawn takes char *const argv[]: copies, as the strings must not be written. */
    static char words[16][128];
    char *argv[16];
    int n = 0;
    snprintf(words[n], sizeof(words[n]), "%s", bin);
    argv[n] = words[n];
    n++;
    snprintf(words[n], sizeof(words[n]), "status");
    argv[n] = words[n];
    n++;
    for (; *args; args++, n++) {
        snprintf(words[n], sizeof(words[n]), "%s", *args);
        argv[n] = words[n];
    }
    snprintf(words[n], sizeof(words[n]), "--socket");
    argv[n] = words[n];
    n++;
    snprintf(words[n], sizeof(words[n]), "%s", path);
    argv[n] = words[n];
    argv[++n] = NULL;
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, bin, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    size_t cap = 1 << 16, len = 0;
    char *text = calloc(1, cap);
    for (int i = 0; i < 1000; i++) {
        loop_run_once(l, LOOP_NOWAIT);
        ssize_t r = read(out[0], text + len, cap - len - 1);
        if (r > 0) {
            len += (size_t)r;
        }
        if (waitpid(pid, status, WNOHANG) == pid) {
            while ((r = read(out[0], text + len, cap - len - 1)) > 0) {
                len += (size_t)r;
            }
            close(out[0]);
            return text;
        }
        poll(NULL, 0, 10);
    }
    kill(pid, SIGKILL);
    ck_abort_msg("ampshare status did not finish");
    return NULL;
}

START_TEST(test_cli_prints_what_the_server_sent)
{
    int st;
    static const char *const json_args[] = {"--json", NULL};
    char *text = run_cli(json_args, &st);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit %d", st);
    json_t *doc = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "site")), "test-site");
    json_t *t = json_array_get(json_object_get(doc, "chargers"), 0);
    ck_assert_double_eq_tol(json_real_value(json_object_get(t, "offer_a")), 40.0, 1e-9);
    ck_assert_double_eq_tol(json_real_value(json_array_get(json_object_get(t, "measured_a"), 0)),
                            39.1, 1e-9);
    json_decref(doc);
    free(text);
    static const char *const text_args[] = {NULL};
    text = run_cli(text_args, &st);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_ptr_nonnull(strstr(text, "tesla"));
    ck_assert_ptr_nonnull(strstr(text, "40.0"));
    ck_assert_ptr_nonnull(strstr(text, "0.80kWh"));
    free(text);
    /* No daemon: a clear failure, exit 1. */
    status_srv_close(srv);
    srv = NULL;
    text = run_cli(text_args, &st);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    free(text);
}
END_TEST

static Suite *status_srv_suite(void)
{
    Suite *s = suite_create("status_srv");
    TCase *tc = tcase_create("socket");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_requests_answered_in_order_bad_ones_refused);
    tcase_add_test(tc, test_long_line_closes_only_that_client);
    tcase_add_test(tc, test_more_clients_than_slots_wait_their_turn);
    tcase_add_test(tc, test_second_daemon_cannot_steal_the_socket);
    tcase_add_test(tc, test_cli_prints_what_the_server_sent);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(status_srv_suite)
