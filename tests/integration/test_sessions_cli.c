/* SPDX-License-Identifier: MIT */
/*
 * `ampshare sessions` as a process, on a log the module writes and still holds open (WAL, an
 * uncheckpointed session in it): JSON checked by Python's json (strict UTF-8), CSV by its csv
 * module (RFC 4180) and against the JSON field by field, the text table, the filters, the
 * config lookup, and a hand-edited row with quotes, commas, a line break and bytes that are not
 * UTF-8. Expected values are worked out by hand from the samples fed.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <check.h>

#include "controller/sessions.h"
#include "tests/support/check_main.h"
#include "tests/support/sess_test.h"

#define T0_WALL 1764979200 /* 2025-12-06T00:00:00Z */
#define T0_MS   1000000

static char dir[64];
static char db_path[128];

static void setup(void)
{
    sess_test_dir("amp_scli", dir, sizeof(dir), db_path, sizeof(db_path));
}

static void teardown(void)
{
    sess_test_rmdir(dir);
}

/* Runs `ampshare sessions ARGS > out 2> err`; returns the exit status. */
static int run(const char *args, const char *out)
{
    const char *bin = getenv("AMPSHARE_BIN");
    ck_assert_ptr_nonnull(bin);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' sessions %s > '%s/%s' 2> '%s/err'", bin, args, dir, out, dir);
    int st = system(cmd);
    ck_assert(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static char *slurp(const char *name, char *buf, size_t cap)
{
    char path[192];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void write_file(const char *name, const char *text)
{
    char path[192];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Feeds charger i one sample every 10 s over [from, to) seconds after T0. */
static void feed(struct sess_log *log, size_t i, int from, int to, const struct sess_sample *s)
{
    for (int t = from; t < to; t += 10) {
        ck_assert_int_eq(sess_update(log, T0_WALL + t, T0_MS + (uint64_t)t * 1000, i, s), 0);
    }
}

static const char *const names[] = {"bay1", "bay2", "garage.3"};

/* The site's log: three sessions by the module, the last still open, and one odd row. */
static struct sess_log *make_log(void)
{
    struct sess_opts o = SESS_OPTS_DEFAULT;
    o.path = db_path;
    o.charger = names;
    o.n_charger = 3;
    struct sess_log *log = NULL;
    ck_assert_int_eq(sess_log_new(&o, T0_WALL, T0_MS, &log), 0);
    struct sess_sample s = {
        .connected = true,
        .charging = true,
        .current_ma = {16000, 0, 0},
        .offered_ma = 16000,
        .vin = "5YJ3E1EA7KF000001",
    };
    struct sess_sample none = {.offered_ma = -1};
    /* bay1: a Tesla, 16 A for an hour from T0: 3680 Wh integrated, unplugged */
    feed(log, 0, 0, 3600, &s);
    feed(log, 0, 3600, 3610, &none);
    /* bay2: a meter's register, 7 kWh over two hours at 3 x 10 A, then idle with an offer
     * for ten minutes: full */
    struct sess_sample m = {
        .connected = true,
        .charging = true,
        .current_ma = {10000, 10000, 10000},
        .offered_ma = 10000,
        .counter_source = SESS_ENERGY_METER,
    };
    for (int t = 7200; t < 14400; t += 10) {
        m.counter_wh = 1000000 + (uint64_t)(t - 7200) * 7000 / 7200;
        feed(log, 1, t, t + 10, &m);
    }
    m.charging = false;
    m.current_ma[0] = m.current_ma[1] = m.current_ma[2] = 0;
    m.counter_wh = 1007000;
    feed(log, 1, 14400, 15000, &m);
    feed(log, 1, 15000, 15010, &none);
    /* garage.3: charging since T0 + 20000, still open */
    s.vin = NULL;
    s.current_ma[0] = 32000;
    feed(log, 2, 20000, 20100, &s);

    /* a row edited by hand: quotes, a comma and a line break in the name, bytes that are not
     * UTF-8 and a control character in the VIN */
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_int_eq(
        sqlite3_exec(db,
                     "INSERT INTO sessions (charger, vin, start_s, end_s, updated_s, energy_wh,"
                     " end_reason) VALUES ('bay \"3\", east' || char(10) || 'line',"
                     " CAST(x'fffe41422201' AS TEXT), 1764979300, 1764979360, 1764979360, 5,"
                     " 'fault')",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    return log;
}

/* clang-format off */
static const char expect_all[] =
    "[{\"id\": 1, \"charger\": \"bay1\", \"vin\": \"5YJ3E1EA7KF000001\","
    "  \"start\": \"2025-12-06T00:00:00Z\", \"end\": \"2025-12-06T01:00:00Z\","
    "  \"duration_s\": 3600, \"energy_wh\": 3680, \"energy_source\": \"integrated\","
    "  \"integrated_wh\": 3680, \"peak_ma\": 16000, \"mean_ma\": 16000, \"charging_s\": 3600,"
    "  \"charged_until\": \"2025-12-06T01:00:00Z\", \"end_reason\": \"unplugged\"},"
    " {\"id\": 4, \"charger\": \"bay \\\"3\\\", east\\nline\", \"vin\": \"\\ufffd\\ufffdAB\\\"\\u0001\","
    "  \"start\": \"2025-12-06T00:01:40Z\", \"end\": \"2025-12-06T00:02:40Z\", \"duration_s\": 60,"
    "  \"energy_wh\": 5, \"energy_source\": \"integrated\", \"charged_until\": null,"
    "  \"end_reason\": \"fault\"},"
    " {\"id\": 2, \"charger\": \"bay2\", \"vin\": null, \"start\": \"2025-12-06T02:00:00Z\","
    "  \"end\": \"2025-12-06T04:10:00Z\", \"energy_wh\": 7000, \"energy_source\": \"meter\","
    "  \"integrated_wh\": 13800, \"peak_ma\": 10000, \"mean_ma\": 10000, \"charging_s\": 7200,"
    "  \"charged_until\": \"2025-12-06T04:00:00Z\", \"end_reason\": \"full\"},"
    " {\"id\": 3, \"charger\": \"garage.3\", \"vin\": null, \"start\": \"2025-12-06T05:33:20Z\","
    "  \"end\": null, \"end_reason\": null, \"peak_ma\": 32000}]";

/* clang-format on */

START_TEST(test_json_and_csv_by_python_parsers)
{
    struct sess_log *log = make_log();
    write_file("expect.json", expect_all);
    char args[256];
    snprintf(args, sizeof(args), "--db %s --json", db_path);
    ck_assert_int_eq(run(args, "out.json"), 0);
    snprintf(args, sizeof(args), "--db=%s --csv", db_path);
    ck_assert_int_eq(run(args, "out.csv"), 0);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 '%s/tests/integration/sessions_check.py' "
             "'%s/out.json' '%s/out.csv' '%s/expect.json'",
             getenv("AMPSHARE_SRC"), dir, dir, dir);
    int st = system(cmd);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sessions_check.py failed");
    sess_log_free(log);
}

END_TEST

START_TEST(test_text_filters_and_config)
{
    struct sess_log *log = make_log();
    char args[256], buf[8192];
    snprintf(args, sizeof(args), "--db %s", db_path);
    ck_assert_int_eq(run(args, "out.txt"), 0);
    slurp("out.txt", buf, sizeof(buf));
    ck_assert_msg(strstr(buf, "CHARGER") && strstr(buf, "START (UTC)"), "%s", buf);
    ck_assert_msg(strstr(buf, "2025-12-06 00:00:00  2025-12-06 01:00:00      1:00      3.680  "
                              "integrated     16.0    16.0  5YJ3E1EA7KF000001   unplugged"),
                  "%s", buf);
    ck_assert_msg(strstr(buf, "(open)") != NULL, "%s", buf);
    ck_assert_msg(strstr(buf, "bay \"3\", east\\x0aline") != NULL, "%s", buf); /* no raw newline */

    snprintf(args, sizeof(args), "--db %s --json --charger bay2", db_path);
    ck_assert_int_eq(run(args, "out.json"), 0);
    slurp("out.json", buf, sizeof(buf));
    ck_assert_msg(strstr(buf, "\"charger\": \"bay2\"") && !strstr(buf, "bay1"), "%s", buf);

    snprintf(args, sizeof(args), "--db %s --csv --since 2025-12-06T02:00", db_path);
    ck_assert_int_eq(run(args, "out.csv"), 0);
    slurp("out.csv", buf, sizeof(buf));
    ck_assert_msg(strstr(buf, "\r\n2,bay2,") && strstr(buf, "\r\n3,garage.3,") &&
                      !strstr(buf, "bay1"),
                  "%s", buf);
    snprintf(args, sizeof(args), "--db %s --csv --since @1764979301", db_path);
    ck_assert_int_eq(run(args, "out.csv"), 0);
    slurp("out.csv", buf, sizeof(buf));
    ck_assert_msg(!strstr(buf, "east") && strstr(buf, "bay2"), "%s", buf);
    snprintf(args, sizeof(args), "--db %s --json --charger nobody", db_path);
    ck_assert_int_eq(run(args, "out.json"), 0);
    ck_assert_str_eq(slurp("out.json", buf, sizeof(buf)), "[\n]\n");

    /* the path from the config's [sessions] db */
    char ini[256];
    snprintf(ini, sizeof(ini), "[site]\nsupply_limit_a = 40\n[sessions]\ndb = %s\n", db_path);
    write_file("site.ini", ini);
    snprintf(args, sizeof(args), "--config %s/site.ini --json --charger garage.3", dir);
    ck_assert_int_eq(run(args, "out.json"), 0);
    ck_assert_msg(strstr(slurp("out.json", buf, sizeof(buf)), "garage.3") != NULL, "%s", buf);
    write_file("bad.ini", "[sessions]\ndbx = /x\n");
    snprintf(args, sizeof(args), "--config %s/bad.ini", dir);
    ck_assert_int_eq(run(args, "out.txt"), 1);
    ck_assert_msg(strstr(slurp("err", buf, sizeof(buf)), "bad.ini:2:") != NULL, "%s", buf);
    sess_log_free(log);

    /* bad arguments and a missing file */
    ck_assert_int_eq(run("--since 2025-13-01", "out.txt"), 2);
    ck_assert_int_eq(run("--since 2025-02-30", "out.txt"), 2);
    ck_assert_int_eq(run("--csv --json --db x", "out.txt"), 2);
    ck_assert_int_eq(run("--bogus", "out.txt"), 2);
    ck_assert_int_eq(run("--db", "out.txt"), 2);
    snprintf(args, sizeof(args), "--db %s/none.db", dir);
    ck_assert_int_eq(run(args, "out.txt"), 1);
    ck_assert_msg(strstr(slurp("err", buf, sizeof(buf)), "none.db") != NULL, "%s", buf);
    ck_assert_int_eq(run("--help", "out.txt"), 0);
    ck_assert_msg(strstr(slurp("out.txt", buf, sizeof(buf)), "usage: ampshare sessions") != NULL,
                  "%s", buf);
}

END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sessions_cli");
    TCase *tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_json_and_csv_by_python_parsers);
    tcase_add_test(tc, test_text_filters_and_config);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(suite)
