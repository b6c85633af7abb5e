/* SPDX-License-Identifier: MIT */
/*
 * A simulated Modbus line: a libmodbus server in its own thread, listening on TCP or on a
 * pseudo-terminal it creates (RTU), answering for one or more unit ids from register tables the
 * caller fills. Faults can be switched on at any time: silence, an exception, garbage, late
 * replies; stop() and start() make the device disappear and come back.
 */
#ifndef SIM_MBSRV_H
#define SIM_MBSRV_H

#include <stddef.h>
#include <stdint.h>

#include <modbus.h>

#include "drivers/modbus/mb_bus.h"
#include "drivers/transport/tp_addr.h"

#define SIM_MBSRV_UNITS_MAX 8

enum sim_mb_fault {
    SIM_MB_FAULT_NONE = 0,
    SIM_MB_FAULT_SILENT = 1,    /* requests are read and never answered */
    SIM_MB_FAULT_EXCEPTION = 2, /* every request gets exception code arg */
    SIM_MB_FAULT_GARBAGE = 3,   /* a reply that cannot be a valid answer (TCP: wrong function;
                                   RTU: right length, broken CRC) */
    SIM_MB_FAULT_LATE = 4,      /* the correct reply, arg ms late */
};

/* Called with the server lock held after a write request (fc 5, 6, 15, 16) was applied. */
typedef void sim_mbsrv_write_fn(void *ctx, uint8_t unit, uint8_t fc, uint16_t addr, uint16_t n);

struct sim_mbsrv;

/*
 * Creates a server for addr: TP_ADDR_TCP (port 0 picks a free port; see sim_mbsrv_port()) or
 * TP_ADDR_PTY (a pty whose slave side is linked at addr->path; clients open that path; a stale
 * symlink there is replaced, anything else is refused with -EEXIST, and the link is removed on
 * stop only while it still points at this pty). Binds or creates the pty now, so clients can
 * connect once this returns; serving starts with sim_mbsrv_start(). Allocates. Returns 0, or a
 * negative code with a message in err.
 */
int sim_mbsrv_new(const struct tp_addr *addr, struct sim_mbsrv **out, char *err, size_t errlen);

/*
 * Creates an in-memory line named name (for labels): no endpoint, no thread. A client reaches
 * its units through an mb_bus made by mb_bus_new_mem(&sim_mbsrv_mem_ops, srv, ...): each
 * transaction is served at once from the same tables, with the same faults (a late reply is
 * answered: no time passes in memory), write log and hooks as the TCP and RTU lines. stop()
 * makes it fall silent, start() brings it back. Allocates. Returns 0 or -ENOMEM.
 */
int sim_mbsrv_new_mem(const char *name, struct sim_mbsrv **out);

/* The in-memory line's operations (ctx: the sim_mbsrv). */
extern const struct mb_bus_mem_ops sim_mbsrv_mem_ops;

/* Stops the thread, closes everything, frees the tables; accepts NULL. */
void sim_mbsrv_free(struct sim_mbsrv *srv);

/*
 * Answers for unit from mapping (ownership passes to the server, also on failure).
 * Returns 0, -EEXIST, -ENOSPC (more than SIM_MBSRV_UNITS_MAX units), -EINVAL. A unit marked
 * shared (sim_mbsrv_share_unit) that exists already takes the new mapping's tables beside its
 * own instead (-EEXIST nevertheless where both define one register, coil or input).
 */
int sim_mbsrv_add_unit(struct sim_mbsrv *srv, uint8_t unit, modbus_mapping_t *mapping);

/* Lets several simulated devices answer as one unit (a wallbox and its built-in meter, each
 * with its own registers): see sim_mbsrv_add_unit. */
void sim_mbsrv_share_unit(struct sim_mbsrv *srv, uint8_t unit);

/* Starts serving in a new thread (again after sim_mbsrv_stop(): same port, or a new pty at the
 * same link path). Returns 0 or a negative code. */
int sim_mbsrv_start(struct sim_mbsrv *srv);

/* Stops serving and closes the listening socket, every connection and the pty: the device
 * disappears. Safe to call when stopped. */
void sim_mbsrv_stop(struct sim_mbsrv *srv);

/* The bound TCP port (0 for a pty). */
uint16_t sim_mbsrv_port(const struct sim_mbsrv *srv);

/* The address clients use: "tcp://127.0.0.1:PORT" or "serial:LINK,BAUD,8N1". */
const char *sim_mbsrv_client_addr(const struct sim_mbsrv *srv);

/* Register tables may only be touched between lock() and unlock(). */
void sim_mbsrv_lock(struct sim_mbsrv *srv);
void sim_mbsrv_unlock(struct sim_mbsrv *srv);

/* The table of unit, or NULL. Borrowed; use under the lock. */
modbus_mapping_t *sim_mbsrv_mapping(struct sim_mbsrv *srv, uint8_t unit);

/* Switches the fault mode (arg: the exception code, or the delay in ms). Any time. */
void sim_mbsrv_set_fault(struct sim_mbsrv *srv, enum sim_mb_fault fault, int arg);

/* Switches one unit's own fault (NONE: the line's applies again). Returns 0 or -ENOENT. */
int sim_mbsrv_set_unit_fault(struct sim_mbsrv *srv, uint8_t unit, enum sim_mb_fault fault, int arg);

/* Requests received so far (answered or not), for tests that wait for traffic. */
uint64_t sim_mbsrv_requests(struct sim_mbsrv *srv);

/* Normal replies sent so far (late ones included, exceptions and garbage not). */
uint64_t sim_mbsrv_replies(struct sim_mbsrv *srv);

/* Sets the hook called after every applied write (NULL to remove). */
void sim_mbsrv_on_write(struct sim_mbsrv *srv, sim_mbsrv_write_fn *fn, void *ctx);

/* Writes the server keeps in its log between two sim_mbsrv_take_writes() calls. */
#define SIM_MBSRV_WRITE_LOG 64

/* One write request the server applied (fc 5, 6, 15 or 16), as it came in. */
struct sim_mb_write {
    uint8_t unit, fc;
    uint16_t addr, n;
    uint16_t value; /* the first register written, or the first coil (0 or 1) */
};

/*
 * The write log, in arrival order: copies up to cap of the writes applied since the last call
 * into out, forgets all of them, and returns how many were logged (which may exceed cap, or
 * SIM_MBSRV_WRITE_LOG: writes past the log's size are counted but not kept). For tests that
 * assert what reached a device and in which order.
 */
size_t sim_mbsrv_take_writes(struct sim_mbsrv *srv, struct sim_mb_write *out, size_t cap);

#endif
