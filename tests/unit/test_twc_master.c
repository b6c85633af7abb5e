/* SPDX-License-Identifier: MIT */
/*
 * The pure master with a fake clock: hand-made and captured frames in, exact bytes out.
 * Our ID is TWCManager's 7777 / sign 77 here, so every frame it sent in the captures of
 * twc-gen2.md §8 is an expected value as it stands; the other checksums are summed by hand in
 * the comments (§3: body[1..n-2], type byte excluded).
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "drivers/base/amp_err.h"
#include "drivers/twc/twc_codec.h"
#include "drivers/twc/twc_master.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

#define MID 0x7777

static void cfg_default(struct twc_master_config *c)
{
    twc_master_config_init(c);
    c->id = MID;
    c->sign = 0x77;
}

static void start(struct twc_master *m)
{
    struct twc_master_config c;
    cfg_default(&c);
    ck_assert_int_eq(twc_master_init(m, &c, 0), 0);
}

/* No info queries and no silence drop: for tests that look at heartbeats and pacing only. */
static void start_quiet(struct twc_master *m)
{
    struct twc_master_config c;
    cfg_default(&c);
    c.query_info = false;
    c.meter_period_ms = 0;
    c.slave_timeout_ms = 1000000000u;
    ck_assert_int_eq(twc_master_init(m, &c, 0), 0);
}

static void expect_wire(const struct twc_master_out *out, const char *hex)
{
    uint8_t want[64];
    int n = amp_test_hex(hex, want, sizeof(want));
    ck_assert_int_gt(n, 0);
    ck_assert_msg(out->has_frame, "expected a frame: %s", hex);
    ck_assert_uint_eq(out->wire_len, (size_t)n);
    ck_assert_mem_eq(out->wire, want, (size_t)n);
}

/* Runs the start-up burst; returns the time it is over. */
static uint64_t skip_burst(struct twc_master *m)
{
    struct twc_master_out out;
    uint64_t now = 0, last = 0;
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(twc_master_poll(m, now, &out), 1);
        last = now;
        now = out.next_ms;
    }
    /* nothing is due after the burst: no wake-up at all */
    ck_assert_uint_eq(out.next_ms, UINT64_MAX);
    return last + 100;
}

static void feed_body(struct twc_master *m, uint64_t now, const uint8_t *b, size_t len)
{
    struct twc_msg msg;
    ck_assert_int_eq(twc_decode(b, len, &msg), 0);
    (void)twc_master_on_frame(m, now, &msg);
}

static void feed_hex(struct twc_master *m, uint64_t now, const char *hex)
{
    uint8_t b[32];
    int n = amp_test_hex(hex, b, sizeof(b));
    ck_assert_int_gt(n, 0);
    feed_body(m, now, b, (size_t)n);
}

/* The test's own checksum (§3), independent of the codec. */
static void seal(uint8_t *b, size_t len)
{
    unsigned sum = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        sum += b[i];
    }
    b[len - 1] = (uint8_t)sum;
}

static void
feed_linkready(struct twc_master *m, uint64_t now, uint16_t id, uint16_t max_ca, size_t len)
{
    uint8_t b[20] = {
        0xFD, 0xE2, (uint8_t)(id >> 8), (uint8_t)id, 0x5A, (uint8_t)(max_ca >> 8), (uint8_t)max_ca};
    seal(b, len);
    feed_body(m, now, b, len);
}

static void feed_hb(struct twc_master *m,
                    uint64_t now,
                    uint16_t id,
                    uint8_t state,
                    uint16_t limit_ca,
                    uint16_t actual_ca,
                    size_t len)
{
    uint8_t b[20] = {0xFD,
                     0xE0,
                     (uint8_t)(id >> 8),
                     (uint8_t)id,
                     MID >> 8,
                     MID & 0xFF,
                     state,
                     (uint8_t)(limit_ca >> 8),
                     (uint8_t)limit_ca,
                     (uint8_t)(actual_ca >> 8),
                     (uint8_t)actual_ca};
    seal(b, len);
    feed_body(m, now, b, len);
}

static void
feed_text(struct twc_master *m, uint64_t now, uint8_t cmd, uint16_t id, const char *text)
{
    uint8_t b[20] = {0xFD, cmd, (uint8_t)(id >> 8), (uint8_t)id};
    memcpy(b + 4, text, strlen(text));
    seal(b, 20);
    feed_body(m, now, b, 20);
}

/* Decodes what the master sent (through the codec, not the master's own copy). */
static void decode_out(const struct twc_master_out *out, struct twc_msg *msg)
{
    ck_assert(out->has_frame);
    struct twc_deframer d;
    twc_deframer_init(&d);
    struct twc_df_event ev;
    size_t used = 0;
    ck_assert_int_eq(twc_deframer_push(&d, out->wire, out->wire_len, &used, &ev), 1);
    ck_assert_int_eq(ev.type, TWC_DF_FRAME);
    ck_assert_int_eq(twc_decode(ev.body, ev.len, msg), 0);
}

static bool
find_event(struct twc_master *m, enum twc_master_event_type type, struct twc_master_event *ev)
{
    while (twc_master_next_event(m, ev) == 1) {
        if (ev->type == type) {
            return true;
        }
    }
    return false;
}

static void drain(struct twc_master *m)
{
    struct twc_master_event ev;
    while (twc_master_next_event(m, &ev) == 1) {
    }
}

static uint64_t
next_frame(struct twc_master *m, uint64_t now, uint64_t limit, struct twc_master_out *out);

/* Links a slave at now: linkready, our answer (a command-00 heartbeat at the first free slot),
 * its first reply 20 ms later. Returns the time of that reply. */
static uint64_t
link_slave(struct twc_master *m, uint64_t now, uint16_t id, uint16_t max_ca, size_t len)
{
    struct twc_master_out out;
    feed_linkready(m, now, id, max_ca, len);
    now = next_frame(m, now, now + 1000, &out);
    struct twc_msg msg;
    decode_out(&out, &msg);
    ck_assert_int_eq(msg.kind, TWC_KIND_MASTER_HEARTBEAT);
    ck_assert_uint_eq(msg.dst, id);
    ck_assert_uint_eq(msg.u.mhb.cmd, 0x00);
    feed_hb(m, now + 20, id, 0x00, 0, 0, len);
    return now + 20;
}

/* Polls until a frame comes out (following next_ms, up to limit); returns its time. */
static uint64_t
next_frame(struct twc_master *m, uint64_t now, uint64_t limit, struct twc_master_out *out)
{
    for (int i = 0; i < 1000 && now <= limit; i++) {
        int rc = twc_master_poll(m, now, out);
        ck_assert_int_ge(rc, 0);
        if (rc == 1) {
            return now;
        }
        if (out->next_ms == UINT64_MAX) {
            break;
        }
        now = out->next_ms;
    }
    ck_abort_msg("no frame before %llu", (unsigned long long)limit);
    return 0;
}

