/* SPDX-License-Identifier: MIT */
/* The status document: every documented key, amps from milliamps, per-phase arrays only for
 * the phases a record has, hostile text made printable, and the socket path rule. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "controller/status/status.h"
#include "drivers/base/amp_text.h"
#include "tests/support/check_main.h"

static struct status_charger ch[2];
static struct status_circuit ci[2];
static struct status_bus bu[1];
static struct status_meter me[1];

static struct status_snapshot sample(void)
{
    memset(ch, 0, sizeof(ch));
    memset(ci, 0, sizeof(ci));
    memset(bu, 0, sizeof(bu));
    memset(me, 0, sizeof(me));
    struct status_snapshot s = {.wall_ms = 1765000000123LL,
                                .charger = ch, .n_charger = 2, .cap_charger = 2,
                                .circuit = ci, .n_circuit = 2, .cap_circuit = 2,
                                .bus = bu, .n_bus = 1, .cap_bus = 1,
                                .meter = me, .n_meter = 1, .cap_meter = 1};
    snprintf(s.site, sizeof(s.site), "office");
    snprintf(s.policy, sizeof(s.policy), "idle_reclaim");
    snprintf(ch[0].name, sizeof(ch[0].name), "tesla");
    snprintf(ch[0].kind, sizeof(ch[0].kind), "wallconnector");
    snprintf(ch[0].circuit, sizeof(ch[0].circuit), "garage");
    snprintf(ch[0].state, sizeof(ch[0].state), "charging");
    snprintf(ch[0].why, sizeof(ch[0].why), "circuit");
    snprintf(ch[0].reason, sizeof(ch[0].reason), "limited by circuit garage");
    ch[0].controllable = true;
    ch[0].offer_ma = 39000;
    ch[0].target_ma = 40000;
    ch[0].min_ma = 6000;
    ch[0].max_ma = 40000;
    ch[0].phases = 0x2; /* L2 only */
    ch[0].measured_ma[1] = 38650;
    ch[0].session_wh = 12345;
    /* A VIN off the wire with an escape sequence and a byte that is not UTF-8. */
    snprintf(ch[0].vin, sizeof(ch[0].vin), "5YJ\033[2J\xff" "ABC");
    snprintf(ch[1].name, sizeof(ch[1].name), "i3");
    snprintf(ch[1].state, sizeof(ch[1].state), "idle");
    ch[1].phases = 0x7;
    ch[1].session_wh = -1;
    snprintf(ci[0].name, sizeof(ci[0].name), "supply");
    ci[0].phases = 0x7;
    ci[0].rating_ma[0] = ci[0].rating_ma[1] = ci[0].rating_ma[2] = 63000;
    snprintf(ci[1].name, sizeof(ci[1].name), "garage");
    snprintf(ci[1].parent, sizeof(ci[1].parent), "supply");
    ci[1].phases = 0x2;
    ci[1].rating_ma[1] = 40000;
    ci[1].load_ma[1] = 38650;
    ci[1].meter_stale = true;
    snprintf(bu[0].name, sizeof(bu[0].name), "rs485");
    snprintf(bu[0].transport, sizeof(bu[0].transport), "serial:/dev/ttyUSB0");
    bu[0].up = true;
    bu[0].slaves = 2;
    snprintf(me[0].name, sizeof(me[0].name), "grid");
    me[0].age_ms = -1;
    s.loop.ticks = 42;
    snprintf(s.error[0].kind, sizeof(s.error[0].kind), "meter_read");
    s.error[0].n = 3;
    s.n_error = 1;
    s.loop.uptime_ms = 42500;
    s.loop.turn_us_max = 31000;
    s.loop.turn_over_ms[0] = 10;
    s.loop.turns_over[0] = 5;
    s.loop.turn_over_ms[1] = 20;
    s.loop.turns_over[1] = 2;
    return s;
}

