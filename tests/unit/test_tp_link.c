/* SPDX-License-Identifier: MIT */
/*
 * Reconnect with back-off (tp_link.h) in virtual time: a mem pair whose near end is wrapped in the
 * fault injector, unplugged and replugged while a fake clock advances.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "drivers/base/log.h"
#include "drivers/transport/tp.h"
#include "drivers/transport/tp_fault.h"
#include "drivers/transport/tp_link.h"
#include "drivers/transport/tp_mem.h"
#include "tests/support/check_main.h"

struct captured {
    int errs;
    int infos;
    char last_err[200];
    char last_info[200];
};

static void capture(void *ctx, enum log_level lvl, const char *mod, const char *line)
{
    struct captured *c = ctx;
    if (lvl == LOG_LEVEL_ERR) {
        c->errs++;
        snprintf(c->last_err, sizeof(c->last_err), "%s: %s", mod, line);
    } else if (lvl == LOG_LEVEL_INFO) {
        c->infos++;
        snprintf(c->last_info, sizeof(c->last_info), "%s: %s", mod, line);
    }
}

struct rig {
    struct captured log;
    struct tp *far; /* mem:a */
    struct tp *f;   /* fault(mem:b), owned by the link */
    struct tp_link *l;
};

static void rig_make(struct rig *r)
{
    struct tp *b;
    memset(r, 0, sizeof(*r));
    log_set_sink(capture, &r->log, LOG_LEVEL_INFO);
    ck_assert_int_eq(tp_mem_pair_new(&r->far, &b, 0, 0), 0);
    ck_assert_int_eq(tp_fault_wrap(b, 1, &r->f), 0);
    ck_assert_int_eq(tp_link_new(r->f, &r->l), 0);
}

static void rig_free(struct rig *r)
{
    tp_link_free(r->l);
    tp_free(r->far);
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
}

static uint64_t opens(const struct rig *r)
{
    struct tp_fault_stats st;
    ck_assert_int_eq(tp_fault_get_stats(r->f, &st), 0);
    return st.open_calls;
}

START_TEST(test_link_backs_off_doubling_to_30s_and_logs_loss_and_return_once)
{
    struct rig r;
    uint8_t buf[16];
    rig_make(&r);
    ck_assert_int_eq(tp_link_service(r.l, 0), 0);
    ck_assert(tp_link_is_up(r.l));
    ck_assert_uint_eq(tp_link_next_ms(r.l), UINT64_MAX);
    ck_assert_int_eq(tp_link_write(r.l, 0, (const uint8_t *)"hi", 2), 2);
    ck_assert_int_eq(tp_read(r.far, buf, sizeof(buf)), 2);

    /* Unplugged at t = 1000 ms: the next read reports it, once. */
    ck_assert_int_eq(tp_fault_set_unplugged(r.f, true), 0);
    ck_assert_int_eq(tp_link_read(r.l, 1000, buf, sizeof(buf)), -ENODEV);
    ck_assert(!tp_link_is_up(r.l));
    ck_assert_int_eq(tp_link_read(r.l, 1001, buf, sizeof(buf)), -ENOTCONN);
    ck_assert_int_eq(tp_link_write(r.l, 1001, buf, 1), -ENOTCONN);
    ck_assert_int_eq(tp_link_poll_fd(r.l), -1);
    ck_assert_int_eq(r.log.errs, 1);
    ck_assert_str_eq(r.log.last_err,
                     "tp: fault(mem:b): lost: No such device; reconnecting with back-off");
    ck_assert_uint_eq(tp_link_losses(r.l), 1);

    /* 0.5 s after the loss, then waits of 1, 2, 4, 8, 16 s, then 30 s (capped), by hand. */
    static const uint64_t attempts_ms[] = {1500, 2500, 4500, 8500, 16500, 32500, 62500, 92500};
    static const uint64_t next_ms[] = {2500, 4500, 8500, 16500, 32500, 62500, 92500, 122500};
    ck_assert_uint_eq(tp_link_next_ms(r.l), 1500);
    for (size_t i = 0; i < sizeof(attempts_ms) / sizeof(attempts_ms[0]); i++) {
        uint64_t before = opens(&r);
        ck_assert_int_eq(tp_link_service(r.l, attempts_ms[i] - 1), -ENODEV);
        ck_assert_uint_eq(opens(&r), before); /* not yet due */
        ck_assert_int_eq(tp_link_service(r.l, attempts_ms[i]), -ENODEV);
        ck_assert_uint_eq(opens(&r), before + 1);
        ck_assert_uint_eq(tp_link_next_ms(r.l), next_ms[i]);
    }
    ck_assert_int_eq(r.log.errs, 1); /* the attempts are silent */
    ck_assert_int_eq(r.log.infos, 0);

    /* Bytes sent while it was away are not waiting when it returns (the device was gone). */
    ck_assert_int_eq(tp_write(r.far, (const uint8_t *)"old", 3), 3);
    ck_assert_int_eq(tp_fault_set_unplugged(r.f, false), 0);
    ck_assert_int_eq(tp_link_service(r.l, 100000), -ENODEV); /* replugged, not yet due */
    ck_assert_int_eq(tp_link_service(r.l, 122500), 0);
    ck_assert(tp_link_is_up(r.l));
    ck_assert_int_eq(r.log.infos, 1);
    ck_assert_str_eq(r.log.last_info, "tp: fault(mem:b): back after 121500 ms (attempt 9)");
    ck_assert_int_eq(tp_link_read(r.l, 122501, buf, sizeof(buf)), 0);
    ck_assert_int_eq(tp_write(r.far, (const uint8_t *)"new", 3), 3);
    ck_assert_int_eq(tp_link_read(r.l, 122502, buf, sizeof(buf)), 3);
    ck_assert_mem_eq(buf, "new", 3);
    ck_assert_int_eq(r.log.errs, 1);
    rig_free(&r);
}

