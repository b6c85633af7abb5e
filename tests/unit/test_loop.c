/* SPDX-License-Identifier: MIT */
/*
 * The event loop: timers on a virtual clock (exact wake-up times, no spinning), fd handlers on
 * real pipes and socketpairs, signals through the signalfd, the hook, stop. No wall-clock
 * assertions: the real-clock cases check what ran, never how long it took.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "controller/loop.h"
#include "drivers/base/amp_clock.h"
#include "tests/support/check_main.h"

struct fired {
    int n;
    uint64_t at[16];
    uint64_t rearm_every; /* >0: re-arm itself this much later */
    int rearm_max;
};

static void on_timer(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    struct fired *f = ctx;
    if (f->n < 16) {
        f->at[f->n] = now;
    }
    f->n++;
    if (f->rearm_every && f->n < f->rearm_max) {
        loop_timer_arm(l, t, now + f->rearm_every);
    }
}

START_TEST(test_timers_fire_exactly_when_due_on_a_virtual_clock)
{
    struct loop_vclock vc;
    loop_vclock_init(&vc, 1000);
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(&vc.clock, &l), 0);
    ck_assert_uint_eq(loop_now_ms(l), 1000);

    struct fired a = {0}, b = {0};
    struct loop_timer ta, tb;
    loop_timer_init(&ta, on_timer, &a);
    loop_timer_init(&tb, on_timer, &b);
    loop_timer_arm(l, &ta, 1250);
    loop_timer_arm_in(l, &tb, 37);
    ck_assert_uint_eq(loop_next_due_ms(l), 1037);

    ck_assert_int_eq(loop_run_once(l, 0), 1);
    ck_assert_int_eq(b.n, 1);
    ck_assert_uint_eq(b.at[0], 1037);
    ck_assert(!loop_timer_is_armed(&tb));
    ck_assert_int_eq(loop_run_once(l, 0), 1);
    ck_assert_int_eq(a.n, 1);
    ck_assert_uint_eq(a.at[0], 1250);
    ck_assert_uint_eq(loop_now_ms(l), 1250);
    /* two turns, two sleeps: nothing ran early, nothing ran late, no spare wake-up */
    ck_assert_uint_eq(loop_turns(l), 2);
    ck_assert_uint_eq(vc.waits, 2);
    ck_assert_uint_eq(loop_next_due_ms(l), LOOP_NEVER);
    loop_free(l);
}

END_TEST

START_TEST(test_rearming_timer_keeps_its_period_and_rearming_earlier_moves_it)
{
    struct loop_vclock vc;
    loop_vclock_init(&vc, 0);
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(&vc.clock, &l), 0);
    struct fired f = {.rearm_every = 100, .rearm_max = 5};
    struct loop_timer t;
    loop_timer_init(&t, on_timer, &f);
    loop_timer_arm(l, &t, 1000);
    loop_timer_arm(l, &t, 100); /* re-arming moves it, does not add a second one */
    while (loop_run_once(l, 0) > 0) {
    }
    ck_assert_int_eq(f.n, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_eq(f.at[i], 100u * (unsigned)(i + 1));
    }
    ck_assert_uint_eq(vc.waits, 6); /* five timer sleeps and the last, empty one */
    loop_free(l);
}

END_TEST

static void arm_in_past(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    struct fired *f = ctx;
    f->n++;
    if (f->n < 3) {
        loop_timer_arm(l, t, now - 5); /* already due: must wait for the next turn */
    }
}

START_TEST(test_timer_armed_in_the_past_runs_next_turn_without_spinning_this_one)
{
    struct loop_vclock vc;
    loop_vclock_init(&vc, 500);
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(&vc.clock, &l), 0);
    struct fired f = {0};
    struct loop_timer t;
    loop_timer_init(&t, arm_in_past, &f);
    loop_timer_arm(l, &t, 400);
    ck_assert_int_eq(loop_run_once(l, 0), 1);
    ck_assert_int_eq(f.n, 1);
    ck_assert_int_eq(loop_run_once(l, 0), 1);
    ck_assert_int_eq(f.n, 2);
    ck_assert_int_eq(loop_run_once(l, 0), 1);
    ck_assert_int_eq(f.n, 3);
    ck_assert_uint_eq(vc.waits, 0); /* never slept: each was due already */
    ck_assert_uint_eq(loop_now_ms(l), 500);
    loop_free(l);
}

END_TEST

