/* SPDX-License-Identifier: MIT */
/*
 * Generated negatives over every valid vector (twc-gen2.md §8 rows with checksum_ok=1, plus the
 * hand-made escape vectors): each single-byte change of a body is caught, each single-byte change
 * of the wire never yields a wrong frame, each truncation needs more bytes, and random garbage
 * between the frames loses none of them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "drivers/twc/twc_codec.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

#define TSV_PATH  AMP_TEST_VECTORS_DIR "/twc-frames-public.tsv"
#define MAX_WIRES 64

struct wire {
    uint8_t b[64];
    size_t n;
};

static struct wire wires[MAX_WIRES];
static size_t nwires;

/* Hand-made: limits 48.00 A (12 C0) and 40.59 A (0F DB), and a checksum of C0 (§2.1). */
static const char *const extra[] = {
    "c0 fb e0 77 77 03 5d 05 12 db dc 00 00 00 00 05 c0 fe",
    "c0 fb e0 77 77 40 85 09 0f db dd 00 00 00 00 00 00 86 c0 fe",
    "c0 fb e0 77 77 40 85 09 0c 18 00 00 00 00 00 00 db dc c0 fe",
};

static void load(void)
{
    nwires = 0;
    FILE *f = fopen(TSV_PATH, "r");
    ck_assert_msg(f != NULL, "cannot open %s", TSV_PATH);
    char line[2048];
    while (fgets(line, sizeof(line), f)) {
        if (strstr(line, "checksum_ok=1") == NULL) {
            continue; /* the header and the negative rows */
        }
        *strchr(line, '\t') = '\0';
        ck_assert_uint_lt(nwires, MAX_WIRES);
        int n = amp_test_hex(line, wires[nwires].b, sizeof(wires[nwires].b));
        ck_assert_int_gt(n, 0);
        wires[nwires++].n = (size_t)n;
    }
    fclose(f);
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        int n = amp_test_hex(extra[i], wires[nwires].b, sizeof(wires[nwires].b));
        ck_assert_int_gt(n, 0);
        wires[nwires++].n = (size_t)n;
    }
    ck_assert_uint_eq(nwires, 36 + 3);
}

/* Deframes a whole wire; returns the number of frames, the first one in *first, and in *same_out
 * how many good frames equal orig (when orig is given). */
static size_t deframe(const uint8_t *w,
                      size_t n,
                      struct twc_df_event *first,
                      size_t *same_out,
                      const struct twc_msg *orig)
{
    struct twc_deframer d;
    twc_deframer_init(&d);
    size_t pos = 0, frames = 0;
    *same_out = 0;
    while (pos < n) {
        struct twc_df_event ev;
        size_t used = 0;
        int rc = twc_deframer_push(&d, w + pos, n - pos, &used, &ev);
        pos += used;
        if (rc != 1 || ev.type != TWC_DF_FRAME) {
            continue;
        }
        if (frames++ == 0 && first) {
            *first = ev;
        }
        struct twc_msg m;
        if (orig != NULL && twc_decode(ev.body, ev.len, &m) == 0) {
            /* A good frame out of a mutated wire is either the original, untouched (the
             * change hit the trailer), or has another code: the change hit the type byte, or
             * cut out a fragment whose last byte happens to match its sum. */
            bool same = ev.len == orig->body_len && !memcmp(ev.body, orig->body, ev.len);
            ck_assert_msg(same || m.code != orig->code,
                          "a mutation gave a good %s frame with changed fields",
                          twc_kind_name(m.kind));
            *same_out += same;
        }
    }
    return frames;
}

static void original(const struct wire *w, struct twc_df_event *ev, struct twc_msg *m)
{
    size_t ok;
    ck_assert_uint_eq(deframe(w->b, w->n, ev, &ok, NULL), 1);
    ck_assert_int_eq(twc_decode(ev->body, ev->len, m), 0);
}

START_TEST(test_every_single_byte_change_of_a_body_is_caught)
{
    load();
    ck_assert_uint_lt((size_t)_i, nwires);
    struct twc_df_event ev;
    struct twc_msg orig;
    original(&wires[_i], &ev, &orig);
    for (size_t pos = 0; pos < ev.len; pos++) {
        for (unsigned v = 0; v < 256; v++) {
            if (v == ev.body[pos]) {
                continue;
            }
            uint8_t b[TWC_BODY_MAX];
            memcpy(b, ev.body, ev.len);
            b[pos] = (uint8_t)v;
            struct twc_msg m;
            int rc = twc_decode(b, ev.len, &m);
            if (pos > 0) {
                /* §3: every byte but the type byte is in the sum or is the sum. */
                ck_assert_msg(rc == -EBADMSG, "pos %zu value %02x: rc %d", pos, v, rc);
            } else {
                /* The type byte is outside the sum: the code, so the kind, changes. */
                ck_assert_int_ne(rc, -EBADMSG);
                ck_assert_uint_ne(m.code, orig.code);
                ck_assert_int_ne(m.kind, orig.kind);
            }
        }
    }
}

