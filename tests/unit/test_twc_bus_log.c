/* SPDX-License-Identifier: MIT */
/*
 * What twc_bus says about a bad line, in virtual time on the in-memory bus (issue 17):
 *   - a line that never goes quiet (a byte at least every TWC_BUS_LINE_IDLE_MS) mutes the
 *     master; that is logged once as an error, and its end once;
 *   - garbage, bad escapes and overlong frames are logged with their raw bytes in hex, at most
 *     once per TWC_BUS_BAD_LOG_MS with a count of the rest.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "drivers/base/log.h"
#include "drivers/transport/tp_link.h"
#include "drivers/transport/tp_mem.h"
#include "drivers/twc/twc_bus.h"
#include "tests/support/check_main.h"

#define MAX_LINES 16

struct book {
    int n;
    enum log_level lvl[MAX_LINES];
    char line[MAX_LINES][400];
};

static void capture(void *ctx, enum log_level lvl, const char *mod, const char *line)
{
    struct book *b = ctx;
    (void)mod;
    if (b->n < MAX_LINES) {
        b->lvl[b->n] = lvl;
        snprintf(b->line[b->n], sizeof(b->line[0]), "%s", line);
        b->n++;
    }
}

struct rig {
    struct book book;
    struct tp_link *link;
    struct tp *peer;
    struct twc_bus bus;
};

static void rig_init(struct rig *r)
{
    memset(r, 0, sizeof(*r));
    struct tp *mine;
    ck_assert_int_eq(tp_mem_pair_new(&mine, &r->peer, 0, 0), 0);
    ck_assert_int_eq(tp_link_new(mine, &r->link), 0);
    struct twc_bus_config bc;
    twc_bus_config_init(&bc);
    bc.master.id = 0x7777;
    bc.master.sign = 0x77;
    ck_assert_int_eq(twc_bus_init(&r->bus, r->link, &bc, 0), 0);
    log_set_sink(capture, &r->book, LOG_LEVEL_INFO);
}

static void rig_fini(struct rig *r)
{
    tp_free(r->peer);
    tp_link_free(r->link);
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
}

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

/* The one captured line that contains what, or NULL (and fails if there are two). */
static const char *find_line(const struct rig *r, const char *what, enum log_level *lvl)
{
    const char *hit = NULL;
    for (int i = 0; i < r->book.n; i++) {
        if (strstr(r->book.line[i], what)) {
            ck_assert_msg(hit == NULL, "twice: %s", what);
            hit = r->book.line[i];
            if (lvl) {
                *lvl = r->book.lvl[i];
            }
        }
    }
    return hit;
}

static void send_hex(struct rig *r, const char *hex)
{
    uint8_t b[128];
    size_t n = 0;
    unsigned v;
    int used;
    while (n < sizeof(b) && sscanf(hex, "%2x%n", &v, &used) == 1) {
        b[n++] = (uint8_t)v;
        hex += used;
        while (*hex == ' ') {
            hex++;
        }
    }
    ck_assert_int_eq(tp_write(r->peer, b, n), (ssize_t)n);
}

START_TEST(test_a_line_that_never_goes_quiet_is_logged_once_and_its_end_too)
{
    struct rig r;
    rig_init(&r);
    r.book.n = 0;
    /* a byte every 2 ms for 8 s, from before the start-up burst is due */
    const uint8_t noise = 0x55;
    for (uint64_t t = 0; t < 8000; t++) {
        if (t % 2 == 0) {
            ck_assert_int_eq(tp_write(r.peer, &noise, 1), 1);
        }
        (void)twc_bus_service(&r.bus, t);
        ck_assert_uint_eq(drain_peer(&r), 0); /* muted: nothing goes out */
        if (t == 2990) {
            ck_assert_int_eq(r.book.n, 0); /* not before 3 s */
        }
    }
    enum log_level lvl;
    const char *l = find_line(&r, "no 5 ms pause between received bytes for 3000 ms", &lvl);
    ck_assert_msg(l != NULL, "no busy-line error; %d lines", r.book.n);
    ck_assert_int_eq(lvl, LOG_LEVEL_ERR);
    ck_assert_ptr_nonnull(strstr(l, "the master cannot transmit"));
    ck_assert_uint_eq(twc_bus_get_stats(&r.bus)->line_busy, 1);
    /* quiet: said once, and the master talks again */
    size_t sent = 0;
    for (uint64_t t = 8000; t < 8200; t++) {
        (void)twc_bus_service(&r.bus, t);
        sent += drain_peer(&r);
    }
    ck_assert_uint_gt(sent, 0);
    ck_assert_ptr_nonnull(find_line(&r, "line quiet again after", &lvl));
    ck_assert_int_eq(lvl, LOG_LEVEL_INFO);
    ck_assert_uint_eq(twc_bus_get_stats(&r.bus)->line_busy, 1);
    rig_fini(&r);
}