END_TEST

START_TEST(test_link_flapping_keeps_long_wait_stable_link_starts_short)
{
    struct rig r;
    uint8_t buf[4];
    rig_make(&r);
    ck_assert_int_eq(tp_link_service(r.l, 0), 0);
    /* Lost at 1000, fails at 1500 and 2500, back at 4500: the next wait is now 4 s. */
    tp_fault_set_unplugged(r.f, true);
    ck_assert_int_eq(tp_link_read(r.l, 1000, buf, sizeof(buf)), -ENODEV);
    ck_assert_int_eq(tp_link_service(r.l, 1500), -ENODEV);
    ck_assert_int_eq(tp_link_service(r.l, 2500), -ENODEV);
    tp_fault_set_unplugged(r.f, false);
    ck_assert_int_eq(tp_link_service(r.l, 4500), 0);
    /* Lost again after 10 s up (< 30 s): it keeps backing off, first retry 4 s later. */
    tp_fault_set_unplugged(r.f, true);
    ck_assert_int_eq(tp_link_write(r.l, 14500, buf, 1), -ENODEV);
    ck_assert_uint_eq(tp_link_next_ms(r.l), 18500);
    tp_fault_set_unplugged(r.f, false);
    ck_assert_int_eq(tp_link_service(r.l, 18500), 0);
    /* Up for 30 s: the next loss starts again from 0.5 s. */
    tp_fault_set_unplugged(r.f, true);
    ck_assert_int_eq(tp_link_read(r.l, 48500, buf, sizeof(buf)), -ENODEV);
    ck_assert_uint_eq(tp_link_next_ms(r.l), 49000);
    ck_assert_uint_eq(tp_link_losses(r.l), 3);
    ck_assert_int_eq(r.log.errs, 3);  /* one per loss */
    ck_assert_int_eq(r.log.infos, 2); /* one per return */
    rig_free(&r);
}

END_TEST

START_TEST(test_local_device_is_retried_every_second_however_often_it_dropped)
{
    struct rig r;
    uint8_t buf[4];
    rig_make(&r);
    /* the rig's fault(mem) stands for a local serial device */
    ck_assert_int_eq(tp_link_set_retry(r.l, TP_LINK_RETRY_FIXED), 0);
    ck_assert_int_eq(tp_link_service(r.l, 0), 0);
    /* it flaps ten times (each up < 30 s), then stays away for two minutes */
    uint64_t t = 1000;
    for (int i = 0; i < 10; i++) {
        tp_fault_set_unplugged(r.f, true);
        ck_assert_int_eq(tp_link_read(r.l, t, buf, sizeof(buf)), -ENODEV);
        ck_assert_uint_eq(tp_link_next_ms(r.l), t + TP_LINK_LOCAL_RETRY_MS);
        tp_fault_set_unplugged(r.f, false);
        t += TP_LINK_LOCAL_RETRY_MS;
        ck_assert_int_eq(tp_link_service(r.l, t), 0);
        t += 2000;
    }
    ck_assert_str_eq(r.log.last_err,
                     "tp: fault(mem:b): lost: No such device; reconnecting every 1000 ms");
    tp_fault_set_unplugged(r.f, true);
    ck_assert_int_eq(tp_link_read(r.l, t, buf, sizeof(buf)), -ENODEV);
    uint64_t down = t;
    for (int i = 1; i <= 120; i++) {
        uint64_t due = down + (uint64_t)i * TP_LINK_LOCAL_RETRY_MS;
        ck_assert_uint_eq(tp_link_next_ms(r.l), due);
        uint64_t before = opens(&r);
        ck_assert_int_eq(tp_link_service(r.l, due - 1), -ENODEV);
        ck_assert_uint_eq(opens(&r), before);
        ck_assert_int_eq(tp_link_service(r.l, due), -ENODEV);
        ck_assert_uint_eq(opens(&r), before + 1);
    }
    /* back: up within one interval of the replug, far inside a slave's 25 s */
    tp_fault_set_unplugged(r.f, false);
    uint64_t plugged = down + 120 * TP_LINK_LOCAL_RETRY_MS + 1;
    ck_assert_int_eq(tp_link_service(r.l, plugged), -ENODEV);
    ck_assert_uint_le(tp_link_next_ms(r.l) - plugged, TP_LINK_LOCAL_RETRY_MS);
    ck_assert_int_eq(tp_link_service(r.l, tp_link_next_ms(r.l)), 0);
    ck_assert_int_eq(r.log.errs, 11); /* one per loss, silent attempts */
    rig_free(&r);
}