END_TEST

START_TEST(test_no_single_byte_change_of_the_wire_gives_a_wrong_frame)
{
    load();
    struct twc_df_event ev;
    struct twc_msg orig;
    original(&wires[_i], &ev, &orig);
    const struct wire *w = &wires[_i];
    bool has_trailer = w->b[w->n - 1] != 0xc0;
    for (size_t pos = 0; pos < w->n; pos++) {
        size_t same = 0;
        for (unsigned v = 0; v < 256; v++) {
            if (v == w->b[pos]) {
                continue;
            }
            uint8_t b[64];
            memcpy(b, w->b, w->n);
            b[pos] = (uint8_t)v;
            size_t k = 0;
            deframe(b, w->n, NULL, &k, &orig);
            same += k;
        }
        /* The frame survives only a change of the trailer (to any value, C0 included). */
        bool trailer = has_trailer && pos == w->n - 1;
        ck_assert_msg(same == (trailer ? 255u : 0u), "pos %zu: frame survived %zu changes", pos,
                      same);
    }
}

END_TEST

START_TEST(test_every_truncation_of_the_wire_needs_more)
{
    load();
    const struct wire *w = &wires[_i];
    size_t close = w->n - 1;
    while (w->b[close] != 0xc0) {
        close--;
    }
    for (size_t k = 0; k <= close; k++) {
        struct twc_deframer d;
        twc_deframer_init(&d);
        struct twc_df_event ev;
        ev.type = 0;
        size_t used = 0;
        ck_assert_int_eq(twc_deframer_push(&d, w->b, k, &used, &ev), -EAGAIN);
        ck_assert_int_eq(ev.type, 0);
        ck_assert_uint_eq(d.stats.frames, 0);
    }
}

END_TEST

START_TEST(test_random_garbage_between_all_vectors_loses_none)
{
    load();
    uint64_t rng = amp_test_seed();
    static uint8_t stream[1 << 14];
    for (int round = 0; round < 50; round++) {
        size_t n = 0;
        uint64_t offs[MAX_WIRES];
        for (size_t i = 0; i < nwires; i++) {
            size_t g = (size_t)(amp_test_rand(&rng) % 40);
            for (size_t k = 0; k < g; k++) {
                stream[n++] = (uint8_t)amp_test_rand(&rng);
            }
            offs[i] = n;
            memcpy(stream + n, wires[i].b, wires[i].n);
            n += wires[i].n;
        }
        struct twc_deframer d;
        twc_deframer_init(&d);
        size_t pos = 0, found = 0;
        while (pos < n) {
            struct twc_df_event ev;
            size_t used = 0;
            size_t chunk = 1 + (size_t)(amp_test_rand(&rng) % 100);
            size_t len = pos + chunk < n ? chunk : n - pos;
            int rc = twc_deframer_push(&d, stream + pos, len, &used, &ev);
            pos += used;
            if (rc == 1 && ev.type == TWC_DF_FRAME && found < nwires && ev.offset == offs[found]) {
                struct twc_df_event want;
                size_t ok;
                deframe(wires[found].b, wires[found].n, &want, &ok, NULL);
                ck_assert_uint_eq(ev.len, want.len);
                ck_assert_mem_eq(ev.body, want.body, want.len);
                found++;
            }
        }
        ck_assert_uint_eq(found, nwires);
    }
}

END_TEST

static Suite *twc_mutation_suite(void)
{
    Suite *s = suite_create("twc_mutation");
    TCase *tc = tcase_create("mutation");
    tcase_add_loop_test(tc, test_every_single_byte_change_of_a_body_is_caught, 0, 39);
    tcase_add_loop_test(tc, test_no_single_byte_change_of_the_wire_gives_a_wrong_frame, 0, 39);
    tcase_add_loop_test(tc, test_every_truncation_of_the_wire_needs_more, 0, 39);
    tcase_add_test(tc, test_random_garbage_between_all_vectors_loses_none);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(twc_mutation_suite)
