/* SPDX-License-Identifier: MIT */
/*
 * The streaming deframer (twc-gen2.md §2.1, §2.2, §2.4): chunking, delimiters, trailers, escapes,
 * overlong frames, garbage and truncation. Expected events are literals.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <check.h>

#include "drivers/twc/twc_codec.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

#define MAX_EVENTS 512

struct run {
    struct twc_df_event ev[MAX_EVENTS];
    size_t n;
    int last_rc;
};

/* Feeds data in chunks of `chunk` bytes (0 = random sizes from *rng); records every event. */
static void feed(struct twc_deframer *d,
                 const uint8_t *data,
                 size_t len,
                 size_t chunk,
                 uint64_t *rng,
                 struct run *r)
{
    size_t pos = 0;
    while (pos < len) {
        size_t c = chunk ? chunk : 1 + (size_t)(amp_test_rand(rng) % 64);
        size_t end = pos + c < len ? pos + c : len;
        while (pos < end) {
            size_t used = 0;
            int rc = twc_deframer_push(d, data + pos, end - pos, &used, &r->ev[r->n]);
            ck_assert_uint_le(used, end - pos);
            pos += used;
            r->last_rc = rc;
            if (rc == 1) {
                ck_assert_uint_lt(r->n + 1, MAX_EVENTS);
                r->n++;
            } else {
                ck_assert_int_eq(rc, -EAGAIN);
                ck_assert_uint_eq(pos, end);
            }
        }
    }
}

static void run_all(const uint8_t *data, size_t len, size_t chunk, uint64_t *rng, struct run *r)
{
    struct twc_deframer d;
    twc_deframer_init(&d);
    memset(r, 0, sizeof(*r));
    feed(&d, data, len, chunk, rng, r);
}

static size_t hex(const char *text, uint8_t *out, size_t cap)
{
    int n = amp_test_hex(text, out, cap);
    ck_assert_int_ge(n, 0);
    return (size_t)n;
}

static void check_frame(const struct twc_df_event *ev, uint64_t offset, const char *body)
{
    uint8_t want[TWC_BODY_MAX];
    size_t n = hex(body, want, sizeof(want));
    ck_assert_int_eq(ev->type, TWC_DF_FRAME);
    ck_assert_uint_eq(ev->offset, offset);
    ck_assert_uint_eq(ev->len, n);
    ck_assert_mem_eq(ev->body, want, n);
}

static void
check_skip(const struct twc_df_event *ev, enum twc_df_event_type type, uint64_t offset, size_t len)
{
    ck_assert_int_eq(ev->type, type);
    ck_assert_uint_eq(ev->offset, offset);
    ck_assert_uint_eq(ev->len, len);
}

/* clang-format off */
#define SEED1 "fb e2 03 5d 5f 00 00 00 00 00 00 00 00 a1"
#define SEED2 "fc e1 03 5d 39 00 00 00 00 00 00 00 00 7a"
#define SEED3 "fc 1d 00 00 00 00 00 00 00 00 00 00 00 1d"
#define SHB2  "fd e0 20 19 77 77 08 02 58 02 10 00 00 00 00 7b"
#define MHB48 "fb e0 77 77 03 5d 05 12 c0 00 00 00 00 05"
#define MHB48_WIRE "c0 fb e0 77 77 03 5d 05 12 db dc 00 00 00 00 05 c0"

/* clang-format on */

START_TEST(test_seed_stream_yields_three_frames_at_their_offsets)
{
    uint8_t w[128];
    size_t n = hex("c0 " SEED1 " c0 fe c0 " SEED2 " c0 fe c0 " SEED3 " c0", w, sizeof(w));
    struct run r;
    run_all(w, n, 4096, NULL, &r);
    ck_assert_uint_eq(r.n, 3);
    check_frame(&r.ev[0], 0, SEED1);
    check_frame(&r.ev[1], 17, SEED2);
    check_frame(&r.ev[2], 34, SEED3);
}

END_TEST