START_TEST(test_startup_burst_is_five_fc_e1_then_five_fb_e2_100ms_apart)
{
    struct twc_master m;
    struct twc_master_out out;
    start(&m);
    for (int i = 0; i < 10; i++) {
        uint64_t t = (uint64_t)i * 100;
        if (i > 0) {
            ck_assert_int_eq(twc_master_poll(&m, t - 1, &out), 0);
            ck_assert_uint_eq(out.next_ms, t);
        }
        ck_assert_int_eq(twc_master_poll(&m, t, &out), 1);
        /* §8 captures of TWCManager's burst */
        expect_wire(&out, i < 5 ? "c0 fc e1 77 77 77 00 00 00 00 00 00 00 00 46 c0"
                                : "c0 fb e2 77 77 77 00 00 00 00 00 00 00 00 47 c0");
    }
    ck_assert_int_eq(twc_master_poll(&m, 5000, &out), 0);
    ck_assert_uint_eq(out.next_ms, UINT64_MAX);
}

END_TEST

START_TEST(test_trailer_option_appends_fe)
{
    struct twc_master m;
    struct twc_master_config c;
    struct twc_master_out out;
    cfg_default(&c);
    c.trailer = 0xFE;
    ck_assert_int_eq(twc_master_init(&m, &c, 0), 0);
    ck_assert_int_eq(twc_master_poll(&m, 0, &out), 1);
    expect_wire(&out, "c0 fc e1 77 77 77 00 00 00 00 00 00 00 00 46 c0 fe");
}

END_TEST

START_TEST(test_linkready_is_answered_at_once_with_the_captured_keepalive)
{
    struct twc_master m;
    struct twc_master_out out;
    struct twc_master_event ev;
    start(&m);
    uint64_t t = skip_burst(&m);
    /* §8 row 6: slave 2431, sign 2d, 32.00 A, v2 */
    feed_hex(&m, t + 7, "fd e2 24 31 2d 0c 80 00 00 00 00 00 00 00 00 f0");
    ck_assert_int_eq(twc_master_poll(&m, t + 7, &out), 1);
    expect_wire(&out, "c0 fb e0 77 77 24 31 00 00 00 00 00 00 00 00 00 23 c0");
    ck_assert(find_event(&m, TWC_MEV_SLAVE_LINKED, &ev));
    ck_assert_uint_eq(ev.slave_id, 0x2431);
    ck_assert_uint_eq(ev.u.link.proto, 2);
    ck_assert_uint_eq(ev.u.link.sign, 0x2d);
    ck_assert_int_eq(ev.u.link.max_ma, 32000);
    ck_assert(!ev.u.link.relink);
}

END_TEST

START_TEST(test_linkready_during_the_burst_is_answered_before_the_next_announcement)
{
    struct twc_master m;
    struct twc_master_out out;
    start(&m);
    ck_assert_int_eq(twc_master_poll(&m, 0, &out), 1); /* FC E1 #1 */
    feed_hex(&m, 40, "fd e2 24 31 2d 0c 80 00 00 00 00 00 00 00 00 f0");
    ck_assert_int_eq(twc_master_poll(&m, 100, &out), 1);
    expect_wire(&out, "c0 fb e0 77 77 24 31 00 00 00 00 00 00 00 00 00 23 c0");
}

END_TEST

START_TEST(test_v2_limit_uses_cmd_09_then_keepalive_once_echoed)
{
    struct twc_master m;
    struct twc_master_out out;
    start_quiet(&m);
    uint64_t t = link_slave(&m, skip_burst(&m), 0x4085, 0x0C80, 16);
    ck_assert_int_eq(twc_master_set_target(&m, t, 0x4085, 32000), 0);
    t = next_frame(&m, t, t + 1100, &out);
    /* §8: TWCManager's cmd 09, 32 A, captured */
    expect_wire(&out, "c0 fb e0 77 77 40 85 09 0c 80 00 00 00 00 00 00 28 c0");
    feed_hb(&m, t + 20, 0x4085, 0x01, 3200, 3120, 16);
    (void)next_frame(&m, t + 20, t + 1100, &out);
    /* cmd 00: e0+77+77+40+85 = 0x293 -> 93 */
    expect_wire(&out, "c0 fb e0 77 77 40 85 00 00 00 00 00 00 00 00 00 93 c0");
}

END_TEST

START_TEST(test_v1_slave_gets_14_byte_heartbeats_with_cmd_05)
{
    struct twc_master m;
    struct twc_master_out out;
    struct twc_master_slave_info info;
    start_quiet(&m);
    uint64_t t = skip_burst(&m);
    feed_linkready(&m, t, 0x022C, 0x0C80, 14);
    ck_assert_int_eq(twc_master_poll(&m, t, &out), 1);
    /* e0+77+77+02+2c = 0x1fc -> fc; 14 bytes (§9 #14) */
    expect_wire(&out, "c0 fb e0 77 77 02 2c 00 00 00 00 00 00 00 fc c0");
    feed_hb(&m, t + 20, 0x022C, 0x00, 0, 25, 14);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x022C, &info), 0);
    ck_assert_uint_eq(info.proto, 1);
    ck_assert_int_eq(twc_master_set_target(&m, t + 20, 0x022C, 22000), 0);
    next_frame(&m, t + 20, t + 1100, &out);
    /* §8 captured "05 08 98" (22 A), here in the slave's own 14 bytes: e0+77+77+02+2c+05+08+98
     * = 0x2a1 -> a1 */
    expect_wire(&out, "c0 fb e0 77 77 02 2c 05 08 98 00 00 00 00 a1 c0");
    /* v1 minimum is 5 A: 5.000 A passes, e0+..+2c+05+01+f4 = 0x2f6 -> f6 */
    ck_assert_int_eq(twc_master_set_target(&m, t + 1500, 0x022C, 5000), 0);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x022C, &info), 0);
    ck_assert_int_eq(info.offered_ma, 5000);
    next_frame(&m, t + 1500, t + 2600, &out);
    expect_wire(&out, "c0 fb e0 77 77 02 2c 05 01 f4 00 00 00 00 f6 c0");
}

END_TEST

START_TEST(test_heartbeat_cadence_is_one_per_second_per_slave)
{
    struct twc_master m;
    struct twc_master_out out;
    start_quiet(&m);
    uint64_t t = skip_burst(&m);
    t = link_slave(&m, t, 0x2019, 0x0C80, 16);
    t = link_slave(&m, t + 5, 0x4085, 0x0C80, 16);
    uint64_t last[2] = {0, 0};
    int count[2] = {0, 0};
    uint64_t end = t + 20000;
    while (t < end) {
        int rc = twc_master_poll(&m, t, &out);
        ck_assert_int_ge(rc, 0);
        if (rc == 1) {
            struct twc_msg msg;
            decode_out(&out, &msg);
            if (msg.kind == TWC_KIND_MASTER_HEARTBEAT) {
                int k = msg.dst == 0x2019 ? 0 : 1;
                if (last[k] != 0) {
                    ck_assert_uint_eq(t - last[k], 1000);
                }
                last[k] = t;
                count[k]++;
            }
            /* the slave answers 25 ms later */
            feed_hb(&m, t + 25, msg.dst, 0x00, 0, 0, 16);
            t += 25;
            continue;
        }
        ck_assert_uint_gt(out.next_ms, t);
        t = out.next_ms;
    }
    ck_assert_int_ge(count[0], 19);
    ck_assert_int_ge(count[1], 19);
}

