/* SPDX-License-Identifier: MIT */
/*
 * Timing rules the byte-exact tests cannot see, in virtual time on the in-memory bus:
 *   - twc_bus keeps quiet until the half-duplex line has been idle TWC_BUS_LINE_IDLE_MS
 *     (twc-gen2.md §1, §6.6): ptys and the memory bus are full duplex, so talking over a slave
 *     never shows as a collision there; the clock here records when every byte goes out;
 *   - an unanswered FB EC version query is asked again only TWC_MASTER_INFO_RETRY_MS later, at
 *     most TWC_MASTER_INFO_TRIES times (docs/master.md; pre-4.5.3 firmware never answers it).
 */
#include <string.h>

#include <check.h>

#include "drivers/base/log.h"
#include "drivers/transport/tp_link.h"
#include "drivers/transport/tp_mem.h"
#include "drivers/twc/twc_bus.h"
#include "drivers/twc/twc_master.h"
#include "tests/support/check_main.h"

#define MID   0x7777
#define SLAVE 0x2019

static void quiet_sink(void *ctx, enum log_level lvl, const char *mod, const char *line)
{
    (void)ctx, (void)lvl, (void)mod, (void)line;
}

/* A master on one end of a memory pair; the test plays the rest of the line on the other. */
struct rig {
    struct tp_link *link;
    struct tp *peer;
    struct twc_bus bus;
};

static void rig_init(struct rig *r)
{
    memset(r, 0, sizeof(*r));
    log_set_sink(quiet_sink, NULL, LOG_LEVEL_WARN);
    struct tp *mine;
    ck_assert_int_eq(tp_mem_pair_new(&mine, &r->peer, 0, 0), 0);
    ck_assert_int_eq(tp_link_new(mine, &r->link), 0);
    struct twc_bus_config bc;
    twc_bus_config_init(&bc);
    bc.master.id = MID;
    bc.master.sign = 0x77;
    ck_assert_int_eq(twc_bus_init(&r->bus, r->link, &bc, 0), 0);
}

static void rig_fini(struct rig *r)
{
    tp_free(r->peer);
    tp_link_free(r->link);
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
}

/* Reads what the master put on the line; returns how many bytes. */
static size_t drain_peer(struct rig *r)
{
    uint8_t buf[256];
    size_t total = 0;
    ssize_t n;
    while ((n = tp_read(r->peer, buf, sizeof(buf))) > 0) {
        total += (size_t)n;
    }
    return total;
}

START_TEST(test_master_waits_until_the_line_has_been_idle_5_ms)
{
    struct rig r;
    rig_init(&r);
    /* A byte from someone else at t = 0, when the start-up burst is due: the first frame may go
     * out at t = 5 and not a millisecond earlier. */
    const uint8_t noise = 0x55;
    ck_assert_int_eq(tp_write(r.peer, &noise, 1), 1);
    uint64_t first_tx = UINT64_MAX;
    for (uint64_t t = 0; t <= 20 && first_tx == UINT64_MAX; t++) {
        ck_assert_int_eq(twc_bus_service(&r.bus, t), 0);
        if (drain_peer(&r) > 0) {
            first_tx = t;
        }
    }
    ck_assert_uint_eq(first_tx, TWC_BUS_LINE_IDLE_MS);
    rig_fini(&r);
}

END_TEST

