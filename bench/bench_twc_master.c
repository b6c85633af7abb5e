/* SPDX-License-Identifier: MIT */
/*
 * CPU cost of one heartbeat exchange of the master: the master's step (timers, pacing, choice
 * of frame), encoding through the transmit guard, and the reply deframed, decoded and fed back.
 * A second figure adds the bus driver and an in-memory transport around the same work.
 * Virtual time: the master never waits; only CPU time is measured (CLOCK_PROCESS_CPUTIME_ID).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drivers/base/log.h"
#include "drivers/transport/tp_link.h"
#include "drivers/transport/tp_mem.h"
#include "drivers/twc/twc_bus.h"
#include "drivers/twc/twc_codec.h"
#include "drivers/twc/twc_feed.h"
#include "drivers/twc/twc_master.h"

#define MID      0xA1B2
#define N_SLAVES 3

static const uint16_t ids[N_SLAVES] = {0x2019, 0x4085, 0x8725};

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A slave's wire frame: linkready (cmd E2) or heartbeat reply (E0, state 01, 16 A, 15.2 A). */
static size_t slave_wire(uint16_t id, bool linkready, uint8_t *wire)
{
    struct twc_msg msg;
    memset(&msg, 0, sizeof(msg));
    msg.kind = linkready ? TWC_KIND_SLAVE_LINKREADY : TWC_KIND_SLAVE_HEARTBEAT;
    msg.src = id;
    msg.dst = MID;
    msg.body_len = TWC_BODY_V2;
    if (linkready) {
        msg.u.linkready.sign = 0x5A;
        msg.u.linkready.max_ca = 3200;
    } else {
        msg.u.shb.state = 0x01;
        msg.u.shb.limit_ca = 1600;
        msg.u.shb.actual_ca = 1520;
    }
    uint8_t body[TWC_BODY_MAX];
    int n = twc_encode_body(&msg, body, sizeof(body));
    if (n < 0) {
        abort();
    }
    int w = twc_frame_wrap(body, (size_t)n, 0xFE, wire, TWC_WIRE_MAX);
    if (w < 0) {
        abort();
    }
    return (size_t)w;
}

static void config(struct twc_master_config *c)
{
    twc_master_config_init(c);
    c->id = MID;
    c->sign = 0x42;
    c->query_info = false; /* heartbeats only */
    c->meter_period_ms = 0;
}

static int slave_of(uint16_t dst)
{
    for (int i = 0; i < N_SLAVES; i++) {
        if (ids[i] == dst) {
            return i;
        }
    }
    return -1;
}

/* The pure core: poll, encode (inside poll), deframe + decode + feed the reply. */
static double bench_core(uint32_t n_hb)
{
    struct twc_master m;
    struct twc_master_config c;
    config(&c);
    if (twc_master_init(&m, &c, 0) < 0) {
        abort();
    }
    struct twc_deframer df;
    twc_deframer_init(&df);
    uint8_t reply[N_SLAVES][TWC_WIRE_MAX];
    size_t reply_len[N_SLAVES];
    uint64_t now = 0;
    struct twc_master_out out;
    for (int i = 0; i < N_SLAVES; i++) {
        uint8_t lr[TWC_WIRE_MAX];
        size_t n = slave_wire(ids[i], true, lr);
        (void)twc_master_feed(&m, &df, now, lr, n);
        reply_len[i] = slave_wire(ids[i], false, reply[i]);
    }
    for (int i = 0; i < N_SLAVES; i++) {
        (void)twc_master_set_target(&m, now, ids[i], 16000);
    }
    uint32_t hb = 0;
    uint64_t t0 = cpu_ns();
    while (hb < n_hb) {
        int rc = twc_master_poll(&m, now, &out);
        if (rc == 1) {
            int k = slave_of(out.msg.dst);
            if (k >= 0) {
                hb += out.msg.kind == TWC_KIND_MASTER_HEARTBEAT;
                now += 20;
                (void)twc_master_feed(&m, &df, now, reply[k], reply_len[k]);
                continue;
            }
        }
        now = out.next_ms > now ? out.next_ms : now + 1;
    }
    uint64_t t1 = cpu_ns();
    return (double)(t1 - t0) / (double)hb;
}

static void quiet(void *ctx, enum log_level lvl, const char *mod, const char *line)
{
    (void)ctx;
    (void)lvl;
    (void)mod;
    (void)line;
}

/* The same through twc_bus and a tp_mem pair (logging off). */
static double bench_bus(uint32_t n_hb)
{
    struct tp *a, *b;
    if (tp_mem_pair_new(&a, &b, 0, 0) < 0) {
        abort();
    }
    struct tp_link *link;
    if (tp_link_new(a, &link) < 0) {
        abort();
    }
    struct twc_bus bus;
    struct twc_bus_config bc;
    twc_bus_config_init(&bc);
    config(&bc.master);
    uint64_t now = 1;
    if (twc_bus_init(&bus, link, &bc, now) < 0) {
        abort();
    }
    uint8_t reply[N_SLAVES][TWC_WIRE_MAX];
    size_t reply_len[N_SLAVES];
    for (int i = 0; i < N_SLAVES; i++) {
        uint8_t lr[TWC_WIRE_MAX];
        size_t n = slave_wire(ids[i], true, lr);
        (void)tp_write(b, lr, n);
        reply_len[i] = slave_wire(ids[i], false, reply[i]);
    }
    (void)twc_bus_service(&bus, now);
    for (int i = 0; i < N_SLAVES; i++) {
        (void)twc_master_set_target(twc_bus_master(&bus), now, ids[i], 16000);
    }
    struct twc_deframer df;
    twc_deframer_init(&df);
    uint32_t hb = 0;
    uint64_t t0 = cpu_ns();
    while (hb < n_hb) {
        uint32_t before = bus.stats.tx_frames;
        (void)twc_bus_service(&bus, now);
        if (bus.stats.tx_frames != before) {
            /* the far end reads the request and answers it */
            uint8_t buf[64];
            ssize_t n = tp_read(b, buf, sizeof(buf));
            uint16_t dst = n >= 7 ? (uint16_t)(buf[5] << 8 | buf[6]) : 0;
            int k = slave_of(dst);
            if (k >= 0) {
                hb += buf[1] == 0xFB && buf[2] == 0xE0;
                now += 20;
                (void)tp_write(b, reply[k], reply_len[k]);
                continue;
            }
        }
        uint64_t next = twc_bus_next_wakeup_ms(&bus);
        now = next > now && next != UINT64_MAX ? next : now + 1;
    }
    uint64_t t1 = cpu_ns();
    tp_link_free(link);
    tp_free(b);
    return (double)(t1 - t0) / (double)hb;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 300000u;
    log_set_sink(quiet, NULL, LOG_LEVEL_WARN);
    (void)bench_core(n / 10); /* warm-up */
    double core = bench_core(n);
    double bus = bench_bus(n);
    printf("twc master, %d slaves, %" PRIu32 " heartbeat exchanges each run\n", N_SLAVES, n);
    printf("  core (step + guard encode + reply deframe/decode): %.0f ns/heartbeat\n", core);
    printf("  bus driver over tp_mem (adds transport, line idle, events): %.0f ns/heartbeat\n",
           bus);
    printf("  at one heartbeat per second per slave, 3 slaves: %.4f%% of one core\n",
           bus * 3.0 / 1e9 * 100.0);
    return 0;
}
