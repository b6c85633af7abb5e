/* SPDX-License-Identifier: MIT */
/* The OCPP-J frame codec and the charge point state machine (drivers/ocpp), without a socket:
 * frames in as text, frames out as text, time passed in. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "drivers/base/log.h"
#include "drivers/ocpp/ocpp_cp.h"
#include "drivers/ocpp/ocpp_frame.h"
#include "tests/support/check_main.h"

/* ---- the frame codec ---- */

static int parse(const char *text, struct ocpp_frame *f, const char **why)
{
    return ocpp_frame_parse(text, strlen(text), f, why);
}

START_TEST(test_frames_parse_call_result_and_error)
{
    struct ocpp_frame f;
    const char *why = NULL;
    ck_assert_int_eq(parse("[2,\"a1\",\"Heartbeat\",{}]", &f, &why), 0);
    ck_assert_int_eq(f.type, OCPP_CALL);
    ck_assert_str_eq(f.id, "a1");
    ck_assert_str_eq(f.action, "Heartbeat");
    ocpp_frame_clear(&f);
    ck_assert_int_eq(parse("[3,\"7\",{\"status\":\"Accepted\"}]", &f, &why), 0);
    ck_assert_int_eq(f.type, OCPP_RESULT);
    ck_assert_str_eq(json_string_value(json_object_get(f.payload, "status")), "Accepted");
    ocpp_frame_clear(&f);
    ck_assert_int_eq(parse("[4,\"7\",\"NotSupported\",\"\",{}]", &f, &why), 0);
    ck_assert_str_eq(f.code, "NotSupported");
    ocpp_frame_clear(&f);
}

END_TEST

