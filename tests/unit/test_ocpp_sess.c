/* SPDX-License-Identifier: MIT */
/*
 * OCPP transactions as session samples (controller/ocpp/ocpp_sess.c): StopTransaction's reasons
 * mapped, and a transaction's start, ticks and stop fed through the session state machine
 * (controller/sess_track.c, the rules every charger shares).
 */
#include <string.h>

#include <check.h>

#include "controller/ocpp/ocpp_sess.h"
#include "controller/sess_track.h"
#include "tests/support/check_main.h"

START_TEST(test_stop_reasons_map_onto_the_session_vocabulary)
{
    static const struct {
        const char *ocpp;
        enum sess_end_reason want;
    } map[] = {
        {NULL, SESS_END_UNPLUGGED}, /* absent: Local */
        {"EVDisconnected", SESS_END_UNPLUGGED},
        {"Local", SESS_END_UNPLUGGED},
        {"Remote", SESS_END_UNPLUGGED},
        {"UnlockCommand", SESS_END_UNPLUGGED},
        {"DeAuthorized", SESS_END_UNPLUGGED},
        {"Other", SESS_END_UNPLUGGED},
        {"EmergencyStop", SESS_END_FAULT},
        {"PowerLoss", SESS_END_FAULT},
        {"HardReset", SESS_END_FAULT},
        {"SoftReset", SESS_END_FAULT},
        {"Reboot", SESS_END_FAULT},
    };

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        ck_assert_msg(ocpp_sess_reason(map[i].ocpp) == map[i].want, "%s",
                      map[i].ocpp ? map[i].ocpp : "(absent)");
    }
}

END_TEST

START_TEST(test_a_transaction_through_the_session_rules)
{
    static const struct sess_track_cfg cfg = {.full_after_ms = 300000, .nominal_voltage_v = 230};
    struct ocpp_cp_conf conf = {0};
    struct ocpp_cp cp;
    ocpp_cp_init(&cp, "CP1", 1, &conf);
    struct sess_track t;
    sess_track_init(&t);
    struct sess_record end;
    struct sess_sample tick = {.current_ma = {16000, 16000, 16000}, .charging = true};

    /* a car plugged in without a transaction is no session of an OCPP charger */
    cp.car_connected = true;
    struct sess_sample s = tick;
    ocpp_sess_tick(&cp, &s);
    ck_assert_int_eq(sess_track_step(&t, &cfg, 1000, 1000000, &s, &end), 0);

    struct ocpp_tx_event ev = {.kind = OCPP_TX_START,
                               .tx_id = 42,
                               .meter_wh = 5000,
                               .tag = "TAG1",
                               .wall_s = 1001,
                               .at_ms = 1001000};
    s = tick;
    ocpp_sess_event(&ev, &s);
    ck_assert_int_eq(sess_track_step(&t, &cfg, ev.wall_s, ev.at_ms, &s, &end), SESS_TRACK_STARTED);
    ck_assert_str_eq(t.rec.id_tag, "TAG1");
    ck_assert_int_eq(t.rec.tx_id, 42);
    ck_assert_int_eq(t.rec.energy_source, SESS_ENERGY_METER);

    /* in the transaction: the register of its meter values */
    cp.in_tx = true;
    cp.tx_id = 42;
    strcpy(cp.tx_tag, "TAG1");
    cp.tx_meter_wh = 5600;
    s = tick;
    ocpp_sess_tick(&cp, &s);
    ck_assert_int_eq(sess_track_step(&t, &cfg, 1002, 1002000, &s, &end), 0);
    ck_assert_uint_eq(t.rec.energy_wh, 600);
    ck_assert_int_eq(t.rec.peak_ma, 16000);

    /* the stop: meterStop - meterStart, EVDisconnected as unplugged */
    ev = (struct ocpp_tx_event){.kind = OCPP_TX_STOP,
                                .tx_id = 42,
                                .meter_wh = 6100,
                                .tag = "TAG1",
                                .reason = "EVDisconnected",
                                .wall_s = 1003,
                                .at_ms = 1003000};
    s = tick;
    ocpp_sess_event(&ev, &s);
    ck_assert_int_eq(sess_track_step(&t, &cfg, ev.wall_s, ev.at_ms, &s, &end), SESS_TRACK_ENDED);
    ck_assert_uint_eq(end.energy_wh, 1100);
    ck_assert_int_eq(end.end_reason, SESS_END_UNPLUGGED);
    ck_assert_int_eq(end.start_s, 1001);
    ck_assert_int_eq(end.end_s, 1003);
    /* the tick after: no transaction, no session */
    cp.in_tx = false;
    s = tick;
    ocpp_sess_tick(&cp, &s);
    ck_assert_int_eq(sess_track_step(&t, &cfg, 1004, 1004000, &s, &end), 0);
    ck_assert(!t.open);

    /* a charger without a meter (a negative register): integrated */
    ev = (struct ocpp_tx_event){.kind = OCPP_TX_START, .tx_id = 43, .meter_wh = -1};
    s = tick;
    ocpp_sess_event(&ev, &s);
    ck_assert_int_eq(s.counter_source, SESS_ENERGY_INTEGRATED);
}

END_TEST

static Suite *ocpp_sess_suite(void)
{
    Suite *s = suite_create("ocpp_sess");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_stop_reasons_map_onto_the_session_vocabulary);
    tcase_add_test(tc, test_a_transaction_through_the_session_rules);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(ocpp_sess_suite)
