/* SPDX-License-Identifier: MIT */
/* A libmodbus client context with bounded transactions, gaps, and error translation. */
#include "drivers/modbus/mb_bus.h"

#include <stdio.h>
#include <stdlib.h>

#include <modbus.h>

#include "drivers/base/amp_err.h"
#include "drivers/base/log.h"

struct mb_bus {
    modbus_t *ctx;
    const struct mb_clock *clock;
    bool rtu;
    bool open;
    bool need_flush; /* a reply may still be in flight: drop stale bytes before the next */
    uint32_t gap_ms;
    uint64_t last_end_ms;
    bool any_done;
    const struct mb_bus_mem_ops *mem; /* an in-memory line (mb_bus_new_mem): no ctx */
    void *mem_ctx;
    char label[300];
};

/* Modbus RTU: a frame ends after 3.5 character times of silence (Modbus over serial line v1.02,
 * §2.5.1.1), and above 19200 baud a fixed 1.75 ms is recommended. libmodbus does not wait it
 * between transactions, so the bus does. One character is 11 bits (start, 8 data, parity or a
 * second stop bit, stop). */
static uint32_t rtu_min_gap_ms(uint32_t baud)
{
    if (baud > 19200) {
        return 2;
    }
    uint32_t us = (uint32_t)(3500000ull * 11u / (baud ? baud : 9600));
    return (us + 999) / 1000;
}

int mb_bus_new(const struct tp_addr *addr, const struct mb_bus_opts *opts, struct mb_bus **out)
{
    *out = NULL;
    uint32_t timeout = opts && opts->timeout_ms ? opts->timeout_ms : MB_BUS_TIMEOUT_DEFAULT_MS;
    if (timeout > MB_BUS_TIMEOUT_MAX_MS || (opts && opts->gap_ms > MB_BUS_TIMEOUT_MAX_MS)) {
        return -EINVAL;
    }
    if (addr->kind != TP_ADDR_TCP && addr->kind != TP_ADDR_SERIAL) {
        return -EINVAL;
    }
    struct mb_bus *b = calloc(1, sizeof(*b));
    if (!b) {
        return -ENOMEM;
    }
    b->clock = opts && opts->clock ? opts->clock : &mb_clock_monotonic;
    b->gap_ms = opts ? opts->gap_ms : 0;
    if (tp_addr_format(addr, b->label, sizeof(b->label)) < 0) {
        snprintf(b->label, sizeof(b->label), "modbus");
    }
    if (addr->kind == TP_ADDR_TCP) {
        char port[8];
        snprintf(port, sizeof(port), "%u", addr->port);
        b->ctx = modbus_new_tcp_pi(addr->host, port);
    } else {
        b->rtu = true;
        b->ctx = modbus_new_rtu(addr->path, (int)addr->baud, addr->parity, addr->data_bits,
                                addr->stop_bits);
        uint32_t min_gap = rtu_min_gap_ms(addr->baud);
        if (b->gap_ms < min_gap) {
            b->gap_ms = min_gap;
        }
    }
    if (!b->ctx) {
        int rc = errno == ENOMEM ? -ENOMEM : -EINVAL;
        free(b);
        return rc;
    }
    /* The whole reply must arrive within the response timeout: no byte timeout, so a device
     * trickling bytes cannot stretch a transaction (libmodbus then keeps one deadline). */
    modbus_set_response_timeout(b->ctx, timeout / 1000u, (timeout % 1000u) * 1000u);
    modbus_set_byte_timeout(b->ctx, 0, 0);
    modbus_set_error_recovery(b->ctx, MODBUS_ERROR_RECOVERY_NONE);
    *out = b;
    return 0;
}

int mb_bus_new_mem(const struct mb_bus_mem_ops *ops,
                   void *ctx,
                   const char *label,
                   const struct mb_bus_opts *opts,
                   struct mb_bus **out)
{
    *out = NULL;
    if (!ops || !ops->read_regs || !ops->read_coils || !ops->write_regs || !ops->write_coil) {
        return -EINVAL;
    }
    struct mb_bus *b = calloc(1, sizeof(*b));
    if (!b) {
        return -ENOMEM;
    }
    b->clock = opts && opts->clock ? opts->clock : &mb_clock_monotonic;
    b->mem = ops;
    b->mem_ctx = ctx;
    b->open = true;
    snprintf(b->label, sizeof(b->label), "%s", label ? label : "mem");
    *out = b;
    return 0;
}

void mb_bus_free(struct mb_bus *bus)
{
    if (!bus) {
        return;
    }
    if (bus->ctx) {
        if (bus->open) {
            modbus_close(bus->ctx);
        }
        modbus_free(bus->ctx);
    }
    free(bus);
}

const char *mb_bus_label(const struct mb_bus *bus)
{
    return bus->label;
}

bool mb_bus_is_rtu(const struct mb_bus *bus)
{
    return bus->rtu;
}

void mb_bus_raise_gap(struct mb_bus *bus, uint32_t gap_ms)
{
    if (gap_ms > bus->gap_ms && gap_ms <= MB_BUS_TIMEOUT_MAX_MS) {
        bus->gap_ms = gap_ms;
    }
}

uint64_t mb_bus_now_ms(const struct mb_bus *bus)
{
    return bus->clock->now_ms(bus->clock->ctx);
}

