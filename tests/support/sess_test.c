/* SPDX-License-Identifier: MIT */
#include "tests/support/sess_test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include <check.h>

struct sess_opts sess_test_opts(const char *db, const char *const *names, size_t n)
{
    struct sess_opts o = SESS_OPTS_DEFAULT;
    o.path = db;
    o.charger = names;
    o.n_charger = n;
    return o;
}

void sess_test_dir(const char *prefix, char *dir, size_t dir_cap, char *db, size_t db_cap)
{
    snprintf(dir, dir_cap, "/tmp/%s_XXXXXX", prefix);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db, db_cap, "%s/sessions.db", dir);
}

void sess_test_rmdir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static sqlite3_stmt *query(const char *db, const char *sql, sqlite3 **conn)
{
    ck_assert_int_eq(sqlite3_open_v2(db, conn, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ck_assert_msg(sqlite3_prepare_v2(*conn, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(*conn));
    return st;
}

int64_t sess_test_peek(const char *db, const char *sql)
{
    sqlite3 *conn = NULL;
    sqlite3_stmt *st = query(db, sql, &conn);
    int64_t v = SESS_TEST_NONE;
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_type(st, 0) == SQLITE_NULL ? SESS_TEST_NULL
                                                      : sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(conn);
    return v;
}

char *sess_test_peek_text(const char *db, const char *sql, char *buf, size_t cap)
{
    sqlite3 *conn = NULL;
    sqlite3_stmt *st = query(db, sql, &conn);
    buf[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(conn);
    return buf;
}

void sess_test_exec(const char *db, const char *sql)
{
    sqlite3 *conn = NULL;
    ck_assert_int_eq(sqlite3_open(db, &conn), SQLITE_OK);
    char *msg = NULL;
    int src = sqlite3_exec(conn, sql, NULL, NULL, &msg);
    ck_assert_msg(src == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
    sqlite3_close(conn);
}