START_TEST(test_malformed_frames_are_refused_with_the_id_when_readable)
{
    static const struct {
        const char *text;
        const char *id;
    } bad[] = {
        {"not json", "-1"},
        {"{\"a\":1}", "-1"},
        {"[2,\"x\"]", "-1"},
        {"[2,17,\"Heartbeat\",{}]", "-1"},
        {"[2,\"\",\"Heartbeat\",{}]", "-1"},
        {"[2,\"0123456789012345678901234567890123456\",\"Heartbeat\",{}]", "-1"},
        {"[9,\"q\",\"Heartbeat\",{}]", "q"},
        {"[2,\"q\",\"Heartbeat\",null]", "q"},
        {"[2,\"q\",\"Heartbeat\",{},1]", "q"},
        {"[2,\"q\",7,{}]", "q"},
        {"[3,\"q\",[]]", "q"},
        {"[4,\"q\",\"X\",3,{}]", "q"},
        {"[\"2\",\"q\",\"Heartbeat\",{}]", "q"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ocpp_frame f;
        const char *why = NULL;
        ck_assert_msg(parse(bad[i].text, &f, &why) == -EPROTO, "%s parsed", bad[i].text);
        ck_assert_str_eq(f.id, bad[i].id);
        ck_assert_ptr_nonnull(why);
        ck_assert_ptr_null(f.payload);
    }
}

END_TEST

START_TEST(test_frames_print_as_ocpp_j)
{
    char *s = ocpp_frame_error("9", "NotImplemented", "unknown action X");
    ck_assert_str_eq(s, "[4,\"9\",\"NotImplemented\",\"unknown action X\",{}]");
    free(s);
    s = ocpp_frame_result("9", NULL);
    ck_assert_str_eq(s, "[3,\"9\",{}]");
    free(s);
    char t[21];
    ocpp_time(1700000000, t);
    ck_assert_str_eq(t, "2023-11-14T22:13:20Z");
}

END_TEST

/* ---- the charge point ---- */

struct rig;
static char *call(struct rig *g, const char *action, const char *payload);

struct rig {
    int32_t next_tx;
    struct ocpp_cp_conf conf;
    struct ocpp_cp cp;
    uint64_t now;
    char last[2048]; /* the last frame polled */
};

static void rig_init(struct rig *g)
{
    memset(g, 0, sizeof(*g));
    g->next_tx = 100;
    g->conf = (struct ocpp_cp_conf){.heartbeat_s = 300,
                                    .meter_interval_s = 10,
                                    .call_timeout_ms = 30000,
                                    .next_tx_id = &g->next_tx};
    ocpp_cp_init(&g->cp, "CP1", 1, &g->conf);
    ocpp_cp_online(&g->cp, 0);
}

/* Polls one frame: its id, action and payload; false when nothing is due. */
static bool poll_one(struct rig *g, struct ocpp_frame *f)
{
    char *s = ocpp_cp_poll(&g->cp, g->now, 1700000000);
    if (!s) {
        return false;
    }
    snprintf(g->last, sizeof(g->last), "%s", s);
    const char *why;
    ck_assert_int_eq(ocpp_frame_parse(s, strlen(s), f, &why), 0);
    free(s);
    return true;
}

static void answer(struct rig *g, const struct ocpp_frame *call, const char *status)
{
    char text[128];
    snprintf(text, sizeof(text), "[3,\"%s\",{\"status\":\"%s\"}]", call->id, status);
    struct ocpp_frame r;
    const char *why;
    ck_assert_int_eq(ocpp_frame_parse(text, strlen(text), &r, &why), 0);
    ck_assert_int_eq(ocpp_cp_on_reply(&g->cp, &r, g->now), 0);
    ocpp_frame_clear(&r);
}

static double profile_limit(const struct ocpp_frame *f)
{
    const json_t *p = json_object_get(f->payload, "csChargingProfiles");
    const json_t *per = json_array_get(
        json_object_get(json_object_get(p, "chargingSchedule"), "chargingSchedulePeriod"), 0);
    return json_number_value(json_object_get(per, "limit"));
}

/* Answers every non-profile CALL with Accepted until nothing is due; profiles are left in
 * flight and returned (at most one) in *prof. */
static bool settle(struct rig *g, struct ocpp_frame *prof)
{
    struct ocpp_frame f;
    bool got = false;
    while (poll_one(g, &f)) {
        if (strcmp(f.action, "SetChargingProfile") == 0 && !got) {
            *prof = f;
            got = true;
            continue;
        }
        answer(g, &f, "Accepted");
        ocpp_frame_clear(&f);
    }
    return got;
}

/* Sets the target and gets it confirmed. */
static void confirm(struct rig *g, int32_t ma)
{
    struct ocpp_frame p;
    ocpp_cp_set_target(&g->cp, ma);
    ck_assert(settle(g, &p));
    ck_assert_int_eq((int)(profile_limit(&p) * 1000 + 0.5), ma);
    answer(g, &p, "Accepted");
    ocpp_frame_clear(&p);
    struct ocpp_frame none;
    ck_assert(!settle(g, &none));
    ck_assert_int_eq(ocpp_cp_confirmed_ma(&g->cp), ma);
}

START_TEST(test_first_connection_asks_for_meter_values)
{
    struct rig g;
    rig_init(&g);
    struct ocpp_frame f;
    ck_assert(poll_one(&g, &f));
    ck_assert_str_eq(f.action, "ChangeConfiguration");
    ck_assert_str_eq(json_string_value(json_object_get(f.payload, "key")),
                     "MeterValuesSampledData");
    ck_assert(strstr(json_string_value(json_object_get(f.payload, "value")), "Current.Import"));
    struct ocpp_frame again;
    ck_assert(!poll_one(&g, &again)); /* one CALL at a time */
    answer(&g, &f, "Accepted");
    ocpp_frame_clear(&f);
    ck_assert(poll_one(&g, &f));
    ck_assert_str_eq(json_string_value(json_object_get(f.payload, "key")),
                     "MeterValueSampleInterval");
    ck_assert_str_eq(json_string_value(json_object_get(f.payload, "value")), "10");
    answer(&g, &f, "Accepted");
    ocpp_frame_clear(&f);
    ck_assert(!poll_one(&g, &f));
}

END_TEST

START_TEST(test_a_target_goes_out_once_and_in_deci_amps)
{
    struct rig g;
    rig_init(&g);
    confirm(&g, 16000);
    ck_assert(strstr(g.last, "\"limit\":16.0") || strstr(g.last, "GetComposite"));
    ocpp_cp_set_target(&g.cp, 16000); /* unchanged: nothing goes out */
    struct ocpp_frame f;
    ck_assert(!poll_one(&g, &f));
    ocpp_cp_set_target(&g.cp, 6149); /* rounded down to 6.1 A, printed exactly */
    ck_assert(poll_one(&g, &f));
    ck_assert_msg(strstr(g.last, "\"limit\":6.1}"), "%s", g.last);
    ck_assert(strstr(g.last, "\"chargingProfilePurpose\":\"TxDefaultProfile\""));
    ck_assert(strstr(g.last, "\"startSchedule\":\"2023-11-14T22:13:20Z\""));
    ocpp_frame_clear(&f);
}

END_TEST

START_TEST(test_a_cut_counts_only_once_the_charger_confirmed_it)
{
    struct rig g;
    rig_init(&g);
    confirm(&g, 32000);
    ocpp_cp_set_target(&g.cp, 16000);
    struct ocpp_frame f;
    ck_assert(settle(&g, &f));
    /* in flight: the charger may still offer 32 A, so the engine must count 32 A */
    ck_assert_int_eq(ocpp_cp_offer_ma(&g.cp), 32000);
    ck_assert_int_eq(ocpp_cp_confirmed_ma(&g.cp), 32000);
    answer(&g, &f, "Accepted");
    ocpp_frame_clear(&f);
    ck_assert_int_eq(ocpp_cp_offer_ma(&g.cp), 16000);
}

END_TEST

START_TEST(test_a_raise_counts_as_soon_as_it_is_sent)
{
    struct rig g;
    rig_init(&g);
    confirm(&g, 10000);
    ocpp_cp_set_target(&g.cp, 20000);
    struct ocpp_frame f;
    ck_assert(settle(&g, &f));
    ck_assert_int_eq(ocpp_cp_offer_ma(&g.cp), 20000);
    ck_assert_int_eq(ocpp_cp_confirmed_ma(&g.cp), 10000);
    /* refused: the old offer stays in force, and the target goes out again */
    answer(&g, &f, "Rejected");
    ocpp_frame_clear(&f);
    ck_assert_int_eq(ocpp_cp_offer_ma(&g.cp), 10000);
    ck_assert_uint_eq(g.cp.n_refused, 1);
    ck_assert(settle(&g, &f));
    ck_assert_int_eq((int)profile_limit(&f), 20);
    ocpp_frame_clear(&f);
}

END_TEST

START_TEST(test_a_cut_goes_out_past_a_call_in_flight)
{
    struct rig g;
    rig_init(&g);
    confirm(&g, 32000);
    ocpp_cp_set_target(&g.cp, 20000);
    struct ocpp_frame raise, cut;
    ck_assert(settle(&g, &raise)); /* 20 A in flight, unanswered */
    ocpp_cp_set_target(&g.cp, 8000);
    ck_assert(poll_one(&g, &cut));
    ck_assert_str_eq(cut.action, "SetChargingProfile");
    ck_assert_int_eq((int)profile_limit(&cut), 8);
    answer(&g, &raise, "Accepted");
    answer(&g, &cut, "Accepted");
    ck_assert_int_eq(ocpp_cp_confirmed_ma(&g.cp), 8000);
    ocpp_frame_clear(&raise);
    ocpp_frame_clear(&cut);
}

END_TEST

START_TEST(test_a_dropped_charge_point_counts_at_its_last_confirmed_offer)
{
    struct rig g;
    rig_init(&g);
    confirm(&g, 16000);
    ocpp_cp_offline(&g.cp, 1000);
    ck_assert_int_eq(ocpp_cp_offer_ma(&g.cp), 16000);
    struct ocpp_frame f;
    ck_assert(!poll_one(&g, &f)); /* nothing is sent while down */
    /* a cut in flight when the link goes is not known to be in force: 16 A still counts */
    ocpp_cp_online(&g.cp, 2000);
    ocpp_cp_set_target(&g.cp, 6000);
    ck_assert(settle(&g, &f));
    ocpp_frame_clear(&f);
    ocpp_cp_offline(&g.cp, 3000);
    ck_assert_int_eq(ocpp_cp_offer_ma(&g.cp), 16000);
    /* a raise in flight may have been applied: it counts */
    ocpp_cp_online(&g.cp, 4000);
    ocpp_cp_set_target(&g.cp, 24000);
    ck_assert(settle(&g, &f));
    ocpp_frame_clear(&f);
    ocpp_cp_offline(&g.cp, 5000);
    ck_assert_int_eq(ocpp_cp_offer_ma(&g.cp), 24000);
}

END_TEST

START_TEST(test_a_first_tx_profile_cut_in_flight_at_a_drop_is_not_believed)
{
    struct rig g;
    rig_init(&g);
    confirm(&g, 32000); /* the TxDefaultProfile in force */
    /* a transaction starts; its first TxProfile cuts to 10 A and is in flight */
    call(&g, "StartTransaction",
         "{\"connectorId\":1,\"idTag\":\"T\",\"meterStart\":0,\"timestamp\":\"t\"}");
    ocpp_cp_set_target(&g.cp, 10000);
    struct ocpp_frame f;
    ck_assert(settle(&g, &f));
    ck_assert(strstr(g.last, "TxProfile"));
    ck_assert_int_eq(ocpp_cp_offer_ma(&g.cp), 32000);
    ocpp_frame_clear(&f);
    ocpp_cp_offline(&g.cp, 1000);
    ck_assert_int_eq(ocpp_cp_offer_ma(&g.cp), 32000);
}

END_TEST

START_TEST(test_an_unanswered_profile_is_given_up_and_counted_high)
{
    struct rig g;
    rig_init(&g);
    confirm(&g, 10000);
    ocpp_cp_set_target(&g.cp, 20000);
    struct ocpp_frame f;
    ck_assert(settle(&g, &f));
    ocpp_frame_clear(&f);
    g.now += 30000;
    ocpp_cp_set_target(&g.cp, 10000);
    ck_assert(settle(&g, &f)); /* the timed-out raise counts; the cut goes out again */
    ck_assert_int_eq(ocpp_cp_confirmed_ma(&g.cp), 20000);
    ck_assert_int_eq((int)profile_limit(&f), 10);
    ocpp_frame_clear(&f);
}

END_TEST

/* Calls ocpp_cp_on_call with text; returns the reply as text (or "ERR <code>"). */
static char *call(struct rig *g, const char *action, const char *payload)
{
    json_error_t e;
    json_t *p = json_loads(payload, 0, &e);
    ck_assert_ptr_nonnull(p);
    const char *code = NULL;
    char why[128];
    json_t *r = ocpp_cp_on_call(&g->cp, action, p, g->now, 1700000000, &code, why, sizeof(why));
    json_decref(p);
    static char out[512];
    if (!r) {
        snprintf(out, sizeof(out), "ERR %s", code);
        return out;
    }
    char *s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(r);
    snprintf(out, sizeof(out), "%s", s);
    free(s);
    return out;
}

START_TEST(test_charge_point_messages_feed_the_engine_inputs)
{
    struct rig g;
    rig_init(&g);
    ck_assert_str_eq(call(&g, "BootNotification",
                          "{\"chargePointVendor\":\"ABB\",\"chargePointModel\":\"Terra AC\"}"),
                     "{\"currentTime\":\"2023-11-14T22:13:20Z\",\"interval\":300,\"status\":"
                     "\"Accepted\"}");
    ck_assert_str_eq(call(&g, "Heartbeat", "{}"), "{\"currentTime\":\"2023-11-14T22:13:20Z\"}");
    ck_assert_str_eq(call(&g, "StatusNotification",
                          "{\"connectorId\":1,\"errorCode\":\"NoError\",\"status\":\"Preparing\"}"),
                     "{}");
    ck_assert(g.cp.car_connected && !g.cp.charging);
    call(&g, "StatusNotification",
         "{\"connectorId\":1,\"errorCode\":\"NoError\",\"status\":\"Charging\"}");
    ck_assert(g.cp.car_connected && g.cp.charging);
    call(&g, "StatusNotification",
         "{\"connectorId\":2,\"errorCode\":\"NoError\",\"status\":\"Available\"}");
    ck_assert(g.cp.charging); /* another connector */
    g.now = 5000;
    ck_assert_str_eq(
        call(&g, "MeterValues",
             "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"2023-11-14T22:13:20Z\","
             "\"sampledValue\":[{\"value\":\"15.8\",\"measurand\":\"Current.Import\",\"phase\":"
             "\"L1\",\"unit\":\"A\"},{\"value\":\"15.9\",\"measurand\":\"Current.Import\","
             "\"phase\":\"L2\"},{\"value\":\"0.2\",\"measurand\":\"Current.Import\",\"phase\":"
             "\"L3\"},{\"value\":\"12.345\",\"unit\":\"kWh\"},{\"value\":\"7.3\",\"measurand\":"
             "\"Power.Active.Import\",\"unit\":\"kW\"},{\"value\":\"junk\",\"measurand\":"
             "\"Voltage\"}]}]}"),
        "{}");
    ck_assert_int_eq(g.cp.draw_ma[0], 15800);
    ck_assert_int_eq(g.cp.draw_ma[1], 15900);
    ck_assert_int_eq(g.cp.draw_ma[2], 200);
    ck_assert_uint_eq(g.cp.draw_at_ms, 5000);
    ck_assert_int_eq(g.cp.energy_wh, 12345);
    ck_assert_int_eq(g.cp.power_w, 7300);
    /* an unreadable current is ignored, the last good one kept */
    call(&g, "MeterValues",
         "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"t\",\"sampledValue\":[{\"value\":"
         "\"-3\",\"measurand\":\"Current.Import\",\"phase\":\"L1\"}]}]}");
    ck_assert_int_eq(g.cp.draw_ma[0], 15800);
    ck_assert_str_eq(call(&g, "StartTransaction",
                          "{\"connectorId\":1,\"idTag\":\"T1\",\"meterStart\":12000,"
                          "\"timestamp\":\"2023-11-14T22:13:20Z\"}"),
                     "{\"idTagInfo\":{\"status\":\"Accepted\"},\"transactionId\":100}");
    ck_assert(g.cp.in_tx);
    ck_assert_str_eq(call(&g, "StopTransaction",
                          "{\"transactionId\":100,\"meterStop\":13000,\"timestamp\":\"t\"}"),
                     "{}");
    ck_assert(!g.cp.in_tx);
    /* an unknown transaction is still answered, or the charger retries for ever */
    ck_assert_str_eq(call(&g, "StopTransaction",
                          "{\"transactionId\":-1,\"meterStop\":1,\"timestamp\":\"t\",\"idTag\":"
                          "\"T1\"}"),
                     "{\"idTagInfo\":{\"status\":\"Accepted\"}}");
}

END_TEST

START_TEST(test_bad_calls_get_the_right_callerror)
{
    struct rig g;
    rig_init(&g);
    ck_assert_str_eq(call(&g, "FlyToTheMoon", "{}"), "ERR NotImplemented");
    ck_assert_str_eq(call(&g, "BootNotification", "{\"chargePointVendor\":\"x\"}"),
                     "ERR OccurenceConstraintViolation");
    ck_assert_str_eq(
        call(&g, "BootNotification", "{\"chargePointVendor\":1,\"chargePointModel\":\"m\"}"),
        "ERR TypeConstraintViolation");
    ck_assert_str_eq(call(&g, "Authorize", "{\"idTag\":\"012345678901234567890\"}"),
                     "ERR FormationViolation");
    ck_assert_str_eq(call(&g, "StatusNotification",
                          "{\"connectorId\":1,\"errorCode\":\"NoError\",\"status\":\"Sleeping\"}"),
                     "ERR FormationViolation");
    ck_assert_str_eq(call(&g, "MeterValues",
                          "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"t\","
                          "\"sampledValue\":[{\"unit\":\"A\"}]}]}"),
                     "ERR OccurenceConstraintViolation");
    ck_assert_str_eq(call(&g, "StartTransaction",
                          "{\"connectorId\":1.5,\"idTag\":\"T\",\"meterStart\":0,\"timestamp\":"
                          "\"t\"}"),
                     "ERR TypeConstraintViolation");
    /* 300.0 is an integer to the schemas */
    ck_assert_str_eq(call(&g, "StatusNotification",
                          "{\"connectorId\":1.0,\"errorCode\":\"NoError\",\"status\":\"Faulted\"}"),
                     "{}");
}

END_TEST

START_TEST(test_an_allow_list_refuses_unknown_tags)
{
    struct rig g;
    rig_init(&g);
    static const char *const tags[] = {"GOOD"};
    g.conf.id_tags = tags;
    g.conf.n_id_tags = 1;
    ck_assert_str_eq(call(&g, "Authorize", "{\"idTag\":\"GOOD\"}"),
                     "{\"idTagInfo\":{\"status\":\"Accepted\"}}");
    ck_assert_str_eq(call(&g, "Authorize", "{\"idTag\":\"EVIL\"}"),
                     "{\"idTagInfo\":{\"status\":\"Invalid\"}}");
    call(&g, "StartTransaction",
         "{\"connectorId\":1,\"idTag\":\"EVIL\",\"meterStart\":0,\"timestamp\":\"t\"}");
    ck_assert(!g.cp.in_tx);
}

END_TEST

START_TEST(test_clear_sends_clear_charging_profile_for_ours)
{
    struct rig g;
    rig_init(&g);
    confirm(&g, 16000);
    ocpp_cp_clear(&g.cp);
    struct ocpp_frame f;
    ck_assert(poll_one(&g, &f));
    ck_assert_str_eq(f.action, "ClearChargingProfile");
    answer(&g, &f, "Accepted");
    ocpp_frame_clear(&f);
    ck_assert(poll_one(&g, &f));
    ck_assert_str_eq(f.action, "ClearChargingProfile");
    answer(&g, &f, "Accepted");
    ocpp_frame_clear(&f);
    ck_assert(!poll_one(&g, &f));
}

END_TEST

/* ---- transactions for the session log, and the shutdown ---- */

START_TEST(test_transactions_become_events_for_the_session_log)
{
    struct rig g;
    rig_init(&g);
    const char *allowed[] = {"T1"};
    g.conf.id_tags = allowed;
    g.conf.n_id_tags = 1;
    struct ocpp_tx_event ev;
    ck_assert(!ocpp_cp_tx_event(&g.cp, &ev));
    g.now = 7000;
    call(&g, "StartTransaction",
         "{\"connectorId\":1,\"idTag\":\"T1\",\"meterStart\":12000,\"timestamp\":\"t\"}");
    ck_assert(ocpp_cp_tx_event(&g.cp, &ev));
    ck_assert_int_eq(ev.kind, OCPP_TX_START);
    ck_assert_int_eq(ev.tx_id, 100);
    ck_assert_str_eq(ev.tag, "T1");
    ck_assert_int_eq(ev.meter_wh, 12000);
    ck_assert_uint_eq(ev.at_ms, 7000);
    ck_assert_int_eq(ev.wall_s, 1700000000);
    ck_assert(!ocpp_cp_tx_event(&g.cp, &ev));
    /* the register in the transaction's meter values is its energy so far */
    call(&g, "MeterValues",
         "{\"connectorId\":1,\"transactionId\":100,\"meterValue\":[{\"timestamp\":\"t\","
         "\"sampledValue\":[{\"value\":\"12.5\",\"unit\":\"kWh\"}]}]}");
    ck_assert_int_eq(g.cp.tx_meter_wh, 12500);
    /* a reason not in the schema's enum is refused, and the transaction goes on */
    ck_assert_str_eq(call(&g, "StopTransaction",
                          "{\"transactionId\":100,\"meterStop\":13000,\"timestamp\":\"t\","
                          "\"reason\":\"Exploded\"}"),
                     "ERR FormationViolation");
    ck_assert(g.cp.in_tx && !ocpp_cp_tx_event(&g.cp, &ev));
    g.now = 9000;
    call(&g, "StopTransaction",
         "{\"transactionId\":100,\"meterStop\":13000,\"timestamp\":\"t\",\"reason\":"
         "\"EVDisconnected\"}");
    ck_assert(ocpp_cp_tx_event(&g.cp, &ev));
    ck_assert_int_eq(ev.kind, OCPP_TX_STOP);
    ck_assert_int_eq(ev.tx_id, 100);
    ck_assert_str_eq(ev.tag, "T1");
    ck_assert_int_eq(ev.meter_wh, 13000);
    ck_assert_str_eq(ev.reason, "EVDisconnected");
    ck_assert_uint_eq(ev.at_ms, 9000);
    /* a refused tag, another connector, an unknown stop: no event */
    call(&g, "StartTransaction",
         "{\"connectorId\":1,\"idTag\":\"EVIL\",\"meterStart\":0,\"timestamp\":\"t\"}");
    call(&g, "StartTransaction",
         "{\"connectorId\":2,\"idTag\":\"T1\",\"meterStart\":0,\"timestamp\":\"t\"}");
    call(&g, "StopTransaction", "{\"transactionId\":5,\"meterStop\":1,\"timestamp\":\"t\"}");
    ck_assert(!ocpp_cp_tx_event(&g.cp, &ev));
    /* nobody reading: the oldest go, the newest stay */
    for (int i = 0; i < OCPP_TX_EVENTS + 2; i++) {
        call(&g, "StartTransaction",
             "{\"connectorId\":1,\"idTag\":\"T1\",\"meterStart\":1,\"timestamp\":\"t\"}");
    }
    ck_assert_uint_eq(g.cp.tx_ev_dropped, 2);
    int n = 0;
    int32_t last = 0;
    while (ocpp_cp_tx_event(&g.cp, &ev)) {
        ck_assert_int_gt(ev.tx_id, last);
        last = ev.tx_id;
        n++;
    }
    ck_assert_int_eq(n, OCPP_TX_EVENTS);
    ck_assert_int_eq(last, g.next_tx - 1);
}

END_TEST

START_TEST(test_a_transaction_from_before_a_restart_resumes_and_a_reboot_ends_one)
{
    struct rig g;
    rig_init(&g);
    struct ocpp_tx_event ev;
    /* we were restarted: the charger goes on with transaction 555 of our previous run */
    g.now = 3000;
    call(&g, "MeterValues",
         "{\"connectorId\":1,\"transactionId\":555,\"meterValue\":[{\"timestamp\":\"t\","
         "\"sampledValue\":[{\"value\":\"20000\",\"unit\":\"Wh\"}]}]}");
    ck_assert(g.cp.in_tx);
    ck_assert_int_eq(g.cp.tx_id, 555);
    ck_assert(ocpp_cp_tx_event(&g.cp, &ev));
    ck_assert_int_eq(ev.kind, OCPP_TX_START);
    ck_assert_int_eq(ev.tx_id, 555);
    ck_assert_str_eq(ev.tag, "");
    ck_assert_int_eq(ev.meter_wh, 20000);
    /* its profile is a TxProfile of that transaction: it replaces the one we left there */
    confirm(&g, 10000);
    ck_assert_msg(strstr(g.last, "\"transactionId\":555") || strstr(g.last, "GetComposite"), "%s",
                  g.last);
    ck_assert_int_eq(g.cp.tx_ma, 10000);
    /* the charger reboots: the transaction is over, at its last reading, as a fault */
    call(&g, "MeterValues",
         "{\"connectorId\":1,\"transactionId\":555,\"meterValue\":[{\"timestamp\":\"t\","
         "\"sampledValue\":[{\"value\":\"20400\",\"unit\":\"Wh\"}]}]}");
    call(&g, "BootNotification", "{\"chargePointVendor\":\"V\",\"chargePointModel\":\"M\"}");
    ck_assert(!g.cp.in_tx);
    ck_assert(ocpp_cp_tx_event(&g.cp, &ev));
    ck_assert_int_eq(ev.kind, OCPP_TX_STOP);
    ck_assert_int_eq(ev.tx_id, 555);
    ck_assert_int_eq(ev.meter_wh, 20400);
    ck_assert_str_eq(ev.reason, "Reboot");
    /* its late meter values and its stop do not bring it back */
    call(&g, "MeterValues",
         "{\"connectorId\":1,\"transactionId\":555,\"meterValue\":[{\"timestamp\":\"t\","
         "\"sampledValue\":[{\"value\":\"20500\",\"unit\":\"Wh\"}]}]}");
    call(&g, "StopTransaction",
         "{\"transactionId\":555,\"meterStop\":20500,\"timestamp\":\"t\",\"reason\":"
         "\"PowerLoss\"}");
    ck_assert(!g.cp.in_tx && !ocpp_cp_tx_event(&g.cp, &ev));
    /* nor does a refused one's, nor another connector's */
    const char *allowed[] = {"T1"};
    g.conf.id_tags = allowed;
    g.conf.n_id_tags = 1;
    call(&g, "StartTransaction",
         "{\"connectorId\":1,\"idTag\":\"EVIL\",\"meterStart\":0,\"timestamp\":\"t\"}");
    char mv[256];
    snprintf(mv, sizeof(mv),
             "{\"connectorId\":1,\"transactionId\":%d,\"meterValue\":[{\"timestamp\":\"t\","
             "\"sampledValue\":[{\"value\":\"1\"}]}]}",
             (int)(g.next_tx - 1));
    call(&g, "MeterValues", mv);
    call(&g, "MeterValues",
         "{\"connectorId\":2,\"transactionId\":777,\"meterValue\":[{\"timestamp\":\"t\","
         "\"sampledValue\":[{\"value\":\"1\"}]}]}");
    ck_assert(!g.cp.in_tx && !ocpp_cp_tx_event(&g.cp, &ev));
}

END_TEST

/* Answers every CALL with status (SetChargingProfile TxDefaultProfile with default_status),
 * noting each in order into seq ("TxProfile 6.0", "TxDefaultProfile 6.0", "Clear 9102",
 * "GetCompositeSchedule"); stops when nothing is due. */
static void run_stop(struct rig *g, const char *default_status, char *seq, size_t cap)
{
    struct ocpp_frame f;
    seq[0] = '\0';
    for (int i = 0; i < 20 && poll_one(g, &f); i++) {
        char one[64];
        const char *st = "Accepted";
        if (strcmp(f.action, "SetChargingProfile") == 0) {
            const char *purpose = json_string_value(json_object_get(
                json_object_get(f.payload, "csChargingProfiles"), "chargingProfilePurpose"));
            snprintf(one, sizeof(one), "%s %.1f", purpose, profile_limit(&f));
            if (strcmp(purpose, "TxDefaultProfile") == 0) {
                st = default_status;
                default_status = "Accepted"; /* refused once at most */
            }
        } else if (strcmp(f.action, "ClearChargingProfile") == 0) {
            snprintf(one, sizeof(one), "Clear %d",
                     (int)json_integer_value(json_object_get(f.payload, "id")));
            ck_assert(!ocpp_cp_settled(&g->cp));
        } else {
            snprintf(one, sizeof(one), "%s", f.action);
        }
        snprintf(seq + strlen(seq), cap - strlen(seq), "%s%s", seq[0] ? ", " : "", one);
        answer(g, &f, st);
        ocpp_frame_clear(&f);
        /* the daemon waits for this: not done before our TxProfile's clear was answered */
        if (!strstr(seq, "Clear")) {
            ck_assert_msg(!ocpp_cp_settled(&g->cp), "settled after %s", seq);
        }
    }
}

START_TEST(test_stop_sets_the_safe_default_before_it_clears_our_tx_profile)
{
    struct rig g;
    rig_init(&g);
    call(&g, "StartTransaction",
         "{\"connectorId\":1,\"idTag\":\"T1\",\"meterStart\":0,\"timestamp\":\"t\"}");
    confirm(&g, 16000); /* a TxProfile in the transaction */
    ck_assert(strstr(g.last, "GetComposite") || strstr(g.last, "TxProfile"));
    ck_assert(ocpp_cp_settled(&g.cp));
    /* the shutdown current: cut at once as the TxProfile, then the default, then the clear */
    ocpp_cp_set_target(&g.cp, 6000);
    ocpp_cp_stop(&g.cp);
    ck_assert(!ocpp_cp_settled(&g.cp));
    char seq[512];
    run_stop(&g, "Accepted", seq, sizeof(seq));
    ck_assert_str_eq(seq, "TxProfile 6.0, TxDefaultProfile 6.0, Clear 9102, GetCompositeSchedule");
    ck_assert(ocpp_cp_settled(&g.cp));
    ck_assert_int_eq(ocpp_cp_confirmed_ma(&g.cp), 6000);
    ck_assert_int_eq(g.cp.tx_ma, OCPP_OFFER_UNKNOWN);
    ocpp_cp_stop(&g.cp); /* once */
    ck_assert(ocpp_cp_settled(&g.cp));

    /* a default the charger refused: no clear until it accepted the default again */
    rig_init(&g);
    call(&g, "StartTransaction",
         "{\"connectorId\":1,\"idTag\":\"T1\",\"meterStart\":0,\"timestamp\":\"t\"}");
    confirm(&g, 16000);
    ocpp_cp_set_target(&g.cp, 6000);
    ocpp_cp_stop(&g.cp);
    run_stop(&g, "Rejected", seq, sizeof(seq));
    ck_assert_str_eq(seq, "TxProfile 6.0, TxDefaultProfile 6.0, TxDefaultProfile 6.0, Clear 9102, "
                          "GetCompositeSchedule");

    /* no transaction: the default as the target, then our TxProfile cleared all the same (one
     * may be left from a transaction ampshare did not see start) */
    rig_init(&g);
    confirm(&g, 16000);
    ocpp_cp_set_target(&g.cp, 0);
    ocpp_cp_stop(&g.cp);
    run_stop(&g, "Accepted", seq, sizeof(seq));
    ck_assert_str_eq(seq, "TxDefaultProfile 0.0, Clear 9102, GetCompositeSchedule");
    ck_assert_int_eq(ocpp_cp_confirmed_ma(&g.cp), 0);
}

END_TEST

static Suite *ocpp_suite(void)
{
    log_set_sink(log_sink_discard, NULL, LOG_LEVEL_DEBUG);
    Suite *s = suite_create("ocpp");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_frames_parse_call_result_and_error);
    tcase_add_test(tc, test_malformed_frames_are_refused_with_the_id_when_readable);
    tcase_add_test(tc, test_frames_print_as_ocpp_j);
    tcase_add_test(tc, test_first_connection_asks_for_meter_values);
    tcase_add_test(tc, test_a_target_goes_out_once_and_in_deci_amps);
    tcase_add_test(tc, test_a_cut_counts_only_once_the_charger_confirmed_it);
    tcase_add_test(tc, test_a_raise_counts_as_soon_as_it_is_sent);
    tcase_add_test(tc, test_a_cut_goes_out_past_a_call_in_flight);
    tcase_add_test(tc, test_a_dropped_charge_point_counts_at_its_last_confirmed_offer);
    tcase_add_test(tc, test_a_first_tx_profile_cut_in_flight_at_a_drop_is_not_believed);
    tcase_add_test(tc, test_an_unanswered_profile_is_given_up_and_counted_high);
    tcase_add_test(tc, test_charge_point_messages_feed_the_engine_inputs);
    tcase_add_test(tc, test_bad_calls_get_the_right_callerror);
    tcase_add_test(tc, test_an_allow_list_refuses_unknown_tags);
    tcase_add_test(tc, test_clear_sends_clear_charging_profile_for_ours);
    tcase_add_test(tc, test_transactions_become_events_for_the_session_log);
    tcase_add_test(tc, test_a_transaction_from_before_a_restart_resumes_and_a_reboot_ends_one);
    tcase_add_test(tc, test_stop_sets_the_safe_default_before_it_clears_our_tx_profile);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(ocpp_suite)
