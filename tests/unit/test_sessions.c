/* SPDX-License-Identifier: MIT */
/*
 * The session log on real SQLite files: rows written at a session's start and end, progress on
 * the flush cadence (time passed in), what another connection sees meanwhile (WAL), rows left
 * open by an earlier run closed as controller_restart, migration from hand-made version-1 and
 * version-2 files, a charger's own transaction (id tag, id, end reason, counter), files that are
 * not ours or too new, and the reader's filters. The test reads the file with its own SQL, not the
 * module's reader, except where the reader is what is tested.
 */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "controller/sessions.h"
#include "tests/support/check_main.h"
#include "tests/support/sess_test.h"

#define T0_WALL 1764979200 /* 2025-12-06 00:00:00 UTC */
#define T0_MS   1000000

static char dir[64];
static char db_path[128];

static void setup(void)
{
    sess_test_dir("amp_sess", dir, sizeof(dir), db_path, sizeof(db_path));
}

static void teardown(void)
{
    sess_test_rmdir(dir);
}

static const char *const names[] = {"bay1", "bay2"};

/* The options of the test's log: bay1 and bay2 in db_path. */
static struct sess_opts opts(void)
{
    return sess_test_opts(db_path, names, 2);
}

static struct sess_log *open_with(const struct sess_opts *o, int64_t wall, uint64_t ms)
{
    struct sess_log *log = NULL;
    int rc = sess_log_new(o, wall, ms, &log);
    ck_assert_msg(rc == 0, "sess_log_new: %d %s", rc, log ? sess_log_error(log) : "");
    return log;
}

static struct sess_log *open_log(uint32_t flush_ms, int64_t wall, uint64_t ms)
{
    struct sess_opts o = opts();
    o.flush_interval_ms = flush_ms;
    return open_with(&o, wall, ms);
}

static int64_t peek(const char *sql)
{
    return sess_test_peek(db_path, sql);
}

static char *peek_text(const char *sql, char *buf, size_t cap)
{
    return sess_test_peek_text(db_path, sql, buf, cap);
}

static void exec_sql(const char *sql)
{
    sess_test_exec(db_path, sql);
}

