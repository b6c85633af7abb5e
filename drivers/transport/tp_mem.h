/* SPDX-License-Identifier: MIT */
/*
 * In-memory transports for tests and the simulator: no fds, no syscalls, no allocation after
 * set-up.
 *
 * A bus models one half-duplex RS485 pair with N endpoints (a master and several slaves): every
 * byte one endpoint writes is delivered, at once and in order, to every other open endpoint. With
 * echo on, the writer receives its own bytes too, as some USB adapters hand a transmission back
 * (twc-gen2.md §1 "Echo"). There is no timing and no collision model: two writers interleave in
 * call order. Each endpoint has a fixed-size receive ring; bytes that do not fit are dropped for
 * that receiver and counted (tp_mem_overflow), as a UART overrun loses them.
 *
 * A pair is a bus with two endpoints.
 *
 * Endpoints are returned OPEN (tp_open on them returns 0). tp_close detaches one: it receives
 * nothing, its ring is emptied, and its reads and writes return -ENOTCONN until tp_open.
 * poll_fd is always -1: callers read on every tick.
 */
#ifndef TP_MEM_H
#define TP_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/transport/tp.h"

#define TP_MEM_RING_DEFAULT 4096 /* bytes per endpoint when 0 is given */

/* Flags for tp_mem_pair_new. */
#define TP_MEM_ECHO_A 0x1u /* a receives its own writes */
#define TP_MEM_ECHO_B 0x2u

struct tp_mem_bus;

/*
 * Makes a bus for up to max_endpoints endpoints, each with a ring of ring_bytes (0: default).
 * @param[out] out  the bus, owned by the caller (tp_mem_bus_free); NULL on failure
 * @return 0, -EINVAL (max_endpoints 0), -ENOMEM
 */
int tp_mem_bus_new(size_t max_endpoints, size_t ring_bytes, struct tp_mem_bus **out);

/*
 * Adds an endpoint to bus. It holds a reference to the bus, so the bus lives until it and every
 * endpoint are freed, in any order.
 * @param[in]  label  for log lines (copied; truncated to fit)
 * @param[in]  echo   true: the endpoint also receives what it writes
 * @param[out] out    the endpoint, owned by the caller (tp_free); NULL on failure
 * @return 0, -ENOSPC when the bus is full, -ENOMEM, -EINVAL
 */
int tp_mem_bus_attach(struct tp_mem_bus *bus, const char *label, bool echo, struct tp **out);

/* Drops the caller's reference to bus. Accepts NULL. */
void tp_mem_bus_free(struct tp_mem_bus *bus);

/*
 * Makes two connected endpoints "mem:a" and "mem:b" (a bus of two).
 * @param flags  TP_MEM_ECHO_A / TP_MEM_ECHO_B, or 0
 * @return 0 or -ENOMEM; on failure *a and *b are NULL
 */
int tp_mem_pair_new(struct tp **a, struct tp **b, size_t ring_bytes, unsigned flags);

/* Bytes waiting to be read at endpoint t (0 for a transport that is not a mem endpoint). */
size_t tp_mem_pending(const struct tp *t);

/* Bytes lost at endpoint t because its ring was full. */
uint64_t tp_mem_overflow(const struct tp *t);

#endif
