/* SPDX-License-Identifier: MIT */
/* Transport address syntax (tp_addr.h): every accepted form and every error, named by address. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "drivers/transport/tp.h"
#include "drivers/transport/tp_addr.h"
#include "tests/support/check_main.h"

struct good_case {
    const char *text;
    enum tp_addr_kind kind;
    const char *path;
    const char *host;
    unsigned port;
    unsigned baud;
    char parity;
    unsigned data_bits;
    unsigned stop_bits;
    const char *canonical; /* tp_addr_format of the parsed address */
};

// clang-format off
static const struct good_case good[] = {
    /* serial, long form: 9600 8N1 by default (twc-gen2.md §1) */
    {"serial:/dev/ttyUSB0", TP_ADDR_SERIAL, "/dev/ttyUSB0", "", 0, 9600, 'N', 8, 1,
     "serial:/dev/ttyUSB0,9600,8N1"},
    /* bare device path */
    {"/dev/ttyUSB0", TP_ADDR_SERIAL, "/dev/ttyUSB0", "", 0, 9600, 'N', 8, 1,
     "serial:/dev/ttyUSB0,9600,8N1"},
    {"/dev/serial/by-id/usb-FTDI_FT232R-if00-port0", TP_ADDR_SERIAL,
     "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0", "", 0, 9600, 'N', 8, 1,
     "serial:/dev/serial/by-id/usb-FTDI_FT232R-if00-port0,9600,8N1"},
    /* short form */
    {"serial:/dev/ttyUSB0,19200,8E1", TP_ADDR_SERIAL, "/dev/ttyUSB0", "", 0, 19200, 'E', 8, 1,
     "serial:/dev/ttyUSB0,19200,8E1"},
    {"serial:/dev/ttyAMA0,115200", TP_ADDR_SERIAL, "/dev/ttyAMA0", "", 0, 115200, 'N', 8, 1,
     "serial:/dev/ttyAMA0,115200,8N1"},
    {"/dev/ttyS1,4800,7O2", TP_ADDR_SERIAL, "/dev/ttyS1", "", 0, 4800, 'O', 7, 2,
     "serial:/dev/ttyS1,4800,7O2"},
    {"serial:/dev/ttyS1,1200,5n1", TP_ADDR_SERIAL, "/dev/ttyS1", "", 0, 1200, 'N', 5, 1,
     "serial:/dev/ttyS1,1200,5N1"},
    {"serial:/dev/ttyS1,460800,8e2", TP_ADDR_SERIAL, "/dev/ttyS1", "", 0, 460800, 'E', 8, 2,
     "serial:/dev/ttyS1,460800,8E2"},
    /* query form, each option, names in either case */
    {"serial:/dev/ttyUSB0?baud=19200&parity=even&data=8&stop=1", TP_ADDR_SERIAL, "/dev/ttyUSB0",
     "", 0, 19200, 'E', 8, 1, "serial:/dev/ttyUSB0,19200,8E1"},
    {"serial:/dev/ttyUSB0?parity=odd", TP_ADDR_SERIAL, "/dev/ttyUSB0", "", 0, 9600, 'O', 8, 1,
     "serial:/dev/ttyUSB0,9600,8O1"},
    {"serial:/dev/ttyUSB0?parity=NONE&stop=2&data=7", TP_ADDR_SERIAL, "/dev/ttyUSB0", "", 0,
     9600, 'N', 7, 2, "serial:/dev/ttyUSB0,9600,7N2"},
    {"serial:/dev/ttyUSB0?parity=E", TP_ADDR_SERIAL, "/dev/ttyUSB0", "", 0, 9600, 'E', 8, 1,
     "serial:/dev/ttyUSB0,9600,8E1"},
    {"/dev/ttyUSB0?baud=2400", TP_ADDR_SERIAL, "/dev/ttyUSB0", "", 0, 2400, 'N', 8, 1,
     "serial:/dev/ttyUSB0,2400,8N1"},
    /* tcp */
    {"tcp://192.0.2.7:4001", TP_ADDR_TCP, "", "192.0.2.7", 4001, 9600, 'N', 8, 1,
     "tcp://192.0.2.7:4001"},
    {"tcp://bridge.example:23", TP_ADDR_TCP, "", "bridge.example", 23, 9600, 'N', 8, 1,
     "tcp://bridge.example:23"},
    {"tcp://[::1]:502", TP_ADDR_TCP, "", "::1", 502, 9600, 'N', 8, 1, "tcp://[::1]:502"},
    {"tcp://[2001:db8::7]:65535", TP_ADDR_TCP, "", "2001:db8::7", 65535, 9600, 'N', 8, 1,
     "tcp://[2001:db8::7]:65535"},
    {"tcp://127.0.0.1:1", TP_ADDR_TCP, "", "127.0.0.1", 1, 9600, 'N', 8, 1,
     "tcp://127.0.0.1:1"},
    /* pty */
    {"pty:/tmp/ampshare-bus", TP_ADDR_PTY, "/tmp/ampshare-bus", "", 0, 9600, 'N', 8, 1,
     "pty:/tmp/ampshare-bus"},
    {"pty:relative/bus", TP_ADDR_PTY, "relative/bus", "", 0, 9600, 'N', 8, 1,
     "pty:relative/bus"},
};

