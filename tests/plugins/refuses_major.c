/* SPDX-License-Identifier: MIT */
/* A plugin that serves only a future ABI major: its entry returns NULL for ours. */
#include "policies/ampshare_policy.h"

AMPSHARE_POLICY_EXPORT const struct ampshare_policy *ampshare_policy_entry(uint16_t host_abi_major,
                                                                           uint16_t host_abi_minor)
{
    (void)host_abi_major, (void)host_abi_minor;
    return 0;
}
