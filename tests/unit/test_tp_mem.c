/* SPDX-License-Identifier: MIT */
/* In-memory pair and bus (tp_mem.h) and the fault injector wrapped around them (tp_fault.h). */
#include <errno.h>
#include <string.h>

#include <check.h>

#include "drivers/transport/tp.h"
#include "drivers/transport/tp_fault.h"
#include "drivers/transport/tp_mem.h"
#include "tests/support/check_main.h"

/* A master heartbeat from twc-gen2.md §8 (used only as recognisable bytes here). */
static const uint8_t frame[] = {0xc0, 0xfb, 0xe0, 0x77, 0x77, 0x20, 0x19, 0x00,
                                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

START_TEST(test_mem_pair_carries_bytes_both_ways)
{
    struct tp *a;
    struct tp *b;
    ck_assert_int_eq(tp_mem_pair_new(&a, &b, 64, 0), 0);
    ck_assert_str_eq(tp_kind(a), "mem");
    ck_assert_str_eq(a->label, "mem:a");
    ck_assert_str_eq(b->label, "mem:b");
    ck_assert_int_eq(tp_open(a), 0); /* already open: a no-op */
    ck_assert_int_eq(tp_poll_fd(a), -1);

    ck_assert_int_eq(tp_write(a, frame, sizeof(frame)), 16);
    uint8_t buf[64];
    ck_assert_int_eq(tp_read(a, buf, sizeof(buf)), 0); /* no echo */
    ck_assert_uint_eq(tp_mem_pending(b), 16);
    ck_assert_int_eq(tp_read(b, buf, sizeof(buf)), 16);
    ck_assert_mem_eq(buf, frame, 16);
    ck_assert_int_eq(tp_read(b, buf, sizeof(buf)), 0);

    ck_assert_int_eq(tp_write(b, (const uint8_t *)"\x01\x02\x03", 3), 3);
    ck_assert_int_eq(tp_read(a, buf, 2), 2); /* a small cap takes part */
    ck_assert_int_eq(tp_read(a, buf + 2, 8), 1);
    ck_assert_mem_eq(buf, "\x01\x02\x03", 3);
    tp_free(a);
    tp_free(b);
}

END_TEST

START_TEST(test_mem_ring_wraps_and_counts_overflow)
{
    struct tp *a;
    struct tp *b;
    uint8_t buf[16];
    ck_assert_int_eq(tp_mem_pair_new(&a, &b, 8, 0), 0);
    /* Ring of 8: 6 in, 4 out leaves E F at offsets 4-5; 8 more wrap past the end, 6 fit. */
    ck_assert_int_eq(tp_write(a, (const uint8_t *)"ABCDEF", 6), 6);
    ck_assert_int_eq(tp_read(b, buf, 4), 4);
    ck_assert_mem_eq(buf, "ABCD", 4);
    ck_assert_int_eq(tp_write(a, (const uint8_t *)"GHIJKLMN", 8), 8); /* the writer never knows */
    ck_assert_uint_eq(tp_mem_pending(b), 8);
    ck_assert_uint_eq(tp_mem_overflow(b), 2);
    ck_assert_int_eq(tp_read(b, buf, sizeof(buf)), 8);
    ck_assert_mem_eq(buf, "EFGHIJKL", 8); /* M and N were lost */
    ck_assert_uint_eq(tp_mem_overflow(a), 0);
    tp_free(b); /* either side may go first */
    tp_free(a);
}

END_TEST

START_TEST(test_mem_echo_returns_own_bytes_to_writer_only_when_on)
{
    struct tp *a;
    struct tp *b;
    uint8_t buf[32];
    ck_assert_int_eq(tp_mem_pair_new(&a, &b, 0, TP_MEM_ECHO_A), 0);
    ck_assert_int_eq(tp_write(a, frame, sizeof(frame)), 16);
    ck_assert_int_eq(tp_read(a, buf, sizeof(buf)), 16); /* twc-gen2.md §1 "Echo" */
    ck_assert_mem_eq(buf, frame, 16);
    ck_assert_int_eq(tp_read(b, buf, sizeof(buf)), 16);
    ck_assert_int_eq(tp_write(b, (const uint8_t *)"xy", 2), 2);
    ck_assert_int_eq(tp_read(b, buf, sizeof(buf)), 0); /* b has no echo */
    ck_assert_int_eq(tp_read(a, buf, sizeof(buf)), 2);
    tp_free(a);
    tp_free(b);
}

END_TEST

START_TEST(test_mem_bus_delivers_to_every_other_open_endpoint)
{
    struct tp_mem_bus *bus;
    struct tp *m;
    struct tp *s1;
    struct tp *s2;
    struct tp *extra;
    uint8_t buf[32];
    ck_assert_int_eq(tp_mem_bus_new(3, 0, &bus), 0);
    ck_assert_int_eq(tp_mem_bus_attach(bus, "master", true, &m), 0);
    ck_assert_int_eq(tp_mem_bus_attach(bus, "slave-1", false, &s1), 0);
    ck_assert_int_eq(tp_mem_bus_attach(bus, "slave-2", false, &s2), 0);
    ck_assert_int_eq(tp_mem_bus_attach(bus, "slave-3", false, &extra), -ENOSPC);
    ck_assert_ptr_null(extra);
    ck_assert_str_eq(s2->label, "slave-2");

    /* The master's write reaches both slaves and, echoing, the master. */
    ck_assert_int_eq(tp_write(m, (const uint8_t *)"M1", 2), 2);
    ck_assert_int_eq(tp_read(s1, buf, sizeof(buf)), 2);
    ck_assert_int_eq(tp_read(s2, buf, sizeof(buf)), 2);
    ck_assert_int_eq(tp_read(m, buf, sizeof(buf)), 2);
    /* A slave's reply reaches the master and the other slave (one shared pair of wires). */
    ck_assert_int_eq(tp_write(s1, (const uint8_t *)"S1", 2), 2);
    ck_assert_int_eq(tp_read(m, buf, sizeof(buf)), 2);
    ck_assert_mem_eq(buf, "S1", 2);
    ck_assert_int_eq(tp_read(s2, buf, sizeof(buf)), 2);
    ck_assert_int_eq(tp_read(s1, buf, sizeof(buf)), 0);

    /* A closed endpoint hears nothing and cannot talk; reopened, it hears new bytes only. */
    tp_close(s2);
    ck_assert_int_eq(tp_read(s2, buf, sizeof(buf)), -ENOTCONN);
    ck_assert_int_eq(tp_write(s2, buf, 1), -ENOTCONN);
    ck_assert_int_eq(tp_write(m, (const uint8_t *)"M2", 2), 2);
    ck_assert_int_eq(tp_open(s2), 0);
    ck_assert_int_eq(tp_read(s2, buf, sizeof(buf)), 0);
    ck_assert_int_eq(tp_write(m, (const uint8_t *)"M3", 2), 2);
    ck_assert_int_eq(tp_read(s2, buf, sizeof(buf)), 2);
    ck_assert_mem_eq(buf, "M3", 2);
    ck_assert_int_eq(tp_read(s1, buf, sizeof(buf)), 4); /* M2 M3 */
    ck_assert_mem_eq(buf, "M2M3", 4);

    /* A freed endpoint's slot is reused; the bus outlives its creator's handle. */
    tp_free(s1);
    ck_assert_int_eq(tp_mem_bus_attach(bus, "slave-3", false, &s1), 0);
    tp_mem_bus_free(bus);
    ck_assert_int_eq(tp_write(s1, (const uint8_t *)"S3", 2), 2);
    ck_assert_int_eq(tp_read(s2, buf, sizeof(buf)), 2);
    ck_assert_mem_eq(buf, "S3", 2);

    tp_free(m);
    tp_free(s1);
    tp_free(s2);
}

END_TEST

START_TEST(test_mem_bus_refuses_bad_arguments)
{
    struct tp_mem_bus *bus = (struct tp_mem_bus *)&bus;
    struct tp *t = (struct tp *)&t;
    ck_assert_int_eq(tp_mem_bus_new(0, 0, &bus), -EINVAL);
    ck_assert_ptr_null(bus);
    ck_assert_int_eq(tp_mem_bus_attach(NULL, "x", false, &t), -EINVAL);
    ck_assert_ptr_null(t);
    tp_mem_bus_free(NULL);
    tp_free(NULL);
    ck_assert_uint_eq(tp_mem_pending(NULL), 0);
}

END_TEST

/* A pair whose b side is wrapped in the fault injector. */
struct rig {
    struct tp *a; /* the far end */
    struct tp *f; /* fault(mem:b) */
};

static void rig_make(struct rig *r, uint64_t seed)
{
    struct tp *b;
    ck_assert_int_eq(tp_mem_pair_new(&r->a, &b, 4096, 0), 0);
    ck_assert_int_eq(tp_fault_wrap(b, seed, &r->f), 0);
    ck_assert_str_eq(r->f->label, "fault(mem:b)");
    ck_assert_str_eq(tp_kind(r->f), "fault");
    ck_assert_ptr_eq(tp_fault_inner(r->f), b);
}

static void rig_free(struct rig *r)
{
    tp_free(r->f); /* frees mem:b too */
    tp_free(r->a);
}

static struct tp_fault_stats stats_of(const struct tp *f)
{
    struct tp_fault_stats st;
    ck_assert_int_eq(tp_fault_get_stats(f, &st), 0);
    return st;
}

START_TEST(test_fault_off_passes_bytes_unchanged)
{
    struct rig r;
    uint8_t buf[32];
    rig_make(&r, 1);
    ck_assert_int_eq(tp_write(r.f, frame, sizeof(frame)), 16);
    ck_assert_int_eq(tp_read(r.a, buf, sizeof(buf)), 16);
    ck_assert_mem_eq(buf, frame, 16);
    ck_assert_int_eq(tp_write(r.a, frame, sizeof(frame)), 16);
    ck_assert_int_eq(tp_read(r.f, buf, sizeof(buf)), 16);
    ck_assert_mem_eq(buf, frame, 16);
    ck_assert_int_eq(tp_poll_fd(r.f), -1);
    rig_free(&r);
}

END_TEST

START_TEST(test_fault_corrupt_at_flips_that_byte_once_across_reads)
{
    struct rig r;
    uint8_t buf[8];
    rig_make(&r, 1);
    const struct tp_fault_cfg cfg = {.corrupt_at = 6};
    ck_assert_int_eq(tp_fault_set(r.f, TP_FAULT_RX, &cfg), 0);
    ck_assert_int_eq(tp_write(r.a, (const uint8_t *)"\x10\x20\x30\x40", 4), 4);
    ck_assert_int_eq(tp_read(r.f, buf, sizeof(buf)), 4);
    ck_assert_mem_eq(buf, "\x10\x20\x30\x40", 4);
    ck_assert_int_eq(tp_write(r.a, (const uint8_t *)"\x50\x60\x70\x80", 4), 4);
    ck_assert_int_eq(tp_read(r.f, buf, sizeof(buf)), 4);
    ck_assert_mem_eq(buf, "\x50\x9f\x70\x80", 4); /* byte 6: 0x60 ^ 0xff */
    ck_assert_int_eq(tp_write(r.a, (const uint8_t *)"\x60\x60", 2), 2);
    ck_assert_int_eq(tp_read(r.f, buf, sizeof(buf)), 2);
    ck_assert_mem_eq(buf, "\x60\x60", 2);
    ck_assert_uint_eq(stats_of(r.f).corrupted, 1);
    rig_free(&r);
}

END_TEST

START_TEST(test_fault_corrupt_at_on_transmit)
{
    struct rig r;
    uint8_t buf[8];
    rig_make(&r, 1);
    const struct tp_fault_cfg cfg = {.corrupt_at = 1};
    ck_assert_int_eq(tp_fault_set(r.f, TP_FAULT_TX, &cfg), 0);
    ck_assert_int_eq(tp_write(r.f, (const uint8_t *)"\xc0\xfb", 2), 2);
    ck_assert_int_eq(tp_read(r.a, buf, sizeof(buf)), 2);
    ck_assert_mem_eq(buf, "\x3f\xfb", 2);
    /* The other direction is untouched. */
    ck_assert_int_eq(tp_write(r.a, (const uint8_t *)"\xc0", 1), 1);
    ck_assert_int_eq(tp_read(r.f, buf, sizeof(buf)), 1);
    ck_assert_uint_eq(buf[0], 0xc0);
    rig_free(&r);
}

END_TEST

START_TEST(test_fault_drop_all_delivers_nothing)
{
    struct rig r;
    uint8_t buf[32];
    rig_make(&r, 1);
    const struct tp_fault_cfg cfg = {.drop_permille = 1000};
    ck_assert_int_eq(tp_fault_set(r.f, TP_FAULT_RX, &cfg), 0);
    ck_assert_int_eq(tp_write(r.a, frame, sizeof(frame)), 16);
    ck_assert_int_eq(tp_read(r.f, buf, sizeof(buf)), 0);
    ck_assert_uint_eq(stats_of(r.f).dropped, 16);
    ck_assert_int_eq(tp_fault_set(r.f, TP_FAULT_RX, NULL), 0);
    ck_assert_int_eq(tp_write(r.a, frame, 3), 3);
    ck_assert_int_eq(tp_read(r.f, buf, sizeof(buf)), 3);
    /* Dropping everything written: the writer is told all was taken, the wire stays silent. */
    ck_assert_int_eq(tp_fault_set(r.f, TP_FAULT_TX, &cfg), 0);
    ck_assert_int_eq(tp_write(r.f, frame, sizeof(frame)), 16);
    ck_assert_int_eq(tp_read(r.a, buf, sizeof(buf)), 0);
    rig_free(&r);
}

END_TEST

START_TEST(test_fault_duplicate_all_doubles_each_byte)
{
    struct rig r;
    uint8_t buf[8];
    rig_make(&r, 1);
    const struct tp_fault_cfg cfg = {.dup_permille = 1000};
    ck_assert_int_eq(tp_fault_set(r.f, TP_FAULT_TX, &cfg), 0);
    ck_assert_int_eq(tp_write(r.f, (const uint8_t *)"AB", 2), 2);
    ck_assert_int_eq(tp_read(r.a, buf, sizeof(buf)), 4);
    ck_assert_mem_eq(buf, "AABB", 4);
    /* Receiving with a cap of 1: the doubled bytes wait for the next read. */
    ck_assert_int_eq(tp_fault_set(r.f, TP_FAULT_RX, &cfg), 0);
    ck_assert_int_eq(tp_write(r.a, (const uint8_t *)"CD", 2), 2);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(tp_read(r.f, buf + i, 1), 1);
    }
    ck_assert_mem_eq(buf, "CCDD", 4);
    ck_assert_int_eq(tp_read(r.f, buf, 1), 0);
    ck_assert_uint_eq(stats_of(r.f).duplicated, 4);
    rig_free(&r);
}

