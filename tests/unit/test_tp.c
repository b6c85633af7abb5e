/* SPDX-License-Identifier: MIT */
/* The transport front door (tp.h): address to transport, labels, wrappers, closed transports. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "drivers/transport/tp.h"
#include "tests/support/check_main.h"

struct kind_case {
    const char *text;
    enum tp_role role;
    const char *kind;
    const char *label;
};

// clang-format off
static const struct kind_case kinds[] = {
    {"serial:/dev/ttyUSB0", TP_ROLE_CONNECT, "serial", "serial:/dev/ttyUSB0,9600,8N1"},
    {"/dev/ttyUSB1,19200,8E1", TP_ROLE_LISTEN, "serial", "serial:/dev/ttyUSB1,19200,8E1"},
    {"tcp://192.0.2.7:4001", TP_ROLE_CONNECT, "tcp", "tcp://192.0.2.7:4001"},
    {"tcp://[::1]:502", TP_ROLE_CONNECT, "tcp", "tcp://[::1]:502"},
    {"tcp://127.0.0.1:4001", TP_ROLE_LISTEN, "tcp-listen", "tcp://127.0.0.1:4001 (listen)"},
    {"tcp://[::1]:4001", TP_ROLE_LISTEN, "tcp-listen", "tcp://[::1]:4001 (listen)"},
    {"pty:/tmp/ampshare-bus", TP_ROLE_LISTEN, "pty", "pty:/tmp/ampshare-bus"},
    {"pty:/tmp/ampshare-bus", TP_ROLE_CONNECT, "serial", "pty:/tmp/ampshare-bus"},
};

// clang-format on

START_TEST(test_tp_address_and_role_choose_transport_and_label)
{
    const struct kind_case *c = &kinds[_i];
    struct tp *t;
    char err[128] = "";
    ck_assert_int_eq(tp_new_from_text(c->text, c->role, &t, err, sizeof(err)), 0);
    ck_assert_str_eq(tp_kind(t), c->kind);
    ck_assert_str_eq(t->label, c->label);
    /* Made closed: no fd, and reads and writes say so. */
    uint8_t buf[4];
    ck_assert_int_eq(tp_poll_fd(t), -1);
    ck_assert_int_eq(tp_read(t, buf, sizeof(buf)), -ENOTCONN);
    ck_assert_int_eq(tp_write(t, buf, 1), -ENOTCONN);
    tp_close(t); /* closing a closed transport is harmless */
    tp_free(t);
}

END_TEST

START_TEST(test_tp_bad_text_or_role_makes_nothing)
{
    struct tp *t = (struct tp *)&t;
    char err[128];
    ck_assert_int_eq(tp_new_from_text("ttyUSB0", TP_ROLE_CONNECT, &t, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_str_eq(err,
                     "address 'ttyUSB0': expected serial:/dev/..., tcp://host:port or pty:/path");
    struct tp_addr a;
    ck_assert_int_eq(tp_addr_parse("tcp://127.0.0.1:1", &a, NULL, 0), 0);
    t = (struct tp *)&t;
    ck_assert_int_eq(tp_new_from_addr(&a, (enum tp_role)0, &t), -EINVAL);
    ck_assert_ptr_null(t);
    a.kind = (enum tp_addr_kind)9;
    ck_assert_int_eq(tp_new_from_addr(&a, TP_ROLE_CONNECT, &t), -EINVAL);
    ck_assert_int_eq(tp_new_from_addr(NULL, TP_ROLE_CONNECT, &t), -EINVAL);
    ck_assert_int_eq(tp_new_from_addr(&a, TP_ROLE_CONNECT, NULL), -EINVAL);
    ck_assert_int_eq(tp_tcp_new("", 1, &t), -EINVAL);
    ck_assert_int_eq(tp_tcp_new("127.0.0.1", 0, &t), -EINVAL);
    ck_assert_int_eq(tp_tcp_listen_new(NULL, 1, &t), -EINVAL);
    ck_assert_int_eq(tp_pty_new("", 9600, &t), -EINVAL);
    ck_assert_ptr_null(t);
}

END_TEST

START_TEST(test_tp_wrappers_accept_null)
{
    uint8_t buf[1];
    ck_assert_int_eq(tp_open(NULL), -EINVAL);
    ck_assert_int_eq(tp_read(NULL, buf, 1), -EINVAL);
    ck_assert_int_eq(tp_write(NULL, buf, 1), -EINVAL);
    ck_assert_int_eq(tp_poll_fd(NULL), -1);
    ck_assert_str_eq(tp_kind(NULL), "");
    tp_close(NULL);
    tp_free(NULL);
    ck_assert_int_eq(tp_tcp_listen_port(NULL), -EINVAL);
    ck_assert(!tp_tcp_listen_has_client(NULL));
    ck_assert_ptr_null(tp_pty_name(NULL));
}

END_TEST

START_TEST(test_tp_serial_open_fails_with_code_for_missing_device_and_plain_file)
{
    struct tp *t;
    ck_assert_int_eq(
        tp_new_from_text("serial:/dev/ampshare-no-such-tty", TP_ROLE_CONNECT, &t, NULL, 0), 0);
    ck_assert_int_eq(tp_open(t), -ENOENT);
    ck_assert_int_eq(tp_poll_fd(t), -1);
    tp_free(t);

    /* A file that is not a terminal: libserialport does not know it, termios refuses it. */
    char path[] = "/tmp/amp-tp-file-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    struct tp_addr a;
    ck_assert_int_eq(tp_addr_parse(path, &a, NULL, 0), 0);
    ck_assert_int_eq(tp_serial_new(&a, &t), 0);
    ck_assert_int_eq(tp_open(t), -ENOTTY);
    ck_assert_int_eq(tp_poll_fd(t), -1);
    tp_free(t);
    unlink(path);
}

END_TEST

static Suite *tp_suite(void)
{
    Suite *s = suite_create("tp");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_tp_address_and_role_choose_transport_and_label, 0,
                        (int)(sizeof(kinds) / sizeof(kinds[0])));
    tcase_add_test(tc, test_tp_bad_text_or_role_makes_nothing);
    tcase_add_test(tc, test_tp_wrappers_accept_null);
    tcase_add_test(tc, test_tp_serial_open_fails_with_code_for_missing_device_and_plain_file);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(tp_suite)
