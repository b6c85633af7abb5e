/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: arbitrary trees, EVSEs and "policy outputs" through the safety clamp. For any
 * input the clamped targets must keep every rule (checked by the independent checker in
 * tests/support/amp_fleet.c) and never exceed what the policy asked; anything else aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/engine/alloc.h"
#include "tests/support/amp_fleet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct bytes {
    const uint8_t *p;
    size_t n;
};

static uint8_t get8(struct bytes *b)
{
    if (!b->n) {
        return 0;
    }
    b->n--;
    return *b->p++;
}

/* Mostly small, sometimes extreme: the clamp must hold for any int32. */
static int32_t get_ma(struct bytes *b)
{
    uint8_t kind = get8(b);
    uint32_t v = (uint32_t)get8(b) << 8 | get8(b);
    switch (kind % 8) {
    case 0:
        return (int32_t)((uint32_t)get8(b) << 24 | (uint32_t)get8(b) << 16 | v);
    case 1:
        return -(int32_t)v;
    case 2:
        return (int32_t)(v % 81) * 1000;
    default:
        return (int32_t)v * 2;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bytes b = {data, size};
    struct ampshare_policy_circuit c[8];
    struct ampshare_policy_evse e[32];
    int32_t raw[32], out[32];
    memset(c, 0, sizeof(c));
    memset(e, 0, sizeof(e));
    size_t nc = 1 + get8(&b) % 8;
    for (size_t i = 0; i < nc; i++) {
        c[i].name = "c";
        c[i].parent = i == 0 ? -1 : (int32_t)(get8(&b) % i);
        c[i].phases = (uint8_t)(1 + get8(&b) % 7);
        for (int p = 0; p < 3; p++) {
            c[i].limit_ma[p] = get_ma(&b);
        }
        c[i].overcommit_ma = get_ma(&b);
    }
    size_t ne = get8(&b) % 33;
    for (size_t i = 0; i < ne; i++) {
        e[i].name = "e";
        e[i].circuit = (int32_t)(get8(&b) % nc);
        e[i].phases = (uint8_t)(1 + get8(&b) % 7);
        e[i].state = get8(&b) % 4;
        e[i].flags = get8(&b) % 4;
        e[i].min_ma = get_ma(&b);
        e[i].max_ma = get_ma(&b);
        e[i].step_ma = get8(&b) % 4 == 0 ? get_ma(&b) : 1000;
        for (int p = 0; p < 3; p++) {
            e[i].draw_ma[p] = get_ma(&b);
        }
        raw[i] = get_ma(&b);
    }
    struct ampshare_policy_input in = {
        .struct_size = sizeof(in),
        .circuit_size = sizeof(c[0]),
        .evse_size = sizeof(e[0]),
        .circuit = c,
        .n_circuit = nc,
        .evse = e,
        .n_evse = ne,
    };
    struct alloc_clamp_scratch s;
    if (alloc_clamp_scratch_init(&s, 8, 32) != 0) {
        return 0;
    }
    uint8_t fix[32];
    int32_t fixc[32];
    int rc = alloc_clamp(&in, raw, out, fix, fixc, &s);
    alloc_clamp_scratch_fini(&s);
    if (rc < 0) {
        abort(); /* every view built here is well-formed */
    }
    char msg[200];
    if (amp_check_limits(&in, out, msg, sizeof(msg)) != 0) {
        fprintf(stderr, "fuzz_alloc_clamp: %s\n", msg);
        abort();
    }
    for (size_t i = 0; i < ne; i++) {
        if (out[i] > (raw[i] > 0 ? raw[i] : 0) || fix[i] >= ALLOC_FIX_COUNT) {
            abort();
        }
    }
    return 0;
}