START_TEST(test_rows_at_start_progress_on_cadence_and_end)
{
    struct sess_log *log = open_log(60000, T0_WALL, T0_MS);
    char buf[64];
    ck_assert_str_eq(peek_text("PRAGMA journal_mode", buf, sizeof(buf)), "wal");
    ck_assert_int_eq(peek("PRAGMA user_version"), 3);
    ck_assert_int_eq(peek("PRAGMA application_id"), 0x414d5053);

    struct sess_sample none = {.offered_ma = -1};
    struct sess_sample s = SESS_TEST_CHARGING_16A;
    ck_assert_int_eq(sess_update(log, T0_WALL, T0_MS, 1, &none), 0);
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 0);
    /* bay1 plugs in at t = 10 s: its row is committed at once */
    for (int t = 0; t <= 10; t++) {
        ck_assert_int_eq(sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 0, t < 10 ? &none : &s),
                         0);
    }
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 1);
    ck_assert_int_eq(peek("SELECT start_s FROM sessions"), T0_WALL + 10);
    ck_assert_int_eq(peek("SELECT end_s FROM sessions"), -2); /* NULL: open */
    ck_assert_int_eq(peek("SELECT updated_s FROM sessions"), T0_WALL + 10);
    ck_assert_str_eq(peek_text("SELECT charger FROM sessions", buf, sizeof(buf)), "bay1");
    ck_assert_str_eq(peek_text("SELECT energy_source FROM sessions", buf, sizeof(buf)),
                     "integrated");

    /* progress: nothing new in the file until 60 s after the last commit (t = 10) */
    for (int t = 11; t <= 69; t++) {
        ck_assert_int_eq(sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 0, &s), 0);
    }
    ck_assert_int_eq(peek("SELECT updated_s FROM sessions"), T0_WALL + 10);
    ck_assert_int_eq(sess_update(log, T0_WALL + 70, T0_MS + 70000, 0, &s), 0);
    ck_assert_int_eq(peek("SELECT updated_s FROM sessions"), T0_WALL + 70);
    /* 16 A x 230 V x 60 s = 61.3 Wh */
    ck_assert_int_eq(peek("SELECT energy_wh FROM sessions"), 61);

    /* the live record for the status socket */
    struct sess_record cur;
    ck_assert(sess_log_current(log, 0, &cur));
    ck_assert_int_gt(cur.id, 0);
    ck_assert(!sess_log_current(log, 1, &cur));

    /* the VIN arrives: committed at once, not a minute later */
    s.vin = "5YJ3E1EA7KF000001";
    ck_assert_int_eq(sess_update(log, T0_WALL + 71, T0_MS + 71000, 0, &s), 0);
    ck_assert_str_eq(peek_text("SELECT vin FROM sessions", buf, sizeof(buf)), "5YJ3E1EA7KF000001");

    /* unplugged at t = 130: the end is committed at once */
    for (int t = 72; t < 130; t++) {
        ck_assert_int_eq(sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 0, &s), 0);
    }
    ck_assert_int_eq(sess_update(log, T0_WALL + 130, T0_MS + 130000, 0, &none), 0);
    ck_assert_int_eq(peek("SELECT end_s FROM sessions"), T0_WALL + 130);
    ck_assert_str_eq(peek_text("SELECT end_reason FROM sessions", buf, sizeof(buf)), "unplugged");
    /* 120 s at 3680 W = 122.7 Wh */
    ck_assert_int_eq(peek("SELECT energy_wh FROM sessions"), 122);
    ck_assert_int_eq(peek("SELECT charging_s FROM sessions"), 120);
    ck_assert_int_eq(peek("SELECT peak_ma FROM sessions"), 16000);
    ck_assert_int_eq(peek("SELECT mean_ma FROM sessions"), 16000);
    ck_assert_int_eq(peek("SELECT charged_until_s FROM sessions"), T0_WALL + 130);
    ck_assert(sess_log_is_writing(log));
    ck_assert_str_eq(sess_log_error(log), "");
    sess_log_free(log);
    /* a clean close checkpoints: no -wal left */
    char wal[160];
    snprintf(wal, sizeof(wal), "%s-wal", db_path);
    ck_assert_int_ne(access(wal, F_OK), 0);
}

END_TEST

START_TEST(test_flush_cadence_follows_the_option)
{
    struct sess_log *log = open_log(5000, T0_WALL, T0_MS);
    struct sess_sample s = SESS_TEST_CHARGING_16A;
    int commits = 0;
    int64_t last = 0;
    for (int t = 0; t <= 60; t++) {
        ck_assert_int_eq(sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 1, &s), 0);
        int64_t u = peek("SELECT updated_s FROM sessions");
        if (u != last) {
            ck_assert_int_eq((u - T0_WALL) % 5, 0); /* at the start, then every 5 s */
            commits++;
            last = u;
        }
    }
    ck_assert_int_eq(commits, 13); /* t = 0, 5, ..., 60 */
    /* an explicit flush commits now */
    ck_assert_int_eq(sess_update(log, T0_WALL + 61, T0_MS + 61000, 1, &s), 0);
    ck_assert_int_eq(sess_flush(log, T0_WALL + 61, T0_MS + 61000), 0);
    ck_assert_int_eq(peek("SELECT updated_s FROM sessions"), T0_WALL + 61);
    /* shutdown ends every open session */
    ck_assert_int_eq(sess_close_all(log, T0_WALL + 62, T0_MS + 62000, SESS_END_SHUTDOWN), 0);
    char buf[32];
    ck_assert_str_eq(peek_text("SELECT end_reason FROM sessions", buf, sizeof(buf)), "shutdown");
    ck_assert_int_eq(peek("SELECT end_s FROM sessions"), T0_WALL + 62);
    ck_assert_str_eq(peek_text("SELECT charger FROM sessions", buf, sizeof(buf)), "bay2");
    sess_log_free(log);
}

END_TEST