START_TEST(test_c0_fe_c0_yields_nothing)
{
    /* §2.4: a trailer between two delimiters is not a 1-byte frame. */
    const uint8_t w[] = {0xc0, 0xfe, 0xc0};
    struct twc_deframer d;
    twc_deframer_init(&d);
    struct run r;
    memset(&r, 0, sizeof(r));
    feed(&d, w, sizeof(w), 4096, NULL, &r);
    ck_assert_uint_eq(r.n, 0);
    ck_assert_int_eq(r.last_rc, -EAGAIN);
    ck_assert_uint_eq(d.stats.short_noise, 1);
    ck_assert_uint_eq(d.stats.garbage_bytes, 1);
    ck_assert_uint_eq(d.stats.frames, 0);
}

END_TEST

START_TEST(test_c0_c0_is_an_empty_frame_to_skip)
{
    uint8_t w[64];
    size_t n = hex("c0 c0 c0 c0 " SEED1 " c0 c0", w, sizeof(w));
    struct run r;
    run_all(w, n, 4096, NULL, &r);
    ck_assert_uint_eq(r.n, 1);
    check_frame(&r.ev[0], 3, SEED1);
}

END_TEST

START_TEST(test_shared_delimiter_between_frames_loses_neither)
{
    /* §2.4: every C0 ends one frame and starts the next, with or without a trailer. */
    uint8_t w[64];
    size_t n = hex("c0 " SEED1 " c0 " SEED2 " c0", w, sizeof(w));
    struct run r;
    run_all(w, n, 4096, NULL, &r);
    ck_assert_uint_eq(r.n, 2);
    check_frame(&r.ev[0], 0, SEED1);
    check_frame(&r.ev[1], 15, SEED2);
}

END_TEST

START_TEST(test_escaped_limit_is_unescaped)
{
    uint8_t w[64];
    size_t n = hex(MHB48_WIRE " fe", w, sizeof(w));
    struct run r;
    run_all(w, n, 4096, NULL, &r);
    ck_assert_uint_eq(r.n, 1);
    check_frame(&r.ev[0], 0, MHB48);
}

END_TEST

START_TEST(test_overlong_frame_is_dropped_and_next_frame_kept)
{
    /* 21 body bytes: one more than the 20 of §2.3. */
    uint8_t w[96];
    size_t n =
        hex("c0 fd ee 60 90 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 de 00 c0 " SEED1 " c0", w,
            sizeof(w));
    struct twc_deframer d;
    twc_deframer_init(&d);
    struct run r;
    memset(&r, 0, sizeof(r));
    feed(&d, w, n, 4096, NULL, &r);
    ck_assert_uint_eq(r.n, 2);
    check_skip(&r.ev[0], TWC_DF_OVERLONG, 0, 21);
    check_frame(&r.ev[1], 22, SEED1);
    ck_assert_uint_eq(d.stats.overlong, 1);
    ck_assert_uint_eq(d.stats.frames, 1);
}

END_TEST

START_TEST(test_escapes_count_once_toward_the_maximum)
{
    /* 20 body bytes, all escaped (40 wire bytes): still a frame, not overlong. */
    uint8_t w[64];
    size_t n = 0;
    w[n++] = 0xc0;
    for (int i = 0; i < 20; i++) {
        w[n++] = 0xdb;
        w[n++] = 0xdd;
    }
    w[n++] = 0xc0;
    struct run r;
    run_all(w, n, 4096, NULL, &r);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_int_eq(r.ev[0].type, TWC_DF_FRAME);
    ck_assert_uint_eq(r.ev[0].len, 20);
    ck_assert_uint_eq(r.ev[0].body[19], 0xdb);
}

END_TEST

START_TEST(test_bad_escape_drops_frame_and_keeps_next)
{
    uint8_t w[96];
    /* DB 00 is no escape (§2.1). */
    size_t n =
        hex("c0 fb e0 77 77 03 5d 05 12 db 00 00 00 00 00 05 c0 fe c0 " SEED2 " c0", w, sizeof(w));
    struct twc_deframer d;
    twc_deframer_init(&d);
    struct run r;
    memset(&r, 0, sizeof(r));
    feed(&d, w, n, 4096, NULL, &r);
    ck_assert_uint_eq(r.n, 2);
    check_skip(&r.ev[0], TWC_DF_BAD_ESCAPE, 0, 15);
    check_frame(&r.ev[1], 18, SEED2);
    ck_assert_uint_eq(d.stats.bad_escape, 1);
}

