/* SPDX-License-Identifier: MIT */
/*
 * Transport addresses: the one syntax used by the config and every subcommand.
 *
 *   serial:/dev/ttyUSB0                    9600 8N1 by default
 *   serial:/dev/ttyUSB0?baud=19200&parity=even&data=8&stop=1
 *   serial:/dev/ttyUSB0,19200,8E1          the same, in the short form
 *   /dev/ttyUSB0                           a bare device path means serial:
 *   tcp://192.0.2.7:4001                   a TCP serial bridge (ser2net raw, USR, YPort, socat)
 *   tcp://[::1]:502
 *   pty:/tmp/ampshare-bus                  a pseudo-terminal created by us, linked at that path
 *                                          (listening side only: simulators)
 */
#ifndef TP_ADDR_H
#define TP_ADDR_H

#include <stddef.h>
#include <stdint.h>

enum tp_addr_kind {
    TP_ADDR_SERIAL = 1,
    TP_ADDR_TCP = 2,
    TP_ADDR_PTY = 3,
};

struct tp_addr {
    enum tp_addr_kind kind;
    char path[256];    /* serial device or pty link path */
    char host[128];    /* tcp: host name or address, without brackets */
    uint16_t port;     /* tcp */
    uint32_t baud;     /* serial: bits per second */
    char parity;       /* serial: 'N', 'E' or 'O' */
    uint8_t data_bits; /* serial: 5..8 */
    uint8_t stop_bits; /* serial: 1 or 2 */
};

/*
 * Parses text into out. On failure returns -EINVAL and writes a message naming the address and
 * the fault into err (if err is not NULL); out is then unspecified.
 */
int tp_addr_parse(const char *text, struct tp_addr *out, char *err, size_t errlen);

/* As tp_addr_parse, for an address to listen on: tcp port 0 means "any free port", which the
 * listener binds and reports (tp_tcp_listen_port), so tests never race for a port. */
int tp_addr_parse_listen(const char *text, struct tp_addr *out, char *err, size_t errlen);

/* Writes the canonical form of addr into buf. Returns its length, or -EMSGSIZE. */
int tp_addr_format(const struct tp_addr *addr, char *buf, size_t cap);

#endif
