/* SPDX-License-Identifier: MIT */
/* `ampshare run` and its demo: the shared runner (cmd_run.c) and the demo site (cmd_run_demo.c). */
#ifndef AMP_CMD_RUN_H
#define AMP_CMD_RUN_H

#include <stdint.h>

#include "controller/daemon.h"
#include "controller/loop.h"

/* What the demo hangs around a run; every member may be NULL. */
struct cmd_run_hooks {
    int (*start)(void *ctx, struct loop *l);                   /* before the daemon starts */
    void (*running)(void *ctx, struct daemon *d);              /* the daemon runs */
    void (*finish)(void *ctx, struct daemon *d, uint64_t now); /* the loop ended */
    void (*stop)(void *ctx, struct loop *l);                   /* after the daemon is freed */
    void *ctx;
};

/* Runs the site of o on a fresh loop until a signal (or duration_ms, 0 = none) stops it
 * safely. Returns a CMD_EXIT_* code. */
int cmd_run_site(const struct daemon_opts *o,
                 uint64_t duration_ms,
                 const struct cmd_run_hooks *hooks);

/* `ampshare run --demo`. */
int cmd_run_demo(uint64_t duration_ms);

#endif
