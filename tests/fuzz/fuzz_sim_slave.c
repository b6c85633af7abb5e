/* SPDX-License-Identifier: MIT */
/*
 * The simulated slave fed arbitrary bytes (as a master, or noise, would send them): it must never
 * crash, and everything it transmits must be whole frames with a good checksum and a length its
 * protocol allows (twc-gen2.md §2.3, §3). The first input byte picks the protocol and car; time
 * advances 7 ms per input byte, so timeouts and linkready cadence run too.
 */
#include <stdint.h>
#include <stdlib.h>

#include "drivers/twc/twc_codec.h"
#include "drivers/twc/twc_feed.h"
#include "sim/sim_twc_slave.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_output(const uint8_t *out, size_t n, struct twc_deframer *df)
{
    struct twc_rx rx;
    while (twc_rx_next(df, &out, &n, &rx) == 1) {
        if (rx.rc != 0 ||
            (rx.ev.len != TWC_BODY_V1 && rx.ev.len != TWC_BODY_V2 && rx.ev.len != TWC_BODY_EXT)) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    static const char *const cars[] = {"none", "tesla", "bmw-i3", "bmw-i3-idle"};
    struct sim_twc_slave_cfg cfg;
    sim_twc_slave_cfg_default(&cfg, 0x4085, (enum sim_twc_proto)(1 + data[0] % 3));
    struct sim_car_cfg car;
    sim_car_cfg_preset(&car, cars[(data[0] >> 2) % 4]);
    struct sim_twc_slave s;
    if (sim_twc_slave_init(&s, &cfg, &car, 0) != 0) {
        abort();
    }
    struct twc_deframer df;
    twc_deframer_init(&df);
    uint8_t out[512];
    uint64_t t = 0;
    for (size_t i = 1; i < size; i += 8) {
        size_t n = size - i < 8 ? size - i : 8;
        sim_twc_slave_on_bytes(&s, t, data + i, n);
        t += 7 * n;
        uint64_t next = 0;
        size_t k = sim_twc_slave_poll(&s, t, out, sizeof(out), &next);
        check_output(out, k, &df);
        if (next < t) {
            abort();
        }
    }
    size_t k = sim_twc_slave_poll(&s, t + 60000, out, sizeof(out), NULL);
    check_output(out, k, &df);
    return 0;
}
