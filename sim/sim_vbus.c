/* SPDX-License-Identifier: MIT */
/* The virtual-time bus: parties, ports and the wire between them (sim_vbus.h). */
#include "sim/sim_vbus.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/transport/tp_mem.h"

/* 8N1: a start bit, 8 data bits, a stop bit. */
#define VBUS_BITS_PER_BYTE 10u

/* Hands a transmission to every other port and wakes its party now. */
static void deliver(struct sim_vbus *vb, size_t from, const uint8_t *b, size_t len, uint64_t now)
{
    if (vb->tap) {
        vb->tap(vb->tap_ctx, now, (int)from, b, len);
    }
    for (size_t i = 0; i < vb->n_port; i++) {
        struct sim_vbus_port *p = &vb->port[i];
        if (i != from && tp_write(p->wire, b, len) > 0) {
            sim_sched_wake(vb->sched, p->party, now);
        }
    }
}

/* The wire's party: hands over every transmission whose last byte is through by now. */
static int wire_service(void *ctx, uint64_t now, uint64_t *next)
{
    struct sim_vbus *vb = ctx;
    size_t keep = 0;
    for (size_t i = 0; i < vb->n_flight; i++) {
        struct sim_vbus_flight *f = &vb->flight[i];
        if (f->at_ms <= now) {
            deliver(vb, f->from, f->b, f->len, now);
            continue;
        }
        *next = f->at_ms < *next ? f->at_ms : *next;
        if (keep != i) {
            vb->flight[keep] = *f;
        }
        keep++;
    }
    vb->n_flight = keep;
    return 0;
}

/* Puts len bytes port `from` wrote at now on the wire: they take their time at the baud rate,
 * after what the same port is still sending. */
static void transmit(struct sim_vbus *vb, size_t from, const uint8_t *b, size_t len, uint64_t now)
{
    struct sim_vbus_port *p = &vb->port[from];
    p->bytes_tx += len;
    if (vb->baud == 0) {
        deliver(vb, from, b, len, now);
        return;
    }
    uint64_t start = now * 1000 > p->tx_free_us ? now * 1000 : p->tx_free_us;
    uint64_t end =
        start + ((uint64_t)len * VBUS_BITS_PER_BYTE * 1000000u + vb->baud - 1) / vb->baud;
    p->tx_free_us = end;
    if (start < vb->air_until_us && vb->air_from != from) {
        vb->stats.collisions++;
    }
    if (end > vb->air_until_us) {
        vb->air_until_us = end;
        vb->air_from = from;
    }
    if (vb->n_flight == SIM_VBUS_FLIGHTS) {
        vb->stats.overruns += len; /* as a UART that cannot keep up loses them */
        return;
    }
    struct sim_vbus_flight *f = &vb->flight[vb->n_flight++];
    f->at_ms = (end + 999) / 1000; /* whole once the last stop bit is through */
    f->from = (uint16_t)from;
    f->len = (uint16_t)len;
    memcpy(f->b, b, len);
    sim_sched_wake(vb->sched, vb->wire_party, f->at_ms);
}

/* What the party wrote to its port during its service goes on the wire. */
static int collect(struct sim_vbus *vb, size_t i, uint64_t now)
{
    uint8_t buf[SIM_VBUS_CHUNK];
    for (;;) {
        ssize_t n = tp_read(vb->port[i].wire, buf, sizeof(buf));
        if (n <= 0) {
            return (int)n;
        }
        transmit(vb, i, buf, (size_t)n, now);
    }
}

/* A bytes party: its port into rx, then what tx has into its port. */
static int bytes_service(struct sim_vbus_port *p, uint64_t now, uint64_t *next)
{
    uint8_t buf[SIM_VBUS_CHUNK];
    for (;;) {
        ssize_t n = tp_read(p->own, buf, sizeof(buf));
        if (n < 0) {
            return (int)n;
        }
        if (n == 0) {
            break;
        }
        p->rx(p->ctx, now, buf, (size_t)n);
    }
    size_t n = p->tx(p->ctx, now, buf, sizeof(buf), next);
    if (n > 0) {
        ssize_t w = tp_write(p->own, buf, n);
        if (w < 0) {
            return (int)w;
        }
    }
    return 0;
}