// clang-format on

START_TEST(test_addr_good_forms_parse_to_fields)
{
    const struct good_case *c = &good[_i];
    struct tp_addr a;
    char err[160] = "untouched";
    ck_assert_int_eq(tp_addr_parse(c->text, &a, err, sizeof(err)), 0);
    ck_assert_int_eq(a.kind, c->kind);
    ck_assert_str_eq(a.path, c->path);
    ck_assert_str_eq(a.host, c->host);
    ck_assert_uint_eq(a.port, c->port);
    ck_assert_uint_eq(a.baud, c->baud);
    ck_assert_int_eq(a.parity, c->parity);
    ck_assert_uint_eq(a.data_bits, c->data_bits);
    ck_assert_uint_eq(a.stop_bits, c->stop_bits);
    ck_assert_str_eq(err, "untouched");
}

END_TEST

START_TEST(test_addr_format_gives_canonical_form_that_parses_back)
{
    const struct good_case *c = &good[_i];
    struct tp_addr a;
    struct tp_addr b;
    char buf[300];
    ck_assert_int_eq(tp_addr_parse(c->text, &a, NULL, 0), 0);
    ck_assert_int_eq(tp_addr_format(&a, buf, sizeof(buf)), (int)strlen(c->canonical));
    ck_assert_str_eq(buf, c->canonical);
    ck_assert_int_eq(tp_addr_parse(buf, &b, NULL, 0), 0);
    ck_assert_mem_eq(&a, &b, sizeof(a));
}

END_TEST

struct bad_case {
    const char *text;
    const char *msg; /* the whole message: it must name the address */
};

