/* SPDX-License-Identifier: MIT */
/* A shared object without ampshare_policy_entry: the loader must refuse it by name. */
#include "policies/ampshare_policy.h"

int not_a_policy(void);

__attribute__((visibility("default"))) int not_a_policy(void)
{
    return 1;
}