END_TEST

/* Sends 1000 bytes 0..255 repeating through fault(seed) with cfg on TX; returns bytes received. */
static size_t
run_random(uint64_t seed, const struct tp_fault_cfg *cfg, uint8_t *out, struct tp_fault_stats *st)
{
    struct rig r;
    uint8_t in[1000];
    for (size_t i = 0; i < sizeof(in); i++) {
        in[i] = (uint8_t)i;
    }
    rig_make(&r, seed);
    ck_assert_int_eq(tp_fault_set(r.f, TP_FAULT_TX, cfg), 0);
    ck_assert_int_eq(tp_write(r.f, in, sizeof(in)), 1000);
    ssize_t n = tp_read(r.a, out, 2000);
    ck_assert_int_ge(n, 0);
    *st = stats_of(r.f);
    rig_free(&r);
    return (size_t)n;
}

START_TEST(test_fault_random_drop_is_seeded_and_replayable)
{
    static uint8_t out1[2000];
    static uint8_t out2[2000];
    static uint8_t out3[2000];
    struct tp_fault_stats st1;
    struct tp_fault_stats st2;
    struct tp_fault_stats st3;
    const struct tp_fault_cfg cfg = {.drop_permille = 500};
    size_t n1 = run_random(12345, &cfg, out1, &st1);
    size_t n2 = run_random(12345, &cfg, out2, &st2);
    size_t n3 = run_random(54321, &cfg, out3, &st3);
    /* Every byte is either delivered or counted as dropped. */
    ck_assert_uint_eq(n1 + st1.dropped, 1000);
    /* Half on average; 400..600 is more than six standard deviations (15.8) wide. */
    ck_assert_uint_ge(st1.dropped, 400);
    ck_assert_uint_le(st1.dropped, 600);
    /* The same seed replays exactly; another seed gives another run. */
    ck_assert_uint_eq(n1, n2);
    ck_assert_mem_eq(out1, out2, n1);
    ck_assert_int_ne(n1 == n3 && memcmp(out1, out3, n1) == 0, 1);
    /* What arrives is in order: a strictly increasing subsequence of 0..999 (mod 256). */
    size_t j = 0;
    for (size_t i = 0; i < 1000 && j < n1; i++) {
        if (out1[j] == (uint8_t)i) {
            j++;
        }
    }
    ck_assert_uint_eq(j, n1);
}

