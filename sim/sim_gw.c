/* SPDX-License-Identifier: MIT */
/* The gateway's half: ctl, ctl_twc and a twc_bus per bus on the event-time clock (sim_gw.h). */
#include "sim/sim_gw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/transport/tp_link.h"

struct sim_gw_bus {
    struct sim_gw *g;
    struct twc_bus bus;
    struct tp_link *link; /* owns the port */
    struct sim_vbus *vb;
    int port;
    bool up;
    bool serviced;      /* since its wake-up was last handed on */
    uint32_t armed_seq; /* the master's input_seq when its wake-up was last handed on */
};

struct sim_gw {
    const struct site *site;
    uint64_t seed;
    struct sim_sched *sched;
    struct ctl *ctl;
    struct ctl_twc *twc;
    int tick_party;
    struct sim_gw_bus *bus; /* [site->n_bus] */
};

/* After every step, as the daemon's rearm: each bus's next wake-up (a target just set may make
 * a frame due at once) and the next tick. A bus not serviced since its last rearm changes its
 * wake-up only by a new input to its master (a target): the others' wakes stand, as waking is
 * only ever brought forward. */
static void rearm(struct sim_gw *g, uint64_t now)
{
    for (size_t b = 0; b < g->site->n_bus; b++) {
        struct sim_gw_bus *gb = &g->bus[b];
        uint32_t seq = gb->up ? twc_bus_master(&gb->bus)->input_seq : 0;
        if (gb->up && (gb->serviced || seq != gb->armed_seq)) {
            gb->serviced = false;
            gb->armed_seq = seq;
            sim_vbus_wake(gb->vb, gb->port, twc_bus_next_wakeup_ms(&gb->bus));
        }
    }
    uint64_t t = ctl_next_ms(g->ctl);
    sim_sched_wake(g->sched, g->tick_party, t ? t : now);
}

/* The daemon's site_step: a failed tick has already set every target to 0 (ctl_step). */
static void site_step(struct sim_gw *g, uint64_t now)
{
    (void)ctl_step(g->ctl, now);
    rearm(g, now);
}

static int tick_service(void *ctx, uint64_t now, uint64_t *next)
{
    struct sim_gw *g = ctx;
    site_step(g, now);
    *next = ctl_next_ms(g->ctl);
    return 0;
}

/* The daemon's on_bus_wake / on_bus_fd: the bus, then the controller. Another master on the
 * bus is the bus's to log (AMP_ERR_MASTER_CLASH): ours stays silent until it is gone. */
static int bus_service(void *ctx, uint64_t now, uint64_t *next)
{
    struct sim_gw_bus *gb = ctx;
    if (!gb->up) {
        return 0; /* its set-up failed: never runs */
    }
    (void)twc_bus_service(&gb->bus, now);
    gb->serviced = true;
    site_step(gb->g, now);
    *next = twc_bus_next_wakeup_ms(&gb->bus);
    return 0;
}

int sim_gw_new(const struct site *site,
               const struct ampshare_policy *policy,
               uint64_t seed,
               struct sim_sched *sched,
               struct sim_gw **out,
               char *err,
               size_t errlen)
{
    *out = NULL;
    struct sim_gw *g = calloc(1, sizeof(*g));
    if (!g) {
        return -ENOMEM;
    }
    g->site = site;
    g->seed = seed;
    g->sched = sched;
    g->bus = calloc(site->n_bus ? site->n_bus : 1, sizeof(*g->bus));
    int rc = g->bus ? ctl_new(site, policy, &g->ctl, err, errlen) : -ENOMEM;
    if (rc == 0) {
        rc = ctl_twc_new(g->ctl, &g->twc);
    }
    if (rc == 0) {
        g->tick_party = sim_sched_add(sched, "control tick", tick_service, g);
        rc = g->tick_party < 0 ? g->tick_party : 0;
    }
    if (rc != 0) {
        sim_gw_free(g);
        return rc;
    }
    *out = g;
    return 0;
}

void sim_gw_free(struct sim_gw *g)
{
    if (!g) {
        return;
    }
    for (size_t b = 0; g->bus && b < g->site->n_bus; b++) {
        tp_link_free(g->bus[b].link);
    }
    ctl_twc_free(g->twc);
    ctl_free(g->ctl);
    free(g->bus);
    free(g);
}

int sim_gw_attach_bus(struct sim_gw *g, size_t b, struct sim_vbus *vb)
{
    if (b >= g->site->n_bus || g->bus[b].up) {
        return -EINVAL;
    }
    struct sim_gw_bus *gb = &g->bus[b];
    gb->g = g;
    gb->vb = vb;
    struct tp *port;
    gb->port = sim_vbus_add_port(vb, "ampshare", bus_service, gb, &port);
    if (gb->port < 0) {
        return gb->port;
    }
    int rc = tp_link_new(port, &gb->link); /* owns the port from here, even on failure */
    struct twc_bus_config bc;
    twc_bus_config_init(&bc);
    if (rc == 0) {
        rc = ctl_twc_pick_master(g->site, b, CTL_TWC_BUS_SEED(g->seed, b), &bc.master.id,
                                 &bc.master.sign);
    }
    if (rc == 0) {
        rc = twc_bus_init(&gb->bus, gb->link, &bc, g->sched->now_ms);
    }
    if (rc == 0) {
        rc = ctl_twc_attach(g->twc, b, twc_bus_master(&gb->bus));
    }
    gb->up = rc == 0;
    return rc;
}

struct ctl *sim_gw_ctl(const struct sim_gw *g)
{
    return g->ctl;
}

struct ctl_twc *sim_gw_twc(const struct sim_gw *g)
{
    return g->twc;
}

struct twc_bus *sim_gw_bus(const struct sim_gw *g, size_t b)
{
    return b < g->site->n_bus && g->bus[b].up ? &g->bus[b].bus : NULL;
}
