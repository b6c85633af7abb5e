/* SPDX-License-Identifier: MIT */
/*
 * A simulated third-party Modbus EVSE behind a sim_mbsrv unit: the registers of an mb_evse model
 * (drivers/modbus/mb_evse.c, the very table the controller writes through, so server and client
 * cannot drift), a car that draws what the setpoint allows, and a meter (sim_meter, any mb_maps
 * map, on its own unit) showing that draw.
 *
 * Each sim_evse_tick(now_ms) reads the setpoint and enable the client wrote, sets the pilot
 * state (A no car, B car but no current allowed or wanted, C charging) and the meter's currents.
 * A model with a watchdog falls back to its fail-safe current when no request came for the
 * watchdog time.
 */
#ifndef SIM_EVSE_H
#define SIM_EVSE_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/modbus/mb_evse.h"
#include "drivers/modbus/mb_maps.h"
#include "sim/sim_mbsrv.h"

struct sim_evse_cfg {
    const struct mb_evse_model *model; /* borrowed */
    uint8_t unit;
    const struct mb_map *meter_map; /* NULL: no meter; borrowed */
    uint8_t meter_unit;
    bool car;           /* a car is plugged in */
    int32_t car_max_ma; /* the most the car takes (its on-board charger) */
    uint8_t phases;     /* 1 or 3: conductors the car draws on */
};

struct sim_evse_view {
    int32_t setpoint_ma; /* decoded from the current register (0 when disabled/paused) */
    bool enabled;
    int32_t draw_ma;
    enum mb_evse_state state;
    bool watchdog_expired;
};

struct sim_evse;

/* Adds the EVSE's unit (and its meter's) to srv before sim_mbsrv_start. Returns 0, -EINVAL,
 * -ENOMEM or sim_mbsrv_add_unit's code. */
int sim_evse_new(struct sim_mbsrv *srv, const struct sim_evse_cfg *cfg, struct sim_evse **out);

void sim_evse_free(struct sim_evse *e);

/* Advances the EVSE to now_ms (monotonic ms). Returns 0 or a negative code. */
int sim_evse_tick(struct sim_evse *e, uint64_t now_ms, struct sim_evse_view *view);

/* Plugs a car in or out. */
void sim_evse_set_car(struct sim_evse *e, bool car);

/* The register word of state s for the model (the inverse of mb_evse_decode_state). -EINVAL
 * when the model cannot show s. Pure. */
int sim_evse_state_word(const struct mb_evse_model *m, enum mb_evse_state s, uint16_t *word);

#endif
