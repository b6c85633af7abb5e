/* SPDX-License-Identifier: MIT */
/*
 * How fast the master answers, over a real pty on the real event loop and the real clock.
 * One process: simulated slaves (sim/) on the pty's own side, ampshare's master (twc_bus) on
 * the other end, both as handlers of one loop (controller/loop.h), as in `ampshare sim slaves`
 * and `ampshare sim master`. The slave side stamps each frame it writes and each frame it reads
 * with CLOCK_MONOTONIC (µs), and prints:
 *   - linkready -> answer: from a slave's linkready to the master's heartbeat to it (the
 *     master waits TWC_BUS_LINE_IDLE_MS of quiet line first; TWCManager answers in 10-30 ms);
 *     a linkready that lands while another exchange is in flight is listed apart: it waits
 *     for that reply and the gap, as the protocol wants;
 *   - pause after a reply: two slaves cut at once; the second cut follows the first one's reply
 *     by the master's gap (tx_gap_ms, 50 ms) plus what the loop adds;
 *   - the loop's turns per second over a round (a busy loop would show thousands).
 * Each round starts a new master (start-up burst, then three slaves link). Figures vary with
 * the machine; nothing is asserted.
 *
 * usage: bench_twc_reply [ROUNDS]   (default 5; a round takes about 4 s)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controller/loop.h"
#include "drivers/base/log.h"
#include "drivers/transport/tp.h"
#include "drivers/transport/tp_link.h"
#include "drivers/twc/twc_bus.h"
#include "drivers/twc/twc_codec.h"
#include "drivers/twc/twc_feed.h"
#include "sim/sim_twc_slaves.h"

#define MID        0xA1B2
#define N_SLAVES   3
#define MAX_SAMPLE 256

static const uint16_t ids[N_SLAVES] = {0x2019, 0x2431, 0x4085};

struct samples {
    double v[MAX_SAMPLE];
    size_t n;
};

struct bench {
    struct loop *loop;
    /* slave side: the pty we created */
    struct tp *pty;
    struct sim_twc_slaves set;
    struct loop_service pty_svc;
    struct twc_deframer df_in, df_out;
    uint64_t t0;
    /* master side: opens the pty's link path as a serial device */
    struct tp_link *link;
    struct twc_bus bus;
    struct loop_service bus_svc;
    /* measurements */
    uint64_t linkready_us[N_SLAVES]; /* 0: none outstanding */
    bool cut_phase;
    uint16_t first_cut_to;
    uint64_t first_reply_us;
    struct samples answer_ms, answer_busy_ms, pause_ms;
};

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int slave_index(uint16_t id)
{
    for (int i = 0; i < N_SLAVES; i++) {
        if (ids[i] == id) {
            return i;
        }
    }
    return -1;
}

/* Frames the slaves wrote: stamp linkreadies, and the first reply of the cut phase. */
static void on_out_frame(struct bench *b, const struct twc_msg *m, uint64_t t)
{
    int i = slave_index(m->src);
    if (m->kind == TWC_KIND_SLAVE_LINKREADY && i >= 0 && !b->linkready_us[i]) {
        b->linkready_us[i] = t;
    }
    if (b->cut_phase && m->kind == TWC_KIND_SLAVE_HEARTBEAT && m->src == b->first_cut_to &&
        !b->first_reply_us) {
        b->first_reply_us = t;
    }
}

static void add(struct samples *s, uint64_t from_us, uint64_t to_us)
{
    if (s->n < MAX_SAMPLE) {
        s->v[s->n++] = (double)(to_us - from_us) / 1000.0;
    }
}

