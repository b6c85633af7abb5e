/* SPDX-License-Identifier: MIT */
/*
 * The bus wakes exactly when a frame is due (docs/loop.md): the master (twc_bus) and simulated
 * slaves on an in-memory RS485 bus, both driven by the real event loop on a virtual clock. Bytes
 * written by one side wake the other at once, as POLLIN would; otherwise each side sleeps until
 * the wake-up it names. A tap records every frame with its virtual time, so the test measures
 * how long a linkready waits for its answer and how long the bus stays quiet after a reply.
 *
 * Before the fix the bus kept the wake-up the master had named before a frame arrived: a
 * linkready heard on an idle bus was answered only when something else woke the loop (the old
 * command loops capped their sleep at 100 ms: 100-220 ms), and the 50 ms pause after a reply
 * lasted until the 300 ms reply timeout.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "controller/loop.h"
#include "drivers/base/log.h"
#include "drivers/transport/tp_link.h"
#include "drivers/transport/tp_mem.h"
#include "drivers/twc/twc_bus.h"
#include "drivers/twc/twc_codec.h"
#include "sim/sim_twc_slaves.h"
#include "tests/support/amp_tap.h"
#include "tests/support/check_main.h"

#define MID       0xA1B2
#define MAX_WIRE  4096
#define LATE_MS   (TWC_BUS_LINE_IDLE_MS + 2) /* line idle, plus a frame's own bytes */
#define TX_GAP_MS TWC_MASTER_TX_GAP_MS

struct wire_rec {
    uint64_t t;
    enum twc_kind kind;
    uint16_t src, dst;
    uint8_t cmd;
    uint16_t amps_ca;
};

struct rig {
    struct loop_vclock vc;
    struct loop *loop;
    struct tp_mem_bus *mb;
    struct tp_link *link;
    struct twc_bus bus;
    struct loop_service bus_svc;
    struct tp *slaves_ep, *tap;
    struct sim_twc_slaves set;
    struct loop_service slaves_svc;
    struct twc_deframer tapdf;
    struct wire_rec wire[MAX_WIRE];
    size_t nwire;
    int depth;
};

static void on_tap_frame(void *ctx, const struct twc_msg *msg)
{
    struct rig *r = ctx;
    bool mhb = msg->kind == TWC_KIND_MASTER_HEARTBEAT;
    if (r->nwire < MAX_WIRE) {
        r->wire[r->nwire++] = (struct wire_rec){
            .t = loop_now_ms(r->loop),
            .kind = msg->kind,
            .src = msg->src,
            .dst = msg->dst,
            .cmd = mhb ? msg->u.mhb.cmd : 0,
            .amps_ca = mhb ? msg->u.mhb.amps_ca : 0,
        };
    }
}

static void tap_read(struct rig *r)
{
    ck_assert_uint_eq(amp_tap_read(r->tap, &r->tapdf, on_tap_frame, r), 0);
}

/* The bus as a loop service (docs/loop.md): serviced, then asked for its next wake-up. */
static uint64_t bus_service(struct loop *l, uint64_t now, int *fd, void *ctx)
{
    struct rig *r = ctx;
    uint64_t tx = r->bus.stats.tx_bytes;
    (void)twc_bus_service(&r->bus, now);
    *fd = twc_bus_poll_fd(&r->bus); /* -1 on a mem transport: the slaves wake it below */
    tap_read(r);
    if (r->bus.stats.tx_bytes != tx && r->depth++ < 8) {
        loop_service_run(l, &r->slaves_svc); /* bytes on the wire: the slaves' POLLIN */
        r->depth--;
    }
    return twc_bus_next_wakeup_ms(&r->bus);
}

static uint64_t slaves_service(struct loop *l, uint64_t now, int *fd, void *ctx)
{
    struct rig *r = ctx;
    uint8_t buf[1024];
    ssize_t n;
    while ((n = tp_read(r->slaves_ep, buf, sizeof(buf))) > 0) {
        sim_twc_slaves_on_bytes(&r->set, now, buf, (size_t)n);
    }
    uint64_t next = UINT64_MAX;
    size_t out = sim_twc_slaves_poll(&r->set, now, buf, sizeof(buf), &next);
    *fd = -1;
    if (out > 0) {
        ck_assert_int_eq(tp_write(r->slaves_ep, buf, out), (ssize_t)out);
        tap_read(r);
        if (r->depth++ < 8) {
            loop_service_run(l, &r->bus_svc); /* the master's POLLIN */
        }
        r->depth--;
    }
    return next;
}

static void on_event(void *ctx, const struct twc_master_event *ev)
{
    struct rig *r = ctx;
    if (ev->type == TWC_MEV_SLAVE_LINKED) {
        (void)twc_master_set_target(twc_bus_master(&r->bus), ev->at_ms, ev->slave_id, 16000);
    }
}