END_TEST

START_TEST(test_fault_random_corruption_flips_one_bit_per_counted_byte)
{
    static uint8_t out[2000];
    struct tp_fault_stats st;
    const struct tp_fault_cfg cfg = {.corrupt_permille = 200};
    size_t n = run_random(777, &cfg, out, &st);
    ck_assert_uint_eq(n, 1000);
    size_t changed = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t x = (uint8_t)(out[i] ^ (uint8_t)i);
        if (x != 0) {
            changed++;
            ck_assert_uint_eq(x & (x - 1), 0); /* exactly one bit */
        }
    }
    ck_assert_uint_eq(changed, st.corrupted);
    ck_assert_uint_ge(changed, 120); /* 200 expected, standard deviation 12.6 */
    ck_assert_uint_le(changed, 280);
}

END_TEST

START_TEST(test_fault_random_duplicates_add_counted_bytes)
{
    static uint8_t out[2000];
    struct tp_fault_stats st;
    const struct tp_fault_cfg cfg = {.dup_permille = 100};
    size_t n = run_random(99, &cfg, out, &st);
    ck_assert_uint_eq(n, 1000 + st.duplicated);
    ck_assert_uint_ge(st.duplicated, 50); /* 100 expected, standard deviation 9.5 */
    ck_assert_uint_le(st.duplicated, 150);
}