// clang-format off
static const struct bad_case bad[] = {
    {"", "address '': expected serial:/dev/..., tcp://host:port or pty:/path"},
    {"COM3", "address 'COM3': expected serial:/dev/..., tcp://host:port or pty:/path"},
    {"udp://10.0.0.1:4001",
     "address 'udp://10.0.0.1:4001': expected serial:/dev/..., tcp://host:port or pty:/path"},
    {"Serial:/dev/ttyUSB0",
     "address 'Serial:/dev/ttyUSB0': expected serial:/dev/..., tcp://host:port or pty:/path"},
    {"serial:", "address 'serial:': no device path"},
    {"serial:,9600", "address 'serial:,9600': no device path"},
    {"serial:?baud=9600", "address 'serial:?baud=9600': no device path"},
    {"serial:/dev/ttyUSB0,9601", "address 'serial:/dev/ttyUSB0,9601': '9601' is not a supported baud rate"},
    {"serial:/dev/ttyUSB0,fast", "address 'serial:/dev/ttyUSB0,fast': 'fast' is not a supported baud rate"},
    {"serial:/dev/ttyUSB0,", "address 'serial:/dev/ttyUSB0,': '' is not a supported baud rate"},
    {"serial:/dev/ttyUSB0,-9600", "address 'serial:/dev/ttyUSB0,-9600': '-9600' is not a supported baud rate"},
    {"serial:/dev/ttyUSB0,96000000000", "address 'serial:/dev/ttyUSB0,96000000000': '96000000000' is not a supported baud rate"},
    {"serial:/dev/ttyUSB0,9600,9N1", "address 'serial:/dev/ttyUSB0,9600,9N1': '9N1' is not a frame format like 8N1"},
    {"serial:/dev/ttyUSB0,9600,4N1", "address 'serial:/dev/ttyUSB0,9600,4N1': '4N1' is not a frame format like 8N1"},
    {"serial:/dev/ttyUSB0,9600,8M1", "address 'serial:/dev/ttyUSB0,9600,8M1': '8M1' is not a frame format like 8N1"},
    {"serial:/dev/ttyUSB0,9600,8N3", "address 'serial:/dev/ttyUSB0,9600,8N3': '8N3' is not a frame format like 8N1"},
    {"serial:/dev/ttyUSB0,9600,8N1x", "address 'serial:/dev/ttyUSB0,9600,8N1x': '8N1x' is not a frame format like 8N1"},
    {"serial:/dev/ttyUSB0,9600,", "address 'serial:/dev/ttyUSB0,9600,': '' is not a frame format like 8N1"},
    {"serial:/dev/ttyUSB0?baud", "address 'serial:/dev/ttyUSB0?baud': option 'baud' has no value"},
    {"serial:/dev/ttyUSB0?baud=9600&stop", "address 'serial:/dev/ttyUSB0?baud=9600&stop': option 'stop' has no value"},
    {"serial:/dev/ttyUSB0?baud=7", "address 'serial:/dev/ttyUSB0?baud=7': '7' is not a supported baud rate"},
    {"serial:/dev/ttyUSB0?baud=", "address 'serial:/dev/ttyUSB0?baud=': '' is not a supported baud rate"},
    {"serial:/dev/ttyUSB0?parity=mark", "address 'serial:/dev/ttyUSB0?parity=mark': parity 'mark' is not none, even or odd"},
    {"serial:/dev/ttyUSB0?parity=", "address 'serial:/dev/ttyUSB0?parity=': parity '' is not none, even or odd"},
    {"serial:/dev/ttyUSB0?data=9", "address 'serial:/dev/ttyUSB0?data=9': data bits '9' is not 5..8"},
    {"serial:/dev/ttyUSB0?data=4", "address 'serial:/dev/ttyUSB0?data=4': data bits '4' is not 5..8"},
    {"serial:/dev/ttyUSB0?stop=0", "address 'serial:/dev/ttyUSB0?stop=0': stop bits '0' is not 1 or 2"},
    {"serial:/dev/ttyUSB0?stop=3", "address 'serial:/dev/ttyUSB0?stop=3': stop bits '3' is not 1 or 2"},
    {"serial:/dev/ttyUSB0?speed=9600", "address 'serial:/dev/ttyUSB0?speed=9600': unknown option 'speed'"},
    {"serial:/dev/ttyUSB0?Baud=9600", "address 'serial:/dev/ttyUSB0?Baud=9600': unknown option 'Baud'"},
    {"tcp://192.0.2.7", "address 'tcp://192.0.2.7': expected tcp://host:port"},
    {"tcp://", "address 'tcp://': expected tcp://host:port"},
    {"tcp://:4001", "address 'tcp://:4001': bad host"},
    {"tcp://[::1]", "address 'tcp://[::1]': expected [ipv6]:port"},
    {"tcp://[::1]502", "address 'tcp://[::1]502': expected [ipv6]:port"},
    {"tcp://[::1:502", "address 'tcp://[::1:502': expected [ipv6]:port"},
    {"tcp://[]:502", "address 'tcp://[]:502': bad host"},
    {"tcp://192.0.2.7:0", "address 'tcp://192.0.2.7:0': port '0' is not 1..65535"},
    {"tcp://192.0.2.7:65536", "address 'tcp://192.0.2.7:65536': port '65536' is not 1..65535"},
    {"tcp://192.0.2.7:", "address 'tcp://192.0.2.7:': port '' is not 1..65535"},
    {"tcp://192.0.2.7:telnet", "address 'tcp://192.0.2.7:telnet': port 'telnet' is not 1..65535"},
    {"tcp://192.0.2.7:4001/", "address 'tcp://192.0.2.7:4001/': port '4001/' is not 1..65535"},
    {"pty:", "address 'pty:': bad pty link path"},
};

// clang-format on

