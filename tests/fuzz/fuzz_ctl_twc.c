/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the Wall Connector control loop (ctl_twc) over a real master and the real
 * engine, fed arbitrary slave linkreadies and heartbeat replies (any state, echo and current),
 * time steps, control steps and polls. The site is the seed's: one 40 A circuit, a Wall
 * Connector at 2019 and one at `address = auto`. Invariants (any violation aborts):
 *   - after every step the offers the master commands add up to at most 40 A plus the
 *     circuit's overcommit (the clamp's rule (2); the ceiling is the target, so no §7.1 comfort
 *     rule may add to it);
 *   - a slave no [wallconnector] takes is offered 0 A;
 *   - ctl_step never fails.
 * (Limits on the wire, within each slave's maximum, are fuzz_twc_master's invariants: a slave
 * that re-announces a lower maximum keeps its offer in the table until the next target.)
 * Script: byte 0 picks the policy and the overcommit; then each step takes an opcode byte and
 * its operands.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/ctl_twc.h"
#include "controller/engine/policy_loader.h"
#include "controller/engine/site_ini.h"
#include "tests/fuzz/fuzz_check.h"

#define FUZZ_MID 0x7777

static const char *const fuzz_policies[] = {"idle_reclaim", "native", "equal_share", "fifo"};
static const uint16_t fuzz_ids[] = {0x2019, 0x2431, 0x4085, 0x8725};

static void check(const struct ctl_twc *c, const struct twc_master *m, int32_t cap_ma)
{
    int64_t sum = 0;
    size_t n = twc_master_slave_count(m);
    for (size_t i = 0; i < n; i++) {
        struct twc_master_slave_info info;
        CHECK(twc_master_slave_at(m, i, &info) == 0);
        CHECK(info.offered_ma >= 0);
        if (ctl_twc_evse_of(c, 0, info.id) < 0) {
            CHECK(info.offered_ma == 0);
        }
        sum += info.offered_ma;
    }
    CHECK(sum <= cap_ma);
}

static void feed(struct twc_master *m, uint64_t now, const uint8_t *op)
{
    struct twc_msg msg;
    memset(&msg, 0, sizeof(msg));
    msg.body_len = (op[0] & 1) ? 16 : 14;
    msg.has_src = true;
    msg.src = fuzz_ids[op[1] % 4];
    if (op[0] & 2) {
        msg.kind = TWC_KIND_SLAVE_LINKREADY;
        msg.u.linkready.sign = op[2];
        msg.u.linkready.max_ca = (op[3] & 1) ? 8000 : 3200; /* §4.3: 80 A or 32 A units */
    } else {
        msg.kind = TWC_KIND_SLAVE_HEARTBEAT;
        msg.has_dst = true;
        msg.dst = FUZZ_MID;
        msg.u.shb.state = op[2] % 16;
        msg.u.shb.limit_ca = (uint16_t)(op[3] << 8 | op[4]);
        msg.u.shb.actual_ca = (uint16_t)(op[5] << 8 | op[6]);
    }
    msg.code = twc_code_of_kind(msg.kind);
    (void)twc_master_on_frame(m, now, &msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    int32_t oc_a = (data[0] & 4) ? 6 : 0;
    char ini[1024], err[256];
    snprintf(ini, sizeof(ini),
             "[site]\nsupply_limit_a = 40\nphases = 1\novercommit_a = %d\n"
             "[circuit garage]\nlimit_a = 40\novercommit_a = %d\n"
             "[bus rs485]\ntransport = serial:/dev/ttyUSB0\nmaster_address = 7777\n"
             "[wallconnector tesla]\nbus = rs485\naddress = 2019\ncircuit = garage\n"
             "max_current_a = 40\n"
             "[wallconnector i3]\nbus = rs485\naddress = auto\ncircuit = garage\n"
             "max_current_a = 40\n"
             "[policy]\nname = %s\n",
             oc_a, oc_a, fuzz_policies[data[0] % 4]);
    struct site *site = NULL;
    struct policy_handle ph;
    struct ctl *ctl = NULL;
    struct ctl_twc *c = NULL;
    CHECK(site_new_from_ini(ini, "fuzz.ini", &site, err, sizeof(err)) == 0);
    CHECK(policy_open(site->policy, &ph, err, sizeof(err)) == 0);
    CHECK(ctl_new(site, ph.policy, &ctl, err, sizeof(err)) == 0);
    CHECK(ctl_twc_new(ctl, &c) == 0);
    struct twc_master m;
    struct twc_master_config mc;
    twc_master_config_init(&mc);
    mc.id = FUZZ_MID;
    mc.sign = 0x77;
    CHECK(twc_master_init(&m, &mc, 0) == 0);
    CHECK(ctl_twc_attach(c, 0, &m) == 0);
    int32_t cap_ma = 40000 + oc_a * 1000;
    uint64_t now = 0;
    size_t i = 1;
    while (i < size) {
        uint8_t op = data[i++] % 8;
        if (op <= 1 && i < size) {
            now += (uint64_t)data[i++] * (op ? 250 : 10); /* up to about 64 s in one step */
        } else if (op <= 4 && i + 7 <= size) {
            feed(&m, now, data + i);
            i += 7;
        } else if (op <= 6) {
            CHECK(ctl_step(ctl, now) >= 0);
            check(c, &m, cap_ma);
        } else {
            struct twc_master_out out;
            (void)twc_master_poll(&m, now, &out);
            check(c, &m, cap_ma);
        }
    }
    ctl_twc_free(c);
    ctl_free(ctl);
    policy_close(&ph);
    site_free(site);
    return 0;
}
