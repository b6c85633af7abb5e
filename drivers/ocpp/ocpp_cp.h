/* SPDX-License-Identifier: MIT */
/*
 * One OCPP 1.6 charge point as the central system sees it (docs/ocpp.md): a pure state machine.
 * Frames go in (ocpp_cp_on_call, ocpp_cp_on_reply), frames to send come out (ocpp_cp_poll),
 * time is passed in (now_ms monotonic for timeouts, wall_s for the timestamps OCPP carries).
 *
 * Control: the engine's target goes out as a charging profile in amperes only when it differs
 * from the offer in force. The offer in force is what the charger confirmed (an Accepted
 * SetChargingProfile); while a profile is in flight the higher of the two counts, so a cut
 * counts only once confirmed and a raise counts at once. A charge point that drops keeps its
 * last confirmed offer (OCPP profiles stay in force across connection losses).
 */
#ifndef OCPP_CP_H
#define OCPP_CP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "drivers/ocpp/ocpp_frame.h"

#define OCPP_OFFER_UNKNOWN (-1)
#define OCPP_OUT_MAX       4 /* our CALLs in flight on one connection */
#define OCPP_TAG_MAX       20
#define OCPP_CP_ID_MAX     48
#define OCPP_TX_EVENTS     8  /* transaction starts and stops kept until read */
#define OCPP_REASON_MAX    16 /* StopTransaction's reason ("EVDisconnected") and the NUL */

/* Settings shared by the charge points of one server (borrowed). */
struct ocpp_cp_conf {
    uint32_t heartbeat_s;       /* BootNotification interval (300) */
    uint32_t meter_interval_s;  /* MeterValueSampleInterval asked for (10) */
    uint32_t call_timeout_ms;   /* a CALL of ours unanswered this long is given up (30000) */
    const char *const *id_tags; /* allow-list; NULL = accept every id tag */
    size_t n_id_tags;
    int32_t *next_tx_id; /* shared counter of transaction ids (unique across charge points) */
};

enum ocpp_out_kind {
    OCPP_OUT_MEASURANDS = 1, /* ChangeConfiguration MeterValuesSampledData */
    OCPP_OUT_INTERVAL,       /* ChangeConfiguration MeterValueSampleInterval */
    OCPP_OUT_DEFAULT,        /* SetChargingProfile TxDefaultProfile */
    OCPP_OUT_TX,             /* SetChargingProfile TxProfile */
    OCPP_OUT_COMPOSITE,      /* GetCompositeSchedule */
    OCPP_OUT_CLEAR,          /* ClearChargingProfile */
};

struct ocpp_out {
    enum ocpp_out_kind kind; /* 0: free slot */
    char id[OCPP_ID_MAX + 1];
    int32_t limit_ma;
    int32_t profile_id; /* OCPP_OUT_CLEAR: the profile it clears */
    uint64_t at_ms;
};

/* A transaction of our connector that started or stopped, for the session log, with when the
 * central system heard of it (the charger's own timestamp may be off). */
enum ocpp_tx_kind {
    OCPP_TX_START = 1,
    OCPP_TX_STOP,
};

struct ocpp_tx_event {
    enum ocpp_tx_kind kind;
    int32_t tx_id;
    char tag[OCPP_TAG_MAX + 1];
    int64_t meter_wh;             /* meterStart / meterStop (Wh register) */
    char reason[OCPP_REASON_MAX]; /* StopTransaction's reason; "" = absent (Local) */
    time_t wall_s;
    uint64_t at_ms;
};

struct ocpp_cp {
    char id[OCPP_CP_ID_MAX]; /* the charge point identity (URL path) */
    int connector;           /* the connector we control (1) */
    const struct ocpp_cp_conf *conf;

    bool online;
    bool booted; /* a BootNotification was answered on this connection */
    char vendor[21], model[21];
    char status[16]; /* the connector's last StatusNotification status, "" = none */
    bool car_connected, charging;

    int32_t draw_ma[3]; /* Current.Import L1, L2, L3 (conductors) */
    uint64_t draw_at_ms;
    int64_t energy_wh; /* Energy.Active.Import.Register, -1 unknown */
    int32_t power_w;