/* Frames the master sent, as the slaves heard them. */
static void on_in_frame(struct bench *b, const struct twc_msg *m, uint64_t t)
{
    if (m->kind != TWC_KIND_MASTER_HEARTBEAT) {
        return;
    }
    int i = slave_index(m->dst);
    if (i >= 0 && b->linkready_us[i]) {
        /* a linkready heard while another exchange is in flight waits for its reply (50 ms)
         * and the gap (50 ms): the protocol's wait, not the loop's */
        bool busy = t - b->linkready_us[i] >= TWC_MASTER_TX_GAP_MS * 1000u;
        add(busy ? &b->answer_busy_ms : &b->answer_ms, b->linkready_us[i], t);
        b->linkready_us[i] = 0;
    }
    if (b->cut_phase && m->u.mhb.amps_ca == 0 && m->u.mhb.cmd == TWC_CMD_SET_LIMIT_V2) {
        if (!b->first_cut_to) {
            b->first_cut_to = m->dst;
        } else if (m->dst != b->first_cut_to && b->first_reply_us) {
            add(&b->pause_ms, b->first_reply_us, t);
            b->cut_phase = false;
        }
    }
}

static void
deframe(struct bench *b, struct twc_deframer *df, const uint8_t *buf, size_t n, bool out)
{
    uint64_t t = mono_us();
    struct twc_rx rx;
    while (twc_rx_next(df, &buf, &n, &rx) == 1) {
        if (rx.rc != 0) {
            continue;
        }
        if (out) {
            on_out_frame(b, &rx.msg, t);
        } else {
            on_in_frame(b, &rx.msg, t);
        }
    }
}

static uint64_t pty_service(struct loop *l, uint64_t loop_now, int *fd, void *ctx)
{
    (void)l;
    struct bench *b = ctx;
    uint64_t now = loop_now - b->t0;
    uint8_t buf[1024];
    ssize_t n;
    while ((n = tp_read(b->pty, buf, sizeof(buf))) > 0) {
        deframe(b, &b->df_in, buf, (size_t)n, false);
        sim_twc_slaves_on_bytes(&b->set, now, buf, (size_t)n);
    }
    uint64_t next = UINT64_MAX;
    size_t out = sim_twc_slaves_poll(&b->set, now, buf, sizeof(buf), &next);
    if (out > 0) {
        deframe(b, &b->df_out, buf, out, true);
        (void)tp_write(b->pty, buf, out);
    }
    *fd = tp_poll_fd(b->pty);
    return next == UINT64_MAX ? LOOP_NEVER : b->t0 + next;
}

static uint64_t bus_service(struct loop *l, uint64_t now, int *fd, void *ctx)
{
    (void)l;
    struct bench *b = ctx;
    (void)twc_bus_service(&b->bus, now);
    *fd = twc_bus_poll_fd(&b->bus);
    return twc_bus_next_wakeup_ms(&b->bus);
}

static void on_event(void *ctx, const struct twc_master_event *ev)
{
    struct bench *b = ctx;
    if (ev->type == TWC_MEV_SLAVE_LINKED) {
        (void)twc_master_set_target(twc_bus_master(&b->bus), ev->at_ms, ev->slave_id, 16000);
    }
}

static void on_stop(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)t;
    (void)now;
    (void)ctx;
    loop_stop(l);
}

static void run_for(struct bench *b, uint64_t ms)
{
    struct loop_timer stop;
    loop_timer_init(&stop, on_stop, NULL);
    loop_timer_arm_in(b->loop, &stop, ms);
    (void)loop_run(b->loop);
    loop_timer_disarm(b->loop, &stop);
}

