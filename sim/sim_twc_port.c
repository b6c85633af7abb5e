/* SPDX-License-Identifier: MIT */
/* Simulated slaves on a transport, served by the event loop (see sim_twc_port.h). */
#include "sim/sim_twc_port.h"

#include <errno.h>
#include <string.h>

#include "drivers/base/log.h"

static int write_all(struct tp *t, const uint8_t *buf, size_t len)
{
    size_t off = 0;
    for (int tries = 0; off < len && tries < 3; tries++) {
        ssize_t w = tp_write(t, buf + off, len - off);
        if (w < 0) {
            return (int)w;
        }
        off += (size_t)w;
    }
    return 0; /* what did not fit is lost, as on an overrun bus */
}

uint64_t sim_twc_port_now(const struct sim_twc_port *p)
{
    return loop_now_ms(p->loop) - p->t0;
}

/* Reads what came, lets the slaves answer, writes; due again when a slave is. */
static uint64_t service(struct loop *l, uint64_t loop_now, int *fd, void *ctx)
{
    struct sim_twc_port *p = ctx;
    (void)l;
    *fd = -1;
    if (p->rc < 0) {
        return LOOP_NEVER;
    }
    uint64_t now = loop_now - p->t0;
    uint8_t buf[1024];
    for (;;) {
        ssize_t n = tp_read(p->t, buf, sizeof(buf));
        if (n < 0 && n != -EAGAIN) {
            log_err("sim", "%s: read: %s", p->t->label, strerror((int)-n));
            p->rc = (int)n;
            return LOOP_NEVER;
        }
        if (n <= 0) {
            break;
        }
        sim_twc_slaves_on_bytes(p->set, now, buf, (size_t)n);
    }
    uint64_t next = UINT64_MAX;
    size_t out = sim_twc_slaves_poll(p->set, now, buf, sizeof(buf), &next);
    if (out > 0) {
        int rc = write_all(p->t, buf, out);
        if (rc < 0) {
            log_err("sim", "%s: write: %s", p->t->label, strerror(-rc));
            p->rc = rc;
            return LOOP_NEVER;
        }
    }
    if (p->on_step) {
        p->on_step(p->on_step_ctx, now);
    }
    *fd = tp_poll_fd(p->t);
    return next == UINT64_MAX ? LOOP_NEVER : p->t0 + next;
}

void sim_twc_port_step(struct sim_twc_port *p)
{
    loop_service_run(p->loop, &p->svc);
}

int sim_twc_port_start(struct sim_twc_port *p,
                       struct loop *l,
                       struct tp *t,
                       struct sim_twc_slaves *set,
                       sim_twc_port_fn *on_step,
                       void *ctx)
{
    memset(p, 0, sizeof(*p));
    p->on_step = on_step;
    p->on_step_ctx = ctx;
    p->t = t;
    p->set = set;
    p->loop = l;
    p->t0 = loop_now_ms(l);
    loop_service_init(&p->svc, service, p);
    int rc = loop_service_start(l, &p->svc);
    return rc < 0 ? rc : p->rc;
}

void sim_twc_port_stop(struct sim_twc_port *p)
{
    if (p->loop) {
        loop_service_stop(p->loop, &p->svc);
    }
}