    bool in_tx;
    int32_t tx_id;
    char tx_tag[OCPP_TAG_MAX + 1];
    int64_t tx_meter_start_wh;
    int64_t
        tx_meter_wh; /* meterStart, then each Energy.Active.Import.Register in the transaction */
    uint32_t n_tx;   /* transactions started since init */
    struct ocpp_tx_event tx_ev[OCPP_TX_EVENTS]; /* oldest first */
    size_t n_tx_ev;
    uint32_t tx_ev_dropped; /* the oldest dropped when nobody read them */
    int32_t tx_ended;       /* the last transaction that ended: never resumed by a late
                               MeterValues */

    int32_t target_ma;    /* the engine's target, OCPP_OFFER_UNKNOWN before the first */
    int32_t default_ma;   /* confirmed TxDefaultProfile limit, or OCPP_OFFER_UNKNOWN */
    int32_t tx_ma;        /* confirmed TxProfile limit in this transaction, or unknown */
    int32_t composite_ma; /* GetCompositeSchedule's read-back, or unknown */
    bool config_done, interval_due, composite_due;
    int clear_due;     /* ClearChargingProfile calls still to send */
    bool stopping;     /* the controller is shutting down (ocpp_cp_stop) */
    bool clear_tx_due; /* stopping: our TxProfile still to clear */
    uint32_t msg_seq;
    uint32_t n_refused; /* profiles the charger did not accept */
    struct ocpp_out out[OCPP_OUT_MAX];
};

void ocpp_cp_init(struct ocpp_cp *cp, const char *id, int connector, const struct ocpp_cp_conf *c);

/* The connection came up / went down. Down: calls in flight are given up; a raise in flight
 * might have been applied, so it joins the confirmed offer; the offer stays in force. */
void ocpp_cp_online(struct ocpp_cp *cp, uint64_t now_ms);
void ocpp_cp_offline(struct ocpp_cp *cp, uint64_t now_ms);

/*
 * Answers a CALL from the charge point. Returns the CALLRESULT payload (caller owns), or NULL
 * with *code the CALLERROR code (NotImplemented, FormationViolation, TypeConstraintViolation,
 * OccurenceConstraintViolation, PropertyConstraintViolation) and why filled.
 */
json_t *ocpp_cp_on_call(struct ocpp_cp *cp,
                        const char *action,
                        const json_t *payload,
                        uint64_t now_ms,
                        time_t wall_s,
                        const char **code,
                        char *why,
                        size_t whylen);

/* Takes a CALLRESULT or CALLERROR for one of our CALLs (others are ignored: returns -ENOENT). */
int ocpp_cp_on_reply(struct ocpp_cp *cp, const struct ocpp_frame *f, uint64_t now_ms);

/* The engine's target in mA (>= 0). */
void ocpp_cp_set_target(struct ocpp_cp *cp, int32_t target_ma);

/* Asks for ClearChargingProfile of both our profiles (leaves the charger unconstrained: not what
 * the daemon's shutdown does, see ocpp_cp_stop). */
void ocpp_cp_clear(struct ocpp_cp *cp);

/*
 * The controller shuts down (idempotent): the target (the shutdown current) goes out as usual,
 * and also as the TxDefaultProfile, which stays in force once we are gone; once the charger
 * confirmed that default, our TxProfile is cleared (no transaction-specific profile outlives
 * the controller). The safe default is always confirmed before the clear goes out.
 */
void ocpp_cp_stop(struct ocpp_cp *cp);

/* The oldest transaction start or stop not read yet: true and *out, or false. */
bool ocpp_cp_tx_event(struct ocpp_cp *cp, struct ocpp_tx_event *out);

/* The next frame to send now (malloc'd text), or NULL. Gives up calls past their timeout. */
char *ocpp_cp_poll(struct ocpp_cp *cp, uint64_t now_ms, time_t wall_s);

/* The offer in force, for the engine: confirmed, raised by any profile in flight. */
int32_t ocpp_cp_offer_ma(const struct ocpp_cp *cp);

/* The confirmed offer alone (TxProfile in a transaction, else TxDefaultProfile). */
int32_t ocpp_cp_confirmed_ma(const struct ocpp_cp *cp);

/* True while nothing of ours is in flight and the target is in force (stopping: as the
 * TxDefaultProfile too, and our TxProfile's clear answered). */
bool ocpp_cp_settled(const struct ocpp_cp *cp);

/* Formats a time as OCPP wants it: YYYY-MM-DDTHH:MM:SSZ. */
void ocpp_time(time_t t, char buf[21]);

#endif