START_TEST(test_open_rows_closed_as_controller_restart)
{
    /* an earlier run's rows: one finished, one left open (its last progress at +600 s) */
    struct sess_log *log = open_log(60000, T0_WALL, T0_MS);
    sess_log_free(log);
    exec_sql("INSERT INTO sessions (charger, start_s, end_s, updated_s, energy_wh, end_reason)"
             " VALUES ('bay1', 1000, 2000, 2000, 500, 'unplugged');"
             "INSERT INTO sessions (charger, start_s, updated_s, energy_wh, energy_source)"
             " VALUES ('bay2', 3000, 3600, 777, 'meter');");
    log = open_log(60000, T0_WALL, T0_MS);
    char buf[32];
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions WHERE end_s IS NULL"), 0);
    ck_assert_str_eq(
        peek_text("SELECT end_reason FROM sessions WHERE charger = 'bay2'", buf, sizeof(buf)),
        "controller_restart");
    ck_assert_int_eq(peek("SELECT end_s FROM sessions WHERE charger = 'bay2'"), 3600);
    ck_assert_int_eq(peek("SELECT energy_wh FROM sessions WHERE charger = 'bay2'"), 777);
    ck_assert_str_eq(
        peek_text("SELECT end_reason FROM sessions WHERE charger = 'bay1'", buf, sizeof(buf)),
        "unplugged");
    ck_assert_int_eq(peek("SELECT end_s FROM sessions WHERE charger = 'bay1'"), 2000);
    sess_log_free(log);
}

END_TEST

/* The tables of a version 1 file as it shipped; version 2 added columns to them. */
#define V1_SCHEMA                                                                     \
    "PRAGMA application_id = 1095585875;" /* 0x414d5053 */                            \
    "CREATE TABLE sessions (id INTEGER PRIMARY KEY, charger TEXT NOT NULL, vin TEXT," \
    " start_s INTEGER NOT NULL, end_s INTEGER, updated_s INTEGER NOT NULL,"           \
    " energy_wh INTEGER NOT NULL DEFAULT 0,"                                          \
    " energy_source TEXT NOT NULL DEFAULT 'integrated',"                              \
    " peak_ma INTEGER NOT NULL DEFAULT 0, mean_ma INTEGER NOT NULL DEFAULT 0,"        \
    " end_reason TEXT);"                                                              \
    "CREATE INDEX sessions_by_start ON sessions(start_s);"

START_TEST(test_migrates_a_hand_made_version_1_file)
{
    /* version 1 as it shipped: no integrated_wh, charging_s, charged_until_s */
    exec_sql(V1_SCHEMA
             "INSERT INTO sessions VALUES (1, 'bay1', '5YJ3E1EA7KF000001', 100, 200, 200, 1500,"
             " 'twc_counter', 16000, 15000, 'full');"
             "INSERT INTO sessions VALUES (2, 'bay2', NULL, 300, NULL, 360, 20, 'integrated',"
             " 6000, 6000, NULL);"
             "PRAGMA user_version = 1;");
    struct sess_log *log = open_log(60000, T0_WALL, T0_MS);
    char buf[64];
    ck_assert_int_eq(peek("PRAGMA user_version"), 3);
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 2);
    ck_assert_str_eq(peek_text("SELECT vin FROM sessions WHERE id = 1", buf, sizeof(buf)),
                     "5YJ3E1EA7KF000001");
    ck_assert_int_eq(peek("SELECT energy_wh FROM sessions WHERE id = 1"), 1500);
    ck_assert_int_eq(peek("SELECT integrated_wh FROM sessions WHERE id = 1"), 0);
    ck_assert_int_eq(peek("SELECT charging_s FROM sessions WHERE id = 1"), 0);
    ck_assert_int_eq(peek("SELECT charged_until_s FROM sessions WHERE id = 1"), -2);
    ck_assert_int_eq(peek("SELECT count(*) FROM sqlite_schema WHERE name = 'sessions_open'"), 1);
    /* the open row of version 1 was closed after the migration */
    ck_assert_str_eq(peek_text("SELECT end_reason FROM sessions WHERE id = 2", buf, sizeof(buf)),
                     "controller_restart");
    ck_assert_int_eq(peek("SELECT end_s FROM sessions WHERE id = 2"), 360);
    /* and the migrated file takes new rows */
    struct sess_sample s = SESS_TEST_CHARGING_16A;
    ck_assert_int_eq(sess_update(log, T0_WALL, T0_MS, 0, &s), 0);
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 3);
    ck_assert_int_eq(peek("SELECT id FROM sessions WHERE end_s IS NULL"), 3);
    sess_log_free(log);
}