END_TEST

START_TEST(test_escape_cut_by_delimiter_is_bad_and_delimiter_still_counts)
{
    /* The frame ends in DB: bad escape; the C0 after it still opens the next frame. */
    uint8_t w[96];
    size_t n = hex("c0 fb e0 77 77 03 5d 05 12 00 00 00 00 00 05 db c0 " SEED2 " c0", w, sizeof(w));
    struct run r;
    run_all(w, n, 4096, NULL, &r);
    ck_assert_uint_eq(r.n, 2);
    check_skip(&r.ev[0], TWC_DF_BAD_ESCAPE, 0, 15);
    check_frame(&r.ev[1], 16, SEED2);
}

END_TEST

START_TEST(test_garbage_before_first_and_between_frames_is_reported)
{
    uint8_t w[96];
    size_t n = hex("11 22 33 c0 " SEED1 " c0 fe 7c 00 c0 " SEED2 " c0 fc", w, sizeof(w));
    struct twc_deframer d;
    twc_deframer_init(&d);
    struct run r;
    memset(&r, 0, sizeof(r));
    feed(&d, w, n, 4096, NULL, &r);
    ck_assert_uint_eq(r.n, 4);
    check_skip(&r.ev[0], TWC_DF_GARBAGE, 0, 3);
    check_frame(&r.ev[1], 3, SEED1);
    check_skip(&r.ev[2], TWC_DF_GARBAGE, 19, 3); /* fe 7c 00: trailer plus Wired-Square's 7c 00 */
    check_frame(&r.ev[3], 22, SEED2);
    ck_assert_uint_eq(d.stats.garbage_bytes, 6);
    /* The final trailer (fc) is pending: finish() counts it and reports nothing. */
    struct twc_df_event ev;
    ck_assert_int_eq(twc_deframer_finish(&d, &ev), 0);
    ck_assert_uint_eq(d.stats.garbage_bytes, 7);
}

END_TEST

START_TEST(test_finish_reports_incomplete_frame_then_resyncs)
{
    uint8_t w[64];
    size_t n = hex("c0 " SEED1 " c0 fd e0 20 19", w, sizeof(w));
    struct twc_deframer d;
    twc_deframer_init(&d);
    struct run r;
    memset(&r, 0, sizeof(r));
    feed(&d, w, n, 4096, NULL, &r);
    ck_assert_uint_eq(r.n, 1);
    struct twc_df_event ev;
    ck_assert_int_eq(twc_deframer_finish(&d, &ev), 1);
    check_skip(&ev, TWC_DF_GARBAGE, 16, 4);
    ck_assert_int_eq(twc_deframer_finish(&d, &ev), 0);
    /* Garbage with no C0 at all is reported by finish() too. */
    twc_deframer_init(&d);
    memset(&r, 0, sizeof(r));
    feed(&d, w + 1, 5, 4096, NULL, &r);
    ck_assert_uint_eq(r.n, 0);
    ck_assert_int_eq(twc_deframer_finish(&d, &ev), 1);
    check_skip(&ev, TWC_DF_GARBAGE, 0, 5);
}

END_TEST

