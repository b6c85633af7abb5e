/* SPDX-License-Identifier: MIT */
/* A plugin built for a future, incompatible ABI major: the loader must refuse it. */
#include <errno.h>

#include "policies/ampshare_policy.h"

static int bad_init(const struct ampshare_policy_host *host,
                    const struct ampshare_policy_option *opt,
                    size_t n_opt,
                    void **state)
{
    (void)host, (void)opt, (void)n_opt, (void)state;
    return -EINVAL;
}

static int bad_allocate(void *state,
                        const struct ampshare_policy_input *in,
                        struct ampshare_policy_output *out)
{
    (void)state, (void)in, (void)out;
    return -EINVAL;
}

static void bad_destroy(void *state)
{
    (void)state;
}

static const struct ampshare_policy mismatch = {
    .abi_major = AMPSHARE_POLICY_ABI_MAJOR + 1,
    .abi_minor = 0,
    .struct_size = sizeof(struct ampshare_policy),
    .name = "abi_mismatch",
    .version = "0",
    .init = bad_init,
    .allocate = bad_allocate,
    .destroy = bad_destroy,
};

/* Ignores the host's major, as a careless plugin might: the host's own check must catch it. */
AMPSHARE_POLICY_EXPORT const struct ampshare_policy *ampshare_policy_entry(uint16_t host_abi_major,
                                                                           uint16_t host_abi_minor)
{
    (void)host_abi_major, (void)host_abi_minor;
    return &mismatch;
}
