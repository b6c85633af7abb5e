/* SPDX-License-Identifier: MIT */
/* The one bytes-to-message loop (twc_feed.h): every deframer event, decoded, under any chunking. */
#include <errno.h>
#include <string.h>

#include <check.h>

#include "drivers/twc/twc_feed.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

struct seen {
    enum twc_df_event_type type[16];
    uint64_t offset[16];
    int rc[16];
    uint16_t src[16];
    size_t n;
};

/* garbage, a good v2 link-ready, the same with a wrong checksum, a bad escape, a good one again */
static size_t stream(uint8_t *w, size_t cap)
{
    uint8_t good[32], bad[32];
    int n = amp_test_hex("fd e2 40 85 1d 0c 80 00 00 00 00 00 00 00 00 50", good, sizeof(good));
    ck_assert_int_eq(n, 16);
    memcpy(bad, good, 16);
    bad[15] ^= 1;
    size_t len = 0;
    w[len++] = 0x11;
    w[len++] = 0x22;
    w[len++] = 0x33;
    int k = twc_frame_wrap(good, 16, 0xFE, w + len, cap - len);
    ck_assert_int_gt(k, 0);
    len += (size_t)k;
    k = twc_frame_wrap(bad, 16, 0xFE, w + len, cap - len);
    ck_assert_int_gt(k, 0);
    len += (size_t)k;
    static const uint8_t esc[] = {0xC0, 0xFD, 0xE2, 0x40, 0x85, 0x1D, 0x0C, 0xDB, 0x01, 0x00,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0xC0, 0xFE};
    memcpy(w + len, esc, sizeof(esc));
    len += sizeof(esc);
    k = twc_frame_wrap(good, 16, 0xFE, w + len, cap - len);
    ck_assert_int_gt(k, 0);
    return len + (size_t)k;
}

static void run(const uint8_t *w, size_t len, size_t chunk, struct seen *s)
{
    struct twc_deframer df;
    twc_deframer_init(&df);
    memset(s, 0, sizeof(*s));
    for (size_t off = 0; off < len; off += chunk) {
        const uint8_t *p = w + off;
        size_t left = len - off < chunk ? len - off : chunk;
        struct twc_rx rx;
        while (twc_rx_next(&df, &p, &left, &rx) == 1) {
            ck_assert_uint_lt(s->n, 16);
            s->type[s->n] = rx.ev.type;
            s->offset[s->n] = rx.ev.offset;
            s->rc[s->n] = rx.rc;
            s->src[s->n] = rx.rc == 0 ? rx.msg.src : 0;
            s->n++;
        }
        ck_assert_uint_eq(left, 0);
    }
}

START_TEST(test_feed_reports_every_event_decoded)
{
    uint8_t w[128];
    size_t len = stream(w, sizeof(w));
    struct seen s;
    run(w, len, len, &s);
    ck_assert_uint_eq(s.n, 5);
    ck_assert_int_eq(s.type[0], TWC_DF_GARBAGE);
    ck_assert_int_eq(s.rc[0], -ENOMSG);
    ck_assert_int_eq(s.offset[0], 0);
    ck_assert_int_eq(s.type[1], TWC_DF_FRAME);
    ck_assert_int_eq(s.rc[1], 0);
    ck_assert_uint_eq(s.src[1], 0x4085);
    ck_assert_int_eq(s.offset[1], 3);
    ck_assert_int_eq(s.type[2], TWC_DF_FRAME);
    ck_assert_int_eq(s.rc[2], -EBADMSG);
    ck_assert_int_eq(s.type[3], TWC_DF_BAD_ESCAPE);
    ck_assert_int_eq(s.rc[3], -ENOMSG);
    ck_assert_int_eq(s.type[4], TWC_DF_FRAME);
    ck_assert_int_eq(s.rc[4], 0);
}

END_TEST

START_TEST(test_feed_any_chunking_gives_the_same_events)
{
    uint8_t w[128];
    size_t len = stream(w, sizeof(w));
    struct seen whole, part;
    run(w, len, len, &whole);
    for (size_t chunk = 1; chunk < len; chunk++) {
        run(w, len, chunk, &part);
        ck_assert_msg(memcmp(&whole, &part, sizeof(whole)) == 0, "chunk %zu", chunk);
    }
}

END_TEST

START_TEST(test_master_feed_counts_frames_handed_over)
{
    uint8_t w[128];
    size_t len = stream(w, sizeof(w));
    struct twc_master_config c;
    twc_master_config_init(&c);
    c.id = 0x7777;
    c.sign = 0x42;
    struct twc_master m;
    ck_assert_int_eq(twc_master_init(&m, &c, 0), 0);
    struct twc_deframer df;
    twc_deframer_init(&df);
    ck_assert_uint_eq(twc_master_feed(&m, &df, 10, w, len), 2);
    struct twc_master_event e;
    ck_assert_int_eq(twc_master_next_event(&m, &e), 0); /* drained */
}

END_TEST

static Suite *twc_feed_suite(void)
{
    Suite *s = suite_create("twc_feed");
    TCase *tc = tcase_create("feed");
    tcase_add_test(tc, test_feed_reports_every_event_decoded);
    tcase_add_test(tc, test_feed_any_chunking_gives_the_same_events);
    tcase_add_test(tc, test_master_feed_counts_frames_handed_over);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(twc_feed_suite)
