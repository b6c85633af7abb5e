/* SPDX-License-Identifier: MIT */
/* Values in, registers out: the encode side of mb_maps, behind a sim_mbsrv unit. */
#include "sim/sim_meter.h"

#include <stdlib.h>
#include <string.h>

#include "drivers/base/amp_err.h"

struct sim_meter {
    struct sim_mbsrv *srv;
    uint8_t unit;
    const struct mb_map *map;
    uint16_t first, count;
    int32_t current_ma[3];
    int32_t voltage_dv[3];
    int64_t import_wh;
    uint32_t not_available; /* MB_HAVE() bits */
};

/* Its registers from address first on, wherever its unit's table starts (a unit it shares with
 * a wallbox, sim_mbsrv_share_unit, holds both devices' registers). */
static uint16_t *regs_of(struct sim_meter *m)
{
    modbus_mapping_t *mm = sim_mbsrv_mapping(m->srv, m->unit);
    return m->map->fc == 3 ? mm->tab_registers + (m->first - mm->start_registers)
                           : mm->tab_input_registers + (m->first - mm->start_input_registers);
}

/* Encodes every field into a scratch copy first, so a value the map cannot carry changes
 * nothing. Call with the server lock held. */
static int publish(struct sim_meter *m)
{
    int64_t v[MB_FIELD_COUNT] = {0};
    int64_t total = 0;
    for (int p = 0; p < 3; p++) {
        /* W = V x I: dV x mA / 10^4, rounded to nearest (p.f. 1). */
        int64_t va = (int64_t)m->voltage_dv[p] * m->current_ma[p];
        int64_t w = (va >= 0 ? va + 5000 : va - 5000) / 10000;
        v[MB_FIELD_CURRENT_L1 + p] = m->current_ma[p];
        v[MB_FIELD_VOLTAGE_L1 + p] = m->voltage_dv[p];
        v[MB_FIELD_POWER_L1 + p] = w;
        if (p < m->map->phases || (m->map->flags & MB_MAP_TOTAL_ONLY)) {
            total += w;
        }
    }
    v[MB_FIELD_POWER_TOTAL] = total;
    v[MB_FIELD_IMPORT_ENERGY] = m->import_wh;

    uint16_t *scratch = malloc((size_t)m->count * sizeof(uint16_t));
    if (!scratch) {
        return -ENOMEM;
    }
    uint16_t *regs = regs_of(m);
    memcpy(scratch, regs, (size_t)m->count * sizeof(uint16_t));
    int rc = 0;
    for (int f = 0; f < MB_FIELD_COUNT && rc == 0; f++) {
        rc = mb_map_encode_field(m->map, (enum mb_field_id)f, v[f],
                                 (m->not_available & MB_HAVE(f)) != 0, scratch, m->first, m->count);
        if (rc == -ENOENT) {
            rc = 0; /* the map has no such register */
        }
    }
    if (rc == 0) {
        memcpy(regs, scratch, (size_t)m->count * sizeof(uint16_t));
    }
    free(scratch);
    return rc;
}

int sim_meter_new(struct sim_mbsrv *srv,
                  uint8_t unit,
                  const struct mb_map *map,
                  struct sim_meter **out)
{
    *out = NULL;
    if (mb_map_validate(map, NULL, 0) != 0) {
        return -EINVAL;
    }
    struct sim_meter *m = calloc(1, sizeof(*m));
    if (!m) {
        return -ENOMEM;
    }
    m->srv = srv;
    m->unit = unit;
    m->map = map;
    mb_map_span(map, &m->first, &m->count);
    for (int p = 0; p < 3; p++) {
        m->voltage_dv[p] = 2300;
    }
    modbus_mapping_t *mm =
        map->fc == 3 ? modbus_mapping_new_start_address(0, 0, 0, 0, m->first, m->count, 0, 0)
                     : modbus_mapping_new_start_address(0, 0, 0, 0, 0, 0, m->first, m->count);
    if (!mm) {
        free(m);
        return -ENOMEM;
    }
    int rc = sim_mbsrv_add_unit(srv, unit, mm);
    if (rc < 0) {
        free(m);
        return rc;
    }
    sim_mbsrv_lock(srv);
    rc = publish(m);
    sim_mbsrv_unlock(srv);
    if (rc < 0) {
        free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void sim_meter_free(struct sim_meter *m)
{
    free(m);
}

int sim_meter_set_currents(struct sim_meter *m, const int32_t current_ma[3])
{
    sim_mbsrv_lock(m->srv);
    int32_t old[3];
    memcpy(old, m->current_ma, sizeof(old));
    memcpy(m->current_ma, current_ma, sizeof(old));
    int rc = publish(m);
    if (rc < 0) {
        memcpy(m->current_ma, old, sizeof(old));
    }
    sim_mbsrv_unlock(m->srv);
    return rc;
}

int sim_meter_set_voltages(struct sim_meter *m, const int32_t voltage_dv[3])
{
    sim_mbsrv_lock(m->srv);
    int32_t old[3];
    memcpy(old, m->voltage_dv, sizeof(old));
    memcpy(m->voltage_dv, voltage_dv, sizeof(old));
    int rc = publish(m);
    if (rc < 0) {
        memcpy(m->voltage_dv, old, sizeof(old));
    }
    sim_mbsrv_unlock(m->srv);
    return rc;
}

int sim_meter_set_import_wh(struct sim_meter *m, int64_t import_wh)
{
    sim_mbsrv_lock(m->srv);
    int64_t old = m->import_wh;
    m->import_wh = import_wh;
    int rc = publish(m);
    if (rc < 0) {
        m->import_wh = old;
    }
    sim_mbsrv_unlock(m->srv);
    return rc;
}

int sim_meter_set_not_available(struct sim_meter *m, enum mb_field_id f, bool not_available)
{
    if ((int)f < 0 || f >= MB_FIELD_COUNT || m->map->field[f].type == MB_TYPE_NONE) {
        return -ENOENT;
    }
    sim_mbsrv_lock(m->srv);
    if (not_available) {
        m->not_available |= MB_HAVE(f);
    } else {
        m->not_available &= ~MB_HAVE(f);
    }
    int rc = publish(m);
    sim_mbsrv_unlock(m->srv);
    return rc;
}
