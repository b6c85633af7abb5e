/* SPDX-License-Identifier: MIT */
/* Parses and prints transport addresses (syntax in tp_addr.h). Pure: no I/O. */
#include "drivers/transport/tp_addr.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/base/amp_err.h"

static int addr_fail(char *err, size_t errlen, const char *text, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int addr_fail(char *err, size_t errlen, const char *text, const char *fmt, ...)
{
    if (err && errlen) {
        int n = snprintf(err, errlen, "address '%s': ", text);
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -EINVAL;
}

static bool parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
    if (len == 0 || len > 10) {
        return false;
    }
    unsigned long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > max) {
        return false;
    }
    *out = v;
    return true;
}

static bool baud_is_valid(unsigned long baud)
{
    static const unsigned long rates[] = {1200,  2400,  4800,   9600,   19200,
                                          38400, 57600, 115200, 230400, 460800};
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        if (rates[i] == baud) {
            return true;
        }
    }
    return false;
}

static int parse_parity(const char *v, size_t len, char *out)
{
    static const struct {
        const char *name;
        char code;
    } names[] = {{"N", 'N'}, {"none", 'N'}, {"E", 'E'}, {"even", 'E'}, {"O", 'O'}, {"odd", 'O'}};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i].name) == len && strncasecmp(names[i].name, v, len) == 0) {
            *out = names[i].code;
            return 0;
        }
    }
    return -EINVAL;
}

/* "19200,8E1" after the device path. */
static int
parse_serial_short(const char *text, const char *s, struct tp_addr *out, char *err, size_t errlen)
{
    const char *comma = strchr(s, ',');
    size_t blen = comma ? (size_t)(comma - s) : strlen(s);
    unsigned long baud;
    if (!parse_uint(s, blen, 4000000, &baud) || !baud_is_valid(baud)) {
        return addr_fail(err, errlen, text, "'%.*s' is not a supported baud rate", (int)blen, s);
    }
    out->baud = (uint32_t)baud;
    if (!comma) {
        return 0;
    }
    const char *f = comma + 1;
    if (strlen(f) != 3 || f[0] < '5' || f[0] > '8' || parse_parity(f + 1, 1, &out->parity) != 0 ||
        (f[2] != '1' && f[2] != '2')) {
        return addr_fail(err, errlen, text, "'%s' is not a frame format like 8N1", f);
    }
    out->data_bits = (uint8_t)(f[0] - '0');
    out->stop_bits = (uint8_t)(f[2] - '0');
    return 0;
}

/* "baud=19200&parity=even&data=8&stop=1" */
static int
parse_serial_query(const char *text, const char *q, struct tp_addr *out, char *err, size_t errlen)
{
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        if (!eq) {
            return addr_fail(err, errlen, text, "option '%.*s' has no value", (int)len, q);
        }
        size_t klen = (size_t)(eq - q);
        const char *v = eq + 1;
        size_t vlen = len - klen - 1;
        unsigned long n;
        if (klen == 4 && strncmp(q, "baud", 4) == 0) {
            if (!parse_uint(v, vlen, 4000000, &n) || !baud_is_valid(n)) {
                return addr_fail(err, errlen, text, "'%.*s' is not a supported baud rate",
                                 (int)vlen, v);
            }
            out->baud = (uint32_t)n;
        } else if (klen == 6 && strncmp(q, "parity", 6) == 0) {
            if (parse_parity(v, vlen, &out->parity) != 0) {
                return addr_fail(err, errlen, text, "parity '%.*s' is not none, even or odd",
                                 (int)vlen, v);
            }
        } else if (klen == 4 && strncmp(q, "data", 4) == 0) {
            if (!parse_uint(v, vlen, 8, &n) || n < 5) {
                return addr_fail(err, errlen, text, "data bits '%.*s' is not 5..8", (int)vlen, v);
            }
            out->data_bits = (uint8_t)n;
        } else if (klen == 4 && strncmp(q, "stop", 4) == 0) {
            if (!parse_uint(v, vlen, 2, &n) || n < 1) {
                return addr_fail(err, errlen, text, "stop bits '%.*s' is not 1 or 2", (int)vlen, v);
            }
            out->stop_bits = (uint8_t)n;
        } else {
            return addr_fail(err, errlen, text, "unknown option '%.*s'", (int)klen, q);
        }
        q = amp ? amp + 1 : q + len;
    }
    return 0;
}