END_TEST

START_TEST(test_one_exchange_at_a_time_reply_timeout_and_gap)
{
    struct twc_master m;
    struct twc_master_out out;
    struct twc_msg msg;
    start_quiet(&m);
    uint64_t t = skip_burst(&m);
    /* three linkreadies at once: answered one by one */
    feed_linkready(&m, t, 0x1001, 0x0C80, 16);
    feed_linkready(&m, t, 0x1002, 0x0C80, 16);
    feed_linkready(&m, t, 0x1003, 0x0C80, 16);
    ck_assert_int_eq(twc_master_poll(&m, t, &out), 1);
    decode_out(&out, &msg);
    ck_assert_uint_eq(msg.dst, 0x1001);
    /* the other two are due too, but the next wake-up is the reply timeout, not "now" */
    ck_assert_uint_eq(out.next_ms, t + 300);
    /* nothing while the reply is awaited: 300 ms (TWC_MASTER_REPLY_TIMEOUT_MS) */
    ck_assert_int_eq(twc_master_poll(&m, t + 299, &out), 0);
    ck_assert_uint_eq(out.next_ms, t + 300);
    ck_assert_int_eq(twc_master_poll(&m, t + 300, &out), 1);
    decode_out(&out, &msg);
    ck_assert_uint_eq(msg.dst, 0x1002);
    ck_assert_uint_eq(twc_master_get_stats(&m)->reply_timeouts, 1);
    /* a reply ends the exchange; the next frame waits the 50 ms gap */
    feed_hb(&m, t + 330, 0x1002, 0x00, 0, 0, 16);
    ck_assert_int_eq(twc_master_poll(&m, t + 330, &out), 0);
    ck_assert_uint_eq(out.next_ms, t + 380);
    ck_assert_int_eq(twc_master_poll(&m, t + 380, &out), 1);
    decode_out(&out, &msg);
    ck_assert_uint_eq(msg.dst, 0x1003);
}

END_TEST

START_TEST(test_own_echo_is_dropped_and_does_not_end_the_exchange)
{
    struct twc_master m;
    struct twc_master_out out;
    start_quiet(&m);
    ck_assert_int_eq(twc_master_poll(&m, 0, &out), 1);
    /* the adapter hands our linkready back (§1 "Echo", dracoventions #6) */
    feed_hex(&m, 5, "fc e1 77 77 77 00 00 00 00 00 00 00 00 46");
    ck_assert(!twc_master_clashed(&m));
    uint64_t t = 0;
    for (int i = 1; i < 10; i++) {
        t = next_frame(&m, t, 2000, &out);
    }
    t += 100;
    feed_linkready(&m, t, 0x2019, 0x0C80, 16);
    ck_assert_int_eq(twc_master_poll(&m, t, &out), 1);
    /* echo of our heartbeat (§8 capture "fb e0 77 77 20 19 00x9 07") */
    feed_hex(&m, t + 5, "fb e0 77 77 20 19 00 00 00 00 00 00 00 00 00 07");
    ck_assert_int_eq(twc_master_poll(&m, t + 10, &out), 0);
    ck_assert_uint_eq(out.next_ms, t + 300);
    ck_assert(!twc_master_clashed(&m));
    ck_assert_uint_eq(twc_master_get_stats(&m)->echoes, 2);
}

END_TEST

static const char *const clash_frames[] = {
    "fc e1 03 5d 39 00 00 00 00 00 00 00 00 7a", /* §8 row 2: a real master's linkready1 */
    "fb e2 03 5d 5f 00 00 00 00 00 00 00 00 a1", /* §8 row 1: a real master's linkready2 */
    /* a heartbeat from master 035d to 2019: e0+03+5d+20+19 = 0x179 -> 79 */
    "fb e0 03 5d 20 19 00 00 00 00 00 00 00 00 00 79",
};

START_TEST(test_another_master_silences_us_until_it_has_been_quiet_60_s)
{
    struct twc_master m;
    struct twc_master_out out;
    struct twc_master_event ev;
    start(&m);
    uint64_t t = link_slave(&m, skip_burst(&m), 0x2019, 0x0C80, 16);
    uint8_t b[32];
    int n = amp_test_hex(clash_frames[_i], b, sizeof(b));
    struct twc_msg msg;
    ck_assert_int_eq(twc_decode(b, (size_t)n, &msg), 0);
    /* one frame is a suspect only (it may be a slave's frame with a flipped type byte, §3) */
    ck_assert_int_eq(twc_master_on_frame(&m, t + 30, &msg), 0);
    ck_assert(!twc_master_clashed(&m));
    /* the second from the same ID within the window is evidence */
    ck_assert_int_eq(twc_master_on_frame(&m, t + 1030, &msg), AMP_ERR_MASTER_CLASH);
    ck_assert(twc_master_clashed(&m));
    ck_assert(find_event(&m, TWC_MEV_MASTER_CLASH, &ev));
    ck_assert_uint_eq(ev.slave_id, 0x035D);
    ck_assert_uint_eq(ev.u.clash.code, (uint16_t)(b[0] << 8 | b[1]));
    /* no frame while the other master talks, even for a new slave's linkready */
    feed_linkready(&m, t + 1040, 0x4085, 0x0C80, 16);
    uint64_t last = t + 1030;
    for (uint64_t now = t + 1040; now < t + 30000; now += 50) {
        if ((now - t) % 1000 == 0) {
            ck_assert_int_eq(twc_master_on_frame(&m, now, &msg), AMP_ERR_MASTER_CLASH);
            last = now;
        }
        ck_assert_int_eq(twc_master_poll(&m, now, &out), 0);
        /* woken for the slave's silence drop (26 s) and the end of the quiet time */
        ck_assert_uint_gt(out.next_ms, now);
        ck_assert_uint_le(out.next_ms, last + TWC_MASTER_CLASH_QUIET_MS);
    }
    /* one event, however many foreign frames */
    ck_assert(!find_event(&m, TWC_MEV_MASTER_CLASH, &ev));
    /* quiet for 60 s less 1 ms: still silent */
    ck_assert_int_eq(twc_master_poll(&m, last + TWC_MASTER_CLASH_QUIET_MS - 1, &out), 0);
    ck_assert(twc_master_clashed(&m));
    /* then it announces itself again (§6.1) under a fresh ID */
    uint64_t back = last + TWC_MASTER_CLASH_QUIET_MS;
    ck_assert_int_eq(twc_master_poll(&m, back, &out), 1);
    ck_assert(!twc_master_clashed(&m));
    ck_assert(find_event(&m, TWC_MEV_MASTER_RESUMED, &ev));
    ck_assert_uint_eq(ev.slave_id, 0x035D);
    ck_assert_uint_eq(ev.u.resumed.old_id, MID);
    uint16_t id = twc_master_id(&m);
    ck_assert_uint_eq(ev.u.resumed.new_id, id);
    ck_assert_uint_ne(id, MID);
    ck_assert_uint_ne(id, 0x035D);
    ck_assert_uint_ne(id, 0x0000);
    decode_out(&out, &msg);
    ck_assert_int_eq(msg.kind, TWC_KIND_MASTER_LINKREADY1);
    ck_assert_uint_eq(msg.src, id);
    ck_assert_uint_eq(twc_master_get_stats(&m)->clash_resumes, 1);
}

