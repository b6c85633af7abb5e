/* SPDX-License-Identifier: MIT */
/* A second master on a simulated bus (fleet_rival.h). */
#include "sim/fleet/fleet_rival.h"

static void rival_rx(void *ctx, uint64_t now_ms, const uint8_t *buf, size_t len)
{
    struct fleet_rival *r = ctx;
    if (r->on) {
        sim_native_master_on_bytes(&r->nm, now_ms, buf, len);
    }
}

static size_t rival_tx(void *ctx, uint64_t now_ms, uint8_t *out, size_t cap, uint64_t *next_ms)
{
    struct fleet_rival *r = ctx;
    if (!r->on) {
        *next_ms = UINT64_MAX; /* unplugged: woken by fleet_rival_set */
        return 0;
    }
    return sim_native_master_poll(&r->nm, now_ms, out, cap, next_ms);
}

int fleet_rival_add(struct fleet_rival *r, struct sim_vbus *vb, int32_t circuit_ma)
{
    sim_native_master_cfg_default(&r->cfg);
    r->cfg.circuit_ma = circuit_ma;
    r->vb = vb;
    r->on = false;
    r->port = sim_vbus_add_bytes(vb, "rival", rival_rx, rival_tx, r);
    return r->port < 0 ? r->port : 0;
}

void fleet_rival_set(struct fleet_rival *r, bool on, uint64_t now_ms)
{
    if (on && !r->on && sim_native_master_init(&r->nm, &r->cfg, now_ms) != 0) {
        return;
    }
    r->on = on;
    sim_vbus_wake(r->vb, r->port, now_ms);
}