END_TEST

START_TEST(test_retry_rule_follows_the_transport_kind)
{
    ck_assert_int_eq(tp_link_retry_for("serial"), TP_LINK_RETRY_FIXED);
    ck_assert_int_eq(tp_link_retry_for("pty"), TP_LINK_RETRY_FIXED);
    ck_assert_int_eq(tp_link_retry_for("tcp"), TP_LINK_RETRY_BACKOFF);
    ck_assert_int_eq(tp_link_retry_for("fault"), TP_LINK_RETRY_BACKOFF);
    ck_assert_int_eq(tp_link_retry_for(NULL), TP_LINK_RETRY_BACKOFF);
    /* a serial device that is not there: retried every second from the first failure on */
    struct captured log = {0};
    log_set_sink(capture, &log, LOG_LEVEL_INFO);
    struct tp_link *l;
    ck_assert_int_eq(
        tp_link_new_from_text("serial:/dev/ampshare-no-such-tty", TP_ROLE_CONNECT, &l, NULL, 0), 0);
    for (uint64_t t = 0; t < 20000; t += TP_LINK_LOCAL_RETRY_MS) {
        ck_assert_int_lt(tp_link_service(l, t), 0);
        ck_assert_uint_eq(tp_link_next_ms(l), t + TP_LINK_LOCAL_RETRY_MS);
    }
    ck_assert_int_eq(log.errs, 1);
    ck_assert_int_eq(tp_link_set_retry(l, 0), -EINVAL);
    tp_link_free(l);
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
}

END_TEST

START_TEST(test_link_absent_at_start_is_logged_once_and_retried)
{
    struct rig r;
    rig_make(&r);
    tp_fault_set_unplugged(r.f, true);
    ck_assert_int_eq(tp_link_service(r.l, 0), -ENODEV);
    ck_assert_str_eq(r.log.last_err,
                     "tp: fault(mem:b): cannot open: No such device; retrying with back-off");
    ck_assert_uint_eq(tp_link_next_ms(r.l), 500);
    ck_assert_int_eq(tp_link_service(r.l, 500), -ENODEV);
    ck_assert_uint_eq(tp_link_next_ms(r.l), 1500);
    tp_fault_set_unplugged(r.f, false);
    ck_assert_int_eq(tp_link_service(r.l, 1500), 0);
    ck_assert_int_eq(r.log.errs, 1);
    ck_assert_str_eq(r.log.last_info, "tp: fault(mem:b): back after 1500 ms (attempt 3)");
    ck_assert_uint_eq(tp_link_losses(r.l), 0);
    rig_free(&r);
}

END_TEST

START_TEST(test_link_failed_write_takes_it_down)
{
    struct rig r;
    rig_make(&r);
    ck_assert_int_eq(tp_link_service(r.l, 0), 0);
    tp_fault_fail_write(r.f, 1);
    ck_assert_int_eq(tp_link_write(r.l, 10, (const uint8_t *)"x", 1), -EIO);
    ck_assert_str_eq(r.log.last_err,
                     "tp: fault(mem:b): lost: Input/output error; reconnecting with back-off");
    ck_assert_uint_eq(tp_link_next_ms(r.l), 510);
    ck_assert_int_eq(tp_link_service(r.l, 510), 0); /* the fault was one write only */
    ck_assert_int_eq(tp_link_write(r.l, 511, (const uint8_t *)"y", 1), 1);
    rig_free(&r);
}