static int round_once(struct bench *b, const char *path)
{
    b->t0 = loop_now_ms(b->loop);
    sim_twc_slaves_init(&b->set);
    twc_deframer_init(&b->df_in);
    twc_deframer_init(&b->df_out);
    for (int i = 0; i < N_SLAVES; i++) {
        struct sim_twc_slave_cfg cfg;
        sim_twc_slave_cfg_default(&cfg, ids[i], SIM_TWC_V2);
        cfg.linkready_first_ms = 1300 + (uint32_t)i * 300; /* after the 1 s start-up burst */
        struct sim_car_cfg car;
        if (sim_car_cfg_preset(&car, "tesla") < 0 ||
            sim_twc_slaves_add(&b->set, &cfg, &car, 0) < 0) {
            return -EINVAL;
        }
    }
    char addr[300], err[256];
    snprintf(addr, sizeof(addr), "serial:%s", path);
    int rc = tp_link_new_from_text(addr, TP_ROLE_CONNECT, &b->link, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "bench_twc_reply: %s\n", err);
        return rc;
    }
    struct twc_bus_config bc;
    twc_bus_config_init(&bc);
    bc.master.id = MID;
    bc.master.sign = 0x42;
    bc.on_event = on_event;
    bc.on_event_ctx = b;
    rc = twc_bus_init(&b->bus, b->link, &bc, loop_now_ms(b->loop));
    if (rc < 0) {
        tp_link_free(b->link);
        return rc;
    }
    memset(b->linkready_us, 0, sizeof(b->linkready_us));
    loop_service_run(b->loop, &b->pty_svc);
    if (loop_service_start(b->loop, &b->bus_svc) < 0) {
        return -ENOMEM;
    }
    run_for(b, 2600);
    /* all linked and charging: cut two at once, just after an exchange */
    b->cut_phase = true;
    b->first_cut_to = 0;
    b->first_reply_us = 0;
    struct twc_master *m = twc_bus_master(&b->bus);
    (void)twc_master_set_target(m, loop_now_ms(b->loop), ids[0], 0);
    (void)twc_master_set_target(m, loop_now_ms(b->loop), ids[1], 0);
    loop_service_run(b->loop, &b->bus_svc); /* a target set from outside: ask again */
    run_for(b, 1000);
    b->cut_phase = false;
    loop_service_stop(b->loop, &b->bus_svc);
    tp_link_free(b->link);
    b->link = NULL;
    return 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print(const char *what, struct samples *s)
{
    if (s->n == 0) {
        printf("%-28s no samples\n", what);
        return;
    }
    qsort(s->v, s->n, sizeof(s->v[0]), cmp);
    printf("%-28s n=%3zu  min %6.2f  median %6.2f  p90 %6.2f  max %6.2f ms\n", what, s->n, s->v[0],
           s->v[s->n / 2], s->v[(s->n * 9) / 10], s->v[s->n - 1]);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    if (rounds < 1) {
        fprintf(stderr, "usage: bench_twc_reply [ROUNDS]\n");
        return 2;
    }
    log_set_sink(log_sink_discard, NULL, LOG_LEVEL_ERR);
    struct bench *b = calloc(1, sizeof(*b));
    char path[64];
    snprintf(path, sizeof(path), "/tmp/bench_twc_reply.%ld", (long)getpid());
    if (!b || loop_new(NULL, &b->loop) < 0 || tp_pty_new(path, 9600, &b->pty) < 0 ||
        tp_open(b->pty) < 0) {
        fprintf(stderr, "bench_twc_reply: cannot set up the pty\n");
        return 1;
    }
    loop_service_init(&b->pty_svc, pty_service, b);
    loop_service_init(&b->bus_svc, bus_service, b);
    if (loop_service_start(b->loop, &b->pty_svc) < 0) {
        return 1;
    }
    for (int r = 0; r < rounds; r++) {
        if (round_once(b, path) < 0) {
            return 1;
        }
    }
    /* one more round, counting the loop turns it takes */
    printf("bench_twc_reply: %d rounds over a pty (%s), master on the event loop\n", rounds,
           tp_pty_name(b->pty));
    print("linkready -> answer", &b->answer_ms);
    print("  (behind an exchange)", &b->answer_busy_ms);
    print("reply -> next due frame", &b->pause_ms);
    printf("%-28s %d ms (tx_gap_ms) + %d ms line idle at most\n", "expected pause",
           TWC_MASTER_TX_GAP_MS, TWC_BUS_LINE_IDLE_MS);
    uint64_t turns = loop_turns(b->loop);
    (void)round_once(b, path);
    printf("%-28s %.0f per second (one round: burst, links, cuts)\n", "loop turns",
           (double)(loop_turns(b->loop) - turns) / 3.6);
    loop_service_stop(b->loop, &b->pty_svc);
    tp_free(b->pty);
    loop_free(b->loop);
    free(b);
    return 0;
}
