/* SPDX-License-Identifier: MIT */
/* The Modbus adapter: poller hand-offs in, setpoints out (see ctl_mb.h). */
#include "controller/ctl_mb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/modbus/mb_evse.h"
#include "drivers/modbus/mb_maps.h"
#include "drivers/modbus/mb_poller.h"

/* Where a site meter or EVSE is polled; poller < 0: not here. */
struct ctl_mb_dev {
    int poller;
    int dev;
    uint64_t good_ms;
    bool copied; /* its state went to the controller at mb_poller_seq() == seq */
    uint32_t seq;
};

struct ctl_mb {
    struct ctl *ctl;
    const struct site *site;
    struct mb_poller **poller;
    char (*transport)[CFG_TEXT_MAX]; /* [n_poller] */
    size_t n_poller;
    struct ctl_mb_dev *meter; /* [n_meter] */
    struct ctl_mb_dev *evse;  /* [n_evse] */
    /* generic maps and models built from their keys; the pollers borrow them */
    struct mb_map_custom *maps;    /* [n_meter] */
    struct mb_evse_custom *models; /* [n_evse] */
    ctl_mb_line_fn *lines;         /* the simulator's lines, or NULL */
    void *lines_ctx;
};

static void on_service(void *self, struct ctl *ctl, uint64_t now_ms);
static void on_read(void *self, struct ctl *ctl, uint64_t now_ms);
static void on_apply(void *self, struct ctl *ctl, uint64_t now_ms);

static const struct ctl_adapter_ops mb_ops = {
    .name = "modbus",
    .service = on_service,
    .read = on_read,
    .apply = on_apply,
};

void ctl_mb_retire(struct ctl_mb *c)
{
    if (!c) {
        return;
    }
    if (c->ctl) {
        ctl_remove_adapter(c->ctl, c);
        c->ctl = NULL;
    }
    for (size_t i = 0; i < c->n_poller; i++) {
        mb_poller_stop(c->poller[i]);
    }
}

bool ctl_mb_retired(const struct ctl_mb *c)
{
    for (size_t i = 0; c && i < c->n_poller; i++) {
        if (!mb_poller_stopped(c->poller[i])) {
            return false;
        }
    }
    return true;
}

void ctl_mb_free(struct ctl_mb *c)
{
    if (!c) {
        return;
    }
    if (c->ctl) {
        ctl_remove_adapter(c->ctl, c);
    }
    for (size_t i = 0; i < c->n_poller; i++) {
        mb_poller_free(c->poller[i]);
    }
    free(c->poller);
    free(c->transport);
    free(c->meter);
    free(c->evse);
    free(c->maps);
    free(c->models);
    free(c);
}

/* The poller of a transport, made on first use. Returns its index or a negative code. */
static int poller_for(struct ctl_mb *c,
                      const struct mb_clock *clock,
                      const char *transport,
                      const char *what,
                      char *err,
                      size_t errlen)
{
    for (size_t i = 0; i < c->n_poller; i++) {
        if (strcmp(c->transport[i], transport) == 0) {
            return (int)i;
        }
    }
    struct mb_poller_opts o = {.clock = clock, .mem_label = transport};
    char msg[160];
    struct ctl_mb_line line = {.mem = NULL};
    snprintf(line.addr, sizeof(line.addr), "%s", transport);
    if (c->lines && c->lines(c->lines_ctx, transport, &line) != 0) {
        snprintf(err, errlen, "%s: transport %s: no simulated line", what, transport);
        return -ENOENT;
    }
    o.mem = line.mem;
    o.mem_ctx = line.mem_ctx;
    if (!o.mem && tp_addr_parse(line.addr, &o.addr, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "%s: transport %s: %s", what, line.addr, msg);
        return -EINVAL;
    }
    size_t i = c->n_poller;
    int rc = mb_poller_new(&o, &c->poller[i]);
    if (rc < 0) {
        snprintf(err, errlen, "%s: transport %s: cannot make a poller (%d)", what, transport, rc);
        return rc;
    }
    snprintf(c->transport[i], sizeof(c->transport[i]), "%s", transport);
    c->n_poller++;
    return (int)i;
}

