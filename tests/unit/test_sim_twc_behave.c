/* SPDX-License-Identifier: MIT */
/*
 * Simulated Wall Connectors behave for any master (issue 14), each case found by driving them
 * with a master written outside the project. The frames here are built by hand, the checksum
 * summed by this file (twc-gen2.md §3: the bytes after the first, modulo 256), not by the codec:
 *   - an unchanged limit repeated on every heartbeat (TWCManager's habit) does not restart the
 *     car's ramp: the car gets as far as under a master that sets the limit once;
 *   - the simulated Tesla's VIN is valid (ISO 3779 letters and check digit, checked here);
 *   - FD EB voltages follow the unit's region and wiring: a US 80 A unit reports L1 only.
 */
#include <ctype.h>
#include <string.h>

#include <check.h>

#include "sim/sim_twc_slave.h"
#include "tests/support/check_main.h"

/* A v2 master frame fb <kind> 7777 <dst> <payload...>: 15 bytes, checksum, C0 framing. */
static size_t master_frame(uint8_t kind, uint16_t dst, const uint8_t *pl, size_t npl, uint8_t *out)
{
    uint8_t body[15] = {0xfb, kind, 0x77, 0x77, (uint8_t)(dst >> 8), (uint8_t)dst};
    memcpy(body + 6, pl, npl);
    unsigned sum = 0;
    for (size_t i = 1; i < sizeof(body); i++) {
        sum += body[i];
    }
    size_t n = 0;
    out[n++] = 0xc0;
    memcpy(out + n, body, sizeof(body)); /* no C0 / DB in these bodies: nothing to escape */
    n += sizeof(body);
    out[n++] = (uint8_t)sum;
    out[n++] = 0xc0;
    return n;
}

static void make(struct sim_twc_slave *s, uint16_t id, enum sim_twc_proto proto, const char *car)
{
    struct sim_twc_slave_cfg cfg;
    sim_twc_slave_cfg_default(&cfg, id, proto);
    struct sim_car_cfg cc;
    ck_assert_int_eq(sim_car_cfg_preset(&cc, car), 0);
    ck_assert_int_eq(sim_twc_slave_init(s, &cfg, &cc, 0), 0);
    uint8_t out[256];
    sim_twc_slave_poll(s, 0, out, sizeof(out), NULL);
}

static size_t send(struct sim_twc_slave *s,
                   uint64_t t,
                   uint8_t kind,
                   const uint8_t *pl,
                   size_t npl,
                   uint8_t *reply,
                   size_t cap)
{
    uint8_t f[32];
    size_t n = master_frame(kind, s->id, pl, npl, f);
    sim_twc_slave_on_bytes(s, t, f, n);
    return sim_twc_slave_poll(s, t + 100, reply, cap, NULL);
}

START_TEST(test_repeated_limit_keeps_the_ramp)
{
    static const uint8_t set16[3] = {0x09, 0x06, 0x40}; /* 09 16.00 A */
    static const uint8_t keep[1] = {0x00};
    struct sim_twc_slave rep, once;
    make(&rep, 0x4085, SIM_TWC_V2, "tesla");
    make(&once, 0x4085, SIM_TWC_V2, "tesla");
    uint8_t out[256];
    int32_t rep_at_20 = 0;
    for (uint64_t t = 1000; t <= 40000; t += 1000) {
        send(&rep, t, 0xe0, set16, sizeof(set16), out, sizeof(out));
        if (t == 1000) {
            send(&once, t, 0xe0, set16, sizeof(set16), out, sizeof(out));
        } else {
            send(&once, t, 0xe0, keep, sizeof(keep), out, sizeof(out));
        }
        if (t == 20000) {
            rep_at_20 = sim_car_draw_ma(&rep.car);
        }
    }
    int32_t a = sim_car_draw_ma(&rep.car), b = sim_car_draw_ma(&once.car);
    ck_assert_msg(a >= 14000, "repeated 09 06 40: the Tesla draws %d mA after 40 s", a);
    ck_assert_msg(rep_at_20 >= 14000, "repeated 09 06 40: %d mA after 20 s", rep_at_20);
    ck_assert_msg(a - b < 500 && b - a < 500, "repeated %d mA, set once %d mA", a, b);
}

