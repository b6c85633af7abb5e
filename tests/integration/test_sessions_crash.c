/* SPDX-License-Identifier: MIT */
/*
 * kill -9 of a real process that writes the session log, then a restart on the same file: the
 * session open at the kill is closed as controller_restart with the energy last committed, the
 * file is intact, and logging goes on. Once at a known point (between two progress commits) and
 * once at an unknown one (a child committing every tick, killed at a random moment).
 */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "controller/sessions.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"
#include "tests/support/sess_test.h"

#define T0_WALL 1764979200
#define T0_MS   1000000

static char dir[64];
static char db_path[128];
static const char *const names[] = {"bay1"};

static void setup(void)
{
    sess_test_dir("amp_crash", dir, sizeof(dir), db_path, sizeof(db_path));
}

static void teardown(void)
{
    sess_test_rmdir(dir);
}

static struct sess_log *open_log_mode(uint32_t flush_ms, int64_t wall, uint64_t ms, bool threaded)
{
    struct sess_opts o = sess_test_opts(db_path, names, 1);
    o.threaded = threaded;
    o.flush_interval_ms = flush_ms;
    struct sess_log *log = NULL;
    int rc = sess_log_new(&o, wall, ms, &log);
    if (rc != 0) {
        fprintf(stderr, "sess_log_new: %s\n", log ? sess_log_error(log) : "");
        _exit(3);
    }
    return log;
}

static struct sess_log *open_log(uint32_t flush_ms, int64_t wall, uint64_t ms)
{
    return open_log_mode(flush_ms, wall, ms, false);
}

static int64_t peek(const char *sql)
{
    return sess_test_peek(db_path, sql);
}

static char *peek_text(const char *sql, char *buf, size_t cap)
{
    return sess_test_peek_text(db_path, sql, buf, cap);
}

static const struct sess_sample charging = SESS_TEST_CHARGING_16A;

/* Forks a child that tells the parent when it may be killed. Returns the child's pid in the
 * parent, 0 in the child; *fd is the side of the pipe between them this process keeps. */
static pid_t fork_child(int *fd)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    close(fds[pid == 0 ? 0 : 1]);
    *fd = fds[pid == 0 ? 1 : 0];
    return pid;
}

/* The child's word that it may be killed now (false: the parent is gone). */
static bool tell_parent(int fd)
{
    return write(fd, "k", 1) == 1;
}

/* The child, told: waits for its kill. */
static void wait_for_the_kill(int fd)
{
    if (!tell_parent(fd)) {
        _exit(5);
    }
    for (;;) {
        pause();
    }
}

/* Once the child has told, kills it with SIGKILL delay_us later and reaps it. */
static void kill_9_when_told(pid_t pid, int fd, useconds_t delay_us)
{
    char c;
    ck_assert_int_eq(read(fd, &c, 1), 1);
    close(fd);
    usleep(delay_us);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

START_TEST(test_kill_9_between_commits)
{
    int fd;
    pid_t pid = fork_child(&fd);
    if (pid == 0) {
        struct sess_log *log = open_log(60000, T0_WALL, T0_MS);
        /* charging from t = 0; progress committed at t = 60 and t = 120 */
        for (int t = 0; t <= 150; t++) {
            if (sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 0, &charging) != 0) {
                _exit(4);
            }
        }
        /* t = 121..150 are only in memory when the parent kills us */
        wait_for_the_kill(fd);
    }
    kill_9_when_told(pid, fd, 0);

    /* the file as the kill left it: the session open, its progress as of t = 120, in the WAL */
    char wal[160], buf[64];
    snprintf(wal, sizeof(wal), "%s-wal", db_path);
    ck_assert_int_eq(access(wal, F_OK), 0);
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 1);
    ck_assert_int_eq(peek("SELECT end_s FROM sessions"), -2);
    ck_assert_int_eq(peek("SELECT updated_s FROM sessions"), T0_WALL + 120);
    ck_assert_int_eq(peek("SELECT energy_wh FROM sessions"),
                     120 * SESS_TEST_16A_W / 3600); /* 122 */

    /* the restart: the killed run's session closed where its progress stopped */
    struct sess_log *log = open_log(60000, T0_WALL + 200, T0_MS + 500000);
    ck_assert_str_eq(peek_text("SELECT end_reason FROM sessions WHERE id = 1", buf, sizeof(buf)),
                     "controller_restart");
    ck_assert_int_eq(peek("SELECT end_s FROM sessions WHERE id = 1"), T0_WALL + 120);
    ck_assert_int_eq(peek("SELECT energy_wh FROM sessions WHERE id = 1"), 122);
    ck_assert_int_eq(peek("SELECT charging_s FROM sessions WHERE id = 1"), 120);
    ck_assert_str_eq(peek_text("PRAGMA integrity_check", buf, sizeof(buf)), "ok");
    /* the car still charging is a new session of the new run */
    ck_assert_int_eq(sess_update(log, T0_WALL + 200, T0_MS + 500000, 0, &charging), 0);
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 2);
    ck_assert_int_eq(peek("SELECT start_s FROM sessions WHERE id = 2"), T0_WALL + 200);
    sess_log_free(log);
}