END_TEST

START_TEST(test_refuses_newer_and_foreign_files_but_keeps_working)
{
    exec_sql("PRAGMA application_id = 1095585875; PRAGMA user_version = 99;");
    struct sess_opts o = opts();
    o.retry_interval_ms = 10000;
    struct sess_log *log = NULL;
    ck_assert_int_eq(sess_log_new(&o, T0_WALL, T0_MS, &log), -EPROTONOSUPPORT);
    ck_assert_ptr_nonnull(log);
    ck_assert_msg(strstr(sess_log_error(log), "newer") != NULL, "%s", sess_log_error(log));
    ck_assert(!sess_log_is_writing(log));
    /* charging goes on in memory; the file is retried every 10 s, not every tick */
    struct sess_sample s = SESS_TEST_CHARGING_16A;
    ck_assert_int_eq(sess_update(log, T0_WALL + 1, T0_MS + 1000, 0, &s), 0);
    struct sess_record cur;
    ck_assert(sess_log_current(log, 0, &cur));
    ck_assert_int_eq(sess_update(log, T0_WALL + 10, T0_MS + 10000, 0, &s), -EPROTONOSUPPORT);
    ck_assert_int_eq(peek("PRAGMA user_version"), 99);
    sess_log_free(log);

    /* someone else's database */
    ck_assert_int_eq(unlink(db_path), 0);
    exec_sql("CREATE TABLE t (x);");
    ck_assert_int_eq(sess_log_new(&o, T0_WALL, T0_MS, &log), -EBADMSG);
    ck_assert_msg(strstr(sess_log_error(log), "not an ampshare session log") != NULL, "%s",
                  sess_log_error(log));
    sess_log_free(log);
    ck_assert_int_eq(peek("SELECT count(*) FROM sqlite_schema WHERE name = 'sessions'"), 0);

    /* not a database at all */
    FILE *f = fopen(db_path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("this is not sqlite, just text that is long enough to fill a header page......", f);
    fclose(f);
    ck_assert_int_eq(sess_log_new(&o, T0_WALL, T0_MS, &log), -EBADMSG);
    sess_log_free(log);
}

END_TEST

START_TEST(test_bad_arguments)
{
    struct sess_opts o = SESS_OPTS_DEFAULT;
    struct sess_log *log = (void *)&o; /* must come back NULL */
    o.path = "";
    ck_assert_int_eq(sess_log_new(&o, 0, 0, &log), -EINVAL);
    ck_assert_ptr_null(log);
    o.path = db_path;
    o.flush_interval_ms = 10;
    ck_assert_int_eq(sess_log_new(&o, 0, 0, &log), -EINVAL);
    const char *const long_name[] = {"a-name-that-is-far-too-long-for-a-charger"};
    o = sess_test_opts(db_path, long_name, 1);
    ck_assert_int_eq(sess_log_new(&o, 0, 0, &log), -EINVAL);
    o.n_charger = 0;
    ck_assert_int_eq(sess_log_new(&o, 0, 0, &log), 0);
    struct sess_sample s = {0};
    ck_assert_int_eq(sess_update(log, 0, 0, 0, &s), -EINVAL);
    ck_assert_int_eq(sess_close_all(log, 0, 0, SESS_END_NONE), -EINVAL);
    sess_log_free(log);
    sess_log_free(NULL);
    ck_assert_str_eq(sess_end_reason_name(SESS_END_CONTROLLER_RESTART), "controller_restart");
    ck_assert_ptr_null(sess_end_reason_name(SESS_END_NONE));
    ck_assert_str_eq(sess_energy_source_name(SESS_ENERGY_TWC_COUNTER), "twc_counter");
}

END_TEST

struct collect {
    struct sess_record rec[8];
    int n;
};

static int collect_row(void *ctx, const struct sess_record *r)
{
    struct collect *c = ctx;
    ck_assert_int_lt(c->n, 8);
    c->rec[c->n++] = *r;
    return 0;
}

/* The module's reader on the test's file. */
static struct sess_reader *open_reader(void)
{
    struct sess_reader *r = NULL;
    char err[256] = "";
    ck_assert_msg(sess_reader_open(db_path, &r, err, sizeof(err)) == 0, "%s", err);
    return r;
}

/* The rows r gives for f (NULL: every row), into c. */
static void read_rows(struct sess_reader *r, const struct sess_filter *f, struct collect *c)
{
    char err[256] = "";
    c->n = 0;
    ck_assert_msg(sess_reader_each(r, f, collect_row, c, err, sizeof(err)) == 0, "%s", err);
}

START_TEST(test_reader_filters_while_the_writer_holds_the_file)
{
    struct sess_log *log = open_log(60000, T0_WALL, T0_MS);
    struct sess_sample s = SESS_TEST_CHARGING_16A, none = {.offered_ma = -1};
    /* bay1: two sessions, bay2: one still open */
    sess_update(log, T0_WALL, T0_MS, 0, &s);
    sess_update(log, T0_WALL + 3600, T0_MS + 3600000, 0, &none);
    sess_update(log, T0_WALL + 86400, T0_MS + 86400000, 0, &s);
    sess_update(log, T0_WALL + 86400 + 60, T0_MS + 86460000, 0, &none);
    sess_update(log, T0_WALL + 90000, T0_MS + 90000000, 1, &s);

    struct sess_reader *r = open_reader();
    struct collect c;
    read_rows(r, NULL, &c);
    ck_assert_int_eq(c.n, 3);
    ck_assert_str_eq(c.rec[0].charger, "bay1");
    ck_assert_int_eq(c.rec[0].end_reason, SESS_END_UNPLUGGED);
    /* 3600 s at 3680 W, but each tick's power counts for at most SESS_TRACK_GAP_MS (30 s) */
    ck_assert_uint_eq(c.rec[0].energy_wh, 30);
    ck_assert_int_eq(c.rec[2].end_reason, SESS_END_NONE);
    ck_assert_int_eq(c.rec[2].end_s, 0);

    struct sess_filter f = {.since_s = T0_WALL + 1};
    read_rows(r, &f, &c);
    ck_assert_int_eq(c.n, 2);
    f.charger = "bay1";
    read_rows(r, &f, &c);
    ck_assert_int_eq(c.n, 1);
    ck_assert_int_eq(c.rec[0].start_s, T0_WALL + 86400);
    f.charger = "nope";
    read_rows(r, &f, &c);
    ck_assert_int_eq(c.n, 0);

    /* the writer commits while the reader is open: the next query sees it */
    sess_update(log, T0_WALL + 90060, T0_MS + 90060000, 1, &none);
    read_rows(r, NULL, &c);
    ck_assert_int_eq(c.rec[2].end_reason, SESS_END_UNPLUGGED);
    sess_reader_free(r);
    sess_log_free(log);

    char err[256] = "";
    ck_assert_int_eq(sess_reader_open("/nonexistent/sessions.db", &r, err, sizeof(err)) < 0, 1);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err, "/nonexistent/sessions.db") != NULL, "%s", err);
}