START_TEST(test_every_truncation_needs_more_and_gives_no_frame)
{
    /* Each prefix short of the closing C0 gives -EAGAIN and no event; the rest then gives the
     * frame exactly once. */
    static const char *const wires[] = {
        "c0 " SEED1 " c0 fe",
        MHB48_WIRE,
        "c0 fb e0 77 77 40 85 09 0f db dd 00 00 00 00 00 00 86 c0 fe",
        "c0 fd eb 60 61 00 a3 20 ec 00 f1 00 00 00 00 00 00 00 00 00 4c c0 fc",
    };
    for (size_t i = 0; i < sizeof(wires) / sizeof(wires[0]); i++) {
        uint8_t w[64];
        size_t n = hex(wires[i], w, sizeof(w));
        size_t close = n - 1;
        while (w[close] != 0xc0) {
            close--;
        }
        for (size_t k = 0; k <= close; k++) {
            struct twc_deframer d;
            twc_deframer_init(&d);
            struct twc_df_event ev;
            ev.type = 0;
            size_t used = 0;
            ck_assert_int_eq(twc_deframer_push(&d, w, k, &used, &ev), -EAGAIN);
            ck_assert_uint_eq(used, k);
            ck_assert_int_eq(ev.type, 0);
            struct run r;
            memset(&r, 0, sizeof(r));
            feed(&d, w + k, n - k, 4096, NULL, &r);
            ck_assert_uint_eq(r.n, 1);
            ck_assert_int_eq(r.ev[0].type, TWC_DF_FRAME);
            ck_assert_uint_eq(r.ev[0].offset, 0);
        }
    }
}

END_TEST

/* A stream of every kind of trouble, decoded with one chunking and compared to another. */
static size_t trouble_stream(uint8_t *w, size_t cap)
{
    return hex("aa bb c0 " SEED1 " c0 fe c0 " SEED2 " c0 fe " MHB48_WIRE " c0 c0 12 34 "
               "c0 fb e0 77 77 03 5d 05 12 db 00 00 00 00 00 05 c0 "
               "c0 fd ee 60 90 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 de 00 00 00 c0 " SHB2
               " c0 " SEED3 " c0 f8 c0 db",
               w, cap);
}

static void check_same_events(const struct run *a, const struct run *b)
{
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        ck_assert_int_eq(a->ev[i].type, b->ev[i].type);
        ck_assert_uint_eq(a->ev[i].offset, b->ev[i].offset);
        ck_assert_uint_eq(a->ev[i].len, b->ev[i].len);
        if (a->ev[i].type == TWC_DF_FRAME) {
            ck_assert_mem_eq(a->ev[i].body, b->ev[i].body, a->ev[i].len);
        }
    }
}

START_TEST(test_trouble_stream_gives_literal_events)
{
    uint8_t w[256];
    size_t n = trouble_stream(w, sizeof(w));
    struct run r;
    run_all(w, n, 4096, NULL, &r);
    /* Offsets counted by hand: aa bb | c0@2 SEED1 c0@17 fe | c0@19 SEED2 c0@34 fe | c0@36 MHB48
     * c0@52 | c0 c0 12 34 | c0@57 bad escape (15) | c0@73 c0@74 overlong (23) | c0@98 SHB2 |
     * c0@115 SEED3 | c0@130 f8 c0 (a trailer: nothing) | db (pending). */
    ck_assert_uint_eq(r.n, 9);
    check_skip(&r.ev[0], TWC_DF_GARBAGE, 0, 2);
    check_frame(&r.ev[1], 2, SEED1);
    check_frame(&r.ev[2], 19, SEED2);
    check_frame(&r.ev[3], 36, MHB48);
    check_skip(&r.ev[4], TWC_DF_GARBAGE, 55, 2);
    check_skip(&r.ev[5], TWC_DF_BAD_ESCAPE, 57, 15);
    check_skip(&r.ev[6], TWC_DF_OVERLONG, 74, 23);
    check_frame(&r.ev[7], 98, SHB2);
    check_frame(&r.ev[8], 115, SEED3);
}

END_TEST

START_TEST(test_chunking_one_byte_or_4k_or_random_gives_same_events)
{
    uint8_t w[256];
    size_t n = trouble_stream(w, sizeof(w));
    struct run big, other;
    run_all(w, n, 4096, NULL, &big);
    static const size_t chunks[] = {1, 2, 3, 7, 16, 43};
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        run_all(w, n, chunks[i], NULL, &other);
        check_same_events(&big, &other);
    }
    uint64_t rng = amp_test_seed();
    for (int i = 0; i < 200; i++) {
        run_all(w, n, 0, &rng, &other);
        check_same_events(&big, &other);
    }
}

