/* SPDX-License-Identifier: MIT */
/*
 * The sd_notify protocol (spoken by controller/sdnotify.c itself) to a real AF_UNIX datagram
 * socket set as NOTIFY_SOCKET, as systemd would listen: the exact datagrams READY/STATUS/WATCHDOG/STOPPING/RELOADING, nothing without a
 * socket, an error for a socket that is gone, and the watchdog interval from WATCHDOG_USEC/PID.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <check.h>

#include "controller/sdnotify.h"
#include "tests/support/check_main.h"

struct listener {
    int fd;
    char path[108];
};

static void listen_at(struct listener *l, bool abstract)
{
    memset(l, 0, sizeof(*l));
    l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(l->fd, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    socklen_t len;
    if (abstract) {
        snprintf(l->path, sizeof(l->path), "@ampshare-test-notify-%ld", (long)getpid());
        sa.sun_path[0] = '\0';
        memcpy(sa.sun_path + 1, l->path + 1, strlen(l->path) - 1);
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(l->path));
    } else {
        snprintf(l->path, sizeof(l->path), "/tmp/ampshare-notify-%ld.sock", (long)getpid());
        unlink(l->path);
        memcpy(sa.sun_path, l->path, strlen(l->path) + 1);
        len = sizeof(sa);
    }
    ck_assert_int_eq(bind(l->fd, (struct sockaddr *)&sa, len), 0);
    ck_assert_int_eq(setenv("NOTIFY_SOCKET", l->path, 1), 0);
}

static void listener_close(struct listener *l)
{
    close(l->fd);
    if (l->path[0] == '/') {
        unlink(l->path);
    }
    unsetenv("NOTIFY_SOCKET");
}

/* The next datagram (already sent: sd_notify returns after sendmsg). */
static void expect_datagram(const struct listener *l, const char *want)
{
    char buf[1024];
    ssize_t n = recv(l->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    ck_assert_msg(n >= 0, "no datagram: %s", strerror(errno));
    buf[n] = '\0';
    ck_assert_str_eq(buf, want);
}

static void expect_nothing(const struct listener *l)
{
    char buf[16];
    ck_assert_int_lt(recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT), 0);
    ck_assert_int_eq(errno, EAGAIN);
}

START_TEST(test_messages_reach_the_notify_socket_byte_exact)
{
    struct listener l;
    listen_at(&l, false);
    ck_assert_int_eq(sdnotify_ready("2 buses, 5 chargers"), 1);
    expect_datagram(&l, "READY=1\nSTATUS=2 buses, 5 chargers");
    ck_assert_int_eq(sdnotify_ready(NULL), 1);
    expect_datagram(&l, "READY=1");
    ck_assert_int_eq(sdnotify_watchdog(), 1);
    expect_datagram(&l, "WATCHDOG=1");
    ck_assert_int_eq(sdnotify_status("charging %d of %d, %d mA", 2, 3, 31000), 1);
    expect_datagram(&l, "STATUS=charging 2 of 3, 31000 mA");
    ck_assert_int_eq(sdnotify_reloading("reloading /etc/ampshare/ampshare.ini"), 1);
    expect_datagram(&l, "RELOADING=1\nSTATUS=reloading /etc/ampshare/ampshare.ini");
    ck_assert_int_eq(sdnotify_stopping("safe stop: 6 A to every charger"), 1);
    expect_datagram(&l, "STOPPING=1\nSTATUS=safe stop: 6 A to every charger");
    expect_nothing(&l);
    listener_close(&l);
}

END_TEST

START_TEST(test_a_newline_in_a_status_cannot_inject_another_assignment)
{
    struct listener l;
    listen_at(&l, false);
    ck_assert_int_eq(sdnotify_status("bad config\nREADY=1"), 1);
    expect_datagram(&l, "STATUS=bad config READY=1");
    ck_assert_int_eq(sdnotify_stopping("a\nWATCHDOG=1"), 1);
    expect_datagram(&l, "STOPPING=1\nSTATUS=a WATCHDOG=1");
    listener_close(&l);
}

END_TEST

START_TEST(test_abstract_socket_works_too)
{
    struct listener l;
    listen_at(&l, true);
    ck_assert_int_eq(sdnotify_watchdog(), 1);
    expect_datagram(&l, "WATCHDOG=1");
    listener_close(&l);
}

END_TEST

START_TEST(test_without_systemd_nothing_is_sent_and_a_dead_socket_is_an_error)
{
    unsetenv("NOTIFY_SOCKET");
    ck_assert_int_eq(sdnotify_ready("x"), 0);
    ck_assert_int_eq(sdnotify_watchdog(), 0);
    ck_assert_int_eq(sdnotify_stopping(NULL), 0);
    /* systemd went away (or a wrong path): a code, never a crash or a hang */
    ck_assert_int_eq(setenv("NOTIFY_SOCKET", "/tmp/ampshare-no-such-notify.sock", 1), 0);
    ck_assert_int_lt(sdnotify_watchdog(), 0);
    unsetenv("NOTIFY_SOCKET");
}

END_TEST

START_TEST(test_watchdog_interval_comes_from_watchdog_usec_for_this_pid)
{
    uint64_t ms = 0;
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    ck_assert_int_eq(sdnotify_watchdog_timeout_ms(&ms), 0);
    ck_assert_int_eq(setenv("WATCHDOG_USEC", "30000000", 1), 0);
    ck_assert_int_eq(sdnotify_watchdog_timeout_ms(&ms), 1);
    ck_assert_uint_eq(ms, 30000);
    ck_assert_uint_eq(sdnotify_watchdog_period_ms(ms), 15000);
    char pid[32];
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    ck_assert_int_eq(setenv("WATCHDOG_PID", pid, 1), 0);
    ck_assert_int_eq(sdnotify_watchdog_timeout_ms(&ms), 1);
    /* meant for another process (a child that inherited the environment) */
    snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
    ck_assert_int_eq(setenv("WATCHDOG_PID", pid, 1), 0);
    ck_assert_int_eq(sdnotify_watchdog_timeout_ms(&ms), 0);
    unsetenv("WATCHDOG_PID");
    ck_assert_int_eq(setenv("WATCHDOG_USEC", "soon", 1), 0);
    ck_assert_int_lt(sdnotify_watchdog_timeout_ms(&ms), 0);
    unsetenv("WATCHDOG_USEC");
    ck_assert_uint_eq(sdnotify_watchdog_period_ms(1), 1);
}

END_TEST

static Suite *sdnotify_suite(void)
{
    Suite *s = suite_create("sdnotify");
    TCase *tc = tcase_create("sdnotify");
    tcase_add_test(tc, test_messages_reach_the_notify_socket_byte_exact);
    tcase_add_test(tc, test_a_newline_in_a_status_cannot_inject_another_assignment);
    tcase_add_test(tc, test_abstract_socket_works_too);
    tcase_add_test(tc, test_without_systemd_nothing_is_sent_and_a_dead_socket_is_an_error);
    tcase_add_test(tc, test_watchdog_interval_comes_from_watchdog_usec_for_this_pid);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(sdnotify_suite)
