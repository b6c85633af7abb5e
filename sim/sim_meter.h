/* SPDX-License-Identifier: MIT */
/*
 * A simulated energy meter on a simulated Modbus line: it presents any meter map's registers
 * (encoded by the same table the reader decodes with, so the two cannot drift) and is fed with
 * per-phase currents by its caller, at any time, from any thread.
 */
#ifndef SIM_METER_H
#define SIM_METER_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/modbus/mb_maps.h"
#include "sim/sim_mbsrv.h"

struct sim_meter;

/*
 * Adds a meter answering as unit on srv, with map's registers (input or holding registers per
 * map->fc, covering exactly the map's span: other addresses answer "illegal data address").
 * Starts at 230.0 V, 0 A, 0 Wh. map is borrowed and must outlive the meter; the meter must be
 * freed before srv. Allocates. Returns 0, -ENOMEM, -EINVAL or sim_mbsrv_add_unit()'s codes.
 */
int sim_meter_new(struct sim_mbsrv *srv,
                  uint8_t unit,
                  const struct mb_map *map,
                  struct sim_meter **out);

void sim_meter_free(struct sim_meter *m);

/*
 * Sets the per-phase currents (mA, negative = export). Active power follows at power factor 1
 * (W = V x I), the total is their sum. A single-phase map uses current_ma[0] only.
 * Returns 0, or -ERANGE when the map's types cannot carry a value (nothing is changed then).
 */
int sim_meter_set_currents(struct sim_meter *m, const int32_t current_ma[3]);

/* Sets the per-phase voltages (dV); powers are recomputed. Returns as sim_meter_set_currents(). */
int sim_meter_set_voltages(struct sim_meter *m, const int32_t voltage_dv[3]);

/* Sets the import energy counter (Wh). Returns 0 or -ERANGE. */
int sim_meter_set_import_wh(struct sim_meter *m, int64_t import_wh);

/* Makes field read as the map type's "not available" pattern (NaN, all ones...) until cleared.
 * Returns 0, or -ENOENT when the map has no such field. */
int sim_meter_set_not_available(struct sim_meter *m, enum mb_field_id f, bool not_available);

#endif