struct pair_kill {
    struct loop_timer *victim;
    int n;
};

static void disarm_other(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)t;
    (void)now;
    struct pair_kill *p = ctx;
    p->n++;
    loop_timer_disarm(l, p->victim);
}

START_TEST(test_timer_disarmed_by_another_due_at_the_same_time_does_not_fire)
{
    struct loop_vclock vc;
    loop_vclock_init(&vc, 0);
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(&vc.clock, &l), 0);
    struct loop_timer t1, t2;
    struct pair_kill p1 = {.victim = &t2}, p2 = {.victim = &t1};
    loop_timer_init(&t1, disarm_other, &p1);
    loop_timer_init(&t2, disarm_other, &p2);
    loop_timer_arm(l, &t1, 10);
    loop_timer_arm(l, &t2, 10);
    ck_assert_int_eq(loop_run_once(l, 0), 1);
    ck_assert_int_eq(p1.n + p2.n, 1);
    ck_assert_uint_eq(loop_next_due_ms(l), LOOP_NEVER);
    loop_free(l);
}

END_TEST

START_TEST(test_virtual_loop_with_nothing_to_wait_for_reports_a_deadlock)
{
    struct loop_vclock vc;
    loop_vclock_init(&vc, 0);
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(&vc.clock, &l), 0);
    ck_assert_int_eq(loop_run_once(l, 0), -EDEADLK);
    ck_assert_int_eq(loop_run(l), -EDEADLK);
    ck_assert_int_eq(loop_run_once(l, LOOP_NOWAIT), 0);
    loop_free(l);
}

END_TEST

struct reader {
    int n, bytes;
    short last_rev;
    char buf[64];
};

static void on_readable(struct loop *l, struct loop_fd *h, int fd, short rev, void *ctx)
{
    (void)l;
    (void)h;
    struct reader *r = ctx;
    r->n++;
    r->last_rev = rev;
    ssize_t n = read(fd, r->buf + r->bytes, sizeof(r->buf) - 1 - (size_t)r->bytes);
    if (n > 0) {
        r->bytes += (int)n;
        r->buf[r->bytes] = '\0';
    }
}

START_TEST(test_fd_handler_runs_when_a_pipe_has_data_and_not_before)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(NULL, &l), 0);
    struct reader r = {0};
    struct loop_fd h;
    loop_fd_init(&h, on_readable, &r);
    ck_assert_int_eq(loop_fd_set(l, &h, p[0], LOOP_READ), 0);
    ck_assert_int_eq(loop_run_once(l, LOOP_NOWAIT), 0);
    ck_assert_int_eq(r.n, 0);
    ck_assert_int_eq(write(p[1], "hello", 5), 5);
    /* no timer armed: this turn sleeps until the data is there, however long that is */
    ck_assert_int_eq(loop_run_once(l, 0), 1);
    ck_assert_str_eq(r.buf, "hello");
    ck_assert(r.last_rev & LOOP_READ);

    /* idle (fd -1) handlers stay registered but are not polled */
    ck_assert_int_eq(loop_fd_set(l, &h, -1, LOOP_READ), 0);
    ck_assert_int_eq(write(p[1], "x", 1), 1);
    ck_assert_int_eq(loop_run_once(l, LOOP_NOWAIT), 0);
    ck_assert_int_eq(loop_fd_set(l, &h, p[0], LOOP_READ), 0);
    ck_assert_int_eq(loop_run_once(l, LOOP_NOWAIT), 1);
    ck_assert_str_eq(r.buf, "hellox");

    /* a hang-up is reported even though only LOOP_READ was asked for */
    close(p[1]);
    ck_assert_int_eq(loop_run_once(l, 0), 1);
    ck_assert(r.last_rev & POLLHUP);
    loop_fd_del(l, &h);
    ck_assert_int_eq(loop_run_once(l, LOOP_NOWAIT), 0);
    close(p[0]);
    loop_free(l);
}

END_TEST

struct killer {
    struct loop_fd *victim;
    int n;
};

static void on_ready_del_other(struct loop *l, struct loop_fd *h, int fd, short rev, void *ctx)
{
    (void)h;
    (void)rev;
    struct killer *k = ctx;
    char c;
    (void)read(fd, &c, 1);
    k->n++;
    loop_fd_del(l, k->victim);
}

