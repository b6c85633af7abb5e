/* SPDX-License-Identifier: MIT */
/* The Wall Connector adapter: master snapshots in, targets out (see ctl_twc.h). */
#include "controller/ctl_twc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What the adapter keeps per site EVSE (only Wall Connectors use it). */
struct ctl_twc_wc {
    uint16_t id;      /* bound slave; 0 = none (0000 is never a slave ID, twc-gen2.md §7.5) */
    bool present;     /* in its master's table at the last step */
    bool seen;        /* scratch: found in this step */
    uint64_t gone_ms; /* when it left the table */
};

/* What the adapter last read of one bus's master. */
struct ctl_twc_seen {
    bool valid;          /* false: read the table on the next step */
    uint32_t change_seq; /* the master's change_seq when it was read */
    uint32_t unknown;    /* slaves on it no [wallconnector] takes */
    bool fresh;          /* scratch: read in this step */
};

struct ctl_twc {
    struct ctl *ctl;
    const struct site *site;    /* the site the arrays below follow */
    struct twc_master **master; /* [n_bus], borrowed */
    struct ctl_twc_wc *wc;      /* [n_evse] */
    struct ctl_twc_seen *seen;  /* [n_bus] */
    uint32_t reloads;           /* ctl's reload count when the tables were last read */
    uint64_t absent_due_ms;     /* when an absent unit's hold ends (absent()) */
    struct ctl_twc_stats stats;
};

static void on_read(void *self, struct ctl *ctl, uint64_t now_ms);
static void on_apply(void *self, struct ctl *ctl, uint64_t now_ms);

static const struct ctl_adapter_ops twc_ops = {
    .name = "wallconnector",
    .read = on_read,
    .apply = on_apply,
};

/* Arrays for site, the bindings of fixed addresses made from the start. */
static int arrays_new(const struct site *site,
                      struct twc_master ***master,
                      struct ctl_twc_wc **wc,
                      struct ctl_twc_seen **seen)
{
    *master = calloc(site->n_bus ? site->n_bus : 1, sizeof(**master));
    *wc = calloc(site->n_evse ? site->n_evse : 1, sizeof(**wc));
    *seen = calloc(site->n_bus ? site->n_bus : 1, sizeof(**seen));
    if (!*master || !*wc || !*seen) {
        free(*master);
        free(*wc);
        free(*seen);
        return -ENOMEM;
    }
    for (size_t e = 0; e < site->n_evse; e++) {
        const struct site_evse *ev = &site->evse[e];
        if (ev->kind == SITE_EVSE_WALL_CONNECTOR && !ev->address_auto) {
            (*wc)[e].id = ev->address; /* a fixed address is bound from the start */
        }
    }
    return 0;
}

void ctl_twc_free(struct ctl_twc *c)
{
    if (!c) {
        return;
    }
    ctl_remove_adapter(c->ctl, c);
    free(c->master);
    free(c->wc);
    free(c->seen);
    free(c);
}