START_TEST(test_master_never_transmits_into_traffic_on_the_line)
{
    struct rig r;
    rig_init(&r);
    /* Other talkers send a byte every 3 ms for 30 ms of every 50 (the line is never idle 5 ms
     * inside a burst). Every byte the master sends goes out >= 5 ms after the last one heard. */
    uint64_t last_heard = 0;
    bool heard = false;
    unsigned tx_times = 0;
    for (uint64_t t = 0; t < 2000; t++) {
        if (t % 50 < 30 && t % 3 == 0) {
            const uint8_t b = 0x55;
            ck_assert_int_eq(tp_write(r.peer, &b, 1), 1);
            last_heard = t;
            heard = true;
        }
        ck_assert_int_eq(twc_bus_service(&r.bus, t), 0);
        if (drain_peer(&r) > 0) {
            tx_times++;
            ck_assert_msg(!heard || t >= last_heard + TWC_BUS_LINE_IDLE_MS,
                          "the master transmitted at %llu ms, %llu ms after a byte on the line",
                          (unsigned long long)t, (unsigned long long)(t - last_heard));
        }
        /* the bus never asks to be woken while the line is still busy */
        if (heard && t < last_heard + TWC_BUS_LINE_IDLE_MS) {
            ck_assert_uint_ge(twc_bus_next_wakeup_ms(&r.bus), last_heard + TWC_BUS_LINE_IDLE_MS);
        }
    }
    /* the start-up burst (10 frames, 100 ms apart) did get out in the quiet gaps */
    ck_assert_uint_eq(tx_times, TWC_MASTER_BURST_FC_E1 + TWC_MASTER_BURST_FB_E2);
    rig_fini(&r);
}

END_TEST

/* ---- the pure master: an unanswered version query ---- */

/* §3 checksum: the sum of body[1..n-2]. */
static void seal(uint8_t *b, size_t len)
{
    unsigned sum = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        sum += b[i];
    }
    b[len - 1] = (uint8_t)sum;
}

static void feed(struct twc_master *m, uint64_t now, uint8_t *b, size_t len)
{
    seal(b, len);
    struct twc_msg msg;
    ck_assert_int_eq(twc_decode(b, len, &msg), 0);
    (void)twc_master_on_frame(m, now, &msg);
}

START_TEST(test_unanswered_version_query_is_retried_60_s_apart_three_times)
{
    struct twc_master_config c;
    twc_master_config_init(&c);
    c.id = MID;
    c.sign = 0x77;
    struct twc_master m;
    ck_assert_int_eq(twc_master_init(&m, &c, 0), 0);
    /* A v2 slave (16-byte frames) that answers every heartbeat and no query at all, as firmware
     * older than 4.5.3 does (§4.2). */
    uint64_t asked[8];
    unsigned n_asked = 0;
    bool linked = false;
    for (uint64_t t = 0; t <= 250000; t += 10) {
        if (t == 2000) {
            uint8_t lr[16] = {0xFD, 0xE2, SLAVE >> 8, SLAVE & 0xFF, 0x5A, 0x0C, 0x80};
            feed(&m, t, lr, sizeof(lr));
            linked = true;
        }
        struct twc_master_out out;
        ck_assert_int_ge(twc_master_poll(&m, t, &out), 0);
        struct twc_master_event ev;
        while (twc_master_next_event(&m, &ev) == 1) {
            ck_assert_int_ne(ev.type, TWC_MEV_SLAVE_DROPPED);
        }
        if (!out.has_frame || !linked) {
            continue;
        }
        if (out.msg.kind == TWC_KIND_VERSION_QUERY) {
            ck_assert_uint_lt(n_asked, 8);
            asked[n_asked++] = t;
        } else if (out.msg.kind == TWC_KIND_MASTER_HEARTBEAT) {
            uint8_t hb[16] = {0xFD, 0xE0, SLAVE >> 8, SLAVE & 0xFF, MID >> 8, MID & 0xFF, 0x00};
            feed(&m, t + 10, hb, sizeof(hb));
        }
    }
    ck_assert_uint_eq(n_asked, TWC_MASTER_INFO_TRIES);
    for (unsigned i = 1; i < n_asked; i++) {
        ck_assert_msg(asked[i] - asked[i - 1] >= TWC_MASTER_INFO_RETRY_MS,
                      "version query %u came %llu ms after the one before", i,
                      (unsigned long long)(asked[i] - asked[i - 1]));
    }
}

END_TEST

static Suite *twc_bus_suite(void)
{
    Suite *s = suite_create("twc_bus");
    TCase *tc = tcase_create("timing");
    tcase_add_test(tc, test_master_waits_until_the_line_has_been_idle_5_ms);
    tcase_add_test(tc, test_master_never_transmits_into_traffic_on_the_line);
    tcase_add_test(tc, test_unanswered_version_query_is_retried_60_s_apart_three_times);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(twc_bus_suite)