END_TEST

START_TEST(test_migrates_a_hand_made_version_2_file)
{
    /* version 2 as it shipped: no id_tag, tx_id */
    exec_sql(V1_SCHEMA
             "ALTER TABLE sessions ADD COLUMN integrated_wh INTEGER NOT NULL DEFAULT 0;"
             "ALTER TABLE sessions ADD COLUMN charging_s INTEGER NOT NULL DEFAULT 0;"
             "ALTER TABLE sessions ADD COLUMN charged_until_s INTEGER;"
             "CREATE INDEX sessions_open ON sessions(end_s) WHERE end_s IS NULL;"
             "INSERT INTO sessions (id, charger, start_s, end_s, updated_s, energy_wh,"
             " end_reason, charging_s) VALUES (1, 'bay1', 100, 200, 200, 1500, 'full', 90);"
             "PRAGMA user_version = 2;");
    struct sess_log *log = open_log(60000, T0_WALL, T0_MS);
    ck_assert_int_eq(peek("PRAGMA user_version"), 3);
    ck_assert_int_eq(peek("SELECT charging_s FROM sessions WHERE id = 1"), 90);
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions WHERE id_tag IS NULL AND tx_id IS NULL"),
                     1);
    sess_log_free(log);
    struct sess_reader *r = open_reader();
    struct collect c;
    read_rows(r, NULL, &c);
    ck_assert_int_eq(c.n, 1);
    ck_assert_str_eq(c.rec[0].id_tag, "");
    ck_assert_int_eq(c.rec[0].tx_id, 0);
    ck_assert_int_eq(c.rec[0].end_reason, SESS_END_FULL);
    sess_reader_free(r);
}

