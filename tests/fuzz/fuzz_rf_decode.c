/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: `ampshare chargeport decode` (drivers/rf/rf.h) on arbitrary input. The first
 * byte picks the input kind (text auto, symbols, timings, Flipper, sendook, cs8 at one of four
 * rates, rpitx RF records); the rest is the capture. Invariants: parsing gives 0, -EINVAL with a
 * description and a place inside the input, or -EFBIG; decoding gives 0 exactly when a block was
 * decoded, -ENODATA, -ERANGE or -EFBIG (too many symbols once expanded) otherwise; counts agree
 * with the kept arrays; a charge-port verdict means the voted message is the 50-bit constant.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/rf/rf.h"
#include "tests/fuzz/fuzz_check.h"

static const enum rf_input kinds[] = {RF_INPUT_AUTO,    RF_INPUT_SYMBOLS, RF_INPUT_TIMINGS,
                                      RF_INPUT_FLIPPER, RF_INPUT_SENDOOK, RF_INPUT_CS8,
                                      RF_INPUT_RPITX_RF};

static const uint32_t rates[] = {100000, 250000, 1000000, 2000000};

static void check_result(const struct rf_result *r, int rc)
{
    CHECK(rc == 0 || rc == -ENODATA || rc == -ERANGE || rc == -EFBIG);
    CHECK((rc == 0) == (r->nblocks > 0));
    CHECK(r->msg_count <= r->nblocks);
    CHECK(r->chargeport_blocks <= r->nblocks);
    size_t kept = r->nblocks < RF_BLOCKS_KEPT ? r->nblocks : RF_BLOCKS_KEPT;
    size_t sum = 0;
    for (size_t i = 0; i < kept; i++) {
        CHECK(r->blocks[i].nbits >= 1);
        CHECK(r->blocks[i].start_symbol < r->nsymbols);
        CHECK(r->blocks[i].tx < r->ntx);
    }
    for (size_t i = 0; i < r->ntx && i < RF_TX_KEPT; i++) {
        CHECK(r->tx[i].start_symbol < r->nsymbols);
        CHECK(r->tx[i].preamble_symbols >= RF_PREAMBLE_MIN - 2);
        sum += r->tx[i].blocks;
    }
    if (r->ntx <= RF_TX_KEPT) {
        CHECK(sum == r->nblocks);
    }
    if (r->is_chargeport) {
        CHECK(r->msg_bits == RF_MSG_BITS && memcmp(r->msg, rf_chargeport_bits, RF_MSG_BITS) == 0);
        CHECK(r->chargeport_blocks >= 1);
    }
    CHECK(r->symbol_us == 0.0 || (r->symbol_us >= 20.0 && r->symbol_us <= 100000.0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) {
        return 0;
    }
    enum rf_input in = kinds[data[0] % (sizeof(kinds) / sizeof(kinds[0]))];
    uint32_t rate = rates[(data[0] >> 4) % 4];
    size_t n = size - 1;
    /* A private copy, so a read past the end is a read past the allocation. */
    uint8_t *buf = malloc(n ? n : 1);
    CHECK(buf != NULL);
    memcpy(buf, data + 1, n);
    struct rf_capture c;
    rf_capture_init(&c);
    struct rf_err err = {0};
    int rc = in == RF_INPUT_CS8        ? rf_parse_cs8(&c, (const int8_t *)buf, n, rate, &err)
             : in == RF_INPUT_RPITX_RF ? rf_parse_rpitx_rf(&c, buf, n, &err)
                                       : rf_parse_text(&c, (const char *)buf, n, in, &err);
    CHECK(rc == 0 || rc == -EINVAL || rc == -EFBIG);
    if (rc == -EINVAL) {
        CHECK(err.what != NULL && err.what[0] != '\0');
        if (err.loc.line == 0) {
            CHECK(err.loc.col <= n);
        } else {
            CHECK(err.loc.col >= 1 && err.loc.col <= n + 1);
        }
    }
    if (rc == 0) {
        struct rf_result *r = calloc(1, sizeof(*r));
        CHECK(r != NULL);
        check_result(r, rf_decode(&c, r));
        free(r);
    }
    rf_capture_fini(&c);
    free(buf);
    return 0;
}