END_TEST

START_TEST(test_pauses_between_frames_count_though_no_service_saw_them)
{
    /* A talkative line with proper pauses, the bus serviced only when bytes arrive (a loop
     * whose master has nothing due): the 5 ms pauses before each frame are seen from the
     * bytes' arrival times, so the line is never called busy. */
    struct rig r;
    rig_init(&r);
    r.book.n = 0;
    uint8_t frame[19];
    memset(frame, 0x55, sizeof(frame));
    for (uint64_t t = 20; t < 10000; t += 70) {
        ck_assert_int_eq(tp_write(r.peer, frame, sizeof(frame)), (ssize_t)sizeof(frame));
        (void)twc_bus_service(&r.bus, t);
        (void)drain_peer(&r);
    }
    enum log_level lvl;
    ck_assert_ptr_null(find_line(&r, "no 5 ms pause", &lvl));
    ck_assert_uint_eq(twc_bus_get_stats(&r.bus)->line_busy, 0);
    rig_fini(&r);
}

END_TEST

START_TEST(test_garbage_bad_escape_and_overlong_are_logged_with_their_bytes)
{
    struct rig r;
    rig_init(&r);
    uint64_t t = 0;
    r.book.n = 0;
    /* garbage before any delimiter */
    send_hex(&r, "01 02 1b 5b 33 31 6d c0");
    (void)twc_bus_service(&r.bus, t);
    ck_assert_ptr_nonnull(find_line(&r, "garbage on mem", NULL));
    ck_assert_ptr_nonnull(find_line(&r, ": 01 02 1b 5b 33 31 6d", NULL));
    /* a bad escape within the minute: counted, not logged */
    send_hex(&r, "fd e2 db 11 22 33 44 55 66 77 88 99 aa bb cc c0");
    (void)twc_bus_service(&r.bus, t + 1000);
    ck_assert_int_eq(r.book.n, 1);
    ck_assert_uint_eq(twc_bus_get_stats(&r.bus)->bad_escape, 1);
    /* a minute on: the next is logged with its raw bytes and the count of the one skipped */
    t += TWC_BUS_BAD_LOG_MS + 1000;
    send_hex(&r, "fd e2 db 11 22 33 44 55 66 77 88 99 aa bb cc c0");
    (void)twc_bus_service(&r.bus, t);
    const char *l = find_line(&r, "bad escape (DB not followed by DC or DD) on mem", NULL);
    ck_assert_ptr_nonnull(l);
    ck_assert_ptr_nonnull(
        strstr(l, ": fd e2 db 11 22 33 44 55 66 77 88 99 aa bb cc (and 1 more bad frames"));
    /* overlong: the first 24 bytes and the length */
    t += TWC_BUS_BAD_LOG_MS + 1000;
    send_hex(&r, "fd e0 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 "
                 "19 1a 1b 1c c0");
    (void)twc_bus_service(&r.bus, t);
    l = find_line(&r, "overlong frame on mem", NULL);
    ck_assert_ptr_nonnull(l);
    ck_assert_ptr_nonnull(strstr(l, ": fd e0 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 "
                                    "12 13 14 15 16 ... (30 bytes)"));
    ck_assert_uint_eq(twc_bus_get_stats(&r.bus)->garbage, 1);
    ck_assert_uint_eq(twc_bus_get_stats(&r.bus)->overlong, 1);
    rig_fini(&r);
}

END_TEST

static Suite *bus_log_suite(void)
{
    Suite *s = suite_create("twc_bus_log");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_a_line_that_never_goes_quiet_is_logged_once_and_its_end_too);
    tcase_add_test(tc, test_pauses_between_frames_count_though_no_service_saw_them);
    tcase_add_test(tc, test_garbage_bad_escape_and_overlong_are_logged_with_their_bytes);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(bus_log_suite)
