/* SPDX-License-Identifier: MIT */
/* A charge point's transactions: begun, ended, resumed after a restart of ours, and the events
 * they leave for the session log (ocpp_cp.h). */
#include <stdio.h>
#include <string.h>

#include "drivers/base/log.h"
#include "drivers/ocpp/ocpp_cp.h"
#include "drivers/ocpp/ocpp_internal.h"

#define MOD "ocpp"

static void tx_push(struct ocpp_cp *cp, const struct ocpp_tx_event *ev)
{
    if (cp->n_tx_ev == OCPP_TX_EVENTS) {
        memmove(cp->tx_ev, cp->tx_ev + 1, (OCPP_TX_EVENTS - 1) * sizeof(*cp->tx_ev));
        cp->n_tx_ev--;
        cp->tx_ev_dropped++;
        log_warn(MOD, "%s: a transaction event was not read in time: dropped", cp->id);
    }
    cp->tx_ev[cp->n_tx_ev++] = *ev;
}

bool ocpp_cp_tx_event(struct ocpp_cp *cp, struct ocpp_tx_event *out)
{
    if (cp->n_tx_ev == 0) {
        return false;
    }
    *out = cp->tx_ev[0];
    memmove(cp->tx_ev, cp->tx_ev + 1, (cp->n_tx_ev - 1) * sizeof(*cp->tx_ev));
    cp->n_tx_ev--;
    return true;
}

static void push(struct ocpp_cp *cp,
                 enum ocpp_tx_kind kind,
                 int64_t meter_wh,
                 const char *reason,
                 uint64_t now_ms,
                 time_t wall_s)
{
    struct ocpp_tx_event ev = {
        .kind = kind, .tx_id = cp->tx_id, .meter_wh = meter_wh, .wall_s = wall_s, .at_ms = now_ms};
    snprintf(ev.tag, sizeof(ev.tag), "%s", cp->tx_tag);
    snprintf(ev.reason, sizeof(ev.reason), "%s", reason ? reason : "");
    tx_push(cp, &ev);
}

void ocpp_tx_begin(struct ocpp_cp *cp,
                   int32_t id,
                   const char *tag,
                   int64_t meter_start_wh,
                   uint64_t now_ms,
                   time_t wall_s)
{
    cp->in_tx = true;
    cp->tx_id = id;
    cp->tx_ma = OCPP_OFFER_UNKNOWN;
    cp->n_tx++;
    snprintf(cp->tx_tag, sizeof(cp->tx_tag), "%s", tag);
    cp->tx_meter_start_wh = meter_start_wh;
    cp->tx_meter_wh = meter_start_wh;
    push(cp, OCPP_TX_START, meter_start_wh, NULL, now_ms, wall_s);
}

void ocpp_tx_end(
    struct ocpp_cp *cp, int64_t meter_stop_wh, const char *reason, uint64_t now_ms, time_t wall_s)
{
    if (!cp->in_tx) {
        return;
    }
    cp->in_tx = false;
    cp->tx_ma = OCPP_OFFER_UNKNOWN;
    cp->tx_ended = cp->tx_id;
    push(cp, OCPP_TX_STOP, meter_stop_wh, reason, now_ms, wall_s);
}

void ocpp_tx_resume(struct ocpp_cp *cp, int32_t id, uint64_t now_ms, time_t wall_s)
{
    if (cp->in_tx || id <= 0 || id == cp->tx_ended) {
        return;
    }
    /* begun before this run of ours (we were restarted): its tag and meterStart are not known;
     * from here on it is a transaction like any, with its TxProfile and its stop */
    log_info(MOD, "%s: transaction %d resumed (begun before this start)", cp->id, (int)id);
    ocpp_tx_begin(cp, id, "", cp->energy_wh, now_ms, wall_s);
}
