/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the master (twc_master) driven by an arbitrary script of bus bytes, time
 * steps and controller targets. Invariants (any violation aborts):
 *   - every frame the master hands out deframes to one body whose code is on the allow-list of
 *     twc-gen2.md §4.2, with our source ID and a good checksum;
 *   - a heartbeat's limit is 0 or whole amps >= 5 A, never above the slave's maximum, and the
 *     offer never exceeds the controller's ceiling;
 *   - poll never fails (the guard refused nothing) and next_ms never lies in the past;
 *   - clash evidence (§3, §6.6): the master goes silent only on the second master-kind frame
 *     from one ID that is neither ours nor a linked slave's, within TWC_MASTER_CLASH_WINDOW_MS;
 *     while clashed it sends nothing; once no foreign master frame has come for
 *     TWC_MASTER_CLASH_QUIET_MS a poll resumes it under an ID that is new, not 0000 and not
 *     the other master's.
 * Script: each step takes one opcode byte; 0-3 advance time, 4-9 push bytes to the bus, 10-11
 * set a target, 12 feeds a well-formed frame (a master kind or a slave linkready, from a chosen
 * or a linked slave's ID), anything else polls.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/base/amp_err.h"
#include "drivers/twc/twc_codec.h"
#include "drivers/twc/twc_feed.h"
#include "drivers/twc/twc_master.h"
#include "tests/fuzz/fuzz_check.h"

#define FUZZ_MID 0x7777

static bool allowed(uint16_t code)
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

/* The fuzzer's own record of what it fed, to judge the clash logic from outside. */
struct clash_model {
    bool have_prev;
    uint16_t prev_src;
    uint64_t prev_ms;
    bool have_foreign;
    uint64_t last_foreign_ms; /* last master-kind frame from an unlinked foreign ID */
};

static bool master_kind(enum twc_kind k)
{
    return k == TWC_KIND_MASTER_LINKREADY1 || k == TWC_KIND_MASTER_LINKREADY2 ||
           k == TWC_KIND_MASTER_HEARTBEAT;
}

static void
feed(struct twc_master *m, struct clash_model *cm, uint64_t now, const struct twc_msg *msg)
{
    bool was = twc_master_clashed(m);
    struct twc_master_slave_info info;
    bool evidence = master_kind(msg->kind) && msg->src != twc_master_id(m) &&
                    twc_master_slave_find(m, msg->src, &info) != 0;
    int rc = twc_master_on_frame(m, now, msg);
    bool is = twc_master_clashed(m);
    CHECK(rc == (is && evidence ? AMP_ERR_MASTER_CLASH : 0));
    if (!was && is) {
        CHECK(evidence && cm->have_prev && cm->prev_src == msg->src &&
              now - cm->prev_ms <= TWC_MASTER_CLASH_WINDOW_MS);
    }
    CHECK(!was || is); /* only a poll ends a clash */
    if (evidence && !was) {
        /* the master keeps the last suspect, and forgets it when a clash is confirmed */
        cm->have_prev = !is;
        cm->prev_src = msg->src;
        cm->prev_ms = now;
    }
    if (evidence) {
        cm->have_foreign = true;
        cm->last_foreign_ms = now;
    }
}

static size_t build_frame(const struct twc_master *m, const uint8_t *p, uint8_t *b)
{
    /* p[0] picks the kind and source, p[1..2] an ID */
    static const uint16_t codes[] = {0xFCE1, 0xFBE2, 0xFBE0, 0xFDE2};
    uint16_t code = codes[p[0] % 4];
    uint16_t src = (uint16_t)(p[1] << 8 | p[2]);
    struct twc_master_slave_info info;
    if ((p[0] >> 2) % 2 == 1 && twc_master_slave_at(m, (size_t)(p[0] >> 3) % 3, &info) == 0) {
        src = info.id; /* a linked slave's frame with its type byte flipped (§3) */
    }
    size_t len = (p[0] >> 5) % 2 ? TWC_BODY_V2 : TWC_BODY_V1;
    memset(b, 0, len);
    b[0] = (uint8_t)(code >> 8);
    b[1] = (uint8_t)code;
    b[2] = (uint8_t)(src >> 8);
    b[3] = (uint8_t)src;
    if (code == 0xFBE0) {
        uint16_t dst = twc_master_id(m);
        b[4] = (uint8_t)(dst >> 8);
        b[5] = (uint8_t)dst;
    } else if (code == 0xFDE2) {
        b[4] = 0x5A;
        b[5] = 0x0C; /* 32.00 A */
        b[6] = 0x80;
    }
    unsigned sum = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        sum += b[i];
    }
    b[len - 1] = (uint8_t)sum;
    return len;
}