START_TEST(test_fd_deleted_by_another_handler_in_the_same_turn_is_not_called)
{
    int a[2], b[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(NULL, &l), 0);
    struct loop_fd *ha = calloc(1, sizeof(*ha)), *hb = calloc(1, sizeof(*hb));
    struct killer ka = {.victim = hb}, kb = {.victim = ha};
    loop_fd_init(ha, on_ready_del_other, &ka);
    loop_fd_init(hb, on_ready_del_other, &kb);
    ck_assert_int_eq(loop_fd_set(l, ha, a[0], LOOP_READ), 0);
    ck_assert_int_eq(loop_fd_set(l, hb, b[0], LOOP_READ), 0);
    ck_assert_int_eq(write(a[1], "1", 1), 1);
    ck_assert_int_eq(write(b[1], "2", 1), 1);
    ck_assert_int_eq(loop_run_once(l, 0), 1);
    ck_assert_int_eq(ka.n + kb.n, 1);
    /* whichever ran deleted the other, which may now be freed (ASan would see a late call) */
    if (ka.n) {
        free(hb);
        loop_fd_del(l, ha);
        free(ha);
    } else {
        free(ha);
        loop_fd_del(l, hb);
        free(hb);
    }
    ck_assert_int_eq(loop_run_once(l, LOOP_NOWAIT), 0);
    loop_free(l);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

END_TEST

static void on_closed_fd(struct loop *l, struct loop_fd *h, int fd, short rev, void *ctx)
{
    (void)l;
    (void)h;
    (void)fd;
    struct reader *r = ctx;
    r->n++;
    r->last_rev = rev;
}

START_TEST(test_closed_fd_is_reported_once_then_no_longer_polled)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(NULL, &l), 0);
    struct reader r = {0};
    struct loop_fd h;
    loop_fd_init(&h, on_closed_fd, &r);
    ck_assert_int_eq(loop_fd_set(l, &h, p[0], LOOP_READ), 0);
    close(p[0]);
    ck_assert_int_eq(loop_run_once(l, LOOP_NOWAIT), 1);
    ck_assert(r.last_rev & POLLNVAL);
    ck_assert_int_eq(h.fd, -1);
    ck_assert_int_eq(loop_run_once(l, LOOP_NOWAIT), 0);
    ck_assert_int_eq(r.n, 1);
    loop_fd_del(l, &h);
    close(p[1]);
    loop_free(l);
}

END_TEST

struct sigs {
    int got[8];
    int n;
};

static void on_signal(struct loop *l, int signo, void *ctx)
{
    struct sigs *s = ctx;
    if (s->n < 8) {
        s->got[s->n++] = signo;
    }
    if (signo == SIGTERM) {
        loop_stop(l);
    }
}

START_TEST(test_signals_arrive_as_events_and_sigterm_stops_the_loop)
{
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(NULL, &l), 0);
    struct sigs s = {0};
    const int which[] = {SIGINT, SIGTERM, SIGHUP};
    ck_assert_int_eq(loop_signals_catch(l, which, 3, on_signal, &s), 0);
    ck_assert_int_eq(kill(getpid(), SIGHUP), 0);
    ck_assert_int_eq(loop_run_once(l, 0), 1);
    ck_assert_int_eq(s.n, 1);
    ck_assert_int_eq(s.got[0], SIGHUP);
    ck_assert(!loop_is_stopped(l));
    ck_assert_int_eq(kill(getpid(), SIGTERM), 0);
    ck_assert_int_eq(loop_run(l), 0); /* returns once the handler stopped it */
    ck_assert_int_eq(s.n, 2);
    ck_assert_int_eq(s.got[1], SIGTERM);
    loop_free(l);
    /* the mask is back as it was: SIGHUP is no longer blocked */
    sigset_t cur;
    ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
    ck_assert(!sigismember(&cur, SIGHUP));
}

END_TEST

struct hook_state {
    int calls;
    struct loop_timer *t;
};

static void before_sleep(struct loop *l, uint64_t now, void *ctx)
{
    struct hook_state *h = ctx;
    h->calls++;
    if (h->calls == 1) {
        /* the hook may arm what is due next (a driver's next wake-up) */
        loop_timer_arm(l, h->t, now + 42);
    }
}

