/* SPDX-License-Identifier: MIT */
/* The OCPP adapter: charge point state in, targets out (see ctl_ocpp.h). */
#include "controller/ctl_ocpp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/ocpp/ocpp_settings.h"
#include "drivers/base/log.h"

struct ctl_ocpp {
    struct ctl *ctl;
    struct cfg_ocpp cfg; /* a copy: the settings' strings point into it */
    struct ocpp_settings set;
    struct ocpp_srv *srv;
};

static void on_read(void *self, struct ctl *ctl, uint64_t now_ms);
static void on_apply(void *self, struct ctl *ctl, uint64_t now_ms);

static const struct ctl_adapter_ops ocpp_ops = {
    .name = "ocpp",
    .read = on_read,
    .apply = on_apply,
};

int ctl_ocpp_new(struct loop *l,
                 const struct cfg_ocpp *c,
                 const struct site *site,
                 struct ctl_ocpp **out,
                 char *err,
                 size_t errlen)
{
    *out = NULL;
    struct ctl_ocpp *o = calloc(1, sizeof(*o));
    if (o) {
        o->cfg = *c;
    }
    if (!o || ocpp_settings_init(&o->set, &o->cfg, site, (int64_t)time(NULL)) != 0) {
        free(o);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (o->set.n_points == 0) {
        ctl_ocpp_free(o);
        return 0;
    }
    int rc = ocpp_srv_new(l, &o->set.conf, o->set.points, o->set.n_points, &o->srv, err, errlen);
    if (rc != 0) {
        ctl_ocpp_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

int ctl_ocpp_attach(struct ctl_ocpp *o, struct ctl *ctl)
{
    int rc = ctl_add_adapter(ctl, &ocpp_ops, o);
    if (rc == 0) {
        o->ctl = ctl;
    }
    return rc;
}

void ctl_ocpp_free(struct ctl_ocpp *o)
{
    if (!o) {
        return;
    }
    if (o->ctl) {
        ctl_remove_adapter(o->ctl, o);
    }
    ocpp_srv_free(o->srv);
    ocpp_settings_free(&o->set);
    free(o);
}

bool ctl_ocpp_settled(const struct ctl_ocpp *o)
{
    for (size_t i = 0; o && i < o->set.n_points; i++) {
        const struct ocpp_cp *cp = ocpp_srv_cp(o->srv, i);
        if (cp->online && !ocpp_cp_settled(cp)) {
            return false;
        }
    }
    return true;
}

void ctl_ocpp_resite(struct ctl_ocpp *o, const struct site *site)
{
    for (size_t i = 0; o && i < o->set.n_points; i++) {
        const struct ocpp_cp *cp = ocpp_srv_cp(o->srv, i);
        o->set.evse[i] = -1;
        for (size_t e = 0; e < site->n_evse; e++) {
            if (strcmp(site->evse[e].control, "ocpp") == 0 &&
                strcmp(site->evse[e].ocpp_id, cp->id) == 0) {
                o->set.evse[i] = (int32_t)e;
            }
        }
        if (o->set.evse[i] < 0) {
            log_warn("ocpp",
                     "%s is no longer in the config: its connection stays until a restart, "
                     "uncontrolled",
                     cp->id);
        }
    }
    for (size_t e = 0; o && e < site->n_evse; e++) {
        bool known = false;
        for (size_t i = 0; i < o->set.n_points; i++) {
            known = known || o->set.evse[i] == (int32_t)e;
        }
        if (strcmp(site->evse[e].control, "ocpp") == 0 && !known) {
            log_warn("ocpp",
                     "[evse %s] (%s) is new: the central system takes it at the next "
                     "restart",
                     site->evse[e].name, site->evse[e].ocpp_id);
        }
    }
}

bool ctl_ocpp_present(const struct ctl_ocpp *o, size_t evse)
{
    for (size_t i = 0; o && i < o->set.n_points; i++) {
        if (o->set.evse[i] == (int32_t)evse) {
            return ocpp_srv_cp(o->srv, i)->online;
        }
    }
    return false;
}

struct ocpp_cp *ctl_ocpp_cp(struct ctl_ocpp *o, size_t evse)
{
    for (size_t i = 0; o && i < o->set.n_points; i++) {
        if (o->set.evse[i] == (int32_t)evse) {
            return ocpp_srv_cp(o->srv, i);
        }
    }
    return NULL;
}

struct ocpp_srv *ctl_ocpp_server(struct ctl_ocpp *o)
{
    return o ? o->srv : NULL;
}

static void on_read(void *self, struct ctl *ctl, uint64_t now_ms)
{
    (void)now_ms;
    struct ctl_ocpp *o = self;
    for (size_t i = 0; i < o->set.n_points; i++) {
        const struct ocpp_cp *cp = ocpp_srv_cp(o->srv, i);
        if (o->set.evse[i] < 0) {
            continue;
        }
        size_t e = (size_t)o->set.evse[i];
        int32_t offer = ocpp_cp_offer_ma(cp);
        if (!cp->online && !cp->status[0] && !cp->draw_at_ms && offer == OCPP_OFFER_UNKNOWN) {
            ctl_forget_evse(ctl, e); /* never heard of since start */
            continue;
        }
        struct ctl_evse_reading r = {
            .car = cp->car_connected,
            .n_draw = 3,
            .draw_ma = {cp->draw_ma[0], cp->draw_ma[1], cp->draw_ma[2]},
            .draw_at_ms = cp->draw_at_ms,
            .offer_ma = offer == OCPP_OFFER_UNKNOWN ? SITE_OFFER_UNKNOWN : offer,
        };
        ctl_report_evse(ctl, e, &r);
    }
}

static void on_apply(void *self, struct ctl *ctl, uint64_t now_ms)
{
    (void)now_ms;
    struct ctl_ocpp *o = self;
    for (size_t i = 0; i < o->set.n_points; i++) {
        struct ocpp_cp *cp = ocpp_srv_cp(o->srv, i);
        if (o->set.evse[i] >= 0) {
            ocpp_cp_set_target(cp, ctl_target_ma(ctl, (size_t)o->set.evse[i]));
            if (ctl_stopping(ctl)) {
                ocpp_cp_stop(cp);
            }
        }
    }
    ocpp_srv_flush(o->srv);
}
