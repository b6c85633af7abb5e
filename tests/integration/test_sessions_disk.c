/* SPDX-License-Identifier: MIT */
/*
 * The session log on a disk that fails: a real full filesystem (a tiny tmpfs filled up) and a
 * real read-only one (a tmpfs mounted read-only). Charging goes on, the failure comes back as a
 * code and a message, the module retries on its own cadence, and once the disk is usable again
 * every session is in the file. Mounting needs root with CAP_SYS_ADMIN; without it the test
 * says so and exits 77 (ctest reports it as skipped, never as passed).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "controller/sessions.h"
#include "tests/support/sess_test.h"

#define T0_WALL 1764979200
#define T0_MS   1000000

static char dir[64];
static char mnt[96];
static char db_path[160];
static char filler[160];
static const char *const names[] = {"bay1", "bay2"};

static int mount_tmpfs(const char *opts)
{
    return mount("tmpfs", mnt, "tmpfs", 0, opts) == 0 ? 0 : -errno;
}

static void setup(void)
{
    /* A mount namespace of the test's own (Check forks each test): its tmpfs goes away with the
     * process even when an assertion ends the test before teardown. */
    ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
    ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
    sess_test_dir("amp_disk", dir, sizeof(dir), db_path, sizeof(db_path));
    snprintf(mnt, sizeof(mnt), "%s/m", dir);
    ck_assert_int_eq(mkdir(mnt, 0700), 0);
    snprintf(db_path, sizeof(db_path), "%s/sessions.db", mnt);
    snprintf(filler, sizeof(filler), "%s/filler", mnt);
}

static void teardown(void)
{
    (void)umount2(mnt, MNT_DETACH);
    sess_test_rmdir(dir);
}

static struct sess_log *new_log(int *rc)
{
    struct sess_opts o = SESS_OPTS_DEFAULT;
    o.path = db_path;
    o.charger = names;
    o.n_charger = 2;
    o.flush_interval_ms = 1000;
    o.retry_interval_ms = 10000;
    struct sess_log *log = NULL;
    *rc = sess_log_new(&o, T0_WALL, T0_MS, &log);
    ck_assert_ptr_nonnull(log);
    return log;
}

static int64_t peek(const char *sql)
{
    return sess_test_peek(db_path, sql);
}

static const struct sess_sample charging = {
    .connected = true,
    .charging = true,
    .current_ma = {16000, 0, 0},
    .offered_ma = 16000,
};
static const struct sess_sample unplugged = {.offered_ma = -1};

/* Fills the filesystem with one file until it refuses. */
static void fill_up(void)
{
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    char block[4096];
    memset(block, 0xa5, sizeof(block));
    ssize_t n;
    while ((n = write(fd, block, sizeof(block))) > 0) {
    }
    ck_assert_int_eq(errno, ENOSPC);
    close(fd);
}

START_TEST(test_full_disk_keeps_sessions_in_memory_and_catches_up)
{
    ck_assert_int_eq(mount_tmpfs("size=1m,mode=0700"), 0);
    int rc;
    struct sess_log *log = new_log(&rc);
    ck_assert_msg(rc == 0, "%s", sess_log_error(log));
    /* bay1 charges from t = 0 to t = 20, committing every second */
    int t = 0;
    for (; t < 10; t++) {
        ck_assert_int_eq(sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 0, &charging), 0);
    }
    fill_up();
    int failures = 0, first_fail = -1;
    for (; t <= 20; t++) {
        rc = sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 0, t < 20 ? &charging : &unplugged);
        if (rc != 0) {
            ck_assert_int_eq(rc, -ENOSPC);
            failures++;
            first_fail = first_fail < 0 ? t : first_fail;
        }
    }
    ck_assert_msg(failures >= 1, "no write failed on a full disk");
    ck_assert_msg(strstr(sess_log_error(log), "full") != NULL, "%s", sess_log_error(log));
    ck_assert(!sess_log_is_writing(log));
    /* while failing, the file is tried again only every retry_interval_ms (10 s) */
    ck_assert_int_le(failures, 2);
    /* bay2 plugs in and charges meanwhile; bay1's finished session waits in memory */
    for (; t <= 40; t++) {
        rc = sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 1, &charging);
        ck_assert(rc == 0 || rc == -ENOSPC);
    }
    ck_assert_uint_eq(sess_log_pending(log), 1);
    struct sess_record cur;
    ck_assert(sess_log_current(log, 1, &cur));
    ck_assert_int_eq(cur.start_s, T0_WALL + 21);

    /* space again: the next retry writes everything */
    ck_assert_int_eq(unlink(filler), 0);
    int ok_at = -1;
    for (; t <= 70 && ok_at < 0; t++) {
        rc = sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 1, &charging);
        if (rc == 0 && sess_log_is_writing(log)) {
            ok_at = t;
        }
    }
    ck_assert_int_ge(ok_at, 0);
    ck_assert_int_le(ok_at, 41 + 10); /* within one retry interval */
    ck_assert_uint_eq(sess_log_pending(log), 0);
    ck_assert_str_eq(sess_log_error(log), "");
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 2);
    ck_assert_int_eq(peek("SELECT end_s FROM sessions WHERE charger = 'bay1'"), T0_WALL + 20);
    /* 20 s at 3680 W = 20.4 Wh */
    ck_assert_int_eq(peek("SELECT energy_wh FROM sessions WHERE charger = 'bay1'"), 20);
    ck_assert_int_eq(peek("SELECT start_s FROM sessions WHERE charger = 'bay2'"), T0_WALL + 21);
    ck_assert_int_eq(peek("SELECT end_s FROM sessions WHERE charger = 'bay2'"), -2);
    /* the row inserted before the disk filled was updated, not inserted twice */
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions WHERE charger = 'bay1'"), 1);
    sess_log_free(log);
}