END_TEST

START_TEST(test_a_flipped_type_byte_is_not_another_master)
{
    struct twc_master m;
    struct twc_master_out out;
    start(&m);
    uint64_t t = link_slave(&m, skip_burst(&m), 0x2019, 0x0C80, 16);
    /* §3: the slave's reply FD E0 2019 -> 7777 with its type byte flipped to FB passes the
     * checksum and reads as a master heartbeat from 2019, every second for a minute */
    for (int i = 0; i < 60; i++) {
        uint8_t b[16] = {0xFB, 0xE0, 0x20, 0x19, MID >> 8, MID & 0xFF, 0x01};
        seal(b, sizeof(b));
        struct twc_msg msg;
        ck_assert_int_eq(twc_decode(b, sizeof(b), &msg), 0);
        ck_assert_int_eq(msg.kind, TWC_KIND_MASTER_HEARTBEAT);
        t += 1000;
        ck_assert_int_eq(twc_master_on_frame(&m, t, &msg), 0);
        feed_hb(&m, t + 20, 0x2019, 0x01, 0, 0, 16);
    }
    ck_assert(!twc_master_clashed(&m));
    ck_assert_int_eq(next_frame(&m, t + 30, t + 2000, &out) > 0, 1);
    /* an unlinked slave's linkready FD E2 turned into FB E2, once every 10 s (§6.2): each one
     * is a suspect, but never two within the window */
    for (int i = 0; i < 6; i++) {
        uint8_t b[16] = {0xFB, 0xE2, 0x40, 0x85, 0x5A, 0x0C, 0x80};
        seal(b, sizeof(b));
        struct twc_msg msg;
        ck_assert_int_eq(twc_decode(b, sizeof(b), &msg), 0);
        t += 10000;
        ck_assert_int_eq(twc_master_on_frame(&m, t, &msg), 0);
        feed_hb(&m, t + 20, 0x2019, 0x01, 0, 0, 16);
    }
    /* two suspects from different IDs are no evidence either */
    feed_hex(&m, t + 100, "fc e1 03 5d 39 00 00 00 00 00 00 00 00 7a");
    feed_hex(&m, t + 200, "fb e2 04 5d 5f 00 00 00 00 00 00 00 00 a2");
    ck_assert(!twc_master_clashed(&m));
    ck_assert_uint_eq(twc_master_get_stats(&m)->clash_suspects, 68);
}

END_TEST

START_TEST(test_fourth_slave_is_refused_and_reported_once_a_minute)
{
    struct twc_master m;
    struct twc_master_out out;
    struct twc_master_event ev;
    start(&m);
    uint64_t t = skip_burst(&m);
    t = link_slave(&m, t, 0x1001, 0x0C80, 16);
    t = link_slave(&m, t + 60, 0x1002, 0x0C80, 16);
    t = link_slave(&m, t + 60, 0x1003, 0x0C80, 16);
    drain(&m);
    t += 60;
    feed_linkready(&m, t, 0x1004, 0x0C80, 16);
    ck_assert(find_event(&m, TWC_MEV_TOO_MANY_SLAVES, &ev));
    ck_assert_uint_eq(ev.slave_id, 0x1004);
    ck_assert_uint_eq(twc_master_slave_count(&m), 3);
    /* nothing is ever sent to 1004 */
    for (uint64_t end = t + 5000; t < end;) {
        int rc = twc_master_poll(&m, t, &out);
        if (rc == 1) {
            struct twc_msg msg;
            decode_out(&out, &msg);
            ck_assert_uint_ne(msg.dst, 0x1004);
            feed_hb(&m, t + 20, msg.dst, 0, 0, 0, 16);
            t += 20;
        } else {
            t = out.next_ms;
        }
    }
    feed_linkready(&m, t, 0x1004, 0x0C80, 16);
    ck_assert(!find_event(&m, TWC_MEV_TOO_MANY_SLAVES, &ev));
    feed_linkready(&m, t + 60000, 0x1004, 0x0C80, 16);
    ck_assert(find_event(&m, TWC_MEV_TOO_MANY_SLAVES, &ev));
}

END_TEST

START_TEST(test_silent_slave_is_dropped_after_26_s_and_relinked)
{
    struct twc_master m;
    struct twc_master_out out;
    struct twc_master_event ev;
    start(&m);
    uint64_t t0 = link_slave(&m, skip_burst(&m), 0x2019, 0x0C80, 16);
    ck_assert_int_eq(twc_master_set_target(&m, t0, 0x2019, 16000), 0);
    drain(&m);
    /* heartbeats keep going while it is silent (TWCManager: 26 s, §6.4) */
    int sent = 0;
    uint64_t t = t0;
    while (t < t0 + 26000) {
        int rc = twc_master_poll(&m, t, &out);
        sent += rc;
        t = out.next_ms;
    }
    ck_assert_int_ge(sent, 25);
    ck_assert_uint_eq(t, t0 + 26000);
    ck_assert_int_eq(twc_master_poll(&m, t0 + 25999, &out), 0);
    ck_assert(!find_event(&m, TWC_MEV_SLAVE_DROPPED, &ev));
    ck_assert_int_eq(twc_master_poll(&m, t0 + 26000, &out), 0);
    /* its offer goes with it, then the drop itself */
    ck_assert_int_eq(twc_master_next_event(&m, &ev), 1);
    ck_assert_int_eq(ev.type, TWC_MEV_OFFER_CHANGED);
    ck_assert_int_eq(ev.u.offer.reason, TWC_OFFER_DROPPED);
    ck_assert_int_eq(ev.u.offer.old_ma, 16000);
    ck_assert_int_eq(ev.u.offer.new_ma, 0);
    ck_assert_int_eq(twc_master_next_event(&m, &ev), 1);
    ck_assert_int_eq(ev.type, TWC_MEV_SLAVE_DROPPED);
    ck_assert_uint_eq(ev.slave_id, 0x2019);
    ck_assert_uint_eq(twc_master_slave_count(&m), 0);
    ck_assert_uint_eq(out.next_ms, UINT64_MAX);
    /* it comes back: linked again at once */
    link_slave(&m, t0 + 40000, 0x2019, 0x0C80, 16);
    ck_assert(find_event(&m, TWC_MEV_SLAVE_LINKED, &ev));
    ck_assert(!ev.u.link.relink);
}

END_TEST

