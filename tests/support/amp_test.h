/* SPDX-License-Identifier: MIT */
/* Helpers shared by the test executables. */
#ifndef AMP_TEST_H
#define AMP_TEST_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses hex text ("c0 fb e2 ..." or "c0fbe2...", any spacing) into out. Returns the byte count,
 * or -EINVAL on a bad digit, -EMSGSIZE when cap is too small.
 */
int amp_test_hex(const char *text, uint8_t *out, size_t cap);

/* The seed for randomized tests: AMPSHARE_TEST_SEED if set, else the time. Printed once. */
uint64_t amp_test_seed(void);

/* A small deterministic PRNG (splitmix64) for randomized tests. */
uint64_t amp_test_rand(uint64_t *state);

#endif