END_TEST

static int count_row(void *ctx, const struct sess_record *rec)
{
    ck_assert_int_eq(rec->start_s, T0_WALL - 600);
    (*(int *)ctx)++;
    return 0;
}

START_TEST(test_read_only_disk_at_start_then_writable)
{
    /* an earlier run left a session open; then the filesystem comes up read-only */
    ck_assert_int_eq(mount_tmpfs("size=1m,mode=0700"), 0);
    int rc;
    struct sess_log *log = new_log(&rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(sess_update(log, T0_WALL - 600, T0_MS, 0, &charging), 0);
    sess_log_free(log);
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions WHERE end_s IS NULL"), 1);
    ck_assert_int_eq(mount("tmpfs", mnt, "tmpfs", MS_REMOUNT | MS_RDONLY, NULL), 0);

    /* the reader still lists it: no -wal, a directory it cannot write, read as immutable */
    struct sess_reader *r = NULL;
    char err[256] = "";
    ck_assert_msg(sess_reader_open(db_path, &r, err, sizeof(err)) == 0, "%s", err);
    int rows = 0;
    ck_assert_int_eq(sess_reader_each(r, NULL, count_row, &rows, err, sizeof(err)), 0);
    ck_assert_int_eq(rows, 1);
    sess_reader_free(r);

    log = new_log(&rc);
    ck_assert_msg(rc < 0, "a read-only file opened for writing");
    fprintf(stderr, "read-only at start: %d %s\n", rc, sess_log_error(log));
    ck_assert_msg(strstr(sess_log_error(log), db_path) != NULL, "%s", sess_log_error(log));
    ck_assert(!sess_log_is_writing(log));
    /* a whole session on bay1 and the start of one on bay2, in memory */
    int t = 0;
    for (; t <= 30; t++) {
        rc = sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 0, t < 30 ? &charging : &unplugged);
        ck_assert_int_le(rc, 0);
        rc = sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 1, t >= 25 ? &charging : &unplugged);
        ck_assert_int_le(rc, 0);
    }
    ck_assert_uint_eq(sess_log_pending(log), 1);
    ck_assert_int_eq(mount("tmpfs", mnt, "tmpfs", MS_REMOUNT, NULL), 0);
    int ok_at = -1;
    for (; t <= 60 && ok_at < 0; t++) {
        rc = sess_update(log, T0_WALL + t, T0_MS + t * 1000u, 1, &charging);
        if (rc == 0 && sess_log_is_writing(log)) {
            ok_at = t;
        }
    }
    ck_assert_int_ge(ok_at, 0);
    /* the earlier run's row closed, the two sessions of this run written */
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions"), 3);
    ck_assert_int_eq(peek("SELECT count(*) FROM sessions WHERE end_reason = 'controller_restart'"),
                     1);
    ck_assert_int_eq(peek("SELECT end_s FROM sessions WHERE end_reason = 'controller_restart'"),
                     T0_WALL - 600);
    ck_assert_int_eq(peek("SELECT end_s FROM sessions WHERE end_reason = 'unplugged'"),
                     T0_WALL + 30);
    ck_assert_int_eq(peek("SELECT energy_wh FROM sessions WHERE end_reason = 'unplugged'"),
                     30 * 3680 / 3600);
    ck_assert_int_eq(peek("SELECT start_s FROM sessions WHERE charger = 'bay2'"), T0_WALL + 25);
    sess_log_free(log);
}

END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sessions_disk");
    TCase *tc = tcase_create("tmpfs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_full_disk_keeps_sessions_in_memory_and_catches_up);
    tcase_add_test(tc, test_read_only_disk_at_start_then_writable);
    suite_add_tcase(s, tc);
    return s;
}

/* Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, not in every container). */
static int can_mount(char *why, size_t cap)
{
    char d[] = "/tmp/amp_mnt_XXXXXX";
    if (!mkdtemp(d)) {
        snprintf(why, cap, "mkdtemp: %s", strerror(errno));
        return 0;
    }
    int ok = mount("tmpfs", d, "tmpfs", 0, "size=64k") == 0;
    if (!ok) {
        snprintf(why, cap, "mount -t tmpfs: %s", strerror(errno));
    } else {
        (void)umount2(d, MNT_DETACH);
    }
    rmdir(d);
    return ok;
}

int main(void)
{
    char why[128];
    if (!can_mount(why, sizeof(why))) {
        printf("SKIP: the full and read-only disk tests need to mount a tmpfs (%s)\n", why);
        return 77;
    }
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
