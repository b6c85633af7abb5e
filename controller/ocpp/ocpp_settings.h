/* SPDX-License-Identifier: MIT */
/* The [ocpp] section and the site's control = ocpp EVSEs, as ocpp_srv_new wants them: what the
 * daemon's OCPP adapter (controller/ctl_ocpp) starts the server with. */
#ifndef OCPP_SETTINGS_H
#define OCPP_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "controller/engine/config.h"
#include "controller/engine/site.h"
#include "controller/ocpp/ocpp_srv.h"

#define OCPP_DEFAULT_LISTEN "127.0.0.1:9000"

struct ocpp_settings {
    struct ocpp_srv_conf conf; /* its strings point into the cfg and into tags_buf */
    char *tags_buf;
    const char **tags;
    struct ocpp_srv_point *points; /* [n_points], site order of the control = ocpp EVSEs */
    int32_t *evse;                 /* [n_points]: the site EVSE index of each point */
    size_t n_points;
    int32_t next_tx_id; /* transaction ids count up from the start time (unique across
                           restarts at under one transaction a second) */
};

/* Fills s from [ocpp] (validated) and site. 0 or -ENOMEM. s stays valid while cfg and site do. */
int ocpp_settings_init(struct ocpp_settings *s, const struct cfg_ocpp *c, const struct site *site,
                       int64_t wall_s);

void ocpp_settings_free(struct ocpp_settings *s);

#endif