static int errno_code(void)
{
    return errno > 0 ? -errno : -EIO;
}

int mb_bus_connect(struct mb_bus *bus)
{
    if (bus->open || bus->mem) {
        return 0;
    }
    if (modbus_connect(bus->ctx) == -1) {
        int rc = errno_code();
        log_debug("mb", "%s: connect: %s", bus->label, amp_strerror(rc));
        return rc;
    }
    bus->open = true;
    bus->need_flush = false;
    return 0;
}

static void drop_link(struct mb_bus *bus)
{
    if (bus->open) {
        modbus_close(bus->ctx);
        bus->open = false;
    }
}

static bool is_modbus_exception(int rc)
{
    return -rc >= EMBXILFUN && -rc <= EMBXGTAR;
}

/* Decides what a failed transaction means for the link. */
static void after_failure(struct mb_bus *bus, int rc)
{
    if (is_modbus_exception(rc)) {
        return; /* the device answered: the link is fine */
    }
    if (!bus->rtu) {
        /* TCP: a late or garbled reply could be taken for the next one; a fresh connection
         * cannot carry it. */
        drop_link(bus);
        return;
    }
    if (rc == -EIO || rc == -ENXIO || rc == -EBADF || rc == -ENODEV) {
        drop_link(bus); /* the adapter went away: reopen next time */
    } else {
        bus->need_flush = true;
    }
}

static int begin(struct mb_bus *bus, uint8_t unit)
{
    if (bus->rtu ? unit < 1 || unit > 247 : false) {
        return -EINVAL;
    }
    int rc = mb_bus_connect(bus);
    if (rc < 0) {
        return rc;
    }
    if (bus->any_done && bus->gap_ms) {
        uint64_t now = mb_bus_now_ms(bus);
        uint64_t ready = bus->last_end_ms + bus->gap_ms;
        if (now < ready) {
            bus->clock->sleep_ms(bus->clock->ctx, (uint32_t)(ready - now));
        }
    }
    if (bus->need_flush) {
        modbus_flush(bus->ctx);
        bus->need_flush = false;
    }
    if (modbus_set_slave(bus->ctx, unit) == -1) {
        return errno_code();
    }
    return 0;
}

static int finish(struct mb_bus *bus, int rc)
{
    bus->last_end_ms = mb_bus_now_ms(bus);
    bus->any_done = true;
    if (rc < 0) {
        after_failure(bus, rc);
    }
    return rc;
}

int mb_bus_read_regs(
    struct mb_bus *bus, uint8_t unit, uint8_t fc, uint16_t addr, uint16_t n, uint16_t *dst)
{
    if (n < 1 || n > MODBUS_MAX_READ_REGISTERS || (fc != 3 && fc != 4)) {
        return -EINVAL;
    }
    if (bus->mem) {
        return bus->mem->read_regs(bus->mem_ctx, unit, fc, addr, n, dst);
    }
    int rc = begin(bus, unit);
    if (rc < 0) {
        return rc;
    }
    int got = fc == 3 ? modbus_read_registers(bus->ctx, addr, n, dst)
                      : modbus_read_input_registers(bus->ctx, addr, n, dst);
    if (got == -1) {
        rc = errno_code();
    } else if (got != n) {
        rc = -EPROTO;
    }
    return finish(bus, rc);
}

int mb_bus_read_coils(struct mb_bus *bus, uint8_t unit, uint16_t addr, uint16_t n, uint8_t *dst)
{
    if (n < 1 || n > 125) {
        return -EINVAL;
    }
    if (bus->mem) {
        return bus->mem->read_coils(bus->mem_ctx, unit, addr, n, dst);
    }
    int rc = begin(bus, unit);
    if (rc < 0) {
        return rc;
    }
    int got = modbus_read_bits(bus->ctx, addr, n, dst);
    if (got == -1) {
        rc = errno_code();
    } else if (got != n) {
        rc = -EPROTO;
    }
    return finish(bus, rc);
}

int mb_bus_write_regs(
    struct mb_bus *bus, uint8_t unit, uint8_t fc, uint16_t addr, uint16_t n, const uint16_t *src)
{
    if ((fc == 6 && n != 1) || (fc == 16 && (n < 1 || n > MODBUS_MAX_WRITE_REGISTERS)) ||
        (fc != 6 && fc != 16)) {
        return -EINVAL;
    }
    if (bus->mem) {
        return bus->mem->write_regs(bus->mem_ctx, unit, fc, addr, n, src);
    }
    int rc = begin(bus, unit);
    if (rc < 0) {
        return rc;
    }
    int done = fc == 6 ? modbus_write_register(bus->ctx, addr, src[0])
                       : modbus_write_registers(bus->ctx, addr, n, src);
    if (done == -1) {
        rc = errno_code();
    } else if (done != (fc == 6 ? 1 : n)) {
        rc = -EPROTO;
    }
    return finish(bus, rc);
}

int mb_bus_write_coil(struct mb_bus *bus, uint8_t unit, uint16_t addr, bool on)
{
    if (bus->mem) {
        return bus->mem->write_coil(bus->mem_ctx, unit, addr, on);
    }
    int rc = begin(bus, unit);
    if (rc < 0) {
        return rc;
    }
    if (modbus_write_bit(bus->ctx, addr, on ? 1 : 0) == -1) {
        rc = errno_code();
    }
    return finish(bus, rc);
}