/* Adds one device to the poller of its transport; *at says where it is polled. */
static int add_dev(struct ctl_mb *c,
                   const struct mb_clock *clock,
                   const char *transport,
                   const char *what,
                   const struct mb_poller_dev_cfg *d,
                   struct ctl_mb_dev *at,
                   char *err,
                   size_t errlen)
{
    int p = poller_for(c, clock, transport, what, err, errlen);
    if (p < 0) {
        return p;
    }
    int dev = mb_poller_add(c->poller[p], d);
    if (dev < 0) {
        snprintf(err, errlen, "%s: %s", what,
                 dev == -ENOSPC ? "too many devices on one transport" : "the poller refused it");
        return dev;
    }
    *at = (struct ctl_mb_dev){.poller = p, .dev = dev};
    return 0;
}

const struct mb_map *ctl_mb_meter_map(const struct site_meter *sm,
                                      struct mb_map_custom *custom,
                                      char *err,
                                      size_t errlen)
{
    const struct mb_map *map = mb_map_find(sm->map);
    if (map) {
        return map;
    }
    char msg[160];
    mb_map_generic_init(custom, sm->name);
    for (size_t k = 0; k < sm->n_map_keys; k++) {
        if (mb_map_generic_set(custom, sm->map_keys[k].key, sm->map_keys[k].value, msg,
                               sizeof(msg)) != 0) {
            snprintf(err, errlen, "[meter %s]: %s", sm->name, msg);
            return NULL;
        }
    }
    if (mb_map_generic_finish(custom, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "[meter %s]: %s", sm->name, msg);
        return NULL;
    }
    return &custom->map;
}

const struct mb_evse_model *ctl_mb_evse_model(const struct site_evse *ev,
                                              struct mb_evse_custom *custom,
                                              char *err,
                                              size_t errlen)
{
    const struct mb_evse_model *model = mb_evse_find(ev->control_map);
    if (model) {
        return model;
    }
    char msg[160];
    mb_evse_generic_init(custom, ev->name);
    for (size_t k = 0; k < ev->n_control_keys; k++) {
        if (mb_evse_generic_set(custom, ev->control_keys[k].key, ev->control_keys[k].value, msg,
                                sizeof(msg)) != 0) {
            snprintf(err, errlen, "[evse %s]: %s", ev->name, msg);
            return NULL;
        }
    }
    if (mb_evse_generic_finish(custom, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "[evse %s]: %s", ev->name, msg);
        return NULL;
    }
    return &custom->model;
}

static int
add_meter(struct ctl_mb *c, const struct mb_clock *clock, size_t i, char *err, size_t errlen)
{
    const struct site_meter *sm = &c->site->meter[i];
    char what[64];
    snprintf(what, sizeof(what), "[meter %s]", sm->name);
    const struct mb_map *map = ctl_mb_meter_map(sm, &c->maps[i], err, errlen);
    if (!map) {
        return -EINVAL;
    }
    struct mb_poller_dev_cfg d = {
        .name = sm->name,
        .unit = (uint8_t)sm->unit_id,
        .map = map,
        .interval_ms = sm->poll_interval_ms,
        .failsafe_ma = -1,
    };
    return add_dev(c, clock, sm->transport, what, &d, &c->meter[i], err, errlen);
}

static int
add_evse(struct ctl_mb *c, const struct mb_clock *clock, size_t i, char *err, size_t errlen)
{
    const struct site_evse *ev = &c->site->evse[i];
    char what[64];
    snprintf(what, sizeof(what), "[evse %s]", ev->name);
    const struct mb_evse_model *model = ctl_mb_evse_model(ev, &c->models[i], err, errlen);
    if (!model) {
        return -EINVAL;
    }
    struct mb_poller_dev_cfg d = {
        .name = ev->name,
        .unit = (uint8_t)ev->control_unit_id,
        .evse = model,
        .failsafe_ma = -1,
    };
    return add_dev(c, clock, ev->control_transport, what, &d, &c->evse[i], err, errlen);
}