END_TEST

START_TEST(test_fault_fails_only_the_nth_write)
{
    struct rig r;
    uint8_t buf[8];
    rig_make(&r, 1);
    ck_assert_int_eq(tp_fault_fail_write(r.f, 3), 0);
    ck_assert_int_eq(tp_write(r.f, (const uint8_t *)"1", 1), 1);
    ck_assert_int_eq(tp_write(r.f, (const uint8_t *)"2", 1), 1);
    ck_assert_int_eq(tp_write(r.f, (const uint8_t *)"3", 1), -EIO);
    ck_assert_int_eq(tp_write(r.f, (const uint8_t *)"4", 1), 1);
    ck_assert_int_eq(tp_read(r.a, buf, sizeof(buf)), 3);
    ck_assert_mem_eq(buf, "124", 3);
    ck_assert_uint_eq(stats_of(r.f).failed_writes, 1);
    rig_free(&r);
}

END_TEST

START_TEST(test_fault_unplug_gives_enodev_until_replugged)
{
    struct rig r;
    uint8_t buf[8];
    rig_make(&r, 1);
    ck_assert_int_eq(tp_open(r.f), 0);
    ck_assert_int_eq(tp_fault_set_unplugged(r.f, true), 0);
    ck_assert_int_eq(tp_read(r.f, buf, sizeof(buf)), -ENODEV);
    ck_assert_int_eq(tp_write(r.f, buf, 1), -ENODEV);
    tp_close(r.f);
    ck_assert_int_eq(tp_open(r.f), -ENODEV);
    ck_assert_int_eq(tp_open(r.f), -ENODEV);
    ck_assert_uint_eq(stats_of(r.f).open_calls, 3);
    ck_assert_int_eq(tp_fault_set_unplugged(r.f, false), 0);
    ck_assert_int_eq(tp_open(r.f), 0);
    ck_assert_int_eq(tp_write(r.a, (const uint8_t *)"ok", 2), 2);
    ck_assert_int_eq(tp_read(r.f, buf, sizeof(buf)), 2);
    ck_assert_mem_eq(buf, "ok", 2);
    rig_free(&r);
}