START_TEST(test_targets_round_down_respect_minimum_and_maximum)
{
    struct twc_master m;
    struct twc_master_slave_info info;
    start_quiet(&m);
    uint64_t t = link_slave(&m, skip_burst(&m), 0x4085, 0x0C80, 16);

    static const struct {
        int32_t ma, want;
    } cases[] = {
        {16999, 16000},                 /* whole amps, rounded down (§5.3) */
        {6000, 6000},                   /* the v2 minimum */
        {5999, 0},                      /* below it: stop, never a fraction (§5.3, §9 #15) */
        {1, 0},         {40000, 32000}, /* the slave's maximum (§5.2: it clamps nothing) */
        {0, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* far apart, so the §7.1 holds are over */
        t += 120000;
        feed_hb(&m, t, 0x4085, 0x01, 0, 0, 16);
        ck_assert_int_eq(twc_master_set_target(&m, t, 0x4085, cases[i].ma), 0);
        ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
        ck_assert_msg(info.offered_ma == cases[i].want, "%d mA -> %d", cases[i].ma,
                      info.offered_ma);
        ck_assert_int_eq(info.target_ma, cases[i].want);
    }
    /* a ceiling under the minimum allows nothing: 5.999 A on v2 is no headroom at all */
    ck_assert_int_eq(twc_master_set_target_ceiling(&m, t, 0x4085, 0, 5999), 0);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.ceiling_ma, 0);
    ck_assert_int_eq(twc_master_set_target_ceiling(&m, t, 0x4085, 6000, 40000), 0);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.ceiling_ma, 32000);
    ck_assert_int_eq(twc_master_set_target(&m, t, 0x4085, -1), -ERANGE);
    ck_assert_int_eq(twc_master_set_target(&m, t, 0x9999, 6000), -ENOENT);
}

END_TEST

START_TEST(test_stop_sends_a_zero_limit_on_every_heartbeat)
{
    struct twc_master m;
    struct twc_master_out out;
    start_quiet(&m);
    uint64_t t = link_slave(&m, skip_burst(&m), 0x4085, 0x0C80, 16);
    for (int i = 0; i < 5; i++) {
        t = next_frame(&m, t, t + 1100, &out);
        /* §7.1 Stopping: 09 00 00 every time even once echoed: e0+77+77+40+85+09 = 0x29c */
        expect_wire(&out, "c0 fb e0 77 77 40 85 09 00 00 00 00 00 00 00 00 9c c0");
        feed_hb(&m, t + 20, 0x4085, 0x03, 0, 0, 16);
        t += 20;
    }
}

END_TEST

START_TEST(test_safety_cut_goes_out_at_once)
{
    struct twc_master m;
    struct twc_master_out out;
    struct twc_master_event ev;
    struct twc_master_slave_info info;
    start_quiet(&m);
    uint64_t t = link_slave(&m, skip_burst(&m), 0x4085, 0x0C80, 16);
    ck_assert_int_eq(twc_master_set_target(&m, t, 0x4085, 32000), 0);
    t = next_frame(&m, t, t + 1100, &out);
    feed_hb(&m, t + 20, 0x4085, 0x01, 3200, 3100, 16);
    drain(&m);
    /* 100 ms after the reply the controller cuts to 10 A: no §7.1 rule may delay it */
    uint64_t cut = t + 120;
    ck_assert_int_eq(twc_master_set_target(&m, cut, 0x4085, 10000), 0);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 10000);
    ck_assert(find_event(&m, TWC_MEV_OFFER_CHANGED, &ev));
    ck_assert_int_eq(ev.u.offer.reason, TWC_OFFER_SAFETY);
    ck_assert_int_eq(ev.u.offer.new_ma, 10000);
    /* sent on the next free slot, not at the next 1 s heartbeat: 10 A = 03 e8,
     * e0+77+77+40+85+09+03+e8 = 0x387 -> 87 */
    ck_assert_int_eq(twc_master_poll(&m, cut, &out), 1);
    expect_wire(&out, "c0 fb e0 77 77 40 85 09 03 e8 00 00 00 00 00 00 87 c0");
}

END_TEST

START_TEST(test_spike_is_held_5_s_only_when_the_ceiling_allows_it)
{
    struct twc_master m;
    struct twc_master_out out;
    struct twc_master_slave_info info;
    start_quiet(&m);
    uint64_t t = link_slave(&m, skip_burst(&m), 0x4085, 0x0C80, 16);
    /* target 8 A, ceiling 32 A: §7.1 spike of 16 A (32 A slave) for 5 s */
    ck_assert_int_eq(twc_master_set_target_ceiling(&m, t, 0x4085, 8000, 32000), 0);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 16000);
    uint64_t s = t;
    (void)next_frame(&m, t, t + 1100, &out);
    /* 16 A = 06 40: e0+77+77+40+85+09+06+40 = 0x3e2 -> e2 */
    expect_wire(&out, "c0 fb e0 77 77 40 85 09 06 40 00 00 00 00 00 00 e2 c0");
    (void)twc_master_poll(&m, s + 4999, &out);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 16000);
    (void)twc_master_poll(&m, s + 5000, &out);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 8000);
    /* with ceiling == target (the default) there is no spike at all */
    struct twc_master m2;
    start_quiet(&m2);
    t = link_slave(&m2, skip_burst(&m2), 0x4085, 0x0C80, 16);
    ck_assert_int_eq(twc_master_set_target(&m2, t, 0x4085, 8000), 0);
    ck_assert_int_eq(twc_master_slave_find(&m2, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 8000);
    /* a ceiling just under the spike gives no spike either ("even 0.01 A below does not work") */
    ck_assert_int_eq(twc_master_set_target_ceiling(&m2, t + 70000, 0x4085, 10000, 15999), 0);
    ck_assert_int_eq(twc_master_slave_find(&m2, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 10000);
}

END_TEST

START_TEST(test_80_amp_slave_spikes_at_21_amps)
{
    struct twc_master m;
    struct twc_master_slave_info info;
    start_quiet(&m);
    /* 1f 40 = 80.00 A (§4.3) */
    uint64_t t = link_slave(&m, skip_burst(&m), 0x2019, 0x1F40, 16);
    ck_assert_int_eq(twc_master_set_target_ceiling(&m, t, 0x2019, 12000, 80000), 0);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x2019, &info), 0);
    ck_assert_int_eq(info.offered_ma, 21000);
}

END_TEST

START_TEST(test_comfort_cut_waits_5_s_but_a_lowered_ceiling_does_not)
{
    struct twc_master m;
    struct twc_master_slave_info info;
    struct twc_master_out out;
    start_quiet(&m);
    uint64_t t = link_slave(&m, skip_burst(&m), 0x4085, 0x0C80, 16);
    ck_assert_int_eq(twc_master_set_target_ceiling(&m, t, 0x4085, 32000, 32000), 0);
    /* 2 s later: target 20 A, but the controller says 32 A is still safe */
    ck_assert_int_eq(twc_master_set_target_ceiling(&m, t + 2000, 0x4085, 20000, 32000), 0);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 32000);
    (void)twc_master_poll(&m, t + 4999, &out);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 32000);
    (void)twc_master_poll(&m, t + 5000, &out);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 20000);
    /* 1 s after that cut the ceiling drops to 12 A: cut at once, no 5 s wait */
    ck_assert_int_eq(twc_master_set_target_ceiling(&m, t + 6000, 0x4085, 12000, 12000), 0);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 12000);
}

END_TEST

