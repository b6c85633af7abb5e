/* SPDX-License-Identifier: MIT */
/*
 * One Modbus line: a libmodbus client context on a serial port (RTU, shared by several unit ids)
 * or a TCP endpoint. Thin I/O: every transaction is bounded by the response timeout, every
 * libmodbus error is translated at once into a negative code (amp_strerror() names it, delegating
 * Modbus exceptions and framing errors to modbus_strerror()).
 *
 * A bus is used by one thread at a time (the poller's thread, or a command). It connects lazily and
 * reconnects by itself after a link error; a dead device costs at most one timeout per call.
 */
#ifndef MB_BUS_H
#define MB_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/modbus/mb_clock.h"
#include "drivers/transport/tp_addr.h"

#define MB_BUS_TIMEOUT_DEFAULT_MS 300u
#define MB_BUS_TIMEOUT_MAX_MS     10000u

struct mb_bus_opts {
    uint32_t timeout_ms; /* response timeout of one transaction; 0 = MB_BUS_TIMEOUT_DEFAULT_MS */
    uint32_t gap_ms;     /* quiet time between two transactions (the end of one and the start of
                            the next); RTU never goes below 3.5 characters */
    const struct mb_clock *clock; /* NULL = mb_clock_monotonic; borrowed, must outlive the bus */
};

struct mb_bus;

/*
 * Creates a bus for addr (TP_ADDR_TCP or TP_ADDR_SERIAL; a pty link is opened as a serial path).
 * Does not open the port or connect yet. Allocates; free with mb_bus_free().
 *
 * @return 0 and *out; -EINVAL for an unusable address or option (pty: is the listening side of
 *         a simulator), -ENOMEM. *out is NULL on failure.
 */
int mb_bus_new(const struct tp_addr *addr, const struct mb_bus_opts *opts, struct mb_bus **out);

/*
 * An in-memory line: the simulator's devices answer each transaction by a direct call (no bytes,
 * no thread, no wait), so the register-level code above (mb_meter_read, the mb_evse models, the
 * poller) runs unchanged, deterministically, on a virtual clock. Each op returns 0 or the code a
 * real line would give (-ETIMEDOUT for silence, -EMBXILADD for a bad address, ...). The link
 * rules of a real line (inter-frame gaps, reconnects, flushes) do not apply and are skipped.
 */
struct mb_bus_mem_ops {
    int (*read_regs)(void *ctx, uint8_t unit, uint8_t fc, uint16_t addr, uint16_t n, uint16_t *dst);
    int (*read_coils)(void *ctx, uint8_t unit, uint16_t addr, uint16_t n, uint8_t *dst);
    int (*write_regs)(
        void *ctx, uint8_t unit, uint8_t fc, uint16_t addr, uint16_t n, const uint16_t *src);
    int (*write_coil)(void *ctx, uint8_t unit, uint16_t addr, bool on);
};

/* Creates an in-memory bus over ops (borrowed) and ctx, labelled label ("mem:NAME").
 * Returns 0, -EINVAL or -ENOMEM; *out is NULL on failure. */
int mb_bus_new_mem(const struct mb_bus_mem_ops *ops,
                   void *ctx,
                   const char *label,
                   const struct mb_bus_opts *opts,
                   struct mb_bus **out);

/* Closes and frees; accepts NULL. */
void mb_bus_free(struct mb_bus *bus);

/* The canonical address ("tcp://127.0.0.1:1502"); valid while the bus lives. */
const char *mb_bus_label(const struct mb_bus *bus);

bool mb_bus_is_rtu(const struct mb_bus *bus);

/* Raises the bus's inter-transaction gap to at least gap_ms (a device on it needs that much). */
void mb_bus_raise_gap(struct mb_bus *bus, uint32_t gap_ms);

/* The bus clock's current time, ms. */
uint64_t mb_bus_now_ms(const struct mb_bus *bus);

/* Opens the port or connects now. Returns 0 or a negative code (-ECONNREFUSED, -ENOENT, ...). */
int mb_bus_connect(struct mb_bus *bus);

/*
 * Reads n (1..125) registers with function code fc (3 = holding, 4 = input) from unit.
 * @param[out] dst  n registers, written only on success
 * @return 0; -ETIMEDOUT (no answer), a Modbus exception (-EMBXILADD, ...), a framing error
 *         (-EMBBADCRC, -EMBBADDATA, ...), a link error (-ECONNREFUSED, -EIO, ...), -EINVAL.
 */
int mb_bus_read_regs(
    struct mb_bus *bus, uint8_t unit, uint8_t fc, uint16_t addr, uint16_t n, uint16_t *dst);

/* Reads n (1..125) coils (fc 1). dst receives 0 or 1 per coil. Codes as mb_bus_read_regs(). */
int mb_bus_read_coils(struct mb_bus *bus, uint8_t unit, uint16_t addr, uint16_t n, uint8_t *dst);

/* Writes n registers with fc 6 (n must be 1) or fc 16 (n 1..123). Codes as mb_bus_read_regs(). */
int mb_bus_write_regs(
    struct mb_bus *bus, uint8_t unit, uint8_t fc, uint16_t addr, uint16_t n, const uint16_t *src);

/* Writes one coil (fc 5). Codes as mb_bus_read_regs(). */
int mb_bus_write_coil(struct mb_bus *bus, uint8_t unit, uint16_t addr, bool on);

#endif
