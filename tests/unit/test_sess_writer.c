/* SPDX-License-Identifier: MIT */
/*
 * The session log's writer thread (opts.threaded): every record handed over is in the file
 * after shutdown, with the same rows an inline log writes for the same samples, also when more
 * records are handed over in one tick than its queue holds; results (a failure) come back on a
 * later call. No wall-clock assertion: sess_log_sync is the only wait.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "controller/sessions.h"
#include "tests/support/check_main.h"
#include "tests/support/sess_test.h"

#define T0_WALL 1764979200
#define T0_MS   1000000
#define N_CHG   100 /* more than SESS_WRITER_QUEUE: one tick's starts overflow the queue */
#define TICKS   120

static char dir[64];
static char db_path[128];
static char names_buf[N_CHG][8];
static const char *names[N_CHG];

static void setup(void)
{
    sess_test_dir("amp_writer", dir, sizeof(dir), db_path, sizeof(db_path));
    for (int i = 0; i < N_CHG; i++) {
        snprintf(names_buf[i], sizeof(names_buf[i]), "c%d", i);
        names[i] = names_buf[i];
    }
}

static void teardown(void)
{
    sess_test_rmdir(dir);
}

static struct sess_log *open_log(const char *path, bool threaded)
{
    struct sess_opts o = SESS_OPTS_DEFAULT;
    o.path = path;
    o.charger = names;
    o.n_charger = N_CHG;
    o.flush_interval_ms = 5000;
    o.threaded = threaded;
    struct sess_log *log = NULL;
    ck_assert_int_eq(sess_log_new(&o, T0_WALL, T0_MS, &log), 0);
    return log;
}

/* Charger i: plugged in for 7 ticks out of every 10 from tick i % 10 on, all at once at tick 0
 * (N_CHG starts in one tick). Returns the sessions it makes, counted here from the edges. The
 * sync after each tick stands for the second between two ticks (the loop runs in simulated
 * time here, far faster than any disk commits; a writer that cannot keep up for long drops the
 * oldest finished sessions beyond SESS_PENDING_MAX, by design). */
static int feed(struct sess_log *log)
{
    int sessions = 0;
    bool was[N_CHG] = {0};
    for (int t = 0; t < TICKS; t++) {
        for (int i = 0; i < N_CHG; i++) {
            bool on = t < 3 || (t + i) % 10 < 7;
            struct sess_sample s = {
                .connected = on,
                .charging = on,
                .current_ma = {on ? 6000 + 100 * i : 0, 0, 0},
                .offered_ma = 16000,
            };
            sessions += on && !was[i];
            was[i] = on;
            int rc = sess_update(log, T0_WALL + t, T0_MS + (uint64_t)t * 1000u, (size_t)i, &s);
            ck_assert_int_eq(rc, 0);
        }
        ck_assert_int_eq(sess_log_sync(log), 0);
    }
    return sessions;
}

struct rows {
    char (*line)[160];
    size_t n, cap;
    int open, restarted;
};