END_TEST

START_TEST(test_a_chargers_transaction_round_trips)
{
    struct sess_log *log = open_log(60000, T0_WALL, T0_MS);
    /* an OCPP transaction: started with its tag, id and meterStart, progress from the register,
     * stopped by the charger with meterStop */
    struct sess_sample s = SESS_TEST_CHARGING_16A;
    s.id_tag = "04A2B3C4";
    s.tx_id = 1764979201;
    s.counter_source = SESS_ENERGY_METER;
    s.counter_wh = 50000;
    ck_assert_int_eq(sess_update(log, T0_WALL, T0_MS, 0, &s), 0);
    char buf[64];
    ck_assert_str_eq(peek_text("SELECT id_tag FROM sessions", buf, sizeof(buf)), "04A2B3C4");
    ck_assert_int_eq(peek("SELECT tx_id FROM sessions"), 1764979201);
    s.counter_wh = 50400;
    ck_assert_int_eq(sess_update(log, T0_WALL + 60, T0_MS + 60000, 0, &s), 0);
    struct sess_sample stop = {.end_reason = SESS_END_FAULT,
                               .counter_source = SESS_ENERGY_METER,
                               .counter_wh = 50750,
                               .tx_id = 1764979201,
                               .offered_ma = -1};
    ck_assert_int_eq(sess_update(log, T0_WALL + 90, T0_MS + 90000, 0, &stop), 0);
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 1);
    ck_assert_str_eq(peek_text("SELECT end_reason FROM sessions", buf, sizeof(buf)), "fault");
    ck_assert_int_eq(peek("SELECT energy_wh FROM sessions"), 750);
    ck_assert_str_eq(peek_text("SELECT energy_source FROM sessions", buf, sizeof(buf)), "meter");
    ck_assert_int_eq(peek("SELECT end_s FROM sessions"), T0_WALL + 90);
    /* a stop with nothing open neither ends nor starts anything */
    ck_assert_int_eq(sess_update(log, T0_WALL + 95, T0_MS + 95000, 0, &stop), 0);
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 1);
    ck_assert(!sess_log_current(log, 0, &(struct sess_record){0}));
    stop.end_reason = SESS_END_COUNT;
    ck_assert_int_eq(sess_update(log, T0_WALL + 96, T0_MS + 96000, 0, &stop), -EINVAL);

    struct sess_reader *r = open_reader();
    struct collect c;
    read_rows(r, NULL, &c);
    ck_assert_int_eq(c.n, 1);
    ck_assert_str_eq(c.rec[0].id_tag, "04A2B3C4");
    ck_assert_int_eq(c.rec[0].tx_id, 1764979201);
    ck_assert_uint_eq(c.rec[0].energy_wh, 750);
    sess_reader_free(r);
    sess_log_free(log);
}

END_TEST

