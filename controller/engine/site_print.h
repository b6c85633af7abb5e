/* SPDX-License-Identifier: MIT */
/* Human and JSON descriptions of a site model (ampshare check-config, status output). */
#ifndef SITE_PRINT_H
#define SITE_PRINT_H

#include <stdio.h>

#include "controller/engine/config.h"
#include "controller/engine/site.h"

/* Prints the site as a tree: circuits with their limits and phases, the EVSEs hanging from
 * them, then meters, buses and the policy (policy_source: "built-in" or the plugin path). */
void site_print_tree(FILE *out, const struct site *site, const char *policy_source);

/* Prints {"file", "valid", "errors", "warnings", "site"} as one JSON object. site may be NULL
 * (an invalid config). */
void site_print_json(FILE *out,
                     const char *file,
                     const struct cfg_diag *diag,
                     const struct site *site,
                     const char *policy_source);

#endif
