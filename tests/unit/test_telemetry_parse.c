/* SPDX-License-Identifier: MIT */
/* The pure parsers of remote control: command topics and payloads, broker URLs, listen
 * addresses, and the command table's rules against a real site. */
#include <errno.h>
#include <string.h>

#include <check.h>

#include "controller/engine/alloc.h"
#include "controller/engine/command.h"
#include "controller/engine/policy_loader.h"
#include "controller/engine/config.h"
#include "controller/engine/site_ini.h"
#include "controller/telemetry/http.h"
#include "controller/telemetry/mqtt.h"
#include "tests/support/check_main.h"

#define P "ampshare/office"

static int parse(const char *topic, const char *payload, struct command *c)
{
    char why[128];
    return mqtt_parse_command(P, topic, payload, strlen(payload), 1765000000000LL, c, why,
                              sizeof(why));
}

START_TEST(test_command_topics_and_payloads)
{
    struct command c;
    ck_assert_int_eq(parse(P "/charger/bay1/max_current/set", "16.5", &c), 0);
    ck_assert_int_eq(c.kind, COMMAND_MAX_CURRENT);
    ck_assert_str_eq(c.charger, "bay1");
    ck_assert_int_eq(c.value, 16500);
    ck_assert_int_eq(parse(P "/charger/bay1/charge_now/set", "ON", &c), 0);
    ck_assert_int_eq(c.value, 3600);
    ck_assert_int_eq(parse(P "/charger/bay1/charge_now/set", "900", &c), 0);
    ck_assert_int_eq(c.value, 900);
    ck_assert_int_eq(parse(P "/charger/bay1/enabled/set", "off", &c), 0);
    ck_assert_int_eq(c.kind, COMMAND_PAUSE);
    ck_assert_int_eq(parse(P "/charger/bay1/departure/set", "2025-12-06T17:30Z", &c), 0);
    ck_assert_int_eq(c.value, 1765042200000LL);
    ck_assert_int_eq(parse(P "/charger/bay1/departure/set", "none", &c), 0);
    ck_assert_int_eq(c.value, 0);
    ck_assert_int_eq(parse(P "/charger/bay1/energy_wanted/set", "12.25", &c), 0);
    ck_assert_int_eq(c.value, 12250);
    ck_assert_int_eq(parse(P "/site/policy/set", "native", &c), 0);
    ck_assert_str_eq(c.text, "native");
    /* not ours */
    ck_assert_int_eq(parse("other/charger/bay1/max_current/set", "16", &c), -ENOENT);
    ck_assert_int_eq(parse(P "/charger/bay1/state", "{}", &c), -ENOENT);
    ck_assert_int_eq(parse(P "x/charger/bay1/max_current/set", "16", &c), -ENOENT);
    /* malformed */
    static const char *const bad[][2] = {
        {P "/charger/bay1/max_current/set", "16A"},  {P "/charger/bay1/max_current/set", "-3"},
        {P "/charger/bay1/max_current/set", "1e3"},  {P "/charger/bay1/max_current/set", ""},
        {P "/charger/bay1/max_current/set", "0x10"}, {P "/charger/bay1/max_current/set", "16.0001"},
        {P "/charger/bay1/max_current/set", "9999999999"},
        {P "/charger/bay1/charge_now/set", "1.5"},   {P "/charger/bay1/enabled/set", "1"},
        {P "/charger/bay1/departure/set", "tomorrow"}, {P "/charger/bay1/departure/set", "2025-12-06 17:30"},
        {P "/charger/bay1/energy_wanted/set", "-1"}, {P "/charger/bay1/reboot/set", "1"},
        {P "/charger//max_current/set", "16"},        {P "/charger/bay1/x/y/set", "16"},
        {P "/site/policy/set", ""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(parse(bad[i][0], bad[i][1], &c) == -EINVAL, "%s '%s' accepted", bad[i][0],
                      bad[i][1]);
    }
    char big[MQTT_PAYLOAD_MAX + 2];
    memset(big, '1', sizeof(big));
    char why[128];
    ck_assert_int_eq(mqtt_parse_command(P, P "/charger/bay1/max_current/set", big, sizeof(big),
                                        0, &c, why, sizeof(why)),
                     -EINVAL);
    ck_assert_int_eq(mqtt_parse_command(P, P "/charger/bay1/max_current/set", "1\0" "6", 3, 0, &c,
                                        why, sizeof(why)),
                     -EINVAL);
}
END_TEST

START_TEST(test_http_write_paths)
{
    struct command c;
    char why[128];
    ck_assert_int_eq(http_parse_command("/api/charger/bay1/max_current", "16", 2, 0, &c, why,
                                        sizeof(why)),
                     0);
    ck_assert_int_eq(c.kind, COMMAND_MAX_CURRENT);
    ck_assert_str_eq(c.charger, "bay1");
    ck_assert_int_eq(c.value, 16000);
    ck_assert_int_eq(http_parse_command("/api/site/policy", "native", 6, 0, &c, why, sizeof(why)),
                     0);
    ck_assert_int_eq(c.kind, COMMAND_POLICY);
    ck_assert_int_eq(http_parse_command("/api/status", "", 0, 0, &c, why, sizeof(why)), -ENOENT);
    ck_assert_int_eq(http_parse_command("/metrics", "1", 1, 0, &c, why, sizeof(why)), -ENOENT);
    ck_assert_int_eq(http_parse_command("/api/charger/bay1/max_current", "x", 1, 0, &c, why,
                                        sizeof(why)),
                     -EINVAL);
}
END_TEST

START_TEST(test_urls_and_listen_addresses)
{
    struct mqtt_options o;
    memset(&o, 0, sizeof(o));
    ck_assert_int_eq(mqtt_parse_url("mqtt://192.0.2.5", &o), 0);
    ck_assert_str_eq(o.host, "192.0.2.5");
    ck_assert_int_eq(o.port, 1883);
    ck_assert_int_eq(mqtt_parse_url("mqtts://broker.lan:8884", &o), 0);
    ck_assert(o.tls);
    ck_assert_int_eq(o.port, 8884);
    ck_assert_int_eq(mqtt_parse_url("unix:/run/mosquitto.sock", &o), 0);
    ck_assert_int_eq(o.port, 0);
    static const char *const bad_urls[] = {"http://x", "mqtt://", "mqtt://h:0", "mqtt://h:70000",
                                           "mqtt://h:1x", "mqtt://h/path", "unix:relative"};
    for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
        ck_assert_msg(mqtt_parse_url(bad_urls[i], &o) == -EINVAL, "%s", bad_urls[i]);
    }
    struct cfg_listen l;
    ck_assert_int_eq(cfg_parse_listen("127.0.0.1:8080", &l), 0);
    ck_assert_str_eq(l.host, "127.0.0.1");
    ck_assert_int_eq(l.port, 8080);
    ck_assert_int_eq(cfg_parse_listen("[::1]:0", &l), 0);
    ck_assert_str_eq(l.host, "::1");
    static const char *const bad_listen[] = {"localhost:80", "127.0.0.1", "::1:80", "1.2.3.4:",
                                             "1.2.3.4:65536", "[::1]80", ":80"};
    for (size_t i = 0; i < sizeof(bad_listen) / sizeof(bad_listen[0]); i++) {
        ck_assert_msg(cfg_parse_listen(bad_listen[i], &l) == -EINVAL, "%s", bad_listen[i]);
    }
}
END_TEST

