/* SPDX-License-Identifier: MIT */
/* Simulated slaves on a transport, served by the event loop (see sim_twc_port.h). */
#include "sim/sim_twc_port.h"

#include <errno.h>
#include <string.h>

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

void sim_twc_port_step(struct sim_twc_port *p)
{
    if (p->rc < 0) {
        return;
    }
    uint64_t now = sim_twc_port_now(p);
    uint8_t buf[1024];
    for (;;) {
        ssize_t n = tp_read(p->t, buf, sizeof(buf));
        if (n < 0 && n != -EAGAIN) {
            p->rc = (int)n;
            sim_twc_port_stop(p);
            return;
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
            p->rc = rc;
            sim_twc_port_stop(p);
            return;
        }
    }
    if (p->on_step) {
        p->on_step(p->on_step_ctx, now);
    }
    (void)loop_fd_set(p->loop, &p->io, tp_poll_fd(p->t), LOOP_READ);
    loop_timer_arm(p->loop, &p->wake, next == UINT64_MAX ? LOOP_NEVER : p->t0 + next);
}

static void on_fd(struct loop *l, struct loop_fd *h, int fd, short rev, void *ctx)
{
    (void)l;
    (void)h;
    (void)fd;
    (void)rev;
    sim_twc_port_step(ctx);
}

static void on_wake(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)l;
    (void)t;
    (void)now;
    sim_twc_port_step(ctx);
}

int sim_twc_port_start(struct sim_twc_port *p, struct loop *l, struct tp *t,
                       struct sim_twc_slaves *set, sim_twc_port_fn *on_step, void *ctx)
{
    memset(p, 0, sizeof(*p));
    p->on_step = on_step;
    p->on_step_ctx = ctx;
    p->t = t;
    p->set = set;
    p->loop = l;
    p->t0 = loop_now_ms(l);
    loop_fd_init(&p->io, on_fd, p);
    loop_timer_init(&p->wake, on_wake, p);
    sim_twc_port_step(p);
    return p->rc < 0 ? p->rc : 0;
}

void sim_twc_port_stop(struct sim_twc_port *p)
{
    if (p->loop) {
        loop_fd_del(p->loop, &p->io);
        loop_timer_disarm(p->loop, &p->wake);
    }
}
