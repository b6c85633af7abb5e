/* SPDX-License-Identifier: MIT */
/* Random fleets and the independent limit checker (see amp_fleet.h). */
#include "tests/support/amp_fleet.h"

#include <stdio.h>
#include <string.h>

#include <check.h>

#include "controller/engine/config.h"
#include "controller/engine/site.h"
#include "tests/support/amp_test.h"

static uint32_t pick(uint64_t *rng, uint32_t n)
{
    return n ? (uint32_t)(amp_test_rand(rng) % n) : 0;
}

void amp_fleet_random(
    struct amp_fleet *f, uint64_t *rng, size_t max_evse, size_t max_circuit, uint64_t now_ms)
{
    memset(f, 0, sizeof(*f));
    if (max_circuit > AMP_FLEET_CIRCUITS_MAX) {
        max_circuit = AMP_FLEET_CIRCUITS_MAX;
    }
    if (max_evse > AMP_FLEET_EVSE_MAX) {
        max_evse = AMP_FLEET_EVSE_MAX;
    }
    size_t nc = 1 + pick(rng, (uint32_t)max_circuit);
    size_t ne = pick(rng, (uint32_t)max_evse + 1);
    bool three = pick(rng, 4) != 0;
    for (size_t c = 0; c < nc; c++) {
        struct ampshare_policy_circuit *ci = &f->circuit[c];
        snprintf(f->cname[c], sizeof(f->cname[c]), "c%zu", c);
        ci->name = f->cname[c];
        ci->parent = c == 0 ? -1 : (int32_t)pick(rng, (uint32_t)c);
        uint8_t pm = c == 0 ? (three ? 0x7 : 0x1) : f->circuit[ci->parent].phases;
        ci->phases = pm == 0x7 && pick(rng, 3) == 0 ? (uint8_t)(1u << pick(rng, 3)) : pm;
        for (int p = 0; p < 3; p++) {
            if ((ci->phases >> p) & 1u) {
                ci->rating_ma[p] = (int32_t)(pick(rng, 80) * 1000 + pick(rng, 4) * 250);
                ci->uncontrolled_ma[p] = pick(rng, 4) == 0 ? (int32_t)pick(rng, 12000) : 0;
                int32_t lim = ci->rating_ma[p] - ci->uncontrolled_ma[p];
                ci->limit_ma[p] = lim > 0 ? lim : 0;
            }
        }
        ci->overcommit_ma = pick(rng, 3) == 0 ? (int32_t)(pick(rng, 13) * 1000) : 0;
        if (pick(rng, 8) == 0) {
            ci->flags = AMPSHARE_CIRCUIT_F_METER_STALE;
        }
    }
    for (size_t e = 0; e < ne; e++) {
        struct ampshare_policy_evse *ev = &f->evse[e];
        snprintf(f->ename[e], sizeof(f->ename[e]), "e%zu", e);
        ev->name = f->ename[e];
        ev->circuit = (int32_t)pick(rng, (uint32_t)nc);
        uint8_t cm = f->circuit[ev->circuit].phases;
        bool wc = pick(rng, 2) == 0;
        if (cm == 0x7 && pick(rng, 2) == 0) {
            ev->phases = 0x7;
            ev->n_phases = 3;
        } else {
            uint8_t options[3], n = 0;
            for (uint8_t p = 0; p < 3; p++) {
                if ((cm >> p) & 1u) {
                    options[n++] = p;
                }
            }
            ev->phases = (uint8_t)(1u << options[pick(rng, n)]);
            ev->n_phases = 1;
        }
        ev->step_ma = wc ? 1000 : (pick(rng, 2) ? 1000 : 100);
        ev->flags = wc ? AMPSHARE_EVSE_F_WALL_CONNECTOR : 0;
        ev->min_ma = wc ? (pick(rng, 4) == 0 ? 5000 : 6000) : (int32_t)(6000 + pick(rng, 3) * 1000);
        ev->max_ma =
            (int32_t)(pick(rng, 6) == 0 ? pick(rng, 8) * 1000 : 6000 + pick(rng, 75) * 1000);
        if (!wc && pick(rng, 3) == 0) {
            ev->max_ma += (int32_t)pick(rng, 10) * 100;
        }
        ev->priority = (int32_t)pick(rng, 3);
        ev->state = (uint8_t)pick(rng, 3);
        ev->offered_ma = pick(rng, 3) ? (int32_t)(pick(rng, 40) * 1000) : 0;
        uint64_t age = amp_test_rand(rng) % 900000;
        ev->connected_since_ms = ev->state ? (now_ms > age ? now_ms - age : 0) : 0;
        uint64_t sage = age ? amp_test_rand(rng) % (age + 1) : 0;
        ev->state_since_ms = now_ms > sage ? now_ms - sage : 0;
        if (ev->state == AMPSHARE_EVSE_IDLE && pick(rng, 2)) {
            ev->state_since_ms = ev->connected_since_ms; /* never drew since plug-in */
        }
        for (int p = 0; p < 3; p++) {
            if (!((ev->phases >> p) & 1u)) {
                continue;
            }
            if (ev->state == AMPSHARE_EVSE_CHARGING) {
                int32_t off = ev->offered_ma > 0 ? ev->offered_ma : 6000;
                ev->draw_ma[p] = (int32_t)pick(rng, (uint32_t)off + 1);
            } else if (ev->state == AMPSHARE_EVSE_IDLE) {
                ev->draw_ma[p] = (int32_t)pick(rng, 1000);
            }
        }
        if (ev->state == AMPSHARE_EVSE_CHARGING && pick(rng, 10) == 0) {
            ev->flags |= AMPSHARE_EVSE_F_STALE;
        }
        ev->energy_wanted_wh = -1;
        /* the settle facts (ABI minor 1): an offer in force for up to 30 s, and a run below it
         * that began up to 30 s ago, or none (the car draws its offer) */
        uint64_t oa = amp_test_rand(rng) % 30000, ba = amp_test_rand(rng) % 30000;
        ev->offered_since_ms = ev->offered_ma ? (now_ms > oa ? now_ms - oa : 1) : 0;
        ev->below_since_ms = pick(rng, 2) ? (now_ms > ba ? now_ms - ba : 1) : 0;
    }
    f->in = (struct ampshare_policy_input){
        .struct_size = sizeof(f->in),
        .circuit_size = sizeof(f->circuit[0]),
        .evse_size = sizeof(f->evse[0]),
        .now_ms = now_ms,
        .circuit = f->circuit,
        .n_circuit = nc,
        .evse = f->evse,
        .n_evse = ne,
    };
}

