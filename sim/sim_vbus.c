/* SPDX-License-Identifier: MIT */
/* The virtual-time bus: two parties, real bytes, tp_mem in between. */
#include "sim/sim_vbus.h"

#include <errno.h>
#include <string.h>

#include "drivers/transport/tp_mem.h"

/* Room for several frames per step: 3 slaves answering at once, each up to TWC_WIRE_MAX. */
#define VBUS_CHUNK 512

int sim_vbus_init(struct sim_vbus *vb,
                  const struct sim_vbus_party *master,
                  const struct sim_vbus_party *slaves,
                  uint64_t start_ms)
{
    memset(vb, 0, sizeof(*vb));
    vb->party[SIM_VBUS_MASTER] = *master;
    vb->party[SIM_VBUS_SLAVES] = *slaves;
    vb->now_ms = start_ms;
    int rc = tp_mem_bus_new(2, 0, &vb->bus);
    if (rc < 0) {
        return rc;
    }
    rc = tp_mem_bus_attach(vb->bus, "vbus:master", false, &vb->ep[SIM_VBUS_MASTER]);
    if (rc == 0) {
        rc = tp_mem_bus_attach(vb->bus, "vbus:slaves", false, &vb->ep[SIM_VBUS_SLAVES]);
    }
    if (rc < 0) {
        sim_vbus_fini(vb);
    }
    return rc;
}

static int step_party(struct sim_vbus *vb, int i)
{
    uint8_t buf[VBUS_CHUNK];
    struct sim_vbus_party *p = &vb->party[i];
    for (;;) {
        ssize_t n = tp_read(vb->ep[i], buf, sizeof(buf));
        if (n < 0) {
            return (int)n;
        }
        if (n == 0) {
            break;
        }
        p->rx(p->ctx, vb->now_ms, buf, (size_t)n);
    }
    uint64_t next = 0;
    size_t n = p->tx(p->ctx, vb->now_ms, buf, sizeof(buf), &next);
    if (n > 0) {
        ssize_t w = tp_write(vb->ep[i], buf, n);
        if (w < 0) {
            return (int)w;
        }
        vb->bytes_tx[i] += (uint64_t)w;
    }
    return 0;
}

int sim_vbus_run(struct sim_vbus *vb, uint64_t until_ms, uint32_t step_ms)
{
    if (step_ms == 0) {
        return -EINVAL;
    }
    while (vb->now_ms < until_ms) {
        vb->now_ms += step_ms;
        for (int i = 0; i < 2; i++) {
            int rc = step_party(vb, i);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

void sim_vbus_fini(struct sim_vbus *vb)
{
    for (int i = 0; i < 2; i++) {
        tp_free(vb->ep[i]);
        vb->ep[i] = NULL;
    }
    tp_mem_bus_free(vb->bus);
    vb->bus = NULL;
}

static void slaves_rx(void *ctx, uint64_t now_ms, const uint8_t *buf, size_t len)
{
    sim_twc_slaves_on_bytes(ctx, now_ms, buf, len);
}

static size_t slaves_tx(void *ctx, uint64_t now_ms, uint8_t *out, size_t cap, uint64_t *next_ms)
{
    return sim_twc_slaves_poll(ctx, now_ms, out, cap, next_ms);
}

static void native_rx(void *ctx, uint64_t now_ms, const uint8_t *buf, size_t len)
{
    sim_native_master_on_bytes(ctx, now_ms, buf, len);
}

static size_t native_tx(void *ctx, uint64_t now_ms, uint8_t *out, size_t cap, uint64_t *next_ms)
{
    return sim_native_master_poll(ctx, now_ms, out, cap, next_ms);
}

void sim_vbus_party_slaves(struct sim_vbus_party *p, struct sim_twc_slaves *set)
{
    p->rx = slaves_rx;
    p->tx = slaves_tx;
    p->ctx = set;
}

void sim_vbus_party_native(struct sim_vbus_party *p, struct sim_native_master *m)
{
    p->rx = native_rx;
    p->tx = native_tx;
    p->ctx = m;
}
