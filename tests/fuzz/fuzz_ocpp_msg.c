/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the OCPP-J frame parser and the charge point's message handling
 * (drivers/ocpp). The input is split at newlines into frames, all fed to one charge point as if
 * received on one connection; between frames the charge point is polled for what it would send.
 * Invariants checked (abort on violation):
 *  - a frame parses (0) or is refused (-EPROTO) with a readable id and a reason, no payload;
 *  - a CALL gets a CALLRESULT object, or a CALLERROR code; both print as a frame that parses;
 *  - every frame the charge point sends parses back as a CALL;
 *  - the offer counted for the engine is never below the confirmed offer, and never unknown once
 *    something was confirmed;
 *  - transaction events (for the session log) come out in order, a stop only of a transaction
 *    that started, with a tag of at most 20 characters and a reason of the schema's;
 *  - once stopping (the second half of the input), our TxProfile is cleared only while the
 *    TxDefaultProfile confirmed is the target (the safe default first), and the default never.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/base/log.h"
#include "drivers/ocpp/ocpp_cp.h"
#include "drivers/ocpp/ocpp_frame.h"
#include "tests/fuzz/fuzz_check.h"

static void check_frame_text(char *s, enum ocpp_type want)
{
    CHECK(s != NULL);
    struct ocpp_frame f;
    const char *why;
    CHECK(ocpp_frame_parse(s, strlen(s), &f, &why) == 0);
    CHECK(f.type == want);
    ocpp_frame_clear(&f);
    free(s);
}

/* A CALL the charge point sends: a ClearChargingProfile while stopping clears the TxProfile
 * (9102) only, and only once the safe default is confirmed at the target. */
static void check_sent(const struct ocpp_cp *cp, char *s)
{
    struct ocpp_frame f;
    const char *why;
    CHECK(s != NULL && ocpp_frame_parse(s, strlen(s), &f, &why) == 0 && f.type == OCPP_CALL);
    if (cp->stopping && strcmp(f.action, "ClearChargingProfile") == 0) {
        CHECK(json_integer_value(json_object_get(f.payload, "id")) == 9102);
        CHECK(cp->default_ma == cp->target_ma);
    }
    ocpp_frame_clear(&f);
    free(s);
}

/* Transaction events in order: a stop ends the transaction the last start opened. */
static void check_events(struct ocpp_cp *cp, int32_t *open_tx)
{
    struct ocpp_tx_event ev;
    while (ocpp_cp_tx_event(cp, &ev)) {
        CHECK(strlen(ev.tag) <= OCPP_TAG_MAX && strlen(ev.reason) < OCPP_REASON_MAX);
        if (ev.kind == OCPP_TX_START) {
            *open_tx = ev.tx_id;
        } else {
            CHECK(ev.kind == OCPP_TX_STOP);
            CHECK(ev.tx_id == *open_tx || cp->tx_ev_dropped > 0);
            *open_tx = -1;
        }
    }
}

static void one_frame(struct ocpp_cp *cp, const char *p, size_t n, uint64_t now)
{
    struct ocpp_frame f;
    const char *why = NULL;
    int rc = ocpp_frame_parse(p, n, &f, &why);
    if (rc != 0) {
        CHECK(rc == -EPROTO && why && f.payload == NULL && f.id[0]);
        check_frame_text(ocpp_frame_error(f.id, "FormationViolation", why), OCPP_ERROR);
        return;
    }
    CHECK(json_is_object(f.payload));
    if (f.type == OCPP_CALL) {
        const char *code = NULL;
        char desc[128] = "";
        json_t *r =
            ocpp_cp_on_call(cp, f.action, f.payload, now, 1700000000, &code, desc, sizeof(desc));
        if (r) {
            CHECK(json_is_object(r));
            check_frame_text(ocpp_frame_result(f.id, r), OCPP_RESULT);
        } else {
            CHECK(code != NULL);
            check_frame_text(ocpp_frame_error(f.id, code, desc), OCPP_ERROR);
        }
    } else {
        int r = ocpp_cp_on_reply(cp, &f, now);
        CHECK(r == 0 || r == -ENOENT);
    }
    ocpp_frame_clear(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        log_set_sink(log_sink_discard, NULL, LOG_LEVEL_ERR);
        once = 1;
    }
    int32_t next_tx = 1;
    struct ocpp_cp_conf conf = {.heartbeat_s = 300,
                                .meter_interval_s = 10,
                                .call_timeout_ms = 30000,
                                .next_tx_id = &next_tx};
    struct ocpp_cp cp;
    ocpp_cp_init(&cp, "FUZZ", 1, &conf);
    ocpp_cp_online(&cp, 0);
    uint64_t now = 0;
    size_t start = 0;
    int32_t open_tx = -1;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n') {
            continue;
        }
        now += 700;
        /* the target moves with the input, so cuts and raises cross the replies */
        ocpp_cp_set_target(&cp, (int32_t)((i * 2654435761u) % 40) * 1000);
        if (i >= size / 2) {
            ocpp_cp_stop(&cp); /* the shutdown, with the target still moving */
        }
        char *s;
        while ((s = ocpp_cp_poll(&cp, now, 1700000000))) {
            check_sent(&cp, s);
        }
        one_frame(&cp, (const char *)data + start, i - start, now);
        check_events(&cp, &open_tx);
        int32_t offer = ocpp_cp_offer_ma(&cp), conf_ma = ocpp_cp_confirmed_ma(&cp);
        CHECK(conf_ma == OCPP_OFFER_UNKNOWN || offer >= conf_ma);
        if (i % 5 == 4) {
            ocpp_cp_offline(&cp, now);
            CHECK(ocpp_cp_offer_ma(&cp) >= conf_ma);
            ocpp_cp_online(&cp, now);
        }
        start = i + 1;
    }
    return 0;
}
