/* SPDX-License-Identifier: MIT */
/* Helpers shared by the transport implementations; not part of the public API. */
#ifndef TP_INTERNAL_H
#define TP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "drivers/transport/tp.h"

/* From a pointer to the embedded struct tp back to the concrete transport. */
#define TP_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))
#define TP_CONTAINER_OF_CONST(ptr, type, member) \
    ((const type *)(const void *)((const char *)(ptr)-offsetof(type, member)))

/* Writes a printf-style label into t->label (truncated to fit). */
void tp_set_label(struct tp *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * read() on a non-blocking fd with the transport conventions: EAGAIN and EINTR give 0, end of file
 * gives eof_rc (a tty hang-up or a TCP peer that closed), other failures give -errno.
 */
ssize_t tp_fd_read(int fd, uint8_t *buf, size_t cap, int eof_rc);

/* write() (send() with MSG_NOSIGNAL for a socket) on a non-blocking fd: EAGAIN gives 0. */
ssize_t tp_fd_write(int fd, const uint8_t *buf, size_t len, int is_socket);

/*
 * STYLE.md §2.3: a libserialport result (enum sp_return) as our code: SP_OK 0, SP_ERR_ARG -EINVAL,
 * SP_ERR_MEM -ENOMEM, SP_ERR_SUPP -ENOTSUP, SP_ERR_FAIL -sp_last_error_code() (-EIO without one).
 */
int tp_sp_to_rc(int sp_return);

/* Closes *fd if open and sets it to -1. */
void tp_fd_close(int *fd);

/*
 * Puts a tty fd in raw mode: cfmakeraw, the given speed and frame, receiver on, modem lines and
 * flow control off, VMIN 1 / VTIME 0 (so that with O_NONBLOCK a read of 0 means hang-up, never
 * "no data"). Returns 0 or a negative code (-EINVAL for a baud rate termios has no constant for).
 */
int tp_termios_raw(int fd, uint32_t baud, uint8_t data_bits, char parity, uint8_t stop_bits);

/*
 * Sets TCP_NODELAY, keep-alive (idle, interval, count) and TCP_USER_TIMEOUT on a connected or
 * connecting TCP socket. Returns 0 or -errno.
 */
int tp_tcp_tune_socket(int fd);

/* The TCP client and the TCP listener name, resolve and open their sockets the same way: */

/* Copies host into dst (cap bytes). Returns 0, or -EINVAL when host is empty or does not fit. */
int tp_tcp_host_copy(char *dst, size_t cap, const char *host);

/* Writes "tcp://HOST:PORT" (an IPv6 literal in brackets), then suffix, into t->label. */
void tp_tcp_set_label(struct tp *t, const char *host, uint16_t port, const char *suffix);

struct addrinfo;

/*
 * Resolves host and a numeric port for a stream socket (AI_PASSIVE when passive) into *res, to be
 * released with freeaddrinfo(). A host name blocks while it resolves. Returns 0, -errno for a
 * system error, or unresolved_rc when the name does not resolve.
 */
int tp_tcp_resolve(
    const char *host, uint16_t port, bool passive, int unresolved_rc, struct addrinfo **res);

/* A non-blocking, close-on-exec socket for one resolved address: the fd, or -errno. */
int tp_tcp_socket(const struct addrinfo *ai);

#endif