static void check_out(const struct twc_master *m, const struct twc_master_out *out)
{
    struct twc_deframer d;
    twc_deframer_init(&d);
    struct twc_df_event ev;
    size_t used = 0;
    CHECK(twc_deframer_push(&d, out->wire, out->wire_len, &used, &ev) == 1);
    CHECK(ev.type == TWC_DF_FRAME);
    struct twc_msg msg;
    CHECK(twc_decode(ev.body, ev.len, &msg) == 0);
    CHECK(allowed(msg.code));
    CHECK(msg.src == twc_master_id(m));
    if (msg.kind == TWC_KIND_MASTER_HEARTBEAT) {
        struct twc_master_slave_info info;
        CHECK(twc_master_slave_find(m, msg.dst, &info) == 0);
        uint16_t ca = msg.u.mhb.amps_ca;
        CHECK(ca == 0 || (ca % 100 == 0 && ca >= 500));
        CHECK((int32_t)ca * 10 <= info.max_ma);
        CHECK(info.offered_ma <= info.ceiling_ma);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct twc_master m;
    struct twc_master_config cfg;
    twc_master_config_init(&cfg);
    cfg.id = FUZZ_MID;
    cfg.sign = 0x77;
    CHECK(twc_master_init(&m, &cfg, 0) == 0);
    struct twc_deframer df;
    twc_deframer_init(&df);
    uint64_t now = 0;
    size_t i = 0;
    struct clash_model cm = {0};
    uint16_t clash_src = 0;
    while (i < size) {
        uint8_t op = data[i++] % 16;
        if (op <= 3) {
            /* time: up to 65 s in one step */
            uint16_t dt = i + 1 < size ? (uint16_t)(data[i] << 8 | data[i + 1]) : 1;
            i += 2;
            now += dt;
        } else if (op <= 9) {
            size_t n = i < size ? data[i++] % 48 : 0;
            n = n < size - i ? n : size - i;
            const uint8_t *p = data + i;
            size_t left = n;
            struct twc_rx rx;
            while (twc_rx_next(&df, &p, &left, &rx) == 1) {
                if (rx.rc == 0) {
                    feed(&m, &cm, now, &rx.msg);
                }
            }
            i += n;
        } else if (op <= 11) {
            if (i + 4 > size) {
                break;
            }
            struct twc_master_slave_info info;
            if (twc_master_slave_at(&m, data[i] % 3, &info) == 0) {
                int32_t target = (int32_t)data[i + 1] * 400;
                int32_t ceiling = target + (int32_t)data[i + 2] * 200;
                CHECK(twc_master_set_target_ceiling(&m, now, info.id, target, ceiling) == 0);
            }
            i += 4;
        } else if (op == 12) {
            if (i + 3 > size) {
                break;
            }
            uint8_t b[TWC_BODY_MAX];
            size_t len = build_frame(&m, data + i, b);
            i += 3;
            struct twc_msg msg;
            CHECK(twc_decode(b, len, &msg) == 0);
            feed(&m, &cm, now, &msg);
        } else {
            struct twc_master_out out;
            bool was = twc_master_clashed(&m);
            if (was) {
                clash_src = m.clash_src;
            }
            uint16_t id_before = twc_master_id(&m);
            int rc = twc_master_poll(&m, now, &out);
            CHECK(rc == 0 || rc == 1);
            CHECK(out.next_ms >= now);
            bool quiet = !cm.have_foreign || now >= cm.last_foreign_ms + TWC_MASTER_CLASH_QUIET_MS;
            if (was) {
                /* silent while the other master talks; back once it was quiet long enough */
                CHECK(twc_master_clashed(&m) == !quiet);
                CHECK(rc == 0 || !twc_master_clashed(&m));
                if (!twc_master_clashed(&m)) {
                    uint16_t id = twc_master_id(&m);
                    CHECK(id != id_before && id != clash_src && id != 0x0000);
                }
            }
            if (rc == 1) {
                CHECK(!twc_master_clashed(&m));
                check_out(&m, &out);
            }
            struct twc_master_event ev;
            while (twc_master_next_event(&m, &ev) == 1) {
            }
        }
    }
    CHECK(twc_master_get_stats(&m)->guard_refusals == 0);
    return 0;
}
