/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the Wall Connector control loop (ctl_twc) over a real master and the real
 * engine, on a metered site with a load nothing controls. The site: a 40 A garage circuit with
 * its own meter, under a 63 A supply; a Wall Connector at 2019 and one at `address = auto`
 * (40 A each); an oven on the garage circuit (up to 30 A), either with a meter of its own (an
 * `[evse] control = none`) or seen only by the garage meter, as in issue 17's 62 A case.
 *
 * The target keeps the physical truth: what the oven draws and what each car draws (never more
 * than the slave's offer when it was measured). Meters read that truth whenever it changes (at
 * the same moment, so readings agree); slaves report their true current, or an implausible one
 * (51.2 A to 655.35 A: garbage, a forged frame), which the engine must refuse. Time steps let
 * any reading go stale. Invariants (any violation aborts):
 *   - what could flow stays within every rating plus overcommit: on the garage circuit, the
 *     offers the master commands plus the oven's true draw when the engine last decided are at
 *     most 40 A plus overcommit (the supply's 63 A cannot be reached through a 40 A circuit; a
 *     load that switches on between two ticks is answered on the next one);
 *   - a slave no [wallconnector] takes is offered 0 A;
 *   - ctl_step never fails.
 * (Limits on the wire are fuzz_twc_master's invariants.)
 *
 * Script: byte 0 picks the policy, the overcommit and the oven's meter; then each step is an opcode
 * byte and its operands. Only the first FUZZ_MAX_BYTES count: short scripts reach every state of
 * this small site, and long ones made libFuzzer spend its time on feature bookkeeping (221 exec/s).
 * The sites are built once per policy and overcommit, not per input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/ctl_twc.h"
#include "controller/engine/policy_loader.h"
#include "controller/engine/site_ini.h"
#include "tests/fuzz/fuzz_check.h"

#define FUZZ_MID       0x7777
#define FUZZ_MAX_BYTES 384
#define FUZZ_N_IDS     4
#define GARAGE_MA      40000
#define OVEN_MAX_A     30

static const char *const fuzz_policies[] = {"idle_reclaim", "native", "equal_share", "fifo"};
static const uint16_t fuzz_ids[FUZZ_N_IDS] = {0x2019, 0x2431, 0x4085, 0x8725};

/* Built on first use and kept: site_new_from_ini was most of an input's setup. */
static struct site *sites[16];

struct truth {
    int32_t oven_ma;
    int32_t car_ma[FUZZ_N_IDS]; /* by fuzz_ids index */
};

static struct site *site_for(uint8_t b0)
{
    unsigned k = b0 & 15u;
    if (sites[k]) {
        return sites[k];
    }
    int oc_a = (b0 & 4) ? 6 : 0;
    char oven[512] = "";
    if (b0 & 8) {
        snprintf(oven, sizeof(oven),
                 "[evse oven]\ncontrol = none\nmeter = oven-meter\ncircuit = garage\n"
                 "max_current_a = %d\n"
                 "[meter oven-meter]\ntransport = tcp://127.0.0.1:1502\nunit_id = 2\n"
                 "map = eastron-sdm120\nmeasures = evse:oven\n",
                 OVEN_MAX_A);
    }
    char ini[1536], err[256];
    snprintf(ini, sizeof(ini),
             "[site]\nsupply_limit_a = 63\nphases = 1\novercommit_a = %d\n"
             "[circuit garage]\nlimit_a = 40\novercommit_a = %d\n"
             "[bus rs485]\ntransport = serial:/dev/ttyUSB0\nmaster_address = 7777\n"
             "[wallconnector tesla]\nbus = rs485\naddress = 2019\ncircuit = garage\n"
             "max_current_a = 40\n"
             "[wallconnector i3]\nbus = rs485\naddress = auto\ncircuit = garage\n"
             "max_current_a = 40\n"
             "[meter garage-meter]\ntransport = tcp://127.0.0.1:1502\nmap = eastron-sdm120\n"
             "measures = circuit:garage\n"
             "%s"
             "[policy]\nname = %s\n",
             oc_a, oc_a, oven, fuzz_policies[b0 & 3]);
    CHECK(site_new_from_ini(ini, "fuzz.ini", &sites[k], err, sizeof(err)) == 0);
    return sites[k];
}

/* The meters read the truth now: the garage sees the oven and every car. */
static void
measure(struct site_state *st, const struct site *site, const struct truth *t, uint64_t now)
{
    int32_t garage = t->oven_ma;
    for (int i = 0; i < FUZZ_N_IDS; i++) {
        garage += t->car_ma[i];
    }
    int gm = site_find_meter(site, "garage-meter"), om = site_find_meter(site, "oven-meter");
    st->meter[gm] = (struct site_meter_input){.current_ma = {garage}, .at_ms = now};
    if (om >= 0) {
        st->meter[om] = (struct site_meter_input){.current_ma = {t->oven_ma}, .at_ms = now};
    }
}

static void
check(const struct ctl_twc *c, const struct twc_master *m, int32_t oven_ma, int32_t cap_ma)
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
    CHECK(sum + oven_ma <= cap_ma);
}

static int32_t offered_to(const struct twc_master *m, uint16_t id, bool *found, uint64_t *heard)
{
    size_t n = twc_master_slave_count(m);
    for (size_t i = 0; i < n; i++) {
        struct twc_master_slave_info info;
        if (twc_master_slave_at(m, i, &info) == 0 && info.id == id) {
            *found = true;
            *heard = info.last_heard_ms;
            return info.offered_ma;
        }
    }
    *found = false;
    return 0;
}