START_TEST(test_addr_bad_forms_are_refused_with_message_naming_address)
{
    const struct bad_case *c = &bad[_i];
    struct tp_addr a;
    char err[512] = "";
    ck_assert_int_eq(tp_addr_parse(c->text, &a, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, c->msg);
    /* Without an error buffer the code is the same and nothing is written. */
    ck_assert_int_eq(tp_addr_parse(c->text, &a, NULL, 0), -EINVAL);
}

END_TEST

START_TEST(test_addr_port_0_only_for_listening)
{
    struct tp_addr a;
    char err[128];
    ck_assert_int_eq(tp_addr_parse_listen("tcp://127.0.0.1:0", &a, err, sizeof(err)), 0);
    ck_assert_uint_eq(a.port, 0);
    ck_assert_int_eq(tp_addr_parse_listen("tcp://127.0.0.1:65536", &a, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "address 'tcp://127.0.0.1:65536': port '65536' is not 0..65535");
    /* a listener made from text binds a free port and reports it */
    struct tp *t;
    ck_assert_int_eq(tp_new_from_text("tcp://127.0.0.1:0", TP_ROLE_LISTEN, &t, err, sizeof(err)),
                     0);
    ck_assert_int_eq(tp_open(t), 0);
    ck_assert_int_gt(tp_tcp_listen_port(t), 0);
    tp_free(t);
    /* nothing can connect to port 0 */
    ck_assert_int_eq(tp_new_from_text("tcp://127.0.0.1:0", TP_ROLE_CONNECT, &t, err, sizeof(err)),
                     -EINVAL);
    ck_assert_str_eq(err, "address 'tcp://127.0.0.1:0': port '0' is not 1..65535");
}

END_TEST

START_TEST(test_addr_too_long_path_is_refused_by_name)
{
    /* struct tp_addr holds a path of at most 255 characters: 256 is refused, 255 fits. */
    char text[7 + 256 + 1];
    memcpy(text, "serial:/dev/", 12);
    memset(text + 12, 'x', 256 - 5);
    text[7 + 256] = '\0';
    struct tp_addr a;
    char err[512];
    char want[512];
    snprintf(want, sizeof(want), "address '%s': device path too long", text);
    ck_assert_int_eq(tp_addr_parse(text, &a, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, want);
    text[7 + 255] = '\0';
    ck_assert_int_eq(tp_addr_parse(text, &a, err, sizeof(err)), 0);
    ck_assert_uint_eq(strlen(a.path), 255);
}

END_TEST

START_TEST(test_addr_small_error_buffer_is_truncated_not_overrun)
{
    struct tp_addr a;
    char err[16];
    memset(err, 'Z', sizeof(err));
    ck_assert_int_eq(tp_addr_parse("tcp://h:0", &a, err, 12), -EINVAL);
    ck_assert_str_eq(err, "address 'tc");
    ck_assert_int_eq(err[12], 'Z');
}

END_TEST

START_TEST(test_addr_null_arguments_are_refused)
{
    struct tp_addr a;
    ck_assert_int_eq(tp_addr_parse(NULL, &a, NULL, 0), -EINVAL);
    ck_assert_int_eq(tp_addr_parse("serial:/dev/ttyUSB0", NULL, NULL, 0), -EINVAL);
}

END_TEST

START_TEST(test_addr_format_reports_small_buffer)
{
    struct tp_addr a;
    char buf[64];
    ck_assert_int_eq(tp_addr_parse("tcp://192.0.2.7:4001", &a, NULL, 0), 0);
    /* "tcp://192.0.2.7:4001" is 20 characters: it needs 21 bytes. */
    ck_assert_int_eq(tp_addr_format(&a, buf, 20), -EMSGSIZE);
    ck_assert_int_eq(tp_addr_format(&a, buf, 21), 20);
    ck_assert_str_eq(buf, "tcp://192.0.2.7:4001");
    a.kind = (enum tp_addr_kind)0;
    ck_assert_int_eq(tp_addr_format(&a, buf, sizeof(buf)), -EINVAL);
}

END_TEST

static Suite *tp_addr_suite(void)
{
    Suite *s = suite_create("tp_addr");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_addr_good_forms_parse_to_fields, 0,
                        (int)(sizeof(good) / sizeof(good[0])));
    tcase_add_loop_test(tc, test_addr_format_gives_canonical_form_that_parses_back, 0,
                        (int)(sizeof(good) / sizeof(good[0])));
    tcase_add_loop_test(tc, test_addr_bad_forms_are_refused_with_message_naming_address, 0,
                        (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, test_addr_too_long_path_is_refused_by_name);
    tcase_add_test(tc, test_addr_port_0_only_for_listening);
    tcase_add_test(tc, test_addr_small_error_buffer_is_truncated_not_overrun);
    tcase_add_test(tc, test_addr_null_arguments_are_refused);
    tcase_add_test(tc, test_addr_format_reports_small_buffer);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(tp_addr_suite)
