/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the master (twc_master) driven by an arbitrary script of bus bytes, time
 * steps and controller targets. Invariants (any violation aborts):
 *   - every frame the master hands out deframes to one body whose code is on the allow-list of
 *     twc-gen2.md §4.2, with our source ID and a good checksum;
 *   - a heartbeat's limit is 0 or whole amps >= 5 A, never above the slave's maximum, and the
 *     offer never exceeds the controller's ceiling;
 *   - poll never fails (the guard refused nothing) and next_ms never lies in the past.
 * Script: each step takes one opcode byte; 0-3 advance time, 4-9 push bytes to the bus, 10-11
 * set a target, anything else polls.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/twc/twc_codec.h"
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
    CHECK(msg.src == FUZZ_MID);
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
            size_t off = 0;
            while (off < n) {
                size_t used = 0;
                struct twc_df_event ev;
                int rc = twc_deframer_push(&df, data + i + off, n - off, &used, &ev);
                off += used;
                if (rc != 1) {
                    break;
                }
                struct twc_msg msg;
                if (ev.type == TWC_DF_FRAME && twc_decode(ev.body, ev.len, &msg) == 0) {
                    (void)twc_master_on_frame(&m, now, &msg);
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
        } else {
            struct twc_master_out out;
            int rc = twc_master_poll(&m, now, &out);
            CHECK(rc == 0 || rc == 1);
            CHECK(out.next_ms >= now);
            if (rc == 1) {
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