END_TEST

/* A transport whose open stays "in progress" for a scripted number of calls, like a TCP connect. */
struct slow {
    struct tp base;
    int pending_left; /* opens still answering -EINPROGRESS; < 0: forever */
    int closes;
    bool open;
};

static int slow_open(struct tp *t)
{
    struct slow *s = (struct slow *)t;
    if (s->pending_left != 0) {
        if (s->pending_left > 0) {
            s->pending_left--;
        }
        return -EINPROGRESS;
    }
    s->open = true;
    return 0;
}

static ssize_t slow_read(struct tp *t, uint8_t *buf, size_t cap)
{
    (void)t;
    (void)buf;
    (void)cap;
    return 0;
}

static ssize_t slow_write(struct tp *t, const uint8_t *buf, size_t len)
{
    (void)t;
    (void)buf;
    return (ssize_t)len;
}

static int slow_poll_fd(const struct tp *t)
{
    (void)t;
    return 42;
}

static void slow_close(struct tp *t)
{
    struct slow *s = (struct slow *)t;
    s->closes++;
    s->open = false;
}

static const struct tp_ops slow_ops = {
    .name = "slow",
    .open = slow_open,
    .read = slow_read,
    .write = slow_write,
    .poll_fd = slow_poll_fd,
    .close = slow_close,
};

START_TEST(test_link_open_in_progress_is_polled_then_times_out)
{
    struct captured log = {0};
    log_set_sink(capture, &log, LOG_LEVEL_INFO);
    struct slow *s = calloc(1, sizeof(*s));
    ck_assert_ptr_nonnull(s);
    s->base.ops = &slow_ops;
    strcpy(s->base.label, "slow:1");
    s->pending_left = -1;
    struct tp_link *l;
    ck_assert_int_eq(tp_link_new(&s->base, &l), 0);

    ck_assert_int_eq(tp_link_service(l, 0), -EINPROGRESS);
    ck_assert_int_eq(tp_link_poll_fd(l), 42); /* the loop may wait on the connecting socket */
    ck_assert_uint_eq(tp_link_next_ms(l), 50);
    ck_assert_int_eq(tp_link_service(l, 4999), -EINPROGRESS);
    ck_assert_int_eq(log.errs, 0);
    ck_assert_int_eq(tp_link_service(l, 5000), -ETIMEDOUT);
    ck_assert_int_eq(s->closes, 1);
    ck_assert_str_eq(log.last_err,
                     "tp: slow:1: cannot open: Connection timed out; retrying with back-off");
    ck_assert_uint_eq(tp_link_next_ms(l), 5500);

    s->pending_left = 1;
    ck_assert_int_eq(tp_link_service(l, 5500), -EINPROGRESS);
    ck_assert_int_eq(tp_link_service(l, 5550), 0);
    ck_assert(tp_link_is_up(l));
    ck_assert_str_eq(log.last_info, "tp: slow:1: back after 5550 ms (attempt 2)");
    tp_link_free(l);
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
}

END_TEST

START_TEST(test_link_from_text_reports_bad_address)
{
    struct tp_link *l = (struct tp_link *)&l;
    char err[128];
    ck_assert_int_eq(tp_link_new_from_text("tcp://nowhere", TP_ROLE_CONNECT, &l, err, sizeof(err)),
                     -EINVAL);
    ck_assert_ptr_null(l);
    ck_assert_str_eq(err, "address 'tcp://nowhere': expected tcp://host:port");
    ck_assert_int_eq(tp_link_new(NULL, &l), -EINVAL);
    ck_assert_ptr_null(l);
    ck_assert_int_eq(tp_link_service(NULL, 0), -EINVAL);
    tp_link_free(NULL);
}

END_TEST

static Suite *tp_link_suite(void)
{
    Suite *s = suite_create("tp_link");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_link_backs_off_doubling_to_30s_and_logs_loss_and_return_once);
    tcase_add_test(tc, test_link_flapping_keeps_long_wait_stable_link_starts_short);
    tcase_add_test(tc, test_link_absent_at_start_is_logged_once_and_retried);
    tcase_add_test(tc, test_local_device_is_retried_every_second_however_often_it_dropped);
    tcase_add_test(tc, test_retry_rule_follows_the_transport_kind);
    tcase_add_test(tc, test_link_failed_write_takes_it_down);
    tcase_add_test(tc, test_link_open_in_progress_is_polled_then_times_out);
    tcase_add_test(tc, test_link_from_text_reports_bad_address);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(tp_link_suite)