START_TEST(test_busy_file_is_retried_and_nothing_is_lost)
{
    struct sess_opts o = opts();
    o.retry_interval_ms = 5000;
    struct sess_log *log = open_with(&o, T0_WALL, T0_MS);
    /* another writer (an admin's sqlite3 shell) holds the write lock */
    sqlite3 *other = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &other), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    struct sess_sample s = SESS_TEST_CHARGING_16A, none = {.offered_ma = -1};
    ck_assert_int_eq(sess_update(log, T0_WALL, T0_MS, 0, &s), -EBUSY);
    ck_assert_msg(strstr(sess_log_error(log), "locked") != NULL, "%s", sess_log_error(log));
    ck_assert_int_eq(sess_update(log, T0_WALL + 1, T0_MS + 1000, 0, &s), 0); /* no retry yet */
    ck_assert_int_eq(sess_update(log, T0_WALL + 2, T0_MS + 2000, 0, &none), 0);
    ck_assert_uint_eq(sess_log_pending(log), 1);
    ck_assert_int_eq(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    ck_assert_int_eq(sess_update(log, T0_WALL + 4, T0_MS + 4000, 0, &none), 0);
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 0);
    ck_assert_int_eq(sess_update(log, T0_WALL + 5, T0_MS + 5000, 0, &none), 0);
    ck_assert(sess_log_is_writing(log));
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 1);
    ck_assert_int_eq(peek("SELECT end_s - start_s FROM sessions"), 2);
    ck_assert_int_eq(peek("SELECT energy_wh FROM sessions"), 2 * SESS_TEST_16A_W / 3600);
    sess_log_free(log);
}

END_TEST

START_TEST(test_reload_keeps_sessions_of_chargers_that_stay)
{
    struct sess_log *log = open_log(60000, T0_WALL, T0_MS);
    struct sess_sample s = SESS_TEST_CHARGING_16A;
    ck_assert_int_eq(sess_update(log, T0_WALL, T0_MS, 0, &s), 0); /* bay1: row 1 */
    ck_assert_int_eq(sess_update(log, T0_WALL, T0_MS, 1, &s), 0); /* bay2: row 2 */
    ck_assert_int_eq(sess_update(log, T0_WALL + 10, T0_MS + 10000, 1, &s), 0);
    /* the new config drops bay1, keeps bay2 (now first) and adds bay3 */
    const char *const next[] = {"bay2", "bay3"};
    ck_assert_int_eq(sess_log_set_chargers(log, next, 2, T0_WALL + 20, T0_MS + 20000), 0);
    char buf[32];
    ck_assert_str_eq(peek_text("SELECT end_reason FROM sessions WHERE id = 1", buf, sizeof(buf)),
                     "shutdown");
    ck_assert_int_eq(peek("SELECT end_s FROM sessions WHERE id = 1"), T0_WALL + 20);
    struct sess_record cur;
    ck_assert(sess_log_current(log, 0, &cur));
    ck_assert_str_eq(cur.charger, "bay2");
    ck_assert_int_eq(cur.id, 2);
    ck_assert(!sess_log_current(log, 1, &cur));
    ck_assert_int_eq(sess_update(log, T0_WALL + 30, T0_MS + 30000, 0, &s), 0);
    ck_assert_int_eq(sess_close_all(log, T0_WALL + 40, T0_MS + 40000, SESS_END_SHUTDOWN), 0);
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 2);
    /* bay2's session went on across the reload: 40 s at 3680 W = 40.9 Wh */
    ck_assert_int_eq(peek("SELECT energy_wh FROM sessions WHERE id = 2"), 40);
    ck_assert_int_eq(sess_update(log, T0_WALL + 50, T0_MS + 50000, 2, &s), -EINVAL);
    const char *const bad[] = {NULL};
    ck_assert_int_eq(sess_log_set_chargers(log, bad, 1, T0_WALL, T0_MS), -EINVAL);
    sess_log_free(log);
}

END_TEST

/* Without a tmpfs to fill (test_sessions_disk needs mount rights), a file size limit makes
 * every write past the WAL's current end fail with EFBIG: a real write failure mid-run. */