static bool below(const struct ampshare_policy_input *in, int32_t c, int32_t anc)
{
    for (int guard = 0; c >= 0 && guard < 1 << 16; guard++) {
        if (c == anc) {
            return true;
        }
        c = ampshare_policy_circuit_at(in, (size_t)c)->parent;
    }
    return false;
}

int amp_check_limits(const struct ampshare_policy_input *in,
                     const int32_t *t,
                     char *msg,
                     size_t cap)
{
    int bad = 0;
    if (msg && cap) {
        msg[0] = '\0';
    }
#define BAD(...)                             \
    do {                                     \
        if (bad++ == 0 && msg) {             \
            snprintf(msg, cap, __VA_ARGS__); \
        }                                    \
    } while (0)
    for (size_t i = 0; i < in->n_evse; i++) {
        const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, i);
        int32_t step = ev->step_ma > 0 ? ev->step_ma : 1;
        if (t[i] == 0) {
            continue;
        }
        if (ev->state == AMPSHARE_EVSE_UNPLUGGED) {
            BAD("evse %zu: %d mA without a car", i, t[i]);
        }
        if (t[i] < 0 || t[i] > ev->max_ma || t[i] < ev->min_ma || t[i] % step) {
            BAD("evse %zu: %d mA outside 0 or %d..%d step %d", i, t[i], ev->min_ma, ev->max_ma,
                step);
        }
    }
    for (size_t c = 0; c < in->n_circuit; c++) {
        const struct ampshare_policy_circuit *ci = ampshare_policy_circuit_at(in, c);
        for (int p = 0; p < 3; p++) {
            int64_t sum = 0, counted = 0;
            for (size_t i = 0; i < in->n_evse; i++) {
                const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, i);
                if (!((ev->phases >> p) & 1u) || !below(in, ev->circuit, (int32_t)c)) {
                    continue;
                }
                sum += t[i];
                bool idle = ev->state == AMPSHARE_EVSE_IDLE && !(ev->flags & AMPSHARE_EVSE_F_STALE);
                int64_t d = ev->draw_ma[p] > 0 ? ev->draw_ma[p] : 0;
                counted += idle ? (t[i] < d ? t[i] : d) : t[i];
            }
            int64_t lim = ci->limit_ma[p] > 0 ? ci->limit_ma[p] : 0;
            int64_t oc = ci->overcommit_ma > 0 ? ci->overcommit_ma : 0;
            int64_t lim2 = (int64_t)ci->limit_ma[p] + oc > 0 ? (int64_t)ci->limit_ma[p] + oc : 0;
            if (counted > lim) {
                BAD("circuit %zu L%d: counted %lld mA > limit %lld mA", c, p + 1,
                    (long long)counted, (long long)lim);
            }
            if (sum > lim2) {
                BAD("circuit %zu L%d: offers %lld mA > limit + overcommit %lld mA", c, p + 1,
                    (long long)sum, (long long)lim2);
            }
        }
    }
#undef BAD
    return bad;
}

struct site *amp_test_site(const char *ini)
{
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    int rc = cfg_parse_string(ini, "test.ini", &cfg, &diag);
    if (rc == 0) {
        rc = cfg_validate(&cfg, &diag);
    }
    struct site *site = NULL;
    char err[256] = "";
    if (rc == 0) {
        rc = site_new(&cfg, &site, err, sizeof(err));
    }
    cfg_free(&cfg);
    if (rc != 0) {
        for (size_t i = 0; i < diag.n; i++) {
            fprintf(stderr, "%s\n", diag.item[i].text);
        }
        ck_abort_msg("test site does not load: %s", diag.n ? diag.item[0].text : err);
    }
    return site;
}