START_TEST(test_start_stop_holds_60_s)
{
    struct twc_master m;
    struct twc_master_slave_info info;
    struct twc_master_out out;
    start_quiet(&m);
    uint64_t t = link_slave(&m, skip_burst(&m), 0x4085, 0x0C80, 16);
    ck_assert_int_eq(twc_master_set_target(&m, t, 0x4085, 20000), 0); /* started at t */
    /* a comfort stop 10 s later: held at the 6 A minimum until 60 s after the start */
    ck_assert_int_eq(twc_master_set_target_ceiling(&m, t + 10000, 0x4085, 0, 20000), 0);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 6000);
    (void)twc_master_poll(&m, t + 59999, &out);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 6000);
    (void)twc_master_poll(&m, t + 60000, &out);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 0);
    /* stopped at t+60 s: a restart waits until t+120 s (holding at 0 is always safe) */
    ck_assert_int_eq(twc_master_set_target(&m, t + 70000, 0x4085, 20000), 0);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 0);
    (void)twc_master_poll(&m, t + 119999, &out);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 0);
    (void)twc_master_poll(&m, t + 120000, &out);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 20000);
    /* a safety stop (ceiling 0) 5 s after that start is immediate */
    ck_assert_int_eq(twc_master_set_target(&m, t + 125000, 0x4085, 0), 0);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x4085, &info), 0);
    ck_assert_int_eq(info.offered_ma, 0);
}

END_TEST

/* Answers whatever the master sends like a 4.5.3 slave would; returns the kind it sent. */
static enum twc_kind exchange(struct twc_master *m, uint64_t *t, uint16_t id, uint16_t actual_ca)
{
    struct twc_master_out out;
    struct twc_msg msg;
    *t = next_frame(m, *t, *t + 5000, &out);
    decode_out(&out, &msg);
    ck_assert_uint_eq(msg.dst, id);
    uint64_t r = *t + 20;
    switch (msg.kind) {
    case TWC_KIND_MASTER_HEARTBEAT:
        feed_hb(m, r, id, 0x01, msg.u.mhb.amps_ca, actual_ca, 16);
        break;
    case TWC_KIND_VERSION_QUERY:
        /* FD EC 4.5.3.2 (§8 row 16 layout), 16 bytes */
        {
            uint8_t b[16] = {0xFD, 0xEC, (uint8_t)(id >> 8), (uint8_t)id, 4, 5, 3, 2};
            seal(b, 16);
            feed_body(m, r, b, 16);
        }
        break;
    case TWC_KIND_SERIAL_QUERY:
        feed_text(m, r, 0xED, id, "A18F1234567");
        break;
    case TWC_KIND_METER_QUERY: {
        /* §8 row 12 layout: 924 kWh, 246/240/246 V, 20 bytes */
        uint8_t b[20] = {
            0xFD, 0xEB, (uint8_t)(id >> 8), (uint8_t)id, 0, 0, 0x03, 0x9c, 0, 0xf6, 0, 0xf0,
            0,    0xf6};
        seal(b, 20);
        feed_body(m, r, b, 20);
        break;
    }
    case TWC_KIND_VIN_QUERY_1:
        feed_text(m, r, 0xEE, id, "5YJ3E1E");
        break;
    case TWC_KIND_VIN_QUERY_2:
        feed_text(m, r, 0xEF, id, "A1JF000");
        break;
    case TWC_KIND_VIN_QUERY_3:
        feed_text(m, r, 0xF1, id, "001");
        break;
    default:
        ck_abort_msg("unexpected kind %d", msg.kind);
    }
    *t = r;
    return msg.kind;
}

START_TEST(test_info_queries_version_serial_meter_and_vin)
{
    struct twc_master m;
    struct twc_master_out out;
    struct twc_master_event ev;
    struct twc_master_slave_info info;
    start(&m);
    uint64_t t = link_slave(&m, skip_burst(&m), 0x2019, 0x0C80, 16);
    /* first: the version query, 16 bytes: ec+77+77+20+19 = 0x213 -> 13 */
    t = next_frame(&m, t, t + 1100, &out);
    expect_wire(&out, "c0 fb ec 77 77 20 19 00 00 00 00 00 00 00 00 00 13 c0");
    {
        uint8_t b[16] = {0xFD, 0xEC, 0x20, 0x19, 4, 5, 3, 2};
        seal(b, 16);
        feed_body(&m, t + 20, b, 16);
        t += 20;
    }
    ck_assert(find_event(&m, TWC_MEV_VERSION, &ev));
    ck_assert_uint_eq(ev.u.version.v[2], 3);
    int seen[TWC_KIND_COUNT] = {0};
    enum twc_kind order[16];
    int n = 0;
    for (int i = 0; i < 40; i++) {
        /* the car starts drawing 16 A after a few exchanges: VIN queries follow (§6.3) */
        enum twc_kind k = exchange(&m, &t, 0x2019, i >= 6 ? 1600 : 0);
        seen[k]++;
        if (k != TWC_KIND_MASTER_HEARTBEAT && n < 16) {
            order[n++] = k;
        }
    }
    ck_assert_int_eq(seen[TWC_KIND_SERIAL_QUERY], 1);
    ck_assert_int_eq(seen[TWC_KIND_METER_QUERY], 1);
    ck_assert_int_eq(seen[TWC_KIND_VIN_QUERY_1], 1);
    ck_assert_int_eq(seen[TWC_KIND_VIN_QUERY_2], 1);
    ck_assert_int_eq(seen[TWC_KIND_VIN_QUERY_3], 1);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(order[0], TWC_KIND_SERIAL_QUERY);
    ck_assert_int_eq(order[1], TWC_KIND_METER_QUERY);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x2019, &info), 0);
    ck_assert(info.ext);
    ck_assert(info.vin_known);
    ck_assert_str_eq(info.vin, "5YJ3E1EA1JF000001");
    ck_assert_str_eq(info.serial, "A18F1234567");
    ck_assert_uint_eq(info.meter.energy_raw, 924);
    ck_assert_uint_eq(info.meter.voltage_v[1], 240);
    bool vin = false, serial = false, meter = false;
    while (twc_master_next_event(&m, &ev) == 1) {
        if (ev.type == TWC_MEV_VIN) {
            ck_assert_str_eq(ev.u.text.text, "5YJ3E1EA1JF000001");
            vin = true;
        }
        serial |= ev.type == TWC_MEV_SERIAL;
        meter |= ev.type == TWC_MEV_METER;
    }
    ck_assert(vin && serial && meter);
}

END_TEST

START_TEST(test_heartbeats_go_before_info_queries)
{
    struct twc_master m;
    struct twc_master_out out;
    struct twc_msg msg;
    start(&m);
    uint64_t t = skip_burst(&m);
    t = link_slave(&m, t, 0x1001, 0x0C80, 16);
    t = link_slave(&m, t, 0x1002, 0x0C80, 16);
    /* both have version and meter queries due; let 1 s pass so both heartbeats are due too */
    t += 1000;
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(twc_master_poll(&m, t, &out), 1);
        decode_out(&out, &msg);
        ck_assert_int_eq(msg.kind, TWC_KIND_MASTER_HEARTBEAT);
        feed_hb(&m, t + 20, msg.dst, 0, 0, 0, 16);
        t += 70;
    }
    ck_assert_int_eq(twc_master_poll(&m, t, &out), 1);
    decode_out(&out, &msg);
    ck_assert_int_eq(msg.kind, TWC_KIND_VERSION_QUERY);
    /* no query storm: at most one info query per 500 ms (§6.3) */
    feed_hb(&m, t + 20, msg.dst, 0, 0, 0, 16);
    ck_assert_int_eq(twc_master_poll(&m, t + 70, &out), 0);
    ck_assert_uint_eq(out.next_ms, t + 500);
}

