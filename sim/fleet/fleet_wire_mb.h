/* SPDX-License-Identifier: MIT */
/*
 * Wire mode's Modbus side: every [meter] of the site and every third-party [evse] become
 * simulated devices serving the real register maps (sim/sim_meter, sim/sim_evse: the tables
 * `ampshare sim meter` and `ampshare sim evse` serve), one simulated line per site transport,
 * and ampshare's own Modbus adapter (controller/ctl_mb: the pollers, the maps, the EVSE models)
 * reads and writes them as `ampshare run` does:
 *   - in process by default: each line is an in-memory one (sim_mbsrv_new_mem), the pollers run
 *     without threads on the controller's now_ms (ctl_mb_new_sim), deterministic;
 *   - with loopback: each line is a libmodbus TCP server on 127.0.0.1 (a free port) and the
 *     pollers are the daemon's threads; the Modbus side then runs in real time (see
 *     fleet_wire_mb_pace).
 *
 * Physics: a third-party EVSE's car (sim_car, the profile's charger, phases and delays) draws
 * what the EVSE's setpoint allows (a metered-only EVSE: its own maximum); every meter measures
 * what the cars under its target draw, per supply phase, plus the scenario's loads there. The
 * devices advance on the controller's clock (an adapter registered before ctl_mb reads them),
 * and a write reaches the EVSE's car at once.
 */
#ifndef AMPSHARE_SIM_FLEET_WIRE_MB_H
#define AMPSHARE_SIM_FLEET_WIRE_MB_H

#include <stdbool.h>
#include <stdint.h>

#include "controller/ctl.h"
#include "sim/fleet/fleet.h"
#include "sim/sim_car.h"

struct fleet_wire_mb;

/* What a Wall Connector's car draws now, per conductor (mA), and on how many: the bus side
 * knows. */
typedef int32_t fleet_wire_mb_wc_fn(void *ctx, int evse, uint8_t *phases);

/* A fleet car as a sim_car: the profile's charger, phases, under-draw, battery and taper,
 * wanting kwh (arriving at soc_target - kwh / battery). */
void fleet_wire_car_cfg(const struct fleet_scenario *sc,
                        const struct fleet_car *c,
                        double kwh,
                        struct sim_car_cfg *cc);

/* True when the site has anything for this side (meters or third-party EVSEs). */
bool fleet_wire_mb_needed(const struct site *site);

/*
 * Builds the devices and ctl's Modbus adapter (attached to ctl). Returns 0, or -ENOTSUP (an OCPP
 * EVSE: use --fast), -EINVAL (a generic map or model's bad keys), -ENOMEM, or a line's code, with
 * err set.
 */
int fleet_wire_mb_new(const struct fleet_scenario *sc,
                      struct ctl *ctl,
                      bool loopback,
                      fleet_wire_mb_wc_fn *wc_draw,
                      void *wc_ctx,
                      struct fleet_wire_mb **out,
                      char *err,
                      size_t errlen);
void fleet_wire_mb_free(struct fleet_wire_mb *m);

/* True when site EVSE evse is simulated here (a third-party EVSE). */
bool fleet_wire_mb_owns(const struct fleet_wire_mb *m, int evse);

void fleet_wire_mb_plug(
    struct fleet_wire_mb *m, int evse, const struct fleet_car *c, double kwh, uint64_t now_ms);
void fleet_wire_mb_unplug(struct fleet_wire_mb *m, int evse, uint64_t now_ms);

/* Advances every device to now_ms (never backwards): cars follow their EVSE, meters measure. */
void fleet_wire_mb_advance(struct fleet_wire_mb *m, uint64_t now_ms);

/* The offer, draw and energy of a third-party EVSE at now_ms (advancing to it). */
struct fleet_wire_reading;
void fleet_wire_mb_read(struct fleet_wire_mb *m,
                        int evse,
                        uint64_t now_ms,
                        struct fleet_wire_reading *r);

/*
 * A Modbus fault on the [meter] or [evse] called name: it stops answering (silent) or answers
 * again. Returns 0 or -ENOENT.
 */
int fleet_wire_mb_silence(struct fleet_wire_mb *m, const char *name, bool silent);

/* Loopback: blocks until the wall clock has run as long as the virtual clock since the start
 * (the Modbus side runs in real time there); in process it returns at once. */
void fleet_wire_mb_pace(struct fleet_wire_mb *m, uint64_t now_ms);

#endif
