/* SPDX-License-Identifier: MIT */
/*
 * A plugin that calls a function no library defines: built fine (a shared object may leave
 * symbols undefined), it loads under RTLD_LAZY and would die at its first tick. The loader binds
 * every symbol at once (RTLD_NOW), so check-config refuses it before it ever runs.
 */
#include <errno.h>

#include "policies/ampshare_policy.h"

/* Defined nowhere, on purpose. */
int ampshare_test_undefined_function(int x);

static int noop_init(const struct ampshare_policy_host *host,
                     const struct ampshare_policy_option *opt,
                     size_t n_opt,
                     void **state)
{
    (void)host, (void)opt, (void)n_opt;
    *state = 0;
    return 0;
}

static int broken_allocate(void *state,
                           const struct ampshare_policy_input *in,
                           struct ampshare_policy_output *out)
{
    (void)state, (void)out;
    return ampshare_test_undefined_function((int)in->n_evse);
}

static void noop_destroy(void *state)
{
    (void)state;
}

static const struct ampshare_policy broken = {
    .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
    .abi_minor = AMPSHARE_POLICY_ABI_MINOR,
    .struct_size = sizeof(struct ampshare_policy),
    .name = "undefined_symbol",
    .version = "0",
    .init = noop_init,
    .allocate = broken_allocate,
    .destroy = noop_destroy,
};

AMPSHARE_POLICY_EXPORT const struct ampshare_policy *ampshare_policy_entry(uint16_t host_abi_major,
                                                                           uint16_t host_abi_minor)
{
    (void)host_abi_minor;
    return host_abi_major == AMPSHARE_POLICY_ABI_MAJOR ? &broken : NULL;
}
