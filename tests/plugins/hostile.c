/* SPDX-License-Identifier: MIT */
/*
 * A plugin that passes every load check and then answers nonsense: huge, negative, fractional
 * and unplugged targets, from a PRNG in its state. The contract suite runs it to show that the
 * host's clamp holds every limit whatever a plugin says.
 */
#include <errno.h>
#include <stdlib.h>

#include "policies/ampshare_policy.h"

struct hostile {
    uint64_t rng;
};

static int h_init(const struct ampshare_policy_host *host,
                  const struct ampshare_policy_option *opt,
                  size_t n_opt,
                  void **state)
{
    (void)host, (void)opt, (void)n_opt;
    struct hostile *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->rng = 0x9e3779b97f4a7c15ull;
    *state = s;
    return 0;
}

static int
h_allocate(void *state, const struct ampshare_policy_input *in, struct ampshare_policy_output *out)
{
    struct hostile *s = state;
    s->rng = 0x9e3779b97f4a7c15ull ^ in->now_ms; /* deterministic for a given input */
    for (size_t i = 0; i < in->n_evse; i++) {
        s->rng ^= s->rng << 13, s->rng ^= s->rng >> 7, s->rng ^= s->rng << 17;
        const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, i);
        switch (s->rng % 5) {
        case 0:
            out->target_ma[i] = INT32_MAX;
            break;
        case 1:
            out->target_ma[i] = -(int32_t)(s->rng % 100000);
            break;
        case 2:
            out->target_ma[i] = ev->max_ma * 3 + 17;
            break;
        case 3:
            out->target_ma[i] = ev->min_ma - 1;
            break;
        default:
            out->target_ma[i] = (int32_t)(s->rng % 80000);
            break;
        }
        out->why[i] = (uint8_t)(s->rng >> 8);
    }
    return 0;
}

static void h_destroy(void *state)
{
    free(state);
}

static const struct ampshare_policy hostile = {
    .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
    .abi_minor = AMPSHARE_POLICY_ABI_MINOR,
    .struct_size = sizeof(struct ampshare_policy),
    .name = "hostile",
    .version = "0",
    .init = h_init,
    .allocate = h_allocate,
    .destroy = h_destroy,
};

AMPSHARE_POLICY_EXPORT const struct ampshare_policy *ampshare_policy_entry(uint16_t host_abi_major,
                                                                           uint16_t host_abi_minor)
{
    (void)host_abi_minor;
    return host_abi_major == AMPSHARE_POLICY_ABI_MAJOR ? &hostile : NULL;
}
