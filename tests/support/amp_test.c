/* SPDX-License-Identifier: MIT */
/* Helpers shared by the test executables. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tests/support/amp_test.h"

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

int amp_test_hex(const char *text, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = text; *p; p++) {
        if (isspace((unsigned char)*p)) {
            continue;
        }
        int d = hex_digit((unsigned char)*p);
        if (d < 0) {
            return -EINVAL;
        }
        if (hi < 0) {
            hi = d;
            continue;
        }
        if (n >= cap) {
            return -EMSGSIZE;
        }
        out[n++] = (uint8_t)(hi << 4 | d);
        hi = -1;
    }
    return hi < 0 ? (int)n : -EINVAL;
}

uint64_t amp_test_seed(void)
{
    const char *env = getenv("AMPSHARE_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
    fprintf(stderr, "AMPSHARE_TEST_SEED=%" PRIu64 "\n", seed);
    return seed;
}

uint64_t amp_test_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
