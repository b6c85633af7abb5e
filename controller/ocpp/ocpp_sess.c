/* SPDX-License-Identifier: MIT */
/* OCPP transactions as the session log's samples (ocpp_sess.h). */
#include "controller/ocpp/ocpp_sess.h"

#include <string.h>

enum sess_end_reason ocpp_sess_reason(const char *reason)
{
    static const char *const fault[] = {"EmergencyStop", "PowerLoss", "HardReset", "SoftReset",
                                        "Reboot"};
    for (size_t i = 0; reason && i < sizeof(fault) / sizeof(fault[0]); i++) {
        if (strcmp(reason, fault[i]) == 0) {
            return SESS_END_FAULT;
        }
    }
    return SESS_END_UNPLUGGED;
}

/* The meter register as the session's counter; none when the charger sent a negative one. */
static void meter(struct sess_sample *s, int64_t wh)
{
    s->counter_source = wh >= 0 ? SESS_ENERGY_METER : SESS_ENERGY_INTEGRATED;
    s->counter_wh = wh >= 0 ? (uint64_t)wh : 0;
}

void ocpp_sess_event(const struct ocpp_tx_event *ev, struct sess_sample *s)
{
    s->id_tag = ev->tag;
    s->tx_id = ev->tx_id;
    meter(s, ev->meter_wh);
    s->connected = ev->kind == OCPP_TX_START;
    s->end_reason = ev->kind == OCPP_TX_STOP ? ocpp_sess_reason(ev->reason[0] ? ev->reason : NULL)
                                             : SESS_END_NONE;
}

void ocpp_sess_tick(const struct ocpp_cp *cp, struct sess_sample *s)
{
    s->connected = cp->in_tx;
    s->end_reason = SESS_END_NONE;
    if (cp->in_tx) {
        s->id_tag = cp->tx_tag;
        s->tx_id = cp->tx_id;
        meter(s, cp->tx_meter_wh);
    }
}