/* A slave's frame. A heartbeat reports the car's true current (at most its offer) or an
 * implausible one; the truth changes only when the master took the report. */
static void feed(struct twc_master *m,
                 uint64_t now,
                 const uint8_t *op,
                 struct truth *t,
                 struct site_state *st,
                 const struct site *site)
{
    struct twc_msg msg;
    memset(&msg, 0, sizeof(msg));
    int k = op[1] % FUZZ_N_IDS;
    msg.body_len = (op[0] & 1) ? 16 : 14;
    msg.has_src = true;
    msg.src = fuzz_ids[k];
    bool lie = false;
    int32_t truth_ma = 0;
    if (op[0] & 2) {
        msg.kind = TWC_KIND_SLAVE_LINKREADY;
        msg.u.linkready.sign = op[2];
        /* §4.3: 80 A or 32 A units, or a forged 655.35 A (not a maximum, issue 17) */
        msg.u.linkready.max_ca = (op[3] & 2) ? 65535 : (op[3] & 1) ? 8000 : 3200;
    } else {
        bool found;
        uint64_t heard;
        int32_t offer = offered_to(m, msg.src, &found, &heard);
        msg.kind = TWC_KIND_SLAVE_HEARTBEAT;
        msg.has_dst = true;
        msg.dst = FUZZ_MID;
        msg.u.shb.state = op[2] % 16;
        msg.u.shb.limit_ca = (uint16_t)(op[3] << 8 | op[4]);
        lie = (op[5] & 0x80) != 0;
        if (lie) {
            msg.u.shb.actual_ca = (uint16_t)(5120 + ((op[5] & 0x7f) << 8 | op[6]) * 60000 / 32767);
        } else {
            truth_ma = offer > 0 ? (int32_t)((op[5] << 8 | op[6]) % (uint32_t)(offer + 1)) : 0;
            truth_ma -= truth_ma % 10; /* centiamps on the wire */
            msg.u.shb.actual_ca = (uint16_t)(truth_ma / 10);
        }
    }
    msg.code = twc_code_of_kind(msg.kind);
    (void)twc_master_on_frame(m, now, &msg);
    if (msg.kind == TWC_KIND_SLAVE_HEARTBEAT && !lie) {
        bool found;
        uint64_t heard = 0;
        (void)offered_to(m, msg.src, &found, &heard);
        if (found && heard == now) {
            t->car_ma[k] = truth_ma;
            measure(st, site, t, now);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    size = size > FUZZ_MAX_BYTES ? FUZZ_MAX_BYTES : size;
    struct site *site = site_for(data[0]);
    struct policy_handle ph;
    struct ctl *ctl = NULL;
    struct ctl_twc *c = NULL;
    char err[256];
    CHECK(policy_open(site->policy, &ph, err, sizeof(err)) == 0);
    CHECK(ctl_new(site, ph.policy, &ctl, err, sizeof(err)) == 0);
    CHECK(ctl_twc_new(ctl, &c) == 0);
    struct site_state *st = ctl_state(ctl);
    struct twc_master m;
    struct twc_master_config mc;
    twc_master_config_init(&mc);
    mc.id = FUZZ_MID;
    mc.sign = 0x77;
    CHECK(twc_master_init(&m, &mc, 0) == 0);
    CHECK(ctl_twc_attach(c, 0, &m) == 0);
    int32_t cap_ma = GARAGE_MA + site->circuit[site_find_circuit(site, "garage")].overcommit_ma;
    struct truth t = {0};
    int32_t oven_at_tick = 0; /* the truth the last tick saw */
    uint64_t now = 1;
    measure(st, site, &t, now);
    size_t i = 1;
    while (i < size) {
        uint8_t op = data[i++] % 10;
        if (op <= 1 && i < size) {
            now += (uint64_t)data[i++] * (op ? 250 : 10); /* up to about 64 s in one step */
        } else if (op <= 4 && i + 7 <= size) {
            feed(&m, now, data + i, &t, st, site);
            i += 7;
        } else if (op == 5 && i < size) {
            /* the oven switches: both meters read it at once */
            t.oven_ma = (int32_t)(data[i++] % (OVEN_MAX_A + 1)) * 1000;
            measure(st, site, &t, now);
        } else if (op == 6 && i < size) {
            /* a meter reads garbage high (a reading may be wrong, but never low: a meter that
             * under-reads cannot be told from a load that stopped) */
            int m_idx = site_find_meter(site, (data[i] & 1) ? "oven-meter" : "garage-meter");
            m_idx = m_idx >= 0 ? m_idx : site_find_meter(site, "garage-meter");
            st->meter[m_idx].current_ma[0] += 1000 * (1 + (data[i++] >> 1));
            st->meter[m_idx].at_ms = now;
        } else if (op <= 8) {
            int rc = ctl_step(ctl, now);
            CHECK(rc >= 0);
            oven_at_tick = rc == 1 ? t.oven_ma : oven_at_tick;
            check(c, &m, oven_at_tick, cap_ma);
        } else {
            struct twc_master_out out;
            (void)twc_master_poll(&m, now, &out);
            check(c, &m, oven_at_tick, cap_ma);
        }
    }
    ctl_twc_free(c);
    ctl_free(ctl);
    policy_close(&ph);
    return 0;
}
