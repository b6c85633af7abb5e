/* SPDX-License-Identifier: MIT */
/* Binary captures and renderings: HackRF .cs8 IQ and rpitx v1 RF records. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "drivers/rf/rf.h"

#define RF_CS8_RATE_MIN  100000u /* below this a 400 us symbol is under 40 samples */
#define RF_CS8_RATE_MAX  100000000u
#define RF_CS8_ON_I      127   /* carrier on: full scale on I (rgerganov's geniq does the same) */
#define RF_ENV_SMOOTH_US 10u   /* envelope smoothing window */
#define RF_ENV_MAG_SCALE 16.0f /* fixed-point magnitude, so the moving sum is exact */
#define RF_RPITX_ON_HZ   1.0   /* RF mode: any nonzero frequency offset keys the carrier */

static int bin_fail(struct rf_err *err, uint64_t offset, const char *what)
{
    err->loc = (struct rf_loc){.line = 0, .col = offset};
    err->what = what;
    return -EINVAL;
}

static uint32_t mag_q(const int8_t *iq, size_t k)
{
    float i = iq[2 * k], q = iq[2 * k + 1];
    return (uint32_t)lrintf(sqrtf(i * i + q * q) * RF_ENV_MAG_SCALE);
}

/* Microseconds from the start to sample k: computed from the index, so rounding never drifts. */
static uint64_t sample_us(uint64_t k, uint32_t rate)
{
    return (k * 1000000u + rate / 2) / rate;
}

int rf_parse_cs8(struct rf_capture *c,
                 const int8_t *iq,
                 size_t nbytes,
                 uint32_t sample_rate_hz,
                 struct rf_err *err)
{
    c->input = RF_INPUT_CS8;
    if (sample_rate_hz < RF_CS8_RATE_MIN || sample_rate_hz > RF_CS8_RATE_MAX) {
        return bin_fail(err, 0, "sample rate outside 100 kHz .. 100 MHz");
    }
    if (nbytes % 2 != 0) {
        return bin_fail(err, nbytes - 1, "odd byte count: .cs8 holds I,Q byte pairs");
    }
    size_t n = nbytes / 2;
    size_t w = (size_t)sample_rate_hz * RF_ENV_SMOOTH_US / 1000000u;
    w = w ? w : 1;
    if (n < w + 2) {
        return bin_fail(err, 0, "too few samples");
    }
    /* Pass 1: quietest and loudest smoothed level. */
    uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
    for (size_t k = 0; k < n; k++) {
        sum += mag_q(iq, k);
        if (k >= w) {
            sum -= mag_q(iq, k - w);
        }
        if (k + 1 >= w) {
            lo = sum < lo ? sum : lo;
            hi = sum > hi ? sum : hi;
        }
    }
    /* A level change under 4 LSB is noise, not a keyed carrier. */
    if (hi - lo < (uint64_t)(4 * RF_ENV_MAG_SCALE) * w) {
        return bin_fail(err, 0, "no carrier: the level never changes");
    }
    uint64_t th_on = lo + (hi - lo) * 6 / 10, th_off = lo + (hi - lo) * 4 / 10;
    /* Pass 2: slice with hysteresis. Both edges are delayed by the same window, so run lengths
     * stay true. */
    sum = 0;
    uint8_t on = 0;
    uint64_t edge = 0;
    for (size_t k = 0; k < n; k++) {
        sum += mag_q(iq, k);
        if (k >= w) {
            sum -= mag_q(iq, k - w);
        }
        uint8_t now = on ? sum > th_off : sum >= th_on;
        if (now != on || k + 1 == n) {
            uint64_t end = (now != on) ? k : n;
            uint64_t us = sample_us(end, sample_rate_hz) - sample_us(edge, sample_rate_hz);
            if (us > 0) {
                int rc = rf_capture_add_run(c, on, us > UINT32_MAX ? UINT32_MAX : (uint32_t)us,
                                            (struct rf_loc){.line = 0, .col = 2 * edge});
                if (rc < 0) {
                    return rc;
                }
            }
            edge = end;
            on = now;
        }
    }
    return 0;
}

uint64_t rf_cs8_size(const struct rf_run *runs, size_t n, uint32_t sample_rate_hz)
{
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++) {
        t += runs[i].us;
    }
    return 2 * ((t * sample_rate_hz + 500000u) / 1000000u);
}

int64_t
rf_render_cs8(const struct rf_run *runs, size_t n, uint32_t sample_rate_hz, int8_t *buf, size_t cap)
{
    uint64_t t = 0, k = 0;
    if (rf_cs8_size(runs, n, sample_rate_hz) > cap) {
        return -EMSGSIZE;
    }
    for (size_t i = 0; i < n; i++) {
        t += runs[i].us;
        uint64_t end = (t * sample_rate_hz + 500000u) / 1000000u;
        for (; k < end; k++) {
            buf[2 * k] = runs[i].on ? RF_CS8_ON_I : 0;
            buf[2 * k + 1] = 0;
        }
    }
    return (int64_t)(2 * k);
}

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

int64_t rf_render_rpitx_rf(const struct rf_run *runs, size_t n, uint8_t *buf, size_t cap)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t ns = (uint64_t)runs[i].us * 1000u;
        double hz = runs[i].on ? RF_RPITX_ON_HZ : 0.0;
        uint64_t bits;
        memcpy(&bits, &hz, sizeof(bits));
        do { /* WaitForThisSample is a uint32: split runs past 4.29 s */
            uint32_t part = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
            if (cap - len < RF_RPITX_RECORD) {
                return -EMSGSIZE;
            }
            put_le(buf + len, bits, 8);
            put_le(buf + len + 8, part, 4);
            put_le(buf + len + 12, 0, 4);
            len += RF_RPITX_RECORD;
            ns -= part;
        } while (ns > 0);
    }
    return (int64_t)len;
}

int rf_parse_rpitx_rf(struct rf_capture *c, const uint8_t *buf, size_t len, struct rf_err *err)
{
    c->input = RF_INPUT_RPITX_RF;
    if (len % RF_RPITX_RECORD != 0) {
        return bin_fail(err, len - len % RF_RPITX_RECORD, "a partial 16-byte RF record");
    }
    for (size_t off = 0; off < len; off += RF_RPITX_RECORD) {
        uint64_t bits = get_le(buf + off, 8);
        double hz;
        memcpy(&hz, &bits, sizeof(hz));
        if (!isfinite(hz)) {
            return bin_fail(err, off, "RF record frequency is not a number");
        }
        uint32_t us = (uint32_t)((get_le(buf + off + 8, 4) + 500u) / 1000u);
        if (us == 0) {
            continue; /* under half a microsecond: nothing to time */
        }
        int rc = rf_capture_add_run(c, hz != 0.0, us, (struct rf_loc){.line = 0, .col = off});
        if (rc < 0) {
            return rc;
        }
    }
    if (c->nruns == 0) {
        return bin_fail(err, 0, "no RF records");
    }
    return 0;
}