END_TEST

START_TEST(test_v1_and_pre_453_slaves_get_no_ext_queries)
{
    struct twc_master m;
    start(&m);
    uint64_t t = skip_burst(&m);
    t = link_slave(&m, t, 0x022C, 0x0C80, 14);
    for (int i = 0; i < 30; i++) {
        ck_assert_int_eq(exchange(&m, &t, 0x022C, 1600), TWC_KIND_MASTER_HEARTBEAT);
    }
}

END_TEST

START_TEST(test_slave_using_our_id_restarts_the_burst)
{
    struct twc_master m;
    struct twc_master_out out;
    struct twc_master_event ev;
    start(&m);
    uint64_t t = skip_burst(&m);
    feed_linkready(&m, t, MID, 0x0C80, 16);
    ck_assert(find_event(&m, TWC_MEV_ID_COLLISION, &ev));
    ck_assert_int_eq(twc_master_poll(&m, t, &out), 1);
    expect_wire(&out, "c0 fc e1 77 77 77 00 00 00 00 00 00 00 00 46 c0");
    ck_assert_uint_eq(twc_master_slave_count(&m), 0);
}

END_TEST

START_TEST(test_replies_to_another_master_are_ignored)
{
    struct twc_master m;
    struct twc_master_slave_info info;
    start(&m);
    uint64_t t = link_slave(&m, skip_burst(&m), 0x2019, 0x0C80, 16);
    /* FD E0 from 2019 to 1234: state 01, 10 A */
    uint8_t b[16] = {0xFD, 0xE0, 0x20, 0x19, 0x12, 0x34, 0x01, 0x03, 0xE8, 0x03, 0xE8};
    seal(b, 16);
    feed_body(&m, t + 100, b, 16);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x2019, &info), 0);
    ck_assert_int_eq(info.actual_ma, 0);
    ck_assert_uint_eq(twc_master_get_stats(&m)->foreign_dst, 1);
}

END_TEST

START_TEST(test_state_and_echo_events_and_getters)
{
    struct twc_master m;
    struct twc_master_event ev;
    struct twc_master_slave_info info;
    start(&m);
    uint64_t t = link_slave(&m, skip_burst(&m), 0x2019, 0x0C80, 16);
    drain(&m);
    /* §8 row 8: state 08, limit 6.00, actual 5.28 */
    feed_hex(&m, t + 1000, "fd e0 20 19 77 77 08 02 58 02 10 00 00 00 00 7b");
    ck_assert(find_event(&m, TWC_MEV_STATE_CHANGED, &ev));
    ck_assert_uint_eq(ev.u.state.old_state, 0x00);
    ck_assert_uint_eq(ev.u.state.new_state, 0x08);
    ck_assert(find_event(&m, TWC_MEV_LIMIT_ECHOED, &ev));
    ck_assert_int_eq(ev.u.limit.limit_ma, 6000);
    ck_assert_int_eq(twc_master_slave_find(&m, 0x2019, &info), 0);
    ck_assert_uint_eq(info.state, 0x08);
    ck_assert_int_eq(info.limit_ma, 6000);
    ck_assert_int_eq(info.actual_ma, 5280);
    ck_assert_uint_eq(info.last_heard_ms, t + 1000);
    ck_assert(info.replied);
    ck_assert_int_eq(twc_master_slave_at(&m, 0, &info), 0);
    ck_assert_uint_eq(info.id, 0x2019);
    ck_assert_int_eq(twc_master_slave_at(&m, 1, &info), -ENOENT);
}

END_TEST

START_TEST(test_init_validates_and_pick_id_avoids_reserved_ids)
{
    struct twc_master m;
    struct twc_master_config c;
    cfg_default(&c);
    c.id = 0;
    ck_assert_int_eq(twc_master_init(&m, &c, 0), -EINVAL);
    cfg_default(&c);
    c.trailer = 256;
    ck_assert_int_eq(twc_master_init(&m, &c, 0), -EINVAL);
    cfg_default(&c);
    c.reply_timeout_ms = c.hb_period_ms;
    ck_assert_int_eq(twc_master_init(&m, &c, 0), -EINVAL);
    for (uint64_t seed = 0; seed < 20000; seed++) {
        uint16_t id;
        uint8_t sign;
        twc_master_pick_id(seed, &id, &sign);
        ck_assert_uint_ne(id, 0x0000);
        ck_assert_uint_ne(id, 0x7777);
        ck_assert_uint_ne(id, 0xFFFF);
        ck_assert_uint_ne(id >> 8, 0xC0);
        ck_assert_uint_ne(id & 0xFF, 0xC0);
        ck_assert_uint_ne(id >> 8, 0xDB);
        ck_assert_uint_ne(id & 0xFF, 0xDB);
        ck_assert_uint_ne(sign, 0xC0);
        ck_assert_uint_ne(sign, 0xDB);
    }
}

END_TEST

START_TEST(test_clock_stepping_back_is_harmless)
{
    struct twc_master m;
    struct twc_master_out out;
    start(&m);
    ck_assert_int_eq(twc_master_poll(&m, 5000, &out), 1);
    ck_assert_int_eq(twc_master_poll(&m, 1000, &out), 0);
    ck_assert_uint_eq(out.next_ms, 5100);
}

END_TEST

START_TEST(test_event_queue_overflow_is_counted)
{
    struct twc_master m;
    start(&m);
    uint64_t t = link_slave(&m, skip_burst(&m), 0x2019, 0x0C80, 16);
    for (int i = 0; i < 40; i++) {
        feed_hb(&m, t + (uint64_t)i, 0x2019, (uint8_t)(i & 1), 0, 0, 16);
    }
    ck_assert_uint_gt(twc_master_get_stats(&m)->events_lost, 0);
}

END_TEST

/* §4.2, independently written: the only codes we may ever put on the wire. */
static bool code_on_list(uint16_t code)
{
    static const uint16_t ok[] = {0xFCE1, 0xFBE2, 0xFBE0, 0xFBEB, 0xFBEC,
                                  0xFBED, 0xFBEE, 0xFBEF, 0xFBF1};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (ok[i] == code) {
            return true;
        }
    }
    return false;
}