static int
parse_serial(const char *text, const char *rest, struct tp_addr *out, char *err, size_t errlen)
{
    size_t plen = strcspn(rest, "?,");
    if (plen == 0) {
        return addr_fail(err, errlen, text, "no device path");
    }
    if (plen >= sizeof(out->path)) {
        return addr_fail(err, errlen, text, "device path too long");
    }
    memcpy(out->path, rest, plen);
    out->path[plen] = '\0';
    if (rest[plen] == ',') {
        return parse_serial_short(text, rest + plen + 1, out, err, errlen);
    }
    if (rest[plen] == '?') {
        return parse_serial_query(text, rest + plen + 1, out, err, errlen);
    }
    return 0;
}

static int parse_tcp(const char *text,
                     const char *rest,
                     bool any_port,
                     struct tp_addr *out,
                     char *err,
                     size_t errlen)
{
    const char *host = rest;
    size_t hlen;
    const char *colon;
    if (*host == '[') {
        const char *close = strchr(host, ']');
        if (!close || close[1] != ':') {
            return addr_fail(err, errlen, text, "expected [ipv6]:port");
        }
        host++;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(host, ':');
        if (!colon) {
            return addr_fail(err, errlen, text, "expected tcp://host:port");
        }
        hlen = (size_t)(colon - host);
    }
    if (hlen == 0 || hlen >= sizeof(out->host)) {
        return addr_fail(err, errlen, text, "bad host");
    }
    unsigned long port;
    if (!parse_uint(colon + 1, strlen(colon + 1), 65535, &port) || (port == 0 && !any_port)) {
        return addr_fail(err, errlen, text, "port '%s' is not %s..65535", colon + 1,
                         any_port ? "0" : "1");
    }
    memcpy(out->host, host, hlen);
    out->host[hlen] = '\0';
    out->port = (uint16_t)port;
    return 0;
}

static int
parse_addr(const char *text, bool any_port, struct tp_addr *out, char *err, size_t errlen)
{
    if (!text || !out) {
        return -EINVAL;
    }
    memset(out, 0, sizeof(*out));
    out->baud = 9600; /* twc-gen2.md §1: 9600 8N1 */
    out->parity = 'N';
    out->data_bits = 8;
    out->stop_bits = 1;
    if (strncmp(text, "serial:", 7) == 0) {
        out->kind = TP_ADDR_SERIAL;
        return parse_serial(text, text + 7, out, err, errlen);
    }
    if (text[0] == '/') {
        out->kind = TP_ADDR_SERIAL;
        return parse_serial(text, text, out, err, errlen);
    }
    if (strncmp(text, "tcp://", 6) == 0) {
        out->kind = TP_ADDR_TCP;
        return parse_tcp(text, text + 6, any_port, out, err, errlen);
    }
    if (strncmp(text, "pty:", 4) == 0) {
        out->kind = TP_ADDR_PTY;
        size_t len = strlen(text + 4);
        if (len == 0 || len >= sizeof(out->path)) {
            return addr_fail(err, errlen, text, "bad pty link path");
        }
        memcpy(out->path, text + 4, len + 1);
        return 0;
    }
    return addr_fail(err, errlen, text, "expected serial:/dev/..., tcp://host:port or pty:/path");
}

int tp_addr_parse(const char *text, struct tp_addr *out, char *err, size_t errlen)
{
    return parse_addr(text, false, out, err, errlen);
}

int tp_addr_parse_listen(const char *text, struct tp_addr *out, char *err, size_t errlen)
{
    return parse_addr(text, true, out, err, errlen);
}

int tp_addr_format(const struct tp_addr *addr, char *buf, size_t cap)
{
    int n;
    switch (addr->kind) {
    case TP_ADDR_SERIAL:
        n = snprintf(buf, cap, "serial:%s,%u,%u%c%u", addr->path, (unsigned)addr->baud,
                     (unsigned)addr->data_bits, addr->parity, (unsigned)addr->stop_bits);
        break;
    case TP_ADDR_TCP:
        n = snprintf(buf, cap, strchr(addr->host, ':') ? "tcp://[%s]:%u" : "tcp://%s:%u",
                     addr->host, (unsigned)addr->port);
        break;
    case TP_ADDR_PTY:
        n = snprintf(buf, cap, "pty:%s", addr->path);
        break;
    default:
        return -EINVAL;
    }
    if (n < 0 || (size_t)n >= cap) {
        return -EMSGSIZE;
    }
    return n;
}