int ctl_twc_new(struct ctl *ctl, struct ctl_twc **out)
{
    *out = NULL;
    struct ctl_twc *c = calloc(1, sizeof(*c));
    if (!c) {
        return -ENOMEM;
    }
    c->ctl = ctl;
    c->site = ctl_site(ctl);
    int rc = arrays_new(c->site, &c->master, &c->wc, &c->seen);
    if (rc == 0) {
        rc = ctl_add_adapter(ctl, &twc_ops, c);
    }
    if (rc != 0) {
        free(c->master);
        free(c->wc);
        free(c->seen);
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int ctl_twc_attach(struct ctl_twc *c, size_t bus, struct twc_master *m)
{
    if (bus >= c->site->n_bus) {
        return -EINVAL;
    }
    c->master[bus] = m;
    c->seen[bus].valid = false;
    return 0;
}

int ctl_twc_resite(struct ctl_twc *c)
{
    const struct site *old = c->site, *site = ctl_site(c->ctl);
    struct twc_master **master;
    struct ctl_twc_wc *wc;
    struct ctl_twc_seen *seen; /* all invalid: every table is read on the next step */
    int rc = arrays_new(site, &master, &wc, &seen);
    if (rc != 0) {
        return rc;
    }
    for (size_t e = 0; e < site->n_evse; e++) {
        const struct site_evse *ev = &site->evse[e];
        int o = site_find_evse(old, ev->name);
        if (ev->kind != SITE_EVSE_WALL_CONNECTOR || o < 0) {
            continue;
        }
        const struct site_evse *oe = &old->evse[o];
        /* the same unit on the same bus: keep what is known of it */
        if (oe->kind == ev->kind && oe->bus >= 0 && ev->bus >= 0 &&
            strcmp(old->bus[oe->bus].name, site->bus[ev->bus].name) == 0 &&
            oe->address_auto == ev->address_auto &&
            (ev->address_auto || oe->address == ev->address)) {
            wc[e] = c->wc[o];
        }
    }
    free(c->master);
    free(c->wc);
    free(c->seen);
    c->master = master;
    c->wc = wc;
    c->seen = seen;
    c->site = site;
    return 0;
}

static bool is_wc_on(const struct site *site, size_t e, size_t bus)
{
    const struct site_evse *ev = &site->evse[e];
    return ev->kind == SITE_EVSE_WALL_CONNECTOR && ev->bus == (int32_t)bus;
}

int ctl_twc_evse_of(const struct ctl_twc *c, size_t bus, uint16_t slave_id)
{
    for (size_t e = 0; slave_id != 0 && e < c->site->n_evse; e++) {
        if (is_wc_on(c->site, e, bus) && c->wc[e].id == slave_id) {
            return (int)e;
        }
    }
    return -1;
}

/* The first `address = auto` Wall Connector of the bus that has no slave: -1 if none. */
static int free_auto(const struct ctl_twc *c, size_t bus)
{
    for (size_t e = 0; e < c->site->n_evse; e++) {
        if (is_wc_on(c->site, e, bus) && c->site->evse[e].address_auto && c->wc[e].id == 0) {
            return (int)e;
        }
    }
    return -1;
}

/* What a heartbeat reply says, for the controller (twc-gen2.md §5.2). */
static void report(struct ctl_twc *c, size_t e, const struct twc_master_brief *b)
{
    if (!b->replied) {
        /* linked but not heard yet: nothing is known, and the master offers it nothing */
        ctl_forget_evse(c->ctl, e);
        return;
    }
    /*
     * §5.2: 00 is "ready, car may or may not be plugged in" (what an empty unit reports, with a
     * 0.25 A offset on some) and 02 an error; 01, 03, 04, 08 and the 06/07/09/0A echoes all
     * have a car. ctl_report_evse counts a unit that draws current whatever it says.
     */
    struct ctl_evse_reading r = {
        .car = b->state != TWC_STATE_READY && b->state != TWC_STATE_ERROR,
        .n_draw = 1, /* one current for the unit */
        .draw_ma = {b->actual_ma},
        .draw_at_ms = b->last_heard_ms,
        .offer_ma = b->limit_ma, /* §5.2: the slave echoes the limit it enforces, 0 included */
        /* §7.1: the spike this unit needs; the engine makes it a target when it may */
        .spike_ma = b->spike_ma,
    };
    ctl_report_evse(c->ctl, e, &r);
}

/* A bound Wall Connector its master does not list (never linked, or dropped). Returns when this
 * next changes anything while the unit stays absent: UINT64_MAX once it is forgotten. */
static uint64_t absent(struct ctl_twc *c, size_t e, uint64_t now)
{
    struct ctl_twc_wc *w = &c->wc[e];
    if (w->present) {
        w->present = false;
        w->gone_ms = now;
    }
    if (ctl_state(c->ctl)->evse[e].connected && now - w->gone_ms < CTL_TWC_GONE_HOLD_MS) {
        /* Its last reading ages into staleness: the engine then counts its whole last offer
         * and never raises it, until the car has surely stopped (§6.4). */
        return w->gone_ms + CTL_TWC_GONE_HOLD_MS;
    }
    ctl_forget_evse(c->ctl, e);
    if (c->site->evse[e].address_auto && w->id != 0) {
        w->id = 0; /* gone for good: the place is free for the next unknown slave */
        c->seen[c->site->evse[e].bus].valid = false;
    }
    return UINT64_MAX;
}

/* Binds and reports every slave of one master from one snapshot. Unknown slaves get 0 A. */
static void read_bus(struct ctl_twc *c, size_t bus, uint64_t now)
{
    struct twc_master *m = c->master[bus];
    struct twc_master_brief b[TWC_MASTER_SLAVES_MAX];
    size_t n = twc_master_briefs(m, b);
    int ev[TWC_MASTER_SLAVES_MAX];
    c->stats.snapshots++;
    c->seen[bus].unknown = 0;
    /* Known slaves first, so that an auto place is never given away to a slave that merely
     * comes earlier in the table; then new slaves in the order they linked. */
    for (size_t i = 0; i < n; i++) {
        ev[i] = ctl_twc_evse_of(c, bus, b[i].id);
    }
    for (;;) {
        int pick = -1;
        for (size_t i = 0; i < n; i++) {
            if (ev[i] < 0 && (pick < 0 || b[i].linked_ms < b[pick].linked_ms)) {
                pick = (int)i;
            }
        }
        int e = pick >= 0 ? free_auto(c, bus) : -1;
        if (e < 0) {
            break; /* the rest are unknown */
        }
        c->wc[e].id = b[pick].id;
        c->stats.auto_bindings++;
        ev[pick] = e;
    }
    for (size_t i = 0; i < n; i++) {
        if (ev[i] >= 0) {
            c->wc[ev[i]].seen = true;
            c->wc[ev[i]].present = true;
            report(c, (size_t)ev[i], &b[i]);
            continue;
        }
        /* No circuit accounts for it: it may offer nothing (twc_master makes 0 a stop). */
        c->seen[bus].unknown++;
        if (b[i].target_ma != 0) {
            twc_master_set_target(m, now, b[i].id, 0);
        }
    }
    /* after its own set_target: what it wrote is what it read */
    c->seen[bus].valid = true;
    c->seen[bus].change_seq = m->change_seq;
}

static void on_read(void *self, struct ctl *ctl, uint64_t now_ms)
{
    struct ctl_twc *c = self;
    (void)ctl;
    const struct site *site = c->site;
    if (c->reloads != ctl_get_stats(c->ctl)->reloads) {
        /* a reload: the controller's inputs are new, fill them all */
        c->reloads = ctl_get_stats(c->ctl)->reloads;
        for (size_t b = 0; b < site->n_bus; b++) {
            c->seen[b].valid = false;
        }
    }
    /*
     * A master's table changes only in its own bus's service or by a target set here: a table
     * unchanged since it was read would report the same (its slaves' readings are already in,
     * their places kept), so only the changed ones are read. Absence is timed: checked with
     * every read (before each tick) and when a hold ends.
     */
    bool any = false;
    for (size_t b = 0; b < site->n_bus; b++) {
        struct ctl_twc_seen *sb = &c->seen[b];
        sb->fresh = c->master[b] && (!sb->valid || sb->change_seq != c->master[b]->change_seq);
        any = any || sb->fresh;
    }
    if (!any && now_ms < c->absent_due_ms) {
        return;
    }
    for (size_t e = 0; e < site->n_evse; e++) {
        int32_t b = site->evse[e].bus;
        if (b >= 0 && c->seen[b].fresh) {
            c->wc[e].seen = false;
        }
    }
    c->stats.unknown_slaves = 0;
    for (size_t b = 0; b < site->n_bus; b++) {
        if (c->seen[b].fresh) {
            read_bus(c, b, now_ms);
        }
        c->stats.unknown_slaves += c->master[b] ? c->seen[b].unknown : 0;
    }
    c->absent_due_ms = UINT64_MAX;
    for (size_t e = 0; e < site->n_evse; e++) {
        const struct site_evse *ev = &site->evse[e];
        if (ev->kind == SITE_EVSE_WALL_CONNECTOR && ev->bus >= 0 && c->master[ev->bus] &&
            !c->wc[e].seen) {
            uint64_t due = absent(c, e, now_ms);
            c->absent_due_ms = due < c->absent_due_ms ? due : c->absent_due_ms;
        }
    }
}

/* Hands every bound, present Wall Connector its target. */
static void on_apply(void *self, struct ctl *ctl, uint64_t now_ms)
{
    struct ctl_twc *c = self;
    for (size_t e = 0; e < c->site->n_evse; e++) {
        const struct site_evse *ev = &c->site->evse[e];
        if (ev->kind != SITE_EVSE_WALL_CONNECTOR || !c->wc[e].present || ev->bus < 0 ||
            !c->master[ev->bus]) {
            continue;
        }
        /* ceiling = target: the clamp's value is all that is safe, so cuts are never paced */
        twc_master_set_target(c->master[ev->bus], now_ms, c->wc[e].id, ctl_target_ma(ctl, e));
    }
}

bool ctl_twc_slave_of(const struct ctl_twc *c, size_t evse, uint16_t *slave_id)
{
    if (evse >= c->site->n_evse || c->site->evse[evse].kind != SITE_EVSE_WALL_CONNECTOR ||
        c->wc[evse].id == 0) {
        return false;
    }
    *slave_id = c->wc[evse].id;
    return true;
}

bool ctl_twc_present(const struct ctl_twc *c, size_t evse)
{
    return evse < c->site->n_evse && c->wc[evse].present;
}

const struct ctl_twc_stats *ctl_twc_get_stats(const struct ctl_twc *c)
{
    return &c->stats;
}

int ctl_twc_pick_master(const struct site *s, size_t b, uint64_t seed, uint16_t *id, uint8_t *sign)
{
    if (!s || b >= s->n_bus) {
        return -EINVAL;
    }
    const struct site_bus *sb = &s->bus[b];
    uint16_t pick;
    uint8_t sg;
    for (uint64_t k = 0;; k++) {
        twc_master_pick_id(seed + k, &pick, &sg);
        bool taken = false;
        for (size_t i = 0; sb->master_auto && i < s->n_evse; i++) {
            const struct site_evse *e = &s->evse[i];
            taken = taken || (e->kind == SITE_EVSE_WALL_CONNECTOR && e->bus == (int32_t)b &&
                              !e->address_auto && e->address == pick);
        }
        /* at most 3 Wall Connectors per bus (twc-gen2.md §6.3): a few draws suffice */
        if (!taken) {
            break;
        }
    }
    *id = sb->master_auto ? pick : sb->master_address;
    *sign = sg;
    return 0;
}