static int collect(void *ctx, const struct sess_record *r)
{
    struct rows *rows = ctx;
    ck_assert_uint_lt(rows->n, rows->cap);
    snprintf(rows->line[rows->n++], sizeof(rows->line[0]), "%s %lld %lld %llu %llu %d %d %u %s",
             r->charger, (long long)r->start_s, (long long)r->end_s,
             (unsigned long long)r->energy_wh, (unsigned long long)r->integrated_wh, r->peak_ma,
             r->mean_ma, r->charging_s,
             sess_end_reason_name(r->end_reason) ? sess_end_reason_name(r->end_reason) : "-");
    rows->open += r->end_reason == SESS_END_NONE;
    rows->restarted += r->end_reason == SESS_END_CONTROLLER_RESTART;
    return 0;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void read_rows(const char *path, struct rows *rows)
{
    struct sess_reader *r = NULL;
    char err[256];
    ck_assert_msg(sess_reader_open(path, &r, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(sess_reader_each(r, NULL, collect, rows, err, sizeof(err)) == 0, "%s", err);
    sess_reader_free(r);
    qsort(rows->line, rows->n, sizeof(rows->line[0]), by_text);
}

START_TEST(test_every_handed_record_is_in_the_file_after_shutdown)
{
    struct sess_log *log = open_log(db_path, true);
    int sessions = feed(log);
    ck_assert_int_gt(sessions, 2 * N_CHG);
    ck_assert_int_eq(sess_close_all(log, T0_WALL + TICKS, T0_MS + TICKS * 1000u, SESS_END_SHUTDOWN),
                     0);
    ck_assert_uint_eq(sess_log_pending(log), 0);
    ck_assert_uint_eq(sess_log_dropped(log), 0);
    sess_log_free(log);

    /* the same samples through an inline log: the same rows */
    char inline_path[160];
    snprintf(inline_path, sizeof(inline_path), "%s/inline.db", dir);
    log = open_log(inline_path, false);
    ck_assert_int_eq(feed(log), sessions);
    ck_assert_int_eq(sess_close_all(log, T0_WALL + TICKS, T0_MS + TICKS * 1000u, SESS_END_SHUTDOWN),
                     0);
    sess_log_free(log);

    size_t cap = (size_t)sessions + 8;
    struct rows a = {.line = calloc(cap, sizeof(*a.line)), .cap = cap};
    struct rows b = {.line = calloc(cap, sizeof(*b.line)), .cap = cap};
    ck_assert(a.line && b.line);
    read_rows(db_path, &a);
    read_rows(inline_path, &b);
    ck_assert_uint_eq(a.n, (size_t)sessions);
    ck_assert_int_eq(a.open, 0);
    ck_assert_int_eq(a.restarted, 0);
    ck_assert_uint_eq(b.n, a.n);
    for (size_t i = 0; i < a.n; i++) {
        ck_assert_str_eq(a.line[i], b.line[i]);
    }
    free(a.line);
    free(b.line);
}

END_TEST

START_TEST(test_progress_reaches_the_file_after_a_sync)
{
    struct sess_log *log = open_log(db_path, true);
    struct sess_sample s = {
        .connected = true, .charging = true, .current_ma = {16000, 0, 0}, .offered_ma = 16000};
    for (int t = 0; t <= 12; t++) {
        ck_assert_int_eq(sess_update(log, T0_WALL + t, T0_MS + (uint64_t)t * 1000u, 0, &s), 0);
    }
    ck_assert_int_eq(sess_log_sync(log), 0);
    /* started at 0 (committed at once), progress handed over at 5 and 10 */
    ck_assert_int_eq(sess_test_peek(db_path, "SELECT count(*) FROM sessions"), 1);
    ck_assert_int_eq(sess_test_peek(db_path, "SELECT updated_s FROM sessions"), T0_WALL + 10);
    ck_assert(sess_log_is_writing(log));
    sess_log_free(log); /* not closed: progress as of 12 written, the row left open */
    ck_assert_int_eq(sess_test_peek(db_path, "SELECT updated_s FROM sessions"), T0_WALL + 12);
    ck_assert_int_eq(sess_test_peek(db_path, "SELECT end_s FROM sessions"), SESS_TEST_NULL);
}

END_TEST

START_TEST(test_a_failure_comes_back_on_a_later_call_and_nothing_is_lost)
{
    struct sess_log *log = open_log(db_path, true);
    struct sess_sample on = {
        .connected = true, .charging = true, .current_ma = {16000, 0, 0}, .offered_ma = 16000};
    struct sess_sample off = {.offered_ma = 16000};
    ck_assert_int_eq(sess_update(log, T0_WALL, T0_MS, 0, &on), 0);
    ck_assert_int_eq(sess_log_sync(log), 0);
    sess_log_free(log);
    /* the file goes away: a directory where the database was */
    char moved[200];
    snprintf(moved, sizeof(moved), "%s.gone", db_path);
    ck_assert_int_eq(rename(db_path, moved), 0);
    ck_assert_int_eq(mkdir(db_path, 0700), 0);
    struct sess_opts o = SESS_OPTS_DEFAULT;
    o.path = db_path;
    o.charger = names;
    o.n_charger = N_CHG;
    o.threaded = true;
    o.retry_interval_ms = 1000;
    log = NULL;
    int rc = sess_log_new(&o, T0_WALL + 10, T0_MS + 10000, &log);
    ck_assert_int_lt(rc, 0);
    ck_assert_ptr_nonnull(log);
    ck_assert(!sess_log_is_writing(log));
    /* a session starts and ends while the file cannot be opened: it waits (the retries are
     * handed to the writer, which fails; a failure comes back on some later call) */
    int seen = sess_update(log, T0_WALL + 11, T0_MS + 11000, 1, &on) < 0;
    seen |= sess_update(log, T0_WALL + 12, T0_MS + 12000, 1, &off) < 0;
    ck_assert_uint_eq(sess_log_pending(log), 1);
    for (int t = 13; t < 40 && !seen; t++) {
        rc = sess_update(log, T0_WALL + t, T0_MS + (uint64_t)t * 1000u, 1, &off);
        seen = rc < 0 || sess_log_sync(log) < 0;
    }
    ck_assert_msg(seen, "no failure reported");
    ck_assert_ptr_nonnull(strstr(sess_log_error(log), db_path));
    ck_assert_uint_eq(sess_log_pending(log), 1);
    /* the file comes back: the waiting session is written at the next retry */
    ck_assert_int_eq(rmdir(db_path), 0);
    ck_assert_int_eq(rename(moved, db_path), 0);
    for (int t = 40; t < 80 && !sess_log_is_writing(log); t++) {
        (void)sess_update(log, T0_WALL + t, T0_MS + (uint64_t)t * 1000u, 1, &off);
        (void)sess_log_sync(log);
    }
    ck_assert(sess_log_is_writing(log));
    ck_assert_uint_eq(sess_log_pending(log), 0);
    sess_log_free(log);
    ck_assert_int_eq(sess_test_peek(db_path, "SELECT count(*) FROM sessions"), 2);
    ck_assert_int_eq(sess_test_peek(db_path, "SELECT end_s FROM sessions WHERE charger = 'c1'"),
                     T0_WALL + 12);
}

END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sess_writer");
    TCase *tc = tcase_create("writer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_every_handed_record_is_in_the_file_after_shutdown);
    tcase_add_test(tc, test_progress_reaches_the_file_after_a_sync);
    tcase_add_test(tc, test_a_failure_comes_back_on_a_later_call_and_nothing_is_lost);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(suite)
