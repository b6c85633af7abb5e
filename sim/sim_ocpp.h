/* SPDX-License-Identifier: MIT */
/*
 * A simulated OCPP 1.6J charge point with a car behind it (docs/ocpp.md), as the logic of
 * `ampshare sim ocpp`: pure, frames in and out as text, time passed in. The charger boots,
 * reports its connector, starts a transaction and sends meter values; the car draws
 * min(its own maximum, the charging profile's limit) on every phase, and nothing at 0 A.
 */
#ifndef SIM_OCPP_H
#define SIM_OCPP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "drivers/ocpp/ocpp_frame.h"

struct sim_ocpp {
    /* set before sim_ocpp_start */
    char id_tag[21];
    int32_t car_ma;   /* what the car takes when let (16000) */
    uint8_t phases;   /* 1 or 3 */
    uint32_t meter_s; /* meter value interval until the CSMS sets one (10) */

    /* state */
    int32_t limit_ma; /* the profile in force, -1 = none (unconstrained): the TxProfile in a
                         transaction, else the TxDefaultProfile (OCPP 1.6 §3.13.2) */
    int32_t default_ma, tx_ma;   /* each purpose's limit, -1 = none */
    int64_t default_pid, tx_pid; /* their chargingProfileIds (ClearChargingProfile by id) */
    int32_t tx_id;               /* -1 before StartTransaction's answer */
    bool booted;
    int step; /* where the start-up sequence is */
    double energy_wh;
    uint64_t last_ms, next_meter_ms;
    char out_id[OCPP_ID_MAX + 1]; /* our CALL in flight, "" = none */
    uint32_t seq;
    uint32_t n_profiles;
};

void sim_ocpp_init(struct sim_ocpp *s);

/* The connection is (again) up: the start-up sequence begins or resumes. */
void sim_ocpp_connected(struct sim_ocpp *s, uint64_t now_ms);

/* Takes a frame from the CSMS; returns the reply to send (malloc'd) or NULL. */
char *sim_ocpp_on_frame(struct sim_ocpp *s, const char *text, size_t len, uint64_t now_ms);

/* The next CALL to send now (malloc'd), or NULL; wall_s stamps timestamps. */
char *sim_ocpp_poll(struct sim_ocpp *s, uint64_t now_ms, time_t wall_s);

/* The car's current now, per phase (mA). */
int32_t sim_ocpp_draw_ma(const struct sim_ocpp *s);

#endif
