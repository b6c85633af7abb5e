/* SPDX-License-Identifier: MIT */
/* One meter reading: block reads through the bus, then mb_map_decode(). */
#include "drivers/modbus/mb_meter.h"

#include <string.h>

#include "drivers/base/amp_err.h"

int mb_meter_read(struct mb_bus *bus,
                  uint8_t unit,
                  const struct mb_map *map,
                  const struct mb_plan *plan,
                  struct mb_reading *out,
                  struct mb_block *failed)
{
    uint16_t words[MB_PLAN_WORDS_MAX];
    uint64_t start = mb_bus_now_ms(bus);
    size_t off = 0;

    memset(out, 0, sizeof(*out));
    out->at_ms = start;
    if (plan->n_words > MB_PLAN_WORDS_MAX || plan->n_block > MB_PLAN_BLOCKS_MAX) {
        return -EINVAL;
    }
    for (size_t b = 0; b < plan->n_block; b++) {
        const struct mb_block *bl = &plan->block[b];
        int rc = mb_bus_read_regs(bus, unit, map->fc, bl->addr, bl->count, words + off);
        if (rc < 0) {
            if (failed) {
                *failed = *bl;
            }
            return rc;
        }
        off += bl->count;
    }
    int rc = mb_map_decode(map, plan, words, off, out);
    out->at_ms = start;
    return rc;
}