START_TEST(test_write_failure_mid_run_is_reported_and_caught_up)
{
    struct sess_opts o = opts();
    o.flush_interval_ms = 1000;
    o.retry_interval_ms = 10000;
    struct sess_log *log = open_with(&o, T0_WALL, T0_MS);
    struct sess_sample s = SESS_TEST_CHARGING_16A, none = {.offered_ma = -1};
    int t = 0;
    for (; t < 10; t++) {
        ck_assert_int_eq(sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 0, &s), 0);
    }
    char wal[160];
    snprintf(wal, sizeof(wal), "%s-wal", db_path);
    struct stat st_wal, st_db;
    ck_assert_int_eq(stat(wal, &st_wal), 0);
    ck_assert_int_eq(stat(db_path, &st_db), 0);
    /* neither file may grow: no WAL append, and no checkpoint that would let the WAL restart */
    struct rlimit old, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)(st_db.st_size < st_wal.st_size ? st_db.st_size : st_wal.st_size);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int failures = 0;
    for (; t <= 20; t++) {
        /* bay2 plugs in at t = 10: its first row is in the transaction that fails */
        /* at t = 10 bay2 goes first, so its new row is in the transaction that fails; at
         * t = 20 bay1 goes first, so its finished session waits through the failed retry */
        for (size_t i = 0; i < 2; i++) {
            size_t c = t == 20 ? i : 1 - i;
            int rc =
                sess_update(log, T0_WALL + t, T0_MS + t * 1000u, c, c == 1 || t < 20 ? &s : &none);
            if (rc) {
                ck_assert_msg(rc == -EFBIG || rc == -EIO, "%d %s", rc, sess_log_error(log));
                failures++;
            }
        }
    }
    ck_assert_int_eq(failures, 2); /* t = 10, then the retry at t = 20 */
    ck_assert_msg(strstr(sess_log_error(log), db_path) != NULL, "%s", sess_log_error(log));
    ck_assert_uint_eq(sess_log_pending(log), 1);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    for (; t <= 30; t++) {
        ck_assert_int_eq(sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 0, &none), 0);
        ck_assert_int_eq(sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 1, &s), 0);
    }
    ck_assert(sess_log_is_writing(log));
    ck_assert_uint_eq(sess_log_pending(log), 0);
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 2);
    ck_assert_int_eq(peek("SELECT end_s FROM sessions WHERE charger = 'bay1'"), T0_WALL + 20);
    ck_assert_int_eq(peek("SELECT energy_wh FROM sessions WHERE charger = 'bay1'"),
                     20 * SESS_TEST_16A_W / 3600);
    /* bay2's row, inserted only by the retry, carries its progress */
    ck_assert_int_eq(peek("SELECT start_s FROM sessions WHERE charger = 'bay2'"), T0_WALL + 10);
    ck_assert_int_eq(sess_flush(log, T0_WALL + 31, T0_MS + 31000), 0);
    ck_assert_int_eq(peek("SELECT updated_s FROM sessions WHERE charger = 'bay2'"), T0_WALL + 30);
    char buf[16];
    ck_assert_str_eq(peek_text("PRAGMA integrity_check", buf, sizeof(buf)), "ok");
    sess_log_free(log);
}

END_TEST

START_TEST(test_missing_directory_is_created)
{
    snprintf(db_path, sizeof(db_path), "%s/state/sessions.db", dir);
    struct sess_log *log = open_log(60000, T0_WALL, T0_MS);
    ck_assert(sess_log_is_writing(log));
    sess_log_free(log);
    ck_assert_int_eq(access(db_path, F_OK), 0);
}

END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sessions");
    TCase *tc = tcase_create("sqlite");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rows_at_start_progress_on_cadence_and_end);
    tcase_add_test(tc, test_flush_cadence_follows_the_option);
    tcase_add_test(tc, test_open_rows_closed_as_controller_restart);
    tcase_add_test(tc, test_migrates_a_hand_made_version_1_file);
    tcase_add_test(tc, test_migrates_a_hand_made_version_2_file);
    tcase_add_test(tc, test_a_chargers_transaction_round_trips);
    tcase_add_test(tc, test_refuses_newer_and_foreign_files_but_keeps_working);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_reader_filters_while_the_writer_holds_the_file);
    tcase_add_test(tc, test_busy_file_is_retried_and_nothing_is_lost);
    tcase_add_test(tc, test_reload_keeps_sessions_of_chargers_that_stay);
    tcase_add_test(tc, test_write_failure_mid_run_is_reported_and_caught_up);
    tcase_add_test(tc, test_missing_directory_is_created);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(suite)