static void rig_init(struct rig *r, int n_slaves)
{
    memset(r, 0, sizeof(*r));
    log_set_sink(log_sink_discard, NULL, LOG_LEVEL_WARN);
    loop_vclock_init(&r->vc, 1000);
    ck_assert_int_eq(loop_new(&r->vc.clock, &r->loop), 0);
    ck_assert_int_eq(tp_mem_bus_new(4, 8192, &r->mb), 0);
    struct tp *mep;
    ck_assert_int_eq(tp_mem_bus_attach(r->mb, "master", false, &mep), 0);
    ck_assert_int_eq(tp_link_new(mep, &r->link), 0);
    ck_assert_int_eq(tp_mem_bus_attach(r->mb, "slaves", false, &r->slaves_ep), 0);
    ck_assert_int_eq(tp_mem_bus_attach(r->mb, "tap", false, &r->tap), 0);
    twc_deframer_init(&r->tapdf);
    struct twc_bus_config bc;
    twc_bus_config_init(&bc);
    bc.master.id = MID;
    bc.master.sign = 0x42;
    bc.on_event = on_event;
    bc.on_event_ctx = r;
    ck_assert_int_eq(twc_bus_init(&r->bus, r->link, &bc, loop_now_ms(r->loop)), 0);
    sim_twc_slaves_init(&r->set);
    static const uint16_t ids[] = {0x2019, 0x2431, 0x4085};
    for (int i = 0; i < n_slaves; i++) {
        struct sim_twc_slave_cfg cfg;
        sim_twc_slave_cfg_default(&cfg, ids[i], SIM_TWC_V2);
        /* the first linkready comes well after the master's start-up burst, on an idle bus */
        cfg.linkready_first_ms = 3000 + (uint32_t)i * 1250;
        struct sim_car_cfg car;
        ck_assert_int_eq(sim_car_cfg_preset(&car, "tesla"), 0);
        ck_assert_int_ge(sim_twc_slaves_add(&r->set, &cfg, &car, loop_now_ms(r->loop)), 0);
    }
    loop_service_init(&r->bus_svc, bus_service, r);
    loop_service_init(&r->slaves_svc, slaves_service, r);
    ck_assert_int_eq(loop_service_start(r->loop, &r->bus_svc), 0);
    ck_assert_int_eq(loop_service_start(r->loop, &r->slaves_svc), 0);
}

static void on_mark(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)l;
    (void)t;
    (void)now;
    (void)ctx;
}

/* Runs the loop until exactly until (a no-op timer makes the loop wake then). */
static void rig_run_until(struct rig *r, uint64_t until)
{
    struct loop_timer mark;
    loop_timer_init(&mark, on_mark, NULL);
    loop_timer_arm(r->loop, &mark, until);
    while (loop_now_ms(r->loop) < until) {
        ck_assert_int_ge(loop_run_once(r->loop, 0), 0);
    }
    loop_timer_disarm(r->loop, &mark);
}

static void rig_fini(struct rig *r)
{
    loop_service_stop(r->loop, &r->bus_svc);
    loop_service_stop(r->loop, &r->slaves_svc);
    tp_free(r->slaves_ep);
    tp_free(r->tap);
    tp_link_free(r->link);
    tp_mem_bus_free(r->mb);
    loop_free(r->loop);
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
}

START_TEST(test_linkready_on_an_idle_bus_is_answered_once_the_line_is_idle)
{
    struct rig r;
    rig_init(&r, 3);
    rig_run_until(&r, 12000);
    int answered = 0;
    for (size_t i = 0; i < r.nwire; i++) {
        if (r.wire[i].kind != TWC_KIND_SLAVE_LINKREADY) {
            continue;
        }
        /* the master's next frame answers it, addressed to that slave */
        ck_assert_uint_lt(i + 1, r.nwire);
        const struct wire_rec *a = &r.wire[i + 1];
        ck_assert_uint_eq(a->src, MID);
        ck_assert_uint_eq(a->dst, r.wire[i].src);
        ck_assert_int_eq(a->kind, TWC_KIND_MASTER_HEARTBEAT);
        uint64_t delay = a->t - r.wire[i].t;
        printf("linkready %04x at %llu answered after %llu ms (virtual)\n", r.wire[i].src,
               (unsigned long long)r.wire[i].t, (unsigned long long)delay);
        ck_assert_msg(delay <= LATE_MS, "linkready of %04x answered after %llu ms", r.wire[i].src,
                      (unsigned long long)delay);
        answered++;
    }
    ck_assert_int_eq(answered, 3); /* one linkready each: every one was answered at once */
    rig_fini(&r);
}

END_TEST

/* Runs on until a slave's heartbeat reply goes by, then TX_GAP_MS + 20 ms further: the bus is
 * idle and the next regular heartbeat most of a second away. Returns that time. */
