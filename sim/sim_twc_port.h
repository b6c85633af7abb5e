/* SPDX-License-Identifier: MIT */
/*
 * Simulated Wall Connector slaves (sim_twc_slaves) served on a byte transport (a pty, a TCP
 * listener) by an event loop: what came is fed to the slaves, what they send is written at
 * once, and the loop wakes when the next slave frame is due. `ampshare sim slaves` and the demo
 * site of `ampshare run --demo` both serve their slaves through this.
 */
#ifndef SIM_TWC_PORT_H
#define SIM_TWC_PORT_H

#include <stdint.h>

#include "controller/loop.h"
#include "drivers/transport/tp.h"
#include "sim/sim_twc_slaves.h"

/* Called after every service with the port's time (ms since the port started). */
typedef void sim_twc_port_fn(void *ctx, uint64_t now_ms);

struct sim_twc_port {
    struct tp *t;               /* borrowed, open */
    struct sim_twc_slaves *set; /* borrowed */
    struct loop *loop;          /* borrowed */
    struct loop_service svc;    /* the transport and the slaves' own timers */
    uint64_t t0;
    int rc; /* the transport's error once it failed (logged; the port then stops serving) */
    sim_twc_port_fn *on_step;
    void *on_step_ctx;
};

/* Starts serving set on t (both open and borrowed) on loop l; the slaves' clock starts at 0
 * now. on_step (may be NULL) runs after every service. Returns 0, or the transport's error (the
 * port then serves nothing; p->rc keeps it). */
int sim_twc_port_start(struct sim_twc_port *p,
                       struct loop *l,
                       struct tp *t,
                       struct sim_twc_slaves *set,
                       sim_twc_port_fn *on_step,
                       void *ctx);

/* Reads, lets the slaves answer, writes, re-arms. Call it also to look at the slaves early. */
void sim_twc_port_step(struct sim_twc_port *p);

/* Stops serving (unregisters from the loop). */
void sim_twc_port_stop(struct sim_twc_port *p);

/* The slaves' clock: ms since the port started. */
uint64_t sim_twc_port_now(const struct sim_twc_port *p);

#endif
