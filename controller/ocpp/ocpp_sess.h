/* SPDX-License-Identifier: MIT */
/*
 * OCPP transactions as the session log's samples (docs/ocpp.md, "Transactions in the session
 * log"). Pure: the session rules stay in controller/sess_track.c; this only says what a charge
 * point's transaction looks like to them. For an OCPP charger the session is the transaction:
 * it starts with an accepted StartTransaction, ends with its StopTransaction (the reason
 * mapped by ocpp_sess_reason), and its energy is meterStop - meterStart, read from the
 * Energy.Active.Import.Register of its MeterValues while it runs.
 */
#ifndef OCPP_SESS_H
#define OCPP_SESS_H

#include "controller/sessions.h"
#include "drivers/ocpp/ocpp_cp.h"

/* StopTransaction's reason as the session log's: EVDisconnected and the ones a user or an app
 * ends with (absent = Local, Remote, UnlockCommand, DeAuthorized, Other) -> unplugged (full when
 * the car had finished first, as for an unplug); EmergencyStop, PowerLoss, HardReset, SoftReset,
 * Reboot -> fault (the charger stopped; controller_restart is ampshare's own restart). */
enum sess_end_reason ocpp_sess_reason(const char *reason);

/* The sample of a transaction start or stop: s holds the tick's sample (currents, offer) and
 * gets the event's transaction, tag, meter reading and, for a stop, its end reason. */
void ocpp_sess_event(const struct ocpp_tx_event *ev, struct sess_sample *s);

/* The tick's sample of charge point cp: s holds the currents and the offer; connected becomes
 * "in a transaction", with its tag, id and meter reading so far. */
void ocpp_sess_tick(const struct ocpp_cp *cp, struct sess_sample *s);

#endif
