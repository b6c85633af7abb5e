/* SPDX-License-Identifier: MIT */
/*
 * The event-time clock (sim/sim_sched) and the bus on it (sim/sim_vbus): the clock stops only
 * where a party is due, in list order, each party at most once a millisecond, and lockstep
 * services every millisecond; on the wire a transmission takes its 9600 8N1 time and is heard
 * whole when its last byte is through.
 */
#include <errno.h>
#include <string.h>

#include <check.h>

#include "drivers/transport/tp.h"
#include "sim/sim_sched.h"
#include "sim/sim_vbus.h"
#include "tests/support/check_main.h"

/* A party that records when it ran and asks for the times in a list. */
struct rec {
    struct sim_sched *s;
    const uint64_t *want; /* next times to ask for, in order; 0 ends */
    size_t k;
    uint64_t ran[64];
    size_t n;
    int wake_other; /* >= 0: wakes that party for now at its first service */
    int fail_at;    /* a service at this time fails with -EIO */
};

static int rec_fn(void *ctx, uint64_t now, uint64_t *next)
{
    struct rec *r = ctx;
    if (r->n < 64) {
        r->ran[r->n++] = now;
    }
    if (r->wake_other >= 0) {
        sim_sched_wake(r->s, r->wake_other, now);
        r->wake_other = -1;
    }
    if (r->want && r->want[r->k]) {
        *next = r->want[r->k++];
    }
    return (uint64_t)r->fail_at == now ? -EIO : 0;
}

static void rec_init(struct rec *r, struct sim_sched *s, const uint64_t *want)
{
    memset(r, 0, sizeof(*r));
    r->s = s;
    r->want = want;
    r->wake_other = -1;
    r->fail_at = -1;
}

START_TEST(test_the_clock_jumps_to_the_earliest_due_time)
{
    struct sim_sched s;
    sim_sched_init(&s, 1000);
    static const uint64_t wa[] = {1500, 4000, 0}, wb[] = {2500, 0};
    struct rec a, b;
    rec_init(&a, &s, wa);
    rec_init(&b, &s, wb);
    ck_assert_int_eq(sim_sched_add(&s, "a", rec_fn, &a), 0);
    ck_assert_int_eq(sim_sched_add(&s, "b", rec_fn, &b), 1);
    ck_assert_uint_eq(sim_sched_next_ms(&s), 1001); /* first service 1 ms after the start */
    ck_assert_int_eq(sim_sched_run(&s, 3000), 0);
    ck_assert_uint_eq(s.now_ms, 3000); /* left at until_ms */
    ck_assert_uint_eq(a.n, 2);
    ck_assert_uint_eq(a.ran[0], 1001);
    ck_assert_uint_eq(a.ran[1], 1500);
    ck_assert_uint_eq(b.n, 2);
    ck_assert_uint_eq(b.ran[1], 2500);
    ck_assert_uint_eq(s.stats.turns, 3);
    ck_assert_uint_eq(sim_sched_next_ms(&s), 4000);
    ck_assert_int_eq(sim_sched_run(&s, 10000), 0);
    ck_assert_uint_eq(a.n, 3);
    ck_assert_uint_eq(a.ran[2], 4000);
    ck_assert_uint_eq(b.n, 2); /* never due again: never run */
}

END_TEST

START_TEST(test_a_party_woken_for_now_runs_later_in_the_list_or_1_ms_later)
{
    struct sim_sched s;
    sim_sched_init(&s, 0);
    static const uint64_t once[] = {100, 0};
    struct rec a, b, c;
    rec_init(&a, &s, NULL);
    rec_init(&b, &s, once);
    rec_init(&c, &s, NULL);
    sim_sched_add(&s, "a", rec_fn, &a);
    sim_sched_add(&s, "b", rec_fn, &b);
    sim_sched_add(&s, "c", rec_fn, &c);
    ck_assert_int_eq(sim_sched_run(&s, 50), 0);
    ck_assert_uint_eq(a.n, 1);
    b.wake_other = 2; /* at 100 b wakes c (after it: same time) ... */
    ck_assert_int_eq(sim_sched_run(&s, 100), 0);
    ck_assert_uint_eq(c.n, 2);
    ck_assert_uint_eq(c.ran[1], 100);
    c.wake_other = 0;           /* ... and c wakes a (before it) at its next service */
    sim_sched_wake(&s, 2, 100); /* woken from outside for the time the clock is at */
    ck_assert_int_eq(sim_sched_run(&s, 200), 0);
    ck_assert_uint_eq(c.n, 3);
    ck_assert_uint_eq(c.ran[2], 101);
    ck_assert_uint_eq(a.n, 2);
    ck_assert_uint_eq(a.ran[1], 102); /* once a millisecond: a had not run at 101, but its
                                       * turn in the list had passed */
}

