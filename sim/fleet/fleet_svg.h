/* SPDX-License-Identifier: MIT */
/*
 * A chart a person reads: current per charger over time, stacked, each limit drawn as a dashed
 * line, one panel per policy, as one standalone SVG file (no script, no external font).
 */
#ifndef AMPSHARE_SIM_FLEET_SVG_H
#define AMPSHARE_SIM_FLEET_SVG_H

#include <stddef.h>
#include <stdio.h>

#define FLEET_SVG_MAX_LIMITS 8

struct fleet_panel {
    char title[96];
    size_t n_series;
    char (*name)[32]; /* [n_series] */
    size_t n_bucket;
    double *val;       /* [n_bucket][n_series] A, the mean current of each bucket */
    double t0_s, t1_s; /* the time the buckets span, seconds from the data set's start */
    size_t n_limit;
    double limit_a[FLEET_SVG_MAX_LIMITS];
    char limit_label[FLEET_SVG_MAX_LIMITS][48];
};

/* Writes the panels to f. 0, or -EIO. */
int fleet_svg_write(FILE *f, const char *title, const struct fleet_panel *p, size_t n_panel);

#endif
