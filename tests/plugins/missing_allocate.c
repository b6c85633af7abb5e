/* SPDX-License-Identifier: MIT */
/* A plugin whose description lacks allocate(): the loader must refuse it. */
#include <errno.h>

#include "policies/ampshare_policy.h"

static int noop_init(const struct ampshare_policy_host *host,
                     const struct ampshare_policy_option *opt,
                     size_t n_opt,
                     void **state)
{
    (void)host, (void)opt, (void)n_opt;
    *state = 0;
    return 0;
}

static void noop_destroy(void *state)
{
    (void)state;
}

static const struct ampshare_policy incomplete = {
    .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
    .abi_minor = AMPSHARE_POLICY_ABI_MINOR,
    .struct_size = sizeof(struct ampshare_policy),
    .name = "missing_allocate",
    .version = "0",
    .init = noop_init,
    .destroy = noop_destroy,
};

AMPSHARE_POLICY_EXPORT const struct ampshare_policy *ampshare_policy_entry(uint16_t host_abi_major,
                                                                           uint16_t host_abi_minor)
{
    (void)host_abi_minor;
    return host_abi_major == AMPSHARE_POLICY_ABI_MAJOR ? &incomplete : NULL;
}
