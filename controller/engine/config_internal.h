/* SPDX-License-Identifier: MIT */
/*
 * Shared between the validator's files (config_validate.c: the site itself; config_modbus.c:
 * meters and EVSEs against the Modbus driver's tables). Not part of the config's API.
 */
#ifndef CFG_CONFIG_INTERNAL_H
#define CFG_CONFIG_INTERNAL_H

#include <stdint.h>

#include "controller/engine/config.h"

struct cfg_vctx {
    const struct config *cfg;
    struct cfg_diag *diag;
    int32_t *parent; /* resolved circuit tree (cfg_circuit_tree) */
    uint8_t *mask;
};

/* An error or a warning at line of the config file (0: the file as a whole). */
void cfg_verr(struct cfg_vctx *v, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cfg_vwarn(struct cfg_vctx *v, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Checks a meter's map (built-in by name or alias, or generic from its keys) and every other key
 * of its section, then that the map can deliver `inputs` per-phase currents for what it measures
 * (named by target, "circuit garage"); inputs 0 skips that check (the target's own error was
 * reported). Reports to v.
 */
void cfg_check_meter_modbus(struct cfg_vctx *v,
                            const struct cfg_meter *m,
                            uint8_t inputs,
                            const char *target);

/* Checks an [evse] with control = modbus: its model (control_map), the generic model's
 * control_* keys, and its currents against what the model can be told. Reports to v. */
void cfg_check_evse_modbus(struct cfg_vctx *v, const struct cfg_evse *e);

/* Resolves driver names into plain values the site model copies (cfg_meter.map_name,
 * cfg_evse.unit_default), so the model itself never looks a driver table up. */
void cfg_resolve_modbus(struct config *cfg);

#endif
