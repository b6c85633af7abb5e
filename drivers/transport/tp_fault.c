/* SPDX-License-Identifier: MIT */
/* The fault-injecting transport (semantics in tp_fault.h): SQLite's faultsim applied to a bus. */
#include "drivers/transport/tp_fault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/transport/tp_internal.h"

/* Bytes damaged per step; each may double, so the output buffers hold twice as many. */
#define TP_FAULT_CHUNK 128

struct tp_fault {
    struct tp base;
    struct tp *inner;
    uint64_t rng;
    struct tp_fault_cfg cfg[TP_FAULT_DIR_COUNT];
    uint64_t pos[TP_FAULT_DIR_COUNT]; /* bytes of each direction's stream already damaged */
    uint32_t fail_nth;
    bool unplugged;
    struct tp_fault_stats stats;
    uint8_t pending[2 * TP_FAULT_CHUNK]; /* received bytes already damaged, not yet read */
    size_t pend_head;
    size_t pend_len;
};

/* splitmix64: small, seedable, and the same sequence on every platform. */
static uint64_t fault_rand(struct tp_fault *f)
{
    uint64_t z = (f->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Draws only when the fault is on, so enabling one fault leaves the others' sequences alone. */
static bool roll(struct tp_fault *f, uint16_t permille)
{
    return permille > 0 && fault_rand(f) % 1000 < permille;
}

/*
 * Damages n input bytes of direction dir into out (room for 2 * n). ends[i] is the output length
 * after input byte i, so a partial write can be mapped back to whole input bytes.
 */
static size_t damage(struct tp_fault *f,
                     enum tp_fault_dir dir,
                     const uint8_t *in,
                     size_t n,
                     uint8_t *out,
                     uint16_t *ends)
{
    const struct tp_fault_cfg *c = &f->cfg[dir];
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = in[i];
        if (c->corrupt_at != 0 && c->corrupt_at == f->pos[dir] + i + 1) {
            b ^= 0xff;
            f->stats.corrupted++;
        }
        if (roll(f, c->drop_permille)) {
            f->stats.dropped++;
            ends[i] = (uint16_t)o;
            continue;
        }
        if (roll(f, c->corrupt_permille)) {
            b ^= (uint8_t)(1u << (fault_rand(f) % 8));
            f->stats.corrupted++;
        }
        out[o++] = b;
        if (roll(f, c->dup_permille)) {
            out[o++] = b;
            f->stats.duplicated++;
        }
        ends[i] = (uint16_t)o;
    }
    return o;
}

static int fault_open(struct tp *t)
{
    struct tp_fault *f = TP_CONTAINER_OF(t, struct tp_fault, base);
    f->stats.open_calls++;
    if (f->unplugged) {
        return -ENODEV;
    }
    return tp_open(f->inner);
}

static ssize_t fault_read(struct tp *t, uint8_t *buf, size_t cap)
{
    struct tp_fault *f = TP_CONTAINER_OF(t, struct tp_fault, base);
    if (f->unplugged) {
        return -ENODEV;
    }
    if (f->pend_len == 0) {
        uint8_t in[TP_FAULT_CHUNK];
        uint16_t ends[TP_FAULT_CHUNK];
        ssize_t n = tp_read(f->inner, in, sizeof(in));
        if (n <= 0) {
            return n;
        }
        f->pend_head = 0;
        f->pend_len = damage(f, TP_FAULT_RX, in, (size_t)n, f->pending, ends);
        f->pos[TP_FAULT_RX] += (uint64_t)n;
    }
    size_t k = cap < f->pend_len ? cap : f->pend_len;
    if (k > 0) {
        memcpy(buf, f->pending + f->pend_head, k);
    }
    f->pend_head += k;
    f->pend_len -= k;
    return (ssize_t)k;
}

static ssize_t fault_write(struct tp *t, const uint8_t *buf, size_t len)
{
    struct tp_fault *f = TP_CONTAINER_OF(t, struct tp_fault, base);
    if (f->unplugged) {
        return -ENODEV;
    }
    if (f->fail_nth > 0 && --f->fail_nth == 0) {
        f->stats.failed_writes++;
        return -EIO;
    }
    size_t done = 0;
    while (done < len) {
        size_t n = len - done < TP_FAULT_CHUNK ? len - done : TP_FAULT_CHUNK;
        uint8_t out[2 * TP_FAULT_CHUNK];
        uint16_t ends[TP_FAULT_CHUNK];
        size_t o = damage(f, TP_FAULT_TX, buf + done, n, out, ends);
        size_t consumed = n;
        if (o > 0) {
            ssize_t w = tp_write(f->inner, out, o);
            if (w < 0) {
                return done > 0 ? (ssize_t)done : w;
            }
            consumed = 0;
            while (consumed < n && ends[consumed] <= (size_t)w) {
                consumed++;
            }
        }
        f->pos[TP_FAULT_TX] += consumed;
        done += consumed;
        if (consumed < n) {
            break;
        }
    }
    return (ssize_t)done;
}

static int fault_poll_fd(const struct tp *t)
{
    const struct tp_fault *f = TP_CONTAINER_OF_CONST(t, struct tp_fault, base);
    return tp_poll_fd(f->inner);
}

static void fault_close(struct tp *t)
{
    struct tp_fault *f = TP_CONTAINER_OF(t, struct tp_fault, base);
    tp_close(f->inner);
    f->pend_len = 0;
    f->pend_head = 0;
}

static void fault_destroy(struct tp *t)
{
    struct tp_fault *f = TP_CONTAINER_OF(t, struct tp_fault, base);
    tp_free(f->inner);
    f->inner = NULL;
}

static const struct tp_ops fault_ops = {
    .name = "fault",
    .open = fault_open,
    .read = fault_read,
    .write = fault_write,
    .poll_fd = fault_poll_fd,
    .close = fault_close,
    .destroy = fault_destroy,
};

static struct tp_fault *as_fault(struct tp *t)
{
    return t && t->ops == &fault_ops ? TP_CONTAINER_OF(t, struct tp_fault, base) : NULL;
}

int tp_fault_wrap(struct tp *inner, uint64_t seed, struct tp **out)
{
    if (!out) {
        tp_free(inner);
        return -EINVAL;
    }
    *out = NULL;
    if (!inner) {
        return -EINVAL;
    }
    struct tp_fault *f = calloc(1, sizeof(*f));
    if (!f) {
        tp_free(inner);
        return -ENOMEM;
    }
    f->base.ops = &fault_ops;
    f->inner = inner;
    f->rng = seed;
    tp_set_label(&f->base, "fault(%s)", inner->label);
    *out = &f->base;
    return 0;
}

int tp_fault_set(struct tp *t, enum tp_fault_dir dir, const struct tp_fault_cfg *cfg)
{
    struct tp_fault *f = as_fault(t);
    if (!f || (dir != TP_FAULT_RX && dir != TP_FAULT_TX)) {
        return -EINVAL;
    }
    if (cfg &&
        (cfg->drop_permille > 1000 || cfg->corrupt_permille > 1000 || cfg->dup_permille > 1000)) {
        return -ERANGE;
    }
    if (cfg) {
        f->cfg[dir] = *cfg;
    } else {
        memset(&f->cfg[dir], 0, sizeof(f->cfg[dir]));
    }
    return 0;
}

int tp_fault_fail_write(struct tp *t, uint32_t nth)
{
    struct tp_fault *f = as_fault(t);
    if (!f) {
        return -EINVAL;
    }
    f->fail_nth = nth;
    return 0;
}

int tp_fault_set_unplugged(struct tp *t, bool unplugged)
{
    struct tp_fault *f = as_fault(t);
    if (!f) {
        return -EINVAL;
    }
    f->unplugged = unplugged;
    return 0;
}

int tp_fault_get_stats(const struct tp *t, struct tp_fault_stats *out)
{
    if (!t || t->ops != &fault_ops || !out) {
        return -EINVAL;
    }
    *out = TP_CONTAINER_OF_CONST(t, struct tp_fault, base)->stats;
    return 0;
}

struct tp *tp_fault_inner(struct tp *t)
{
    struct tp_fault *f = as_fault(t);
    return f ? f->inner : NULL;
}