START_TEST(test_command_rules_against_a_site)
{
    static const char ini[] = "[site]\nsupply_limit_a = 40\nphases = 1\n"
                              "[bus b]\ntransport = tcp://127.0.0.1:1\n"
                              "[wallconnector w]\nbus = b\naddress = auto\ncircuit = supply\n"
                              "max_current_a = 32\n";
    struct site *site;
    char err[256], why[160];
    ck_assert_msg(site_new_from_ini(ini, "t.ini", &site, err, sizeof(err)) == 0, "%s", err);
    struct command_table t;
    ck_assert_int_eq(command_table_init(&t, site), 0);
    struct command c = {.kind = COMMAND_MAX_CURRENT, .charger = "w", .value = 5000};
    ck_assert_int_eq(command_set(&t, site, &c, 0, 0, why, sizeof(why)), -ERANGE); /* < min */
    c.value = 33000;
    ck_assert_int_eq(command_set(&t, site, &c, 0, 0, why, sizeof(why)), -ERANGE); /* > max */
    c.value = 10500;
    ck_assert_int_eq(command_set(&t, site, &c, 0, 0, why, sizeof(why)), 0);
    struct site_state *st;
    ck_assert_int_eq(site_state_new(site, &st), 0);
    command_apply(&t, st, 1000, 1765000000000LL);
    ck_assert_int_eq(st->evse[0].command_cap_ma, 10500);
    c.value = 32000; /* the charger's own maximum clears the cap */
    ck_assert_int_eq(command_set(&t, site, &c, 0, 0, why, sizeof(why)), 0);
    command_apply(&t, st, 1000, 1765000000000LL);
    ck_assert_int_eq(st->evse[0].command_cap_ma, 0);
    c = (struct command){.kind = COMMAND_CHARGE_NOW, .charger = "w", .value = 60};
    ck_assert_int_eq(command_set(&t, site, &c, 1000, 0, why, sizeof(why)), 0);
    command_apply(&t, st, 60999, 1765000000000LL);
    ck_assert(st->evse[0].charge_now);
    command_apply(&t, st, 61000, 1765000000000LL); /* expired */
    ck_assert(!st->evse[0].charge_now);
    c = (struct command){.kind = COMMAND_DEPARTURE, .charger = "w",
                         .value = 1765000000000LL + 3600000};
    ck_assert_int_eq(command_set(&t, site, &c, 0, 1765000000000LL, why, sizeof(why)), 0);
    command_apply(&t, st, 5000, 1765000000000LL);
    ck_assert_uint_eq(st->evse[0].departure_ms, 5000 + 3600000);
    c.value = 1765000000000LL - 1; /* in the past */
    ck_assert_int_eq(command_set(&t, site, &c, 0, 1765000000000LL, why, sizeof(why)), -ERANGE);
    c = (struct command){.kind = COMMAND_MAX_CURRENT, .charger = "nope", .value = 10000};
    ck_assert_int_eq(command_set(&t, site, &c, 0, 0, why, sizeof(why)), -ENOENT);
    site_state_free(st);
    command_table_fini(&t);
    site_free(site);
}
END_TEST