END_TEST

static int vin_value(char c)
{
    static const char *letters = "ABCDEFGHJKLMNPRSTUVWXYZ";
    static const int val[] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9};
    if (isdigit((unsigned char)c)) {
        return c - '0';
    }
    const char *p = strchr(letters, c);
    return p && c ? val[p - letters] : -1;
}

START_TEST(test_vin_is_valid)
{
    struct sim_twc_slave s;
    make(&s, 0x2019, SIM_TWC_EXT, "tesla");
    static const uint8_t kinds[3] = {0xee, 0xef, 0xf1};
    static const uint8_t zero[1] = {0};
    char vin[32] = "";
    for (int part = 0; part < 3; part++) {
        uint8_t out[256];
        size_t n = send(&s, 1000 + (uint64_t)part * 1000, kinds[part], zero, 1, out, sizeof(out));
        ck_assert_uint_gt(n, 8);
        ck_assert_uint_eq(out[2], kinds[part]);
        for (size_t i = 5; i < n && out[i] != 0 && out[i] != 0xc0; i++) {
            size_t l = strlen(vin);
            vin[l] = (char)out[i];
            vin[l + 1] = '\0';
        }
    }
    ck_assert_msg(strlen(vin) == 17, "VIN '%s'", vin);
    static const int weight[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int v = vin_value(vin[i]);
        ck_assert_msg(v >= 0, "VIN '%s': '%c' is not allowed (ISO 3779: no I, O, Q)", vin, vin[i]);
        sum += v * weight[i];
    }
    char check = sum % 11 == 10 ? 'X' : (char)('0' + sum % 11);
    ck_assert_msg(vin[8] == check, "VIN '%s': check digit %c, want %c", vin, vin[8], check);
}

END_TEST

/* FD EB: energy (4 bytes) then L1, L2, L3 in volts, big-endian, from byte 9 of the frame. */
static void voltages(uint16_t max_ca, unsigned phases, uint16_t want[3])
{
    struct sim_twc_slave_cfg cfg;
    sim_twc_slave_cfg_default(&cfg, 0x6090, SIM_TWC_EXT);
    sim_twc_slave_cfg_region(&cfg, max_ca, phases);
    struct sim_twc_slave s;
    ck_assert_int_eq(sim_twc_slave_init(&s, &cfg, NULL, 0), 0);
    uint8_t out[256];
    sim_twc_slave_poll(&s, 0, out, sizeof(out), NULL);
    static const uint8_t zero[1] = {0};
    size_t n = send(&s, 1000, 0xeb, zero, 1, out, sizeof(out));
    ck_assert_uint_gt(n, 15);
    ck_assert_uint_eq(out[2], 0xeb);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq((unsigned)(out[9 + 2 * i] << 8 | out[10 + 2 * i]), want[i]);
    }
}

START_TEST(test_voltages_follow_region_and_phases)
{
    voltages(8000, 1, (uint16_t[3]){240, 0, 0}); /* US 80 A split-phase: L1 only */
    voltages(8000, 3, (uint16_t[3]){240, 0, 0}); /* no 3-phase US unit */
    voltages(3200, 3, (uint16_t[3]){230, 230, 230});
    voltages(3200, 1, (uint16_t[3]){230, 0, 0});
}

END_TEST

static Suite *behave_suite(void)
{
    Suite *s = suite_create("sim_twc_behave");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_repeated_limit_keeps_the_ramp);
    tcase_add_test(tc, test_vin_is_valid);
    tcase_add_test(tc, test_voltages_follow_region_and_phases);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(behave_suite)
