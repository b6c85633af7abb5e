/* SPDX-License-Identifier: MIT */
/* Reads one meter over a bus: the map's planned blocks, then the pure decoder. */
#ifndef MB_METER_H
#define MB_METER_H

#include <stdint.h>

#include "drivers/modbus/mb_bus.h"
#include "drivers/modbus/mb_maps.h"

/*
 * Reads every block of plan (made by mb_map_plan() for map) from unit and decodes them.
 *
 * @param[out] out     always written: on an I/O failure valid is false and have is 0, so a caller
 *                     can never take an old value for a new one; at_ms is the bus clock when the
 *                     read started, in every case
 * @param[out] failed  the block that failed (may be NULL); written only on an I/O failure
 * @return 0 for a valid reading; AMP_ERR_NOT_AVAILABLE / -ERANGE when a needed field was not
 *         available (out holds the fields that were); an I/O code from mb_bus_read_regs() (the
 *         read stops at the first failing block, so a dead meter costs one timeout).
 */
int mb_meter_read(struct mb_bus *bus,
                  uint8_t unit,
                  const struct mb_map *map,
                  const struct mb_plan *plan,
                  struct mb_reading *out,
                  struct mb_block *failed);

#endif