END_TEST

START_TEST(test_random_garbage_between_frames_loses_no_frame)
{
    /* Any garbage at all (C0 and DB included) between the delimiters of good frames: every
     * frame still comes out, in order, with its offset. */
    static const char *const bodies[] = {SEED1, SEED2, SEED3, SHB2, MHB48};
    uint64_t rng = amp_test_seed();
    for (int round = 0; round < 300; round++) {
        static uint8_t w[8192];
        size_t n = 0;
        uint64_t offs[64];
        size_t which[64];
        size_t nf = 0;
        for (size_t f = 0; f < 40; f++) {
            size_t g = (size_t)(amp_test_rand(&rng) % 30);
            for (size_t k = 0; k < g; k++) {
                w[n++] = (uint8_t)amp_test_rand(&rng);
            }
            size_t bi = (size_t)(amp_test_rand(&rng) % 5);
            uint8_t body[TWC_BODY_MAX];
            size_t bn = hex(bodies[bi], body, sizeof(body));
            int trailer = amp_test_rand(&rng) % 2 ? 0xFE : -1;
            offs[nf] = n;
            which[nf++] = bi;
            int wn = twc_frame_wrap(body, bn, trailer, w + n, TWC_WIRE_MAX);
            ck_assert_int_gt(wn, 0);
            n += (size_t)wn;
        }
        struct run r;
        run_all(w, n, 0, &rng, &r);
        size_t found = 0;
        for (size_t e = 0; e < r.n && found < nf; e++) {
            if (r.ev[e].type != TWC_DF_FRAME || r.ev[e].offset != offs[found]) {
                continue;
            }
            uint8_t body[TWC_BODY_MAX];
            size_t bn = hex(bodies[which[found]], body, sizeof(body));
            ck_assert_uint_eq(r.ev[e].len, bn);
            ck_assert_mem_eq(r.ev[e].body, body, bn);
            found++;
        }
        ck_assert_uint_eq(found, nf);
    }
}

END_TEST

START_TEST(test_push_refuses_null_arguments)
{
    struct twc_deframer d;
    twc_deframer_init(&d);
    struct twc_df_event ev;
    size_t used = 99;
    const uint8_t b[1] = {0xc0};
    ck_assert_int_eq(twc_deframer_push(NULL, b, 1, &used, &ev), -EINVAL);
    ck_assert_uint_eq(used, 0);
    ck_assert_int_eq(twc_deframer_push(&d, NULL, 1, &used, &ev), -EINVAL);
    ck_assert_int_eq(twc_deframer_push(&d, b, 1, NULL, &ev), -EINVAL);
    ck_assert_int_eq(twc_deframer_push(&d, b, 1, &used, NULL), -EINVAL);
    ck_assert_int_eq(twc_deframer_push(&d, NULL, 0, &used, &ev), -EAGAIN);
    ck_assert_int_eq(twc_deframer_finish(NULL, &ev), -EINVAL);
}

END_TEST

/* One push of one byte; returns 1 with *ev for an event. */
static int push1(struct twc_deframer *d, uint8_t b, struct twc_df_event *ev)
{
    size_t used = 0;
    int rc = twc_deframer_push(d, &b, 1, &used, ev);
    ck_assert_uint_eq(used, 1);
    return rc;
}

/* An event a listener acts on: a frame, or a frame it must count as bad. */
static bool counts(const struct twc_df_event *ev)
{
    return ev->type == TWC_DF_FRAME || ev->type == TWC_DF_BAD_ESCAPE || ev->type == TWC_DF_OVERLONG;
}