static uint64_t run_past_a_reply(struct rig *r)
{
    size_t n0 = r->nwire;
    uint64_t give_up = loop_now_ms(r->loop) + 5000;
    for (;;) {
        ck_assert_msg(loop_now_ms(r->loop) < give_up, "no heartbeat reply for 5 s");
        for (size_t i = n0; i < r->nwire; i++) {
            if (r->wire[i].kind == TWC_KIND_SLAVE_HEARTBEAT) {
                uint64_t t = r->wire[i].t + TX_GAP_MS + 20;
                rig_run_until(r, t);
                return t;
            }
        }
        n0 = r->nwire;
        ck_assert_int_ge(loop_run_once(r->loop, 0), 0);
    }
}

/* The first heartbeat from the master to id at or after wire[from], or NULL. */
static const struct wire_rec *next_hb_to(const struct rig *r, size_t from, uint16_t id)
{
    for (size_t i = from; i < r->nwire; i++) {
        if (r->wire[i].src == MID && r->wire[i].dst == id &&
            r->wire[i].kind == TWC_KIND_MASTER_HEARTBEAT) {
            return &r->wire[i];
        }
    }
    return NULL;
}

START_TEST(test_cut_set_between_services_goes_out_without_waiting_for_the_old_wakeup)
{
    struct rig r;
    rig_init(&r, 1);
    rig_run_until(&r, 6000);
    uint64_t t_set = run_past_a_reply(&r);
    size_t from = r.nwire;
    /* a cut decided by the controller outside any bus callback (the site tick) */
    ck_assert_int_eq(twc_master_set_target(twc_bus_master(&r.bus), t_set, 0x2019, 0), 0);
    /* only re-ask when the bus is due (no extra service call): what the fix is about */
    loop_timer_arm(r.loop, &r.bus_svc.wake, twc_bus_next_wakeup_ms(&r.bus));
    rig_run_until(&r, t_set + 2000);
    const struct wire_rec *cut = next_hb_to(&r, from, 0x2019);
    ck_assert_ptr_nonnull(cut);
    printf("a cut set at %llu went out after %llu ms (virtual)\n", (unsigned long long)t_set,
           (unsigned long long)(cut->t - t_set));
    ck_assert_uint_eq(cut->cmd, TWC_CMD_SET_LIMIT_V2);
    ck_assert_uint_eq(cut->amps_ca, 0);
    ck_assert_uint_le(cut->t - t_set, LATE_MS);
    rig_fini(&r);
}

END_TEST

START_TEST(test_second_cut_follows_the_first_reply_by_the_gap_not_the_reply_timeout)
{
    struct rig r;
    rig_init(&r, 2);
    rig_run_until(&r, 8000);
    uint64_t t_set = run_past_a_reply(&r);
    size_t from = r.nwire;
    struct twc_master *m = twc_bus_master(&r.bus);
    ck_assert_int_eq(twc_master_set_target(m, t_set, 0x2019, 0), 0);
    ck_assert_int_eq(twc_master_set_target(m, t_set, 0x2431, 0), 0);
    /* only re-ask when the bus is due (no extra service call): what the fix is about */
    loop_timer_arm(r.loop, &r.bus_svc.wake, twc_bus_next_wakeup_ms(&r.bus));
    rig_run_until(&r, t_set + 2000);
    /* one cut goes out at once; the other is due while that exchange is in flight, so it must
     * follow the reply by exactly the pause the master keeps (tx_gap_ms), as TWCManager does */
    const struct wire_rec *c1 = next_hb_to(&r, from, 0x2019);
    const struct wire_rec *c2 = next_hb_to(&r, from, 0x2431);
    ck_assert(c1 && c2);
    const struct wire_rec *first = c1->t < c2->t ? c1 : c2, *second = c1->t < c2->t ? c2 : c1;
    ck_assert_uint_le(first->t - t_set, LATE_MS);
    const struct wire_rec *reply = NULL;
    for (const struct wire_rec *w = first; w < second && !reply; w++) {
        reply = w->src == first->dst && w->kind == TWC_KIND_SLAVE_HEARTBEAT ? w : NULL;
    }
    ck_assert_ptr_nonnull(reply);
    uint64_t pause = second->t - reply->t;
    printf("second cut %llu ms after the first one's reply (virtual; gap %d ms)\n",
           (unsigned long long)pause, TX_GAP_MS);
    ck_assert_uint_eq(second->amps_ca, 0);
    ck_assert_uint_ge(pause, TX_GAP_MS);
    ck_assert_uint_le(pause, TX_GAP_MS + 2);
    rig_fini(&r);
}

END_TEST

static Suite *wake_suite(void)
{
    Suite *s = suite_create("twc_bus_wake");
    TCase *tc = tcase_create("wake");
    tcase_add_test(tc, test_linkready_on_an_idle_bus_is_answered_once_the_line_is_idle);
    tcase_add_test(tc, test_cut_set_between_services_goes_out_without_waiting_for_the_old_wakeup);
    tcase_add_test(tc, test_second_cut_follows_the_first_reply_by_the_gap_not_the_reply_timeout);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(wake_suite)
