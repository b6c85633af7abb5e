/* SPDX-License-Identifier: MIT */
/* [ocpp] and the site into the server's settings (ocpp_settings.h). */
#include "controller/ocpp/ocpp_settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *text_or(const struct cfg_text *t, const char *dflt)
{
    return t->line > 0 && t->s[0] ? t->s : dflt;
}

int ocpp_settings_init(struct ocpp_settings *s, const struct cfg_ocpp *c, const struct site *site,
                       int64_t wall_s)
{
    memset(s, 0, sizeof(*s));
    s->next_tx_id = (int32_t)((wall_s > 1600000000 ? wall_s - 1600000000 : 0) % 1000000000) + 1;
    s->conf.listen = text_or(&c->listen, OCPP_DEFAULT_LISTEN);
    s->conf.certificate = text_or(&c->certificate, NULL);
    s->conf.key = text_or(&c->key, NULL);
    s->conf.credentials = text_or(&c->credentials_file, NULL);
    s->conf.cp.heartbeat_s = c->heartbeat.line > 0 ? c->heartbeat.v : 300;
    s->conf.cp.meter_interval_s = c->meter_interval.line > 0 ? c->meter_interval.v : 10;
    s->conf.cp.call_timeout_ms = 30000;
    s->conf.cp.next_tx_id = &s->next_tx_id;
    if (c->id_tags.line > 0) {
        s->tags_buf = strdup(c->id_tags.s);
        s->tags = calloc(strlen(c->id_tags.s) / 2 + 2, sizeof(*s->tags));
        if (!s->tags_buf || !s->tags) {
            ocpp_settings_free(s);
            return -ENOMEM;
        }
        size_t n = 0;
        for (char *save = NULL, *t = strtok_r(s->tags_buf, ", ", &save); t;
             t = strtok_r(NULL, ", ", &save)) {
            s->tags[n++] = t;
        }
        s->conf.cp.id_tags = s->tags;
        s->conf.cp.n_id_tags = n;
    }
    size_t n = 0;
    for (size_t i = 0; i < site->n_evse; i++) {
        n += strcmp(site->evse[i].control, "ocpp") == 0;
    }
    s->points = calloc(n ? n : 1, sizeof(*s->points));
    s->evse = calloc(n ? n : 1, sizeof(*s->evse));
    if (!s->points || !s->evse) {
        ocpp_settings_free(s);
        return -ENOMEM;
    }
    for (size_t i = 0; i < site->n_evse; i++) {
        const struct site_evse *e = &site->evse[i];
        if (strcmp(e->control, "ocpp") == 0) {
            s->points[s->n_points] = (struct ocpp_srv_point){e->ocpp_id, (int)e->ocpp_connector};
            s->evse[s->n_points++] = (int32_t)i;
        }
    }
    return 0;
}

void ocpp_settings_free(struct ocpp_settings *s)
{
    free(s->tags_buf);
    free(s->tags);
    free(s->points);
    free(s->evse);
    memset(s, 0, sizeof(*s));
}