START_TEST(test_before_sleep_hook_runs_each_turn_and_its_timers_count)
{
    struct loop_vclock vc;
    loop_vclock_init(&vc, 0);
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(&vc.clock, &l), 0);
    struct fired f = {0};
    struct loop_timer t;
    loop_timer_init(&t, on_timer, &f);
    struct hook_state hs = {.t = &t};
    loop_set_before_sleep(l, before_sleep, &hs);
    ck_assert_int_eq(loop_run_once(l, 0), 1);
    ck_assert_int_eq(hs.calls, 1);
    ck_assert_int_eq(f.n, 1);
    ck_assert_uint_eq(f.at[0], 42);
    loop_set_before_sleep(l, NULL, NULL);
    ck_assert_int_eq(loop_run_once(l, LOOP_NOWAIT), 0);
    ck_assert_int_eq(hs.calls, 1);
    loop_free(l);
}

END_TEST

static void stop_now(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)t;
    (void)now;
    (void)ctx;
    loop_stop(l);
}

START_TEST(test_run_returns_after_stop_and_can_run_again)
{
    struct loop_vclock vc;
    loop_vclock_init(&vc, 0);
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(&vc.clock, &l), 0);
    struct loop_timer t;
    loop_timer_init(&t, stop_now, NULL);
    loop_timer_arm(l, &t, 300);
    ck_assert_int_eq(loop_run(l), 0);
    ck_assert_uint_eq(loop_now_ms(l), 300);
    loop_timer_arm(l, &t, 700);
    ck_assert_int_eq(loop_run(l), 0);
    ck_assert_uint_eq(loop_now_ms(l), 700);
    loop_free(l);
}

END_TEST

START_TEST(test_real_clock_is_monotonic_and_a_timer_in_the_past_does_not_sleep)
{
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(NULL, &l), 0);
    uint64_t t0 = loop_now_ms(l);
    ck_assert_uint_ge(loop_update_time(l), t0);
    struct fired f = {0};
    struct loop_timer t;
    loop_timer_init(&t, on_timer, &f);
    loop_timer_arm(l, &t, t0);
    ck_assert_int_eq(loop_run_once(l, 0), 1);
    ck_assert_int_eq(f.n, 1);
    ck_assert_uint_ge(f.at[0], t0);
    loop_free(l);
}

END_TEST

/* A driver-like service: reads a socket; due again 250 ms after each read; moves to a second
 * socket after the first message (a link that reconnected); stops itself on "bye". */
struct svc_state {
    int fd_a, fd_b, use;
    int calls, reads;
    uint64_t due_at[16];
    char got[64];
};

static uint64_t svc_fn(struct loop *l, uint64_t now, int *fd, void *ctx)
{
    struct svc_state *st = ctx;
    int cur = st->use ? st->fd_b : st->fd_a;
    char buf[16];
    ssize_t n = read(cur, buf, sizeof(buf) - 1);
    if (st->calls < 16) {
        st->due_at[st->calls] = now;
    }
    st->calls++;
    if (n > 0) {
        buf[n] = '\0';
        strncat(st->got, buf, sizeof(st->got) - strlen(st->got) - 1);
        st->reads++;
        st->use = 1;
        if (strcmp(buf, "bye") == 0) {
            loop_stop(l);
        }
    }
    *fd = st->use ? st->fd_b : st->fd_a;
    return now + 250;
}

START_TEST(test_service_is_called_on_input_and_when_due_and_follows_its_fd)
{
    int a[2], b[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
    struct loop_vclock vc;
    loop_vclock_init(&vc, 0);
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(&vc.clock, &l), 0);
    struct svc_state st = {.fd_a = a[0], .fd_b = b[0]};
    struct loop_service svc;
    loop_service_init(&svc, svc_fn, &st);
    ck_assert_int_eq(loop_service_start(l, &svc), 0);
    ck_assert_int_eq(st.calls, 1); /* at once */
    ck_assert_int_eq(loop_run_once(l, 0), 1);
    ck_assert_uint_eq(st.due_at[1], 250); /* then when it said */
    ck_assert_int_eq(write(a[1], "hi", 2), 2);
    ck_assert_int_eq(loop_run_once(l, 0), 1); /* input: at once, no time passes */
    ck_assert_uint_eq(st.due_at[2], 250);
    ck_assert_str_eq(st.got, "hi");
    /* now on the second socket: the first one is no longer watched */
    ck_assert_int_eq(write(a[1], "xx", 2), 2);
    ck_assert_int_eq(write(b[1], "bye", 3), 3);
    ck_assert_int_eq(loop_run(l), 0);
    ck_assert_str_eq(st.got, "hibye");
    ck_assert_uint_eq(loop_now_ms(l), 250);
    loop_service_stop(l, &svc);
    ck_assert_uint_eq(loop_next_due_ms(l), LOOP_NEVER);
    ck_assert_int_eq(loop_run_once(l, LOOP_NOWAIT), 0);
    loop_free(l);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

END_TEST

static uint64_t svc_stops_itself(struct loop *l, uint64_t now, int *fd, void *ctx)
{
    struct loop_service *self = ctx;
    *fd = -1;
    loop_service_stop(l, self);
    return now; /* ignored: stopped */
}

START_TEST(test_service_may_stop_itself)
{
    struct loop_vclock vc;
    loop_vclock_init(&vc, 0);
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(&vc.clock, &l), 0);
    struct loop_service svc;
    loop_service_init(&svc, svc_stops_itself, &svc);
    ck_assert_int_eq(loop_service_start(l, &svc), 0);
    ck_assert(!loop_timer_is_armed(&svc.wake));
    ck_assert_int_eq(loop_run_once(l, 0), -EDEADLK); /* nothing left to wait for */
    loop_free(l);
}