END_TEST

START_TEST(test_fault_controls_refuse_other_transports_and_bad_values)
{
    struct rig r;
    struct tp_fault_stats st;
    struct tp *out = (struct tp *)&out;
    rig_make(&r, 1);
    const struct tp_fault_cfg too_much = {.drop_permille = 1001};
    ck_assert_int_eq(tp_fault_set(r.f, TP_FAULT_RX, &too_much), -ERANGE);
    ck_assert_int_eq(tp_fault_set(r.a, TP_FAULT_RX, NULL), -EINVAL);
    ck_assert_int_eq(tp_fault_set(r.f, TP_FAULT_DIR_COUNT, NULL), -EINVAL);
    ck_assert_int_eq(tp_fault_fail_write(r.a, 1), -EINVAL);
    ck_assert_int_eq(tp_fault_set_unplugged(NULL, true), -EINVAL);
    ck_assert_int_eq(tp_fault_get_stats(r.a, &st), -EINVAL);
    ck_assert_ptr_null(tp_fault_inner(r.a));
    ck_assert_int_eq(tp_fault_wrap(NULL, 1, &out), -EINVAL);
    ck_assert_ptr_null(out);
    rig_free(&r);
}

END_TEST

static Suite *tp_mem_suite(void)
{
    Suite *s = suite_create("tp_mem");
    TCase *mem = tcase_create("mem");
    tcase_add_test(mem, test_mem_pair_carries_bytes_both_ways);
    tcase_add_test(mem, test_mem_ring_wraps_and_counts_overflow);
    tcase_add_test(mem, test_mem_echo_returns_own_bytes_to_writer_only_when_on);
    tcase_add_test(mem, test_mem_bus_delivers_to_every_other_open_endpoint);
    tcase_add_test(mem, test_mem_bus_refuses_bad_arguments);
    suite_add_tcase(s, mem);
    TCase *fault = tcase_create("fault");
    tcase_add_test(fault, test_fault_off_passes_bytes_unchanged);
    tcase_add_test(fault, test_fault_corrupt_at_flips_that_byte_once_across_reads);
    tcase_add_test(fault, test_fault_corrupt_at_on_transmit);
    tcase_add_test(fault, test_fault_drop_all_delivers_nothing);
    tcase_add_test(fault, test_fault_duplicate_all_doubles_each_byte);
    tcase_add_test(fault, test_fault_random_drop_is_seeded_and_replayable);
    tcase_add_test(fault, test_fault_random_corruption_flips_one_bit_per_counted_byte);
    tcase_add_test(fault, test_fault_random_duplicates_add_counted_bytes);
    tcase_add_test(fault, test_fault_fails_only_the_nth_write);
    tcase_add_test(fault, test_fault_unplug_gives_enodev_until_replugged);
    tcase_add_test(fault, test_fault_controls_refuse_other_transports_and_bad_values);
    suite_add_tcase(s, fault);
    return s;
}

AMP_CHECK_MAIN(tp_mem_suite)