/* Commands reach the engine as inputs: a cap lowers a target, a pause makes it 0, "charge now"
 * asks the maximum, and the clamp still keeps the circuit whatever they say. */
START_TEST(test_engine_bounds_what_commands_ask)
{
    static const char ini[] = "[site]\nsupply_limit_a = 40\nphases = 1\n"
                              "[bus b]\ntransport = tcp://127.0.0.1:1\n"
                              "[wallconnector a]\nbus = b\naddress = auto\ncircuit = supply\n"
                              "max_current_a = 32\n"
                              "[wallconnector b2]\nbus = b\naddress = auto\ncircuit = supply\n"
                              "max_current_a = 32\n";
    struct site *site;
    char err[256];
    ck_assert_msg(site_new_from_ini(ini, "t.ini", &site, err, sizeof(err)) == 0, "%s", err);
    struct policy_handle ph;
    ck_assert_int_eq(policy_open("equal_share", &ph, err, sizeof(err)), 0);
    struct alloc *a;
    struct alloc_result *r;
    struct site_state *st;
    ck_assert_int_eq(alloc_new(site, ph.policy, &a, err, sizeof(err)), 0);
    ck_assert_int_eq(alloc_result_new(site, &r), 0);
    ck_assert_int_eq(site_state_new(site, &st), 0);
    uint64_t now = 1000;
    for (int k = 0; k < 2; k++) {
        st->evse[k].connected = true;
        st->evse[k].draw_ma[0] = st->evse[k].draw_ma[1] = st->evse[k].draw_ma[2] = 20000;
        st->evse[k].offer_ma = 20000;
    }
    for (int step = 0; step < 7; step++, now += 1000) {
        for (int k = 0; k < 2; k++) {
            st->evse[k].draw_at_ms = now;
        }
        st->evse[0].command_cap_ma = step == 1 ? 10000 : 0;
        st->evse[0].command_paused = step == 2;
        st->evse[0].charge_now = step >= 3; /* the hold lets the raise follow the cut */
        ck_assert_int_eq(alloc_tick(a, st, now, r), 0);
        int32_t t0 = r->evse[0].target_ma, t1 = r->evse[1].target_ma;
        ck_assert_int_le(t0 + t1, 40000); /* the circuit, whatever was asked */
        if (step == 1) {
            ck_assert_int_le(t0, 10000);
        }
        if (step == 2) {
            ck_assert_int_eq(t0, 0);
        }
        if (step == 6) {
            /* charge now asks its 32 A; the circuit is short, so the clamp cuts both in
             * proportion to what they asked: it gets more than the other */
            ck_assert_int_gt(t0, t1);
            ck_assert_int_ge(t0, 20000);
        }
        for (int k = 0; k < 2; k++) {
            st->evse[k].offer_ma = r->evse[k].target_ma;
        }
    }
    site_state_free(st);
    alloc_result_free(r);
    alloc_free(a);
    policy_close(&ph);
    site_free(site);
}
END_TEST

static Suite *telemetry_parse_suite(void)
{
    Suite *s = suite_create("telemetry_parse");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_command_topics_and_payloads);
    tcase_add_test(tc, test_urls_and_listen_addresses);
    tcase_add_test(tc, test_http_write_paths);
    tcase_add_test(tc, test_command_rules_against_a_site);
    tcase_add_test(tc, test_engine_bounds_what_commands_ask);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(telemetry_parse_suite)