END_TEST

START_TEST(test_lockstep_runs_every_party_every_ms)
{
    struct sim_sched s;
    sim_sched_init(&s, 0);
    sim_sched_set_lockstep(&s, true);
    struct rec a;
    rec_init(&a, &s, NULL);
    sim_sched_add(&s, "a", rec_fn, &a);
    ck_assert_int_eq(sim_sched_run(&s, 40), 0);
    ck_assert_uint_eq(a.n, 40);
    ck_assert_uint_eq(a.ran[39], 40);
}

END_TEST

static uint64_t paced[8][2];
static size_t n_paced;

static int pace(void *ctx, uint64_t from, uint64_t at)
{
    (void)ctx;
    if (n_paced < 8) {
        paced[n_paced][0] = from;
        paced[n_paced][1] = at;
    }
    return ++n_paced == 3 ? -EINTR : 0;
}

START_TEST(test_pacing_sees_every_move_and_its_error_stops_the_run)
{
    struct sim_sched s;
    sim_sched_init(&s, 0);
    static const uint64_t w[] = {500, 900, 0};
    struct rec a;
    rec_init(&a, &s, w);
    sim_sched_add(&s, "a", rec_fn, &a);
    sim_sched_set_pace(&s, pace, NULL);
    n_paced = 0;
    ck_assert_int_eq(sim_sched_run(&s, 2000), -EINTR);
    ck_assert_uint_eq(n_paced, 3);
    ck_assert_uint_eq(paced[0][0], 0);
    ck_assert_uint_eq(paced[0][1], 1);
    ck_assert_uint_eq(paced[1][1], 500);
    ck_assert_uint_eq(paced[2][0], 500);
    ck_assert_uint_eq(paced[2][1], 900);
    ck_assert_uint_eq(s.now_ms, 500); /* stopped where it was */
    ck_assert_uint_eq(a.n, 2);
}

END_TEST

START_TEST(test_a_failing_party_stops_the_run)
{
    struct sim_sched s;
    sim_sched_init(&s, 0);
    static const uint64_t w[] = {10, 20, 30, 0};
    struct rec a;
    rec_init(&a, &s, w);
    a.fail_at = 20;
    sim_sched_add(&s, "a", rec_fn, &a);
    ck_assert_int_eq(sim_sched_run(&s, 100), -EIO);
    ck_assert_uint_eq(s.now_ms, 20);
}

END_TEST

/* ---- the wire ---- */

struct talker {
    struct tp *port;
    uint64_t send_at;
    size_t len;
    uint64_t heard_at[8];
    size_t heard_len[8];
    size_t n;
};

static int talker_fn(void *ctx, uint64_t now, uint64_t *next)
{
    struct talker *t = ctx;
    uint8_t buf[256];
    ssize_t n = tp_read(t->port, buf, sizeof(buf));
    if (n > 0 && t->n < 8) {
        t->heard_at[t->n] = now;
        t->heard_len[t->n++] = (size_t)n;
    }
    if (t->send_at && now >= t->send_at) {
        memset(buf, 0xC0, t->len);
        ck_assert_int_eq(tp_write(t->port, buf, t->len), (ssize_t)t->len);
        t->send_at = 0;
    } else if (t->send_at) {
        *next = t->send_at;
    }
    return 0;
}

