/* SPDX-License-Identifier: MIT */
/* The in-memory bus and pair (semantics in tp_mem.h). */
#include "drivers/transport/tp_mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/transport/tp_internal.h"

struct tp_mem {
    struct tp base;
    struct tp_mem_bus *bus;
    size_t slot; /* index in bus->ends */
    bool open;
    bool echo;
    uint8_t *ring;
    size_t head; /* next byte to read */
    size_t len;  /* bytes waiting */
    uint64_t overflow;
};

struct tp_mem_bus {
    size_t refs; /* the creator's handle plus one for each endpoint */
    size_t ring_bytes;
    size_t max_ends;
    struct tp_mem **ends; /* max_ends slots; NULL where none or freed */
};

static void bus_unref(struct tp_mem_bus *bus)
{
    if (--bus->refs == 0) {
        free(bus->ends);
        free(bus);
    }
}

/* Appends what fits; the rest is lost to this receiver, as a UART overrun loses it. */
static void ring_put(struct tp_mem *m, const uint8_t *buf, size_t len)
{
    size_t cap = m->bus->ring_bytes;
    size_t room = cap - m->len;
    size_t n = len < room ? len : room;
    size_t tail = m->head + m->len; /* head < cap and len <= cap: below 2 * cap */
    tail -= tail >= cap ? cap : 0;
    size_t first = n < cap - tail ? n : cap - tail;
    memcpy(m->ring + tail, buf, first);
    if (n > first) { /* wraps around */
        memcpy(m->ring, buf + first, n - first);
    }
    m->len += n;
    m->overflow += len - n;
}

static size_t ring_get(struct tp_mem *m, uint8_t *buf, size_t cap)
{
    size_t n = cap < m->len ? cap : m->len;
    if (n == 0) {
        return 0; /* the common answer of a poll: nothing waiting */
    }
    size_t rcap = m->bus->ring_bytes;
    size_t first = n < rcap - m->head ? n : rcap - m->head;
    memcpy(buf, m->ring + m->head, first);
    if (n > first) { /* wraps around */
        memcpy(buf + first, m->ring, n - first);
    }
    m->head += n;
    m->head -= m->head >= rcap ? rcap : 0;
    m->len -= n;
    return n;
}

static int mem_open(struct tp *t)
{
    struct tp_mem *m = TP_CONTAINER_OF(t, struct tp_mem, base);
    m->open = true;
    return 0;
}

static ssize_t mem_read(struct tp *t, uint8_t *buf, size_t cap)
{
    struct tp_mem *m = TP_CONTAINER_OF(t, struct tp_mem, base);
    if (!m->open) {
        return -ENOTCONN;
    }
    if (cap == 0) {
        return 0;
    }
    return (ssize_t)ring_get(m, buf, cap);
}

static ssize_t mem_write(struct tp *t, const uint8_t *buf, size_t len)
{
    struct tp_mem *m = TP_CONTAINER_OF(t, struct tp_mem, base);
    if (!m->open) {
        return -ENOTCONN;
    }
    if (len == 0) {
        return 0;
    }
    struct tp_mem_bus *bus = m->bus;
    for (size_t i = 0; i < bus->max_ends; i++) {
        struct tp_mem *r = bus->ends[i];
        if (r && r->open && (r != m || m->echo)) {
            ring_put(r, buf, len);
        }
    }
    return (ssize_t)len;
}

static int mem_poll_fd(const struct tp *t)
{
    (void)t;
    return -1;
}

static void mem_close(struct tp *t)
{
    struct tp_mem *m = TP_CONTAINER_OF(t, struct tp_mem, base);
    m->open = false;
    m->head = 0;
    m->len = 0;
}

static void mem_destroy(struct tp *t)
{
    struct tp_mem *m = TP_CONTAINER_OF(t, struct tp_mem, base);
    m->bus->ends[m->slot] = NULL;
    free(m->ring);
    bus_unref(m->bus);
}

static const struct tp_ops mem_ops = {
    .name = "mem",
    .open = mem_open,
    .read = mem_read,
    .write = mem_write,
    .poll_fd = mem_poll_fd,
    .close = mem_close,
    .destroy = mem_destroy,
};

int tp_mem_bus_new(size_t max_endpoints, size_t ring_bytes, struct tp_mem_bus **out)
{
    if (!out) {
        return -EINVAL;
    }
    *out = NULL;
    if (max_endpoints == 0) {
        return -EINVAL;
    }
    struct tp_mem_bus *bus = calloc(1, sizeof(*bus));
    if (!bus) {
        return -ENOMEM;
    }
    bus->ends = calloc(max_endpoints, sizeof(*bus->ends));
    if (!bus->ends) {
        free(bus);
        return -ENOMEM;
    }
    bus->refs = 1;
    bus->max_ends = max_endpoints;
    bus->ring_bytes = ring_bytes ? ring_bytes : TP_MEM_RING_DEFAULT;
    *out = bus;
    return 0;
}

int tp_mem_bus_attach(struct tp_mem_bus *bus, const char *label, bool echo, struct tp **out)
{
    if (!out) {
        return -EINVAL;
    }
    *out = NULL;
    if (!bus) {
        return -EINVAL;
    }
    size_t slot = 0;
    while (slot < bus->max_ends && bus->ends[slot]) {
        slot++;
    }
    if (slot == bus->max_ends) {
        return -ENOSPC;
    }
    struct tp_mem *m = calloc(1, sizeof(*m));
    if (!m) {
        return -ENOMEM;
    }
    m->ring = malloc(bus->ring_bytes);
    if (!m->ring) {
        free(m);
        return -ENOMEM;
    }
    m->base.ops = &mem_ops;
    tp_set_label(&m->base, "%s", label ? label : "mem");
    m->bus = bus;
    m->slot = slot;
    m->echo = echo;
    m->open = true;
    bus->ends[slot] = m;
    bus->refs++;
    *out = &m->base;
    return 0;
}

void tp_mem_bus_free(struct tp_mem_bus *bus)
{
    if (bus) {
        bus_unref(bus);
    }
}

int tp_mem_pair_new(struct tp **a, struct tp **b, size_t ring_bytes, unsigned flags)
{
    if (!a || !b) {
        return -EINVAL;
    }
    *a = NULL;
    *b = NULL;
    struct tp_mem_bus *bus;
    int rc = tp_mem_bus_new(2, ring_bytes, &bus);
    if (rc < 0) {
        return rc;
    }
    rc = tp_mem_bus_attach(bus, "mem:a", flags & TP_MEM_ECHO_A, a);
    if (rc == 0) {
        rc = tp_mem_bus_attach(bus, "mem:b", flags & TP_MEM_ECHO_B, b);
    }
    tp_mem_bus_free(bus);
    if (rc < 0) {
        tp_free(*a);
        *a = NULL;
    }
    return rc;
}

size_t tp_mem_pending(const struct tp *t)
{
    if (!t || t->ops != &mem_ops) {
        return 0;
    }
    return TP_CONTAINER_OF_CONST(t, struct tp_mem, base)->len;
}

uint64_t tp_mem_overflow(const struct tp *t)
{
    if (!t || t->ops != &mem_ops) {
        return 0;
    }
    return TP_CONTAINER_OF_CONST(t, struct tp_mem, base)->overflow;
}