static int new_mb(const struct site *site,
                  const struct mb_clock *clock,
                  ctl_mb_line_fn *lines,
                  void *lines_ctx,
                  struct ctl_mb **out,
                  char *err,
                  size_t errlen)
{
    *out = NULL;
    struct ctl_mb *c = calloc(1, sizeof(*c));
    if (!c) {
        return -ENOMEM;
    }
    c->site = site;
    c->lines = lines;
    c->lines_ctx = lines_ctx;
    size_t n_dev = site->n_meter + site->n_evse + 1;
    c->poller = calloc(n_dev, sizeof(*c->poller));
    c->transport = calloc(n_dev, sizeof(*c->transport));
    c->meter = calloc(site->n_meter + 1, sizeof(*c->meter));
    c->evse = calloc(site->n_evse + 1, sizeof(*c->evse));
    c->maps = calloc(site->n_meter + 1, sizeof(*c->maps));
    c->models = calloc(site->n_evse + 1, sizeof(*c->models));
    if (!c->poller || !c->transport || !c->meter || !c->evse || !c->maps || !c->models) {
        ctl_mb_free(c);
        return -ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < site->n_meter; i++) {
        c->meter[i].poller = -1;
        if (rc == 0 && site->meter[i].transport[0]) {
            rc = add_meter(c, clock, i, err, errlen);
        }
    }
    for (size_t i = 0; i < site->n_evse; i++) {
        const struct site_evse *ev = &site->evse[i];
        c->evse[i].poller = -1;
        if (rc == 0 && ev->kind == SITE_EVSE_THIRD_PARTY && ev->controllable &&
            strcmp(ev->control, "modbus") == 0) {
            rc = add_evse(c, clock, i, err, errlen);
        }
    }
    for (size_t i = 0; rc == 0 && i < c->n_poller; i++) {
        rc = mb_poller_start(c->poller[i]);
        if (rc < 0) {
            snprintf(err, errlen, "transport %s: cannot start its poller (%d)", c->transport[i],
                     rc);
        }
    }
    if (rc != 0) {
        ctl_mb_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int ctl_mb_new(const struct site *site,
               const struct mb_clock *clock,
               struct ctl_mb **out,
               char *err,
               size_t errlen)
{
    return new_mb(site, clock, NULL, NULL, out, err, errlen);
}

int ctl_mb_new_sim(const struct site *site,
                   const struct mb_clock *clock,
                   ctl_mb_line_fn *lines,
                   void *lines_ctx,
                   struct ctl_mb **out,
                   char *err,
                   size_t errlen)
{
    if (!lines) {
        return -EINVAL;
    }
    return new_mb(site, clock, lines, lines_ctx, out, err, errlen);
}

int ctl_mb_attach(struct ctl_mb *c, struct ctl *ctl)
{
    int rc = ctl_add_adapter(ctl, &mb_ops, c);
    if (rc == 0) {
        c->ctl = ctl;
        for (size_t i = 0; i < c->site->n_meter; i++) {
            c->meter[i].copied = false;
        }
        for (size_t i = 0; i < c->site->n_evse; i++) {
            c->evse[i].copied = false;
        }
    }
    return rc;
}

static bool evse_car(enum mb_evse_state s)
{
    return s == MB_EVSE_STATE_B || s == MB_EVSE_STATE_C || s == MB_EVSE_STATE_D;
}

/* Whether d's poller has something d has not copied yet (and notes that it is copied now). What
 * was copied stays in the controller's input, where it ages on every tick (the staleness rules
 * are the engine's, on now_ms), so an unchanged device costs no lock and no copy. */
static bool moved(struct ctl_mb *c, struct ctl_mb_dev *d)
{
    if (d->poller < 0) {
        return false;
    }
    uint32_t seq = mb_poller_seq(c->poller[d->poller], d->dev);
    if (d->copied && seq == d->seq) {
        return false;
    }
    d->copied = true;
    d->seq = seq;
    return true;
}

static void on_service(void *self, struct ctl *ctl, uint64_t now_ms)
{
    struct ctl_mb *c = self;
    (void)ctl;
    /* the control loop is alive: the pollers may talk to the EVSEs (a hung loop falls silent
     * and each EVSE's own watchdog takes over) */
    for (size_t i = 0; i < c->n_poller; i++) {
        mb_poller_alive(c->poller[i], now_ms);
        if (mb_poller_is_mem(c->poller[i])) {
            (void)mb_poller_step(c->poller[i], now_ms); /* the simulator's line: no thread */
        }
    }
}

static void on_read(void *self, struct ctl *ctl, uint64_t now_ms)
{
    struct ctl_mb *c = self;
    (void)now_ms;
    for (size_t i = 0; i < c->site->n_meter; i++) {
        struct ctl_mb_dev *d = &c->meter[i];
        struct mb_reading r;
        if (!moved(c, d) || mb_poller_latest(c->poller[d->poller], d->dev, &r) != 0 || !r.valid ||
            r.at_ms == d->good_ms) {
            continue; /* nothing new: the old reading ages into staleness */
        }
        d->good_ms = r.at_ms;
        int32_t cur[3] = {0, 0, 0};
        for (uint8_t k = 0; k < c->site->meter[i].n_inputs && k < 3; k++) {
            cur[k] = r.current_ma[k];
        }
        ctl_report_meter(ctl, i, cur, r.at_ms);
    }
    for (size_t i = 0; i < c->site->n_evse; i++) {
        struct ctl_mb_dev *d = &c->evse[i];
        struct mb_evse_status s;
        if (!moved(c, d) || mb_poller_evse_status(c->poller[d->poller], d->dev, &s) != 0) {
            continue; /* unchanged: what it reported last stands */
        }
        if (s.state_at_ms == 0 && s.applied_at_ms == 0) {
            continue; /* never heard: nothing is known */
        }
        /* a failed state read says nothing: keep what was known (the offer still counts) */
        bool car = s.state == MB_EVSE_STATE_UNKNOWN ? ctl_state(ctl)->evse[i].connected
                                                    : evse_car(s.state);
        struct ctl_evse_reading rd = {
            .car = car,
            .n_draw = 1,
            .draw_at_ms = 0, /* the model reports no current: its meter (if any) does */
            /* what the EVSE reports in force; before its first read-back, what it acked */
            .offer_ma = s.offer_ma >= 0 ? s.offer_ma : s.applied_ma,
        };
        ctl_report_evse(ctl, i, &rd);
    }
}

static void on_apply(void *self, struct ctl *ctl, uint64_t now_ms)
{
    struct ctl_mb *c = self;
    (void)now_ms;
    for (size_t i = 0; i < c->site->n_evse; i++) {
        struct ctl_mb_dev *d = &c->evse[i];
        if (d->poller < 0) {
            continue;
        }
        int32_t t = ctl_target_ma(ctl, i);
        if (mb_poller_set_current(c->poller[d->poller], d->dev, t) == -ERANGE) {
            /* below what the model can be told (the engine never asks it): stop instead */
            (void)mb_poller_set_current(c->poller[d->poller], d->dev, 0);
        }
    }
}

bool ctl_mb_settled(const struct ctl_mb *c)
{
    for (size_t i = 0; i < c->site->n_evse; i++) {
        const struct ctl_mb_dev *d = &c->evse[i];
        struct mb_evse_status s;
        if (d->poller >= 0 && mb_poller_evse_status(c->poller[d->poller], d->dev, &s) == 0 &&
            s.pending && s.last_rc == 0) {
            return false;
        }
    }
    return true;
}

int ctl_mb_meter_health(const struct ctl_mb *c, size_t m, struct ctl_mb_health *out)
{
    if (m >= c->site->n_meter || c->meter[m].poller < 0) {
        return -ENOENT;
    }
    struct mb_reading r;
    memset(out, 0, sizeof(*out));
    out->last_rc = mb_poller_latest(c->poller[c->meter[m].poller], c->meter[m].dev, &r);
    out->at_ms = r.at_ms;
    out->good_ms = c->meter[m].good_ms;
    out->applied_ma = -1;
    return 0;
}

int ctl_mb_evse_health(const struct ctl_mb *c, size_t e, struct ctl_mb_health *out)
{
    if (e >= c->site->n_evse || c->evse[e].poller < 0) {
        return -ENOENT;
    }
    struct mb_evse_status s;
    memset(out, 0, sizeof(*out));
    int rc = mb_poller_evse_status(c->poller[c->evse[e].poller], c->evse[e].dev, &s);
    if (rc < 0) {
        return rc;
    }
    out->last_rc = s.last_rc;
    out->at_ms = s.state_at_ms;
    out->good_ms = s.applied_at_ms;
    out->pending = s.pending;
    out->applied_ma = s.applied_ma;
    out->state = (uint8_t)s.state;
    return 0;
}