START_TEST(test_same_state_gives_same_frames_from_there)
{
    /* A deframer that heard the stream from the start and one that starts listening mid-way
     * (a unit booting): once twc_deframer_same says so, the rest gives both the same frames and
     * bad frames; while it says not, they may differ (here they do: mid-frame). */
    static const char *const bodies[] = {SEED1, SEED2, SEED3, SHB2, MHB48};
    uint64_t rng = amp_test_seed();
    int differed = 0, met = 0;
    for (int round = 0; round < 300; round++) {
        static uint8_t w[4096];
        size_t n = 0;
        for (size_t f = 0; f < 12; f++) {
            size_t g = (size_t)(amp_test_rand(&rng) % 4) == 0 ? amp_test_rand(&rng) % 8 : 0;
            for (size_t k = 0; k < g; k++) {
                static const uint8_t noise[] = {0xC0, 0xDB, 0xDC, 0xFE, 0x12};
                w[n++] = noise[amp_test_rand(&rng) % sizeof(noise)];
            }
            uint8_t body[TWC_BODY_MAX];
            size_t bn = hex(bodies[amp_test_rand(&rng) % 5], body, sizeof(body));
            int wn =
                twc_frame_wrap(body, bn, amp_test_rand(&rng) % 2 ? 0xFE : -1, w + n, TWC_WIRE_MAX);
            ck_assert_int_gt(wn, 0);
            n += (size_t)wn;
        }
        size_t from = (size_t)(amp_test_rand(&rng) % n);
        struct twc_deframer all, late;
        twc_deframer_init(&all);
        twc_deframer_init(&late);
        struct twc_df_event ev;
        for (size_t i = 0; i < from; i++) {
            (void)push1(&all, w[i], &ev);
        }
        size_t joined = n; /* where the two were first the same */
        for (size_t i = from; i < n; i++) {
            if (joined == n && twc_deframer_same(&all, &late)) {
                joined = i;
            }
            struct twc_df_event ea, el;
            bool a = push1(&all, w[i], &ea) == 1 && counts(&ea);
            bool l = push1(&late, w[i], &el) == 1 && counts(&el);
            if (joined < n) {
                ck_assert_int_eq(a, l);
                if (a) {
                    ck_assert_int_eq(ea.type, el.type);
                    ck_assert_uint_eq(ea.len, el.len);
                    ck_assert_mem_eq(ea.body, el.body, ea.len);
                }
            } else if (a != l) {
                differed++;
            }
        }
        met += joined < n;
    }
    ck_assert_int_gt(differed, 0); /* the test saw states that must not be shared */
    ck_assert_int_gt(met, 240);    /* they meet within a frame, unless the late one came last */
}

END_TEST

static Suite *twc_deframer_suite(void)
{
    Suite *s = suite_create("twc_deframer");
    TCase *tc = tcase_create("deframer");
    tcase_add_test(tc, test_seed_stream_yields_three_frames_at_their_offsets);
    tcase_add_test(tc, test_c0_fe_c0_yields_nothing);
    tcase_add_test(tc, test_c0_c0_is_an_empty_frame_to_skip);
    tcase_add_test(tc, test_shared_delimiter_between_frames_loses_neither);
    tcase_add_test(tc, test_escaped_limit_is_unescaped);
    tcase_add_test(tc, test_overlong_frame_is_dropped_and_next_frame_kept);
    tcase_add_test(tc, test_escapes_count_once_toward_the_maximum);
    tcase_add_test(tc, test_bad_escape_drops_frame_and_keeps_next);
    tcase_add_test(tc, test_escape_cut_by_delimiter_is_bad_and_delimiter_still_counts);
    tcase_add_test(tc, test_garbage_before_first_and_between_frames_is_reported);
    tcase_add_test(tc, test_finish_reports_incomplete_frame_then_resyncs);
    tcase_add_test(tc, test_every_truncation_needs_more_and_gives_no_frame);
    tcase_add_test(tc, test_trouble_stream_gives_literal_events);
    tcase_add_test(tc, test_chunking_one_byte_or_4k_or_random_gives_same_events);
    tcase_add_test(tc, test_random_garbage_between_frames_loses_no_frame);
    tcase_add_test(tc, test_push_refuses_null_arguments);
    tcase_add_test(tc, test_same_state_gives_same_frames_from_there);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(twc_deframer_suite)