END_TEST

static void random_kills(bool threaded)
{
    uint64_t seed = amp_test_seed();
    for (int round = 0; round < 3; round++) {
        int fd;
        pid_t pid = fork_child(&fd);
        if (pid == 0) {
            /* every simulated second is a commit: the kill lands inside one or between two */
            struct sess_log *log = open_log_mode(1000, T0_WALL, T0_MS, threaded);
            for (uint32_t t = 0;; t++) {
                if (sess_update(log, T0_WALL + t, T0_MS + t * 1000ull, 0, &charging) != 0) {
                    _exit(4);
                }
                /* threaded: what was handed over by 50 is committed (the loop runs in
                 * simulated time here, far faster than the writer's syncs) */
                if (t == 50 && ((threaded && sess_log_sync(log) != 0) || !tell_parent(fd))) {
                    _exit(5);
                }
            }
        }
        kill_9_when_told(pid, fd, (useconds_t)(amp_test_rand(&seed) % 200000));

        char buf[64];
        int64_t rows_before = peek("SELECT count(*) FROM sessions");
        ck_assert_int_eq(rows_before, round + 1);
        struct sess_log *log = open_log(60000, T0_WALL, T0_MS);
        sess_log_free(log);
        ck_assert_str_eq(peek_text("PRAGMA integrity_check", buf, sizeof(buf)), "ok");
        ck_assert_int_eq(peek("SELECT count(*) FROM sessions WHERE end_s IS NULL"), 0);
        /* the committed energy matches the committed time: 3680 W from the start */
        char sql[160];
        snprintf(sql, sizeof(sql), "SELECT end_s - start_s FROM sessions WHERE id = %d", round + 1);
        int64_t secs = peek(sql);
        ck_assert_int_ge(secs, 50);
        snprintf(sql, sizeof(sql), "SELECT energy_wh FROM sessions WHERE id = %d", round + 1);
        ck_assert_int_eq(peek(sql), secs * SESS_TEST_16A_W / 3600);
        snprintf(sql, sizeof(sql), "SELECT end_reason FROM sessions WHERE id = %d", round + 1);
        ck_assert_str_eq(peek_text(sql, buf, sizeof(buf)), "controller_restart");
    }
}

START_TEST(test_kill_9_at_a_random_moment_of_constant_commits)
{
    random_kills(false);
}

END_TEST

START_TEST(test_kill_9_at_a_random_moment_threaded)
{
    random_kills(true);
}

END_TEST

/* The daemon's mode: the writer thread commits. A kill -9 after a session boundary was
 * committed keeps it: the ended session as it ended, the new one closed at the restart. */
START_TEST(test_kill_9_after_a_committed_boundary_threaded)
{
    int fd;
    pid_t pid = fork_child(&fd);
    if (pid == 0) {
        struct sess_log *log = open_log_mode(60000, T0_WALL, T0_MS, true);
        const struct sess_sample unplugged = {.offered_ma = 16000};
        for (int t = 0; t <= 110; t++) {
            const struct sess_sample *s = t == 101 ? &unplugged : &charging;
            if (sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 0, s) != 0) {
                _exit(4);
            }
        }
        /* the end at 101 and the start at 102 were handed over at once: wait for the commit,
         * as a real loop would simply go on ticking */
        if (sess_log_sync(log) != 0) {
            _exit(5);
        }
        wait_for_the_kill(fd);
    }
    kill_9_when_told(pid, fd, 0);

    char buf[64];
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 2);
    ck_assert_str_eq(peek_text("SELECT end_reason FROM sessions WHERE id = 1", buf, sizeof(buf)),
                     "unplugged");
    ck_assert_int_eq(peek("SELECT end_s FROM sessions WHERE id = 1"), T0_WALL + 101);
    ck_assert_int_eq(peek("SELECT energy_wh FROM sessions WHERE id = 1"),
                     101 * SESS_TEST_16A_W / 3600);
    ck_assert_int_eq(peek("SELECT start_s FROM sessions WHERE id = 2"), T0_WALL + 102);
    ck_assert_int_eq(peek("SELECT end_s FROM sessions WHERE id = 2"), -2);

    struct sess_log *log = open_log_mode(60000, T0_WALL + 200, T0_MS + 500000, true);
    ck_assert_str_eq(peek_text("SELECT end_reason FROM sessions WHERE id = 2", buf, sizeof(buf)),
                     "controller_restart");
    ck_assert_int_eq(peek("SELECT end_s FROM sessions WHERE id = 2"), T0_WALL + 102);
    ck_assert_str_eq(peek_text("PRAGMA integrity_check", buf, sizeof(buf)), "ok");
    sess_log_free(log);
}

END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sessions_crash");
    TCase *tc = tcase_create("kill9");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_kill_9_between_commits);
    tcase_add_test(tc, test_kill_9_at_a_random_moment_of_constant_commits);
    tcase_add_test(tc, test_kill_9_at_a_random_moment_threaded);
    tcase_add_test(tc, test_kill_9_after_a_committed_boundary_threaded);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(suite)