/* A random frame a bus could carry: mostly slave traffic from a few IDs, sometimes anything. */
static size_t random_frame(uint64_t *rng, uint8_t *b)
{
    static const uint16_t ids[] = {0x1001, 0x1002, 0x1003, 0x1004, 0x2019};
    static const uint8_t cmds[] = {0xE2, 0xE0, 0xEB, 0xEC, 0xED, 0xEE, 0xEF, 0xF1, 0xB1};
    static const size_t lens[] = {13, 14, 15, 16, 20};
    uint64_t r = amp_test_rand(rng);
    size_t len = lens[r % 5];
    memset(b, 0, 20);
    b[0] = 0xFD;
    b[1] = cmds[(r >> 8) % sizeof(cmds)];
    uint16_t id = ids[(r >> 16) % 5];
    b[2] = (uint8_t)(id >> 8);
    b[3] = (uint8_t)id;
    b[4] = MID >> 8;
    b[5] = MID & 0xFF;
    for (size_t i = 4; i + 1 < len; i++) {
        if ((amp_test_rand(rng) & 3) == 0) {
            b[i] = (uint8_t)amp_test_rand(rng);
        }
    }
    if (b[1] == 0xE2) {
        b[5] = 0x0C; /* a sane maximum most of the time */
    }
    if ((r >> 32) % 50 == 0) {
        /* anything at all, masters and unknown codes included */
        b[0] = (uint8_t)(0xFB + (r >> 40) % 3);
        b[1] = (uint8_t)(r >> 48);
    }
    seal(b, len);
    return len;
}

START_TEST(test_random_traffic_never_makes_the_master_send_a_forbidden_or_unsafe_frame)
{
    uint64_t seed = amp_test_seed();
    uint64_t total_hb = 0, total_q = 0, total_set = 0;
    for (int run = 0; run < 200; run++) {
        uint64_t rng = seed + (uint64_t)run;
        struct twc_master m;
        struct twc_master_out out;
        start(&m);
        uint64_t t = 0;
        for (int step = 0; step < 600; step++) {
            uint64_t r = amp_test_rand(&rng);
            t += r % 700;
            if ((r >> 20) % 4 == 0) {
                uint8_t b[20];
                size_t len = random_frame(&rng, b);
                struct twc_msg msg;
                if (twc_decode(b, len, &msg) == 0) {
                    (void)twc_master_on_frame(&m, t, &msg);
                }
            }
            if ((r >> 24) % 8 == 0) {
                uint16_t id = (r >> 28) % 2 ? 0x1001 : 0x2019;
                int32_t target = (int32_t)((r >> 32) % 90000);
                int32_t ceil = target + (int32_t)((r >> 48) % 30000);
                (void)twc_master_set_target_ceiling(&m, t, id, target, ceil);
            }
            int rc = twc_master_poll(&m, t, &out);
            ck_assert_msg(rc >= 0, "seed %llu run %d", (unsigned long long)seed, run);
            /* never a wake-up in the past: the bus driver would spin */
            ck_assert_uint_gt(out.next_ms, t);
            if (rc == 1) {
                struct twc_msg sent;
                decode_out(&out, &sent);
                ck_assert_msg(code_on_list(sent.code), "sent %04x (seed %llu)", sent.code,
                              (unsigned long long)seed);
                ck_assert_uint_eq(sent.src, MID);
                total_q += sent.kind != TWC_KIND_MASTER_HEARTBEAT &&
                           sent.kind != TWC_KIND_MASTER_LINKREADY1 &&
                           sent.kind != TWC_KIND_MASTER_LINKREADY2;
                if (sent.kind == TWC_KIND_MASTER_HEARTBEAT) {
                    struct twc_master_slave_info info;
                    total_hb++;
                    total_set += sent.u.mhb.amps_ca > 0;
                    ck_assert_int_eq(twc_master_slave_find(&m, sent.dst, &info), 0);
                    ck_assert(sent.u.mhb.cmd == 0x00 || sent.u.mhb.cmd == 0x05 ||
                              sent.u.mhb.cmd == 0x09);
                    ck_assert_int_le(sent.u.mhb.amps_ca * 10, info.max_ma);
                    ck_assert_int_le(info.offered_ma, info.ceiling_ma);
                    ck_assert(sent.u.mhb.amps_ca == 0 || sent.u.mhb.amps_ca % 100 == 0);
                    ck_assert(sent.u.mhb.amps_ca == 0 || sent.u.mhb.amps_ca >= 500);
                }
            }
            drain(&m);
        }
        ck_assert_uint_eq(twc_master_get_stats(&m)->guard_refusals, 0);
    }
    /* the traffic did reach the interesting paths */
    fprintf(stderr, "random traffic: %llu heartbeats (%llu with a limit), %llu queries\n",
            (unsigned long long)total_hb, (unsigned long long)total_set,
            (unsigned long long)total_q);
    ck_assert_uint_gt(total_hb, 1000);
    ck_assert_uint_gt(total_set, 100);
    ck_assert_uint_gt(total_q, 50);
}

END_TEST

static Suite *master_suite(void)
{
    Suite *s = suite_create("twc_master");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_startup_burst_is_five_fc_e1_then_five_fb_e2_100ms_apart);
    tcase_add_test(tc, test_trailer_option_appends_fe);
    tcase_add_test(tc, test_linkready_is_answered_at_once_with_the_captured_keepalive);
    tcase_add_test(tc, test_linkready_during_the_burst_is_answered_before_the_next_announcement);
    tcase_add_test(tc, test_v2_limit_uses_cmd_09_then_keepalive_once_echoed);
    tcase_add_test(tc, test_v1_slave_gets_14_byte_heartbeats_with_cmd_05);
    tcase_add_test(tc, test_heartbeat_cadence_is_one_per_second_per_slave);
    tcase_add_test(tc, test_one_exchange_at_a_time_reply_timeout_and_gap);
    tcase_add_test(tc, test_own_echo_is_dropped_and_does_not_end_the_exchange);
    tcase_add_loop_test(tc, test_another_master_silences_us_until_it_has_been_quiet_60_s, 0,
                        (int)(sizeof(clash_frames) / sizeof(clash_frames[0])));
    tcase_add_test(tc, test_a_flipped_type_byte_is_not_another_master);
    tcase_add_test(tc, test_fourth_slave_is_refused_and_reported_once_a_minute);
    tcase_add_test(tc, test_silent_slave_is_dropped_after_26_s_and_relinked);
    tcase_add_test(tc, test_targets_round_down_respect_minimum_and_maximum);
    tcase_add_test(tc, test_stop_sends_a_zero_limit_on_every_heartbeat);
    tcase_add_test(tc, test_safety_cut_goes_out_at_once);
    tcase_add_test(tc, test_spike_is_held_5_s_only_when_the_ceiling_allows_it);
    tcase_add_test(tc, test_80_amp_slave_spikes_at_21_amps);
    tcase_add_test(tc, test_comfort_cut_waits_5_s_but_a_lowered_ceiling_does_not);
    tcase_add_test(tc, test_start_stop_holds_60_s);
    tcase_add_test(tc, test_info_queries_version_serial_meter_and_vin);
    tcase_add_test(tc, test_heartbeats_go_before_info_queries);
    tcase_add_test(tc, test_v1_and_pre_453_slaves_get_no_ext_queries);
    tcase_add_test(tc, test_slave_using_our_id_restarts_the_burst);
    tcase_add_test(tc, test_replies_to_another_master_are_ignored);
    tcase_add_test(tc, test_state_and_echo_events_and_getters);
    tcase_add_test(tc, test_init_validates_and_pick_id_avoids_reserved_ids);
    tcase_add_test(tc, test_clock_stepping_back_is_harmless);
    tcase_add_test(tc, test_event_queue_overflow_is_counted);
    tcase_add_test(tc, test_random_traffic_never_makes_the_master_send_a_forbidden_or_unsafe_frame);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(master_suite)