END_TEST

/* A timer whose work takes at least 3 ms by construction (it spins until the clock moved). */
static void on_busy_timer(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)l;
    (void)t;
    (void)now;
    uint64_t *spun_us = ctx;
    uint64_t t0 = amp_clock_mono_us();
    while (amp_clock_mono_us() - t0 < 3000) {
    }
    *spun_us = amp_clock_mono_us() - t0;
}

/* The busy time counts the handlers' work (on the monotonic clock, whatever the loop's clock),
 * never the wait: a virtual loop that waits for hours shows only what its timer did. */
START_TEST(test_busy_time_counts_the_work_of_a_turn_not_its_wait)
{
    struct loop_vclock vc;
    loop_vclock_init(&vc, 0);
    struct loop *l = NULL;
    ck_assert_int_eq(loop_new(&vc.clock, &l), 0);
    uint64_t spun = 0;
    struct loop_timer t;
    loop_timer_init(&t, on_busy_timer, &spun);
    loop_timer_arm(l, &t, 3600u * 1000u);
    ck_assert_int_eq(loop_run_once(l, 0), 1);
    struct loop_busy b;
    loop_busy_stats(l, &b);
    ck_assert_uint_ge(b.max_us, spun);
    ck_assert_uint_eq(b.last_us, b.max_us);
    ck_assert_uint_eq(b.over[0], 1); /* >= 1 ms */
    ck_assert_uint_eq(b.over[1], 1); /* >= 2 ms */
    ck_assert_uint_eq(loop_busy_over_ms[5], 50);
    ck_assert_uint_eq(b.over[5], b.max_us >= 50000 ? 1 : 0);
    loop_free(l);
}

END_TEST

static Suite *loop_suite(void)
{
    Suite *s = suite_create("loop");
    TCase *tc = tcase_create("loop");
    tcase_add_test(tc, test_timers_fire_exactly_when_due_on_a_virtual_clock);
    tcase_add_test(tc, test_rearming_timer_keeps_its_period_and_rearming_earlier_moves_it);
    tcase_add_test(tc, test_timer_armed_in_the_past_runs_next_turn_without_spinning_this_one);
    tcase_add_test(tc, test_timer_disarmed_by_another_due_at_the_same_time_does_not_fire);
    tcase_add_test(tc, test_virtual_loop_with_nothing_to_wait_for_reports_a_deadlock);
    tcase_add_test(tc, test_fd_handler_runs_when_a_pipe_has_data_and_not_before);
    tcase_add_test(tc, test_fd_deleted_by_another_handler_in_the_same_turn_is_not_called);
    tcase_add_test(tc, test_closed_fd_is_reported_once_then_no_longer_polled);
    tcase_add_test(tc, test_signals_arrive_as_events_and_sigterm_stops_the_loop);
    tcase_add_test(tc, test_before_sleep_hook_runs_each_turn_and_its_timers_count);
    tcase_add_test(tc, test_run_returns_after_stop_and_can_run_again);
    tcase_add_test(tc, test_real_clock_is_monotonic_and_a_timer_in_the_past_does_not_sleep);
    tcase_add_test(tc, test_service_is_called_on_input_and_when_due_and_follows_its_fd);
    tcase_add_test(tc, test_service_may_stop_itself);
    tcase_add_test(tc, test_busy_time_counts_the_work_of_a_turn_not_its_wait);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(loop_suite)