START_TEST(test_document_has_every_key_in_amps)
{
    struct status_snapshot s = sample();
    json_t *doc = status_to_json(&s);
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "site")), "office");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "time")), "2025-12-06T05:46:40Z");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(doc, "loop"), "uptime_s")),
                     42);
    json_t *over = json_object_get(json_object_get(doc, "loop"), "turns_over_ms");
    ck_assert_int_eq(json_integer_value(json_object_get(over, "20")), 2);
    ck_assert_uint_eq(json_object_size(over), 2);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(doc, "loop"), "turn_us_max")), 31000);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(doc, "errors"),
                                                        "meter_read")),
                     3);
    json_t *t = json_array_get(json_object_get(doc, "chargers"), 0);
    static const char *const keys[] = {"name", "kind", "circuit", "state", "controllable",
                                       "stale", "implausible", "offer_a", "target_a", "min_a",
                                       "max_a", "phases", "measured_a", "session_kwh", "energy_kwh", "paused", "charge_now", "command_max_a", "vin",
                                       "why", "reason"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        ck_assert_msg(json_object_get(t, keys[i]), "charger lacks %s", keys[i]);
    }
    ck_assert_uint_eq(json_object_size(t), sizeof(keys) / sizeof(keys[0]));
    ck_assert_double_eq_tol(json_real_value(json_object_get(t, "offer_a")), 39.0, 1e-9);
    ck_assert_double_eq_tol(json_real_value(json_object_get(t, "session_kwh")), 12.345, 1e-9);
    /* one phase: one number, on L2 */
    ck_assert_uint_eq(json_array_size(json_object_get(t, "measured_a")), 1);
    ck_assert_double_eq_tol(json_real_value(json_array_get(json_object_get(t, "measured_a"), 0)),
                            38.65, 1e-9);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(t, "phases"), 0)), "L2");
    /* amp_text's one rule: a byte that is not UTF-8 becomes U+FFFD, the rest is kept (the
     * control is escaped in the JSON text, below) */
    ck_assert_str_eq(json_string_value(json_object_get(t, "vin")), "5YJ\033[2J\xEF\xBF\xBD"
                                                                    "ABC");
    json_t *i3 = json_array_get(json_object_get(doc, "chargers"), 1);
    ck_assert(json_is_null(json_object_get(i3, "session_kwh")));
    ck_assert(json_is_null(json_object_get(i3, "vin")));
    ck_assert_uint_eq(json_array_size(json_object_get(i3, "measured_a")), 3);
    json_t *garage = json_array_get(json_object_get(doc, "circuits"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(garage, "parent")), "supply");
    ck_assert(json_is_true(json_object_get(garage, "meter_stale")));
    ck_assert(json_is_null(json_object_get(json_array_get(json_object_get(doc, "circuits"), 0),
                                           "parent")));
    json_t *grid = json_array_get(json_object_get(doc, "meters"), 0);
    ck_assert(json_is_null(json_object_get(grid, "age_ms")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(doc, "buses"),
                                                                       0),
                                                        "slaves")),
                     2);
    /* what goes over the socket is valid JSON that reads back the same */
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(10));
    ck_assert_ptr_null(strchr(text, '\033')); /* hostile bytes never reach the document raw */
    ck_assert_ptr_nonnull(strstr(text, "\"vin\":\"5YJ\\u001B[2J\xEF\xBF\xBD" "ABC\""));
    ck_assert_int_eq(amp_utf8_check((const uint8_t *)text, strlen(text), NULL), 0);
    json_error_t err;
    json_t *back = json_loads(text, 0, &err);
    ck_assert_msg(back != NULL, "%s", err.text);
    ck_assert(json_equal(doc, back));
    free(text);
    json_decref(back);
    json_decref(doc);
}
END_TEST

START_TEST(test_text_shows_names_numbers_and_reasons)
{
    struct status_snapshot s = sample();
    /* a reason off the wire, and a document from whoever answers on the socket */
    snprintf(ch[1].reason, sizeof(ch[1].reason), "odd \033]0;title\007 \xff");
    json_t *doc = status_to_json(&s);
    json_object_set_new(json_array_get(json_object_get(doc, "chargers"), 1), "name",
                        json_string("i3\x1b[2J"));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(status_print_text(doc, f), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "site office, policy idle_reclaim"));
    ck_assert_ptr_nonnull(strstr(buf, "tesla"));
    ck_assert_ptr_nonnull(strstr(buf, "39.0"));
    ck_assert_ptr_nonnull(strstr(buf, "38.6"));
    ck_assert_ptr_nonnull(strstr(buf, "limited by circuit garage"));
    ck_assert_ptr_nonnull(strstr(buf, "meter stale"));
    ck_assert_ptr_nonnull(strstr(buf, "bus rs485 serial:/dev/ttyUSB0: up, 2 slaves"));
    ck_assert_ptr_null(strchr(buf, '\033'));
    ck_assert_ptr_null(strchr(buf, '\007'));
    ck_assert_ptr_nonnull(strstr(buf, "i3\\x1b[2J"));
    ck_assert_ptr_nonnull(strstr(buf, "odd \\x1b]0;title\\x07 \xEF\xBF\xBD"));
    free(buf);
    json_decref(doc);
}
END_TEST

START_TEST(test_socket_path_rule)
{
    char p[256];
    ck_assert_int_eq(status_socket_path("/x/y.sock", true, p, sizeof(p)), 0);
    ck_assert_str_eq(p, "/x/y.sock");
    ck_assert_int_eq(status_socket_path("/x/y.sock", true, p, 4), -ENAMETOOLONG);
    /* A client with no daemon socket at the default place falls back to XDG_RUNTIME_DIR. */
    if (access(STATUS_SOCKET, F_OK) != 0) {
        setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
        ck_assert_int_eq(status_socket_path(NULL, false, p, sizeof(p)), 0);
        ck_assert_str_eq(p, "/run/user/4242/ampshare.sock");
        unsetenv("XDG_RUNTIME_DIR");
        ck_assert_int_eq(status_socket_path("", false, p, sizeof(p)), 0);
        char want[64];
        snprintf(want, sizeof(want), "/tmp/ampshare-%u.sock", (unsigned)getuid());
        ck_assert_str_eq(p, want);
    }
}
END_TEST

static Suite *status_suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_document_has_every_key_in_amps);
    tcase_add_test(tc, test_text_shows_names_numbers_and_reasons);
    tcase_add_test(tc, test_socket_path_rule);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(status_suite)
