/* SPDX-License-Identifier: MIT */
/*
 * Byte transports: one small interface for every way bytes reach a Wall Connector bus (a serial
 * adapter, a pseudo-terminal, a TCP serial bridge, an in-memory bus) and for the fault injector
 * that wraps any of them (STYLE.md §2.6). Docs: docs/transports.md.
 *
 * Contract shared by every transport:
 *   - A constructor (tp_*_new) allocates a closed transport; tp_open() opens it. A transport may be
 *     closed and opened again any number of times (that is how tp_link reconnects).
 *   - tp_read() never blocks: it returns the byte count, 0 when nothing is waiting, or a negative
 *     code. -ENODEV, -EIO and -ECONNRESET mean the device or peer is gone: close and reopen later.
 *   - tp_write() never blocks for long: it returns how many bytes were accepted (possibly fewer
 *     than len, possibly 0 when the kernel buffer is full) or a negative code.
 *   - tp_poll_fd() gives an fd to wait on for POLLIN, or -1 when there is none (mem) or the
 *     transport is closed. The fd may change across close/open.
 *   - No call allocates after the constructor; reads and writes are safe in a per-tick path.
 */
#ifndef TP_H
#define TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "drivers/transport/tp_addr.h"

struct tp;

struct tp_ops {
    const char *name; /* "serial", "pty", "tcp", "tcp-listen", "mem", "fault" */
    /*
     * Opens the transport: 0, or a negative code. -EINPROGRESS means "started, not finished" (a TCP
     * connect): call open() again later until it returns 0 or another code; close() abandons it.
     */
    int (*open)(struct tp *t);
    ssize_t (*read)(struct tp *t, uint8_t *buf, size_t cap);
    ssize_t (*write)(struct tp *t, const uint8_t *buf, size_t len);
    int (*poll_fd)(const struct tp *t);
    /* Closes whatever open() opened; safe on a closed transport. */
    void (*close)(struct tp *t);
    /* Optional: releases what the constructor allocated besides the struct itself. */
    void (*destroy)(struct tp *t);
};

/* Embedded as the first member of each concrete transport. */
struct tp {
    const struct tp_ops *ops;
    char label[96]; /* for log lines: the address, e.g. "serial:/dev/ttyUSB0,9600,8N1" */
};

/* What the transport is for: reach a peer, or wait for one (simulators, test peers). */
enum tp_role {
    TP_ROLE_CONNECT = 1,
    TP_ROLE_LISTEN = 2,
};

/*
 * Thin wrappers over the vtable. Each accepts t == NULL (open/read/write return -EINVAL,
 * poll_fd returns -1, close/free do nothing).
 */
int tp_open(struct tp *t);
ssize_t tp_read(struct tp *t, uint8_t *buf, size_t cap);
ssize_t tp_write(struct tp *t, const uint8_t *buf, size_t len);
int tp_poll_fd(const struct tp *t);
void tp_close(struct tp *t);
/* Closes t if open and frees it (and, for a wrapper, the transport it owns). */
void tp_free(struct tp *t);

/* The ops name ("serial", "tcp", ...), or "" for NULL. */
const char *tp_kind(const struct tp *t);

/*
 * Makes a closed transport for addr:
 *   serial:PATH  (either role)  the serial transport (libserialport, or termios for a pty)
 *   tcp://H:P    connect        a TCP client to a serial bridge
 *   tcp://H:P    listen         a TCP listener that serves one client at a time
 *   pty:PATH     listen         a pseudo-terminal linked at PATH
 *   pty:PATH     connect        opens PATH as a serial device (a pty someone else made)
 * @param[in]  addr  borrowed; copied
 * @param[out] out   the new transport, owned by the caller (tp_free); NULL on failure
 * @return 0, -EINVAL for a bad role or address kind, -ENOMEM
 */
int tp_new_from_addr(const struct tp_addr *addr, enum tp_role role, struct tp **out);

/*
 * Parses text (tp_addr.h syntax) and makes the transport. On a parse error writes a message naming
 * the address into err (may be NULL) and returns -EINVAL.
 */
int tp_new_from_text(
    const char *text, enum tp_role role, struct tp **out, char *err, size_t errlen);

/* Constructors of the concrete transports (one file each); tp_new_from_addr picks among them. */
int tp_serial_new(const struct tp_addr *addr, struct tp **out);
int tp_tcp_new(const char *host, uint16_t port, struct tp **out);
/* port 0 picks a free port at the first open and keeps it for later opens (tp_tcp_listen_port). */
int tp_tcp_listen_new(const char *host, uint16_t port, struct tp **out);
int tp_pty_new(const char *link_path, uint32_t baud, struct tp **out);

/* The port a tcp-listen transport is bound to (after its first open), or -EINVAL. */
int tp_tcp_listen_port(const struct tp *t);

/* True while a tcp-listen transport has a client connected. */
bool tp_tcp_listen_has_client(const struct tp *t);

/* The /dev/pts/N name of an open pty transport, or NULL (borrowed; valid until tp_close). */
const char *tp_pty_name(const struct tp *t);

#endif
