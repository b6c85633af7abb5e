/* SPDX-License-Identifier: MIT */
/* Shared by the fuzz targets: the libFuzzer entry point and an assertion that NDEBUG cannot turn
 * off (a failed CHECK aborts, which libFuzzer and replay_main.c both report as a crash). */
#ifndef AMP_FUZZ_CHECK_H
#define AMP_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)    \
    do {               \
        if (!(cond)) { \
            abort();   \
        }              \
    } while (0)

#endif
