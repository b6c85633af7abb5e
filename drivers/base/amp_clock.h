/* SPDX-License-Identifier: MIT */
/*
 * The process's one monotonic clock reading. controller/loop.c runs every real-time loop on it
 * (loop_clock_real); the Modbus poller thread, which cannot see the loop, reads the same clock
 * through mb_clock. Nothing else calls clock_gettime(CLOCK_MONOTONIC) (STYLE.md §2.8).
 */
#ifndef AMP_CLOCK_H
#define AMP_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in whole milliseconds. */
uint64_t amp_clock_mono_ms(void);

/* The same clock in microseconds: for measuring how long work took (controller/loop.c's busy
 * time), never for scheduling. */
uint64_t amp_clock_mono_us(void);

/* The calling thread's CPU time in microseconds: beside amp_clock_mono_us it tells work from
 * time the thread waited for a core (a loaded machine). Measuring only. */
uint64_t amp_clock_thread_cpu_us(void);

#endif