static void two_talkers(
    struct sim_sched *s, struct sim_vbus *vb, uint32_t baud, struct talker *a, struct talker *b)
{
    sim_sched_init(s, 0);
    ck_assert_int_eq(sim_vbus_init(vb, s, "t", baud), 0);
    ck_assert_int_eq(sim_vbus_add_port(vb, "a", talker_fn, a, &a->port), 0);
    ck_assert_int_eq(sim_vbus_add_port(vb, "b", talker_fn, b, &b->port), 1);
}

START_TEST(test_bytes_take_their_wire_time_at_9600_8n1)
{
    struct sim_sched s;
    struct sim_vbus vb;
    struct talker a = {.send_at = 100, .len = 20}, b = {.send_at = 110, .len = 3};
    two_talkers(&s, &vb, SIM_VBUS_BAUD, &a, &b);
    ck_assert_int_eq(sim_sched_run(&s, 1000), 0);
    /* 20 bytes x 10 bits at 9600 bit/s = 20.83 ms: whole at 121 ms */
    ck_assert_uint_eq(b.n, 1);
    ck_assert_uint_eq(b.heard_at[0], 121);
    ck_assert_uint_eq(b.heard_len[0], 20);
    /* b talked over a (110 < 120.8): both heard, one collision counted; 3 bytes = 3.1 ms */
    ck_assert_uint_eq(a.n, 1);
    ck_assert_uint_eq(a.heard_at[0], 114);
    ck_assert_uint_eq(vb.stats.collisions, 1);
    ck_assert_uint_eq(sim_vbus_bytes_tx(&vb, 0), 20);
    ck_assert_uint_eq(sim_vbus_bytes_tx(&vb, 1), 3);
    sim_vbus_fini(&vb);
    tp_free(a.port);
    tp_free(b.port);
}

END_TEST

START_TEST(test_one_party_sends_one_transmission_after_another)
{
    struct sim_sched s;
    struct sim_vbus vb;
    struct talker a = {.send_at = 100, .len = 96}, b = {0};
    two_talkers(&s, &vb, SIM_VBUS_BAUD, &a, &b);
    ck_assert_int_eq(sim_sched_run(&s, 101), 0);
    a.send_at = 101; /* while the first 100 ms are still going out */
    a.len = 48;
    sim_sched_wake(&s, vb.port[0].party, 101);
    ck_assert_int_eq(sim_sched_run(&s, 1000), 0);
    ck_assert_uint_eq(b.n, 2);
    ck_assert_uint_eq(b.heard_at[0], 200); /* 96 bytes: exactly 100 ms */
    ck_assert_uint_eq(b.heard_at[1], 250); /* then 48 more: 50 ms */
    ck_assert_uint_eq(vb.stats.collisions, 0);
    sim_vbus_fini(&vb);
    tp_free(a.port);
    tp_free(b.port);
}

END_TEST

START_TEST(test_baud_0_delivers_at_once_as_the_old_bus_did)
{
    struct sim_sched s;
    struct sim_vbus vb;
    struct talker a = {.send_at = 100, .len = 20}, b = {.send_at = 200, .len = 20};
    two_talkers(&s, &vb, 0, &a, &b);
    ck_assert_int_eq(sim_sched_run(&s, 1000), 0);
    ck_assert_uint_eq(b.heard_at[0], 100); /* after a in the list: the same millisecond */
    ck_assert_uint_eq(a.heard_at[0], 201); /* before b: its turn has passed, the next ms */
    sim_vbus_fini(&vb);
    tp_free(a.port);
    tp_free(b.port);
}

END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim_sched");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_the_clock_jumps_to_the_earliest_due_time);
    tcase_add_test(tc, test_a_party_woken_for_now_runs_later_in_the_list_or_1_ms_later);
    tcase_add_test(tc, test_lockstep_runs_every_party_every_ms);
    tcase_add_test(tc, test_pacing_sees_every_move_and_its_error_stops_the_run);
    tcase_add_test(tc, test_a_failing_party_stops_the_run);
    tcase_add_test(tc, test_bytes_take_their_wire_time_at_9600_8n1);
    tcase_add_test(tc, test_one_party_sends_one_transmission_after_another);
    tcase_add_test(tc, test_baud_0_delivers_at_once_as_the_old_bus_did);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(suite)
