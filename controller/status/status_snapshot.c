/* SPDX-License-Identifier: MIT */
/* Snapshot storage: allocated once for the site's sizes, refilled on every request. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controller/status/status.h"

int status_snapshot_alloc(struct status_snapshot *n, const struct status_caps *caps)
{
    memset(n, 0, sizeof(*n));
    n->cap_charger = caps->charger;
    n->cap_circuit = caps->circuit;
    n->cap_bus = caps->bus;
    n->cap_meter = caps->meter;
    n->charger = calloc(caps->charger + 1, sizeof(*n->charger));
    n->circuit = calloc(caps->circuit + 1, sizeof(*n->circuit));
    n->bus = calloc(caps->bus + 1, sizeof(*n->bus));
    n->meter = calloc(caps->meter + 1, sizeof(*n->meter));
    if (!n->charger || !n->circuit || !n->bus || !n->meter) {
        status_snapshot_release(n);
        return -ENOMEM;
    }
    return 0;
}

void status_snapshot_release(struct status_snapshot *n)
{
    free(n->charger);
    free(n->circuit);
    free(n->bus);
    free(n->meter);
    memset(n, 0, sizeof(*n));
}

int status_snapshot_take(struct status_snapshot *n, status_fill_fn *fill, void *ctx)
{
    n->n_charger = n->n_circuit = n->n_bus = n->n_meter = n->n_error = 0;
    n->site[0] = n->policy[0] = '\0';
    return fill(ctx, n);
}