static int port_service(void *ctx, uint64_t now, uint64_t *next)
{
    struct sim_vbus_port *p = ctx;
    int rc = p->fn ? p->fn(p->ctx, now, next) : bytes_service(p, now, next);
    int crc = collect(p->vb, (size_t)(p - p->vb->port), now);
    return rc < 0 ? rc : crc;
}

int sim_vbus_init(struct sim_vbus *vb, struct sim_sched *sched, const char *name, uint32_t baud)
{
    memset(vb, 0, sizeof(*vb));
    vb->sched = sched;
    vb->baud = baud;
    snprintf(vb->name, sizeof(vb->name), "%s", name);
    vb->wire_party = sim_sched_add(sched, vb->name, wire_service, vb);
    return vb->wire_party < 0 ? vb->wire_party : 0;
}

static int add(struct sim_vbus *vb, const char *name, struct sim_vbus_port **out, struct tp **own)
{
    if (vb->n_port >= SIM_VBUS_PORTS) {
        return -ENOSPC;
    }
    struct sim_vbus_port *p = &vb->port[vb->n_port];
    memset(p, 0, sizeof(*p));
    p->vb = vb;
    snprintf(p->name, sizeof(p->name), "%s:%s", vb->name, name);
    /* a pair whose ends say which bus and party they are in log lines ("mem:rs485:ampshare") */
    char label[80];
    snprintf(label, sizeof(label), "mem:%s", p->name);
    struct tp_mem_bus *pair;
    int rc = tp_mem_bus_new(2, 0, &pair);
    if (rc == 0) {
        rc = tp_mem_bus_attach(pair, label, false, own);
    }
    if (rc == 0) {
        rc = tp_mem_bus_attach(pair, "mem:wire", false, &p->wire);
    }
    tp_mem_bus_free(pair);
    if (rc < 0) {
        tp_free(*own);
        *own = NULL;
        return rc;
    }
    p->party = sim_sched_add(vb->sched, p->name, port_service, p);
    if (p->party < 0) {
        tp_free(*own);
        tp_free(p->wire);
        *own = NULL;
        return -ENOSPC;
    }
    *out = p;
    return (int)vb->n_port++;
}

int sim_vbus_add_port(
    struct sim_vbus *vb, const char *name, sim_sched_fn *fn, void *ctx, struct tp **port)
{
    struct sim_vbus_port *p;
    int rc = add(vb, name, &p, port);
    if (rc >= 0) {
        p->fn = fn;
        p->ctx = ctx;
    }
    return rc;
}

int sim_vbus_add_bytes(
    struct sim_vbus *vb, const char *name, sim_vbus_rx_fn *rx, sim_vbus_tx_fn *tx, void *ctx)
{
    struct sim_vbus_port *p;
    struct tp *own;
    int rc = add(vb, name, &p, &own);
    if (rc >= 0) {
        p->own = own;
        p->rx = rx;
        p->tx = tx;
        p->ctx = ctx;
    }
    return rc;
}

void sim_vbus_set_tap(struct sim_vbus *vb, sim_vbus_tap_fn *fn, void *ctx)
{
    vb->tap = fn;
    vb->tap_ctx = ctx;
}

void sim_vbus_wake(struct sim_vbus *vb, int p, uint64_t at_ms)
{
    if (p >= 0 && (size_t)p < vb->n_port) {
        sim_sched_wake(vb->sched, vb->port[p].party, at_ms);
    }
}

uint64_t sim_vbus_bytes_tx(const struct sim_vbus *vb, int p)
{
    return p >= 0 && (size_t)p < vb->n_port ? vb->port[p].bytes_tx : 0;
}

void sim_vbus_fini(struct sim_vbus *vb)
{
    for (size_t i = 0; i < vb->n_port; i++) {
        tp_free(vb->port[i].own);
        tp_free(vb->port[i].wire);
        vb->port[i].own = vb->port[i].wire = NULL;
    }
    vb->n_port = 0;
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

int sim_vbus_add_slaves(struct sim_vbus *vb, struct sim_twc_slaves *set)
{
    set->poll_all = &vb->sched->lockstep;
    return sim_vbus_add_bytes(vb, "slaves", slaves_rx, slaves_tx, set);
}

int sim_vbus_add_native(struct sim_vbus *vb, struct sim_native_master *m)
{
    return sim_vbus_add_bytes(vb, "native", native_rx, native_tx, m);
}
