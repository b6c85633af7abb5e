/* SPDX-License-Identifier: MIT */
/*
 * The simulated Modbus line. libmodbus builds every answer (modbus_reply); this file only moves
 * requests to it: accept() and modbus_receive() on TCP, and on the pty a small request framer,
 * because libmodbus's RTU receive drops requests for any unit but one and a simulated bus carries
 * several meters. The pty and its link are the pty transport's (tp_pty.c): it holds the slave
 * side open, and it replaces only a stale symlink at the path and removes only its own.
 */
#include "sim/sim_mbsrv.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/base/amp_err.h"
#include "drivers/base/log.h"
#include "drivers/transport/tp.h"

#define SIM_CLIENTS_MAX 8
#define RTU_BUF_MAX     512
#define RTU_PARTIAL_MS  50 /* a partial request older than this is line noise: dropped */

struct sim_unit {
    uint8_t unit;
    modbus_mapping_t *map;
    enum sim_mb_fault fault; /* this unit's own fault; NONE: the line's */
    int fault_arg;
};

struct sim_mbsrv {
    struct tp_addr addr;
    bool rtu;
    bool mem;      /* an in-memory line (sim_mbsrv_new_mem): no endpoint, no thread */
    bool mem_off;  /* ... stopped: it does not answer */
    modbus_t *ctx; /* frames replies; its socket is set to the fd being served */
    pthread_t thread;
    bool running;
    int stop_pipe[2];
    int listen_fd;
    int client_fd[SIM_CLIENTS_MAX];
    struct tp *pty; /* RTU: the pty transport, linked at addr.path while open */
    int master_fd;  /* its master side while open, else -1 */
    char client_addr[300];
    uint8_t rtu_buf[RTU_BUF_MAX];
    size_t rtu_len;

    uint8_t shared[256 / 8]; /* units several devices answer as (sim_mbsrv_share_unit) */
    pthread_mutex_t lock;    /* guards everything below */
    struct sim_unit units[SIM_MBSRV_UNITS_MAX];
    size_t n_units;
    enum sim_mb_fault fault;
    int fault_arg;
    uint64_t requests;
    uint64_t replies;
    sim_mbsrv_write_fn *on_write;
    void *on_write_ctx;
    struct sim_mb_write writes[SIM_MBSRV_WRITE_LOG];
    size_t n_writes; /* logged since the last take; may exceed SIM_MBSRV_WRITE_LOG */
};

static int srv_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int srv_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < errlen) {
            snprintf(err + n, errlen - (size_t)n, ": %s", amp_strerror(rc));
        }
    }
    return rc;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* ---- endpoints ---- */

static int open_tcp(struct sim_mbsrv *srv, char *err, size_t errlen)
{
    char port[8];
    snprintf(port, sizeof(port), "%u", srv->addr.port);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
    };
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(srv->addr.host[0] ? srv->addr.host : NULL, port, &hints, &res);
    if (gai != 0) {
        if (err && errlen) {
            snprintf(err, errlen, "listen %s: %s", srv->addr.host, gai_strerror(gai));
        }
        return -EINVAL;
    }
    int rc = -EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (s < 0) {
            rc = -errno;
            continue;
        }
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(s, ai->ai_addr, ai->ai_addrlen) != 0 || listen(s, SIM_CLIENTS_MAX) != 0) {
            rc = -errno;
            close(s);
            continue;
        }
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        if (getsockname(s, (struct sockaddr *)&ss, &len) == 0) {
            char h[NI_MAXHOST], p[NI_MAXSERV];
            if (getnameinfo((struct sockaddr *)&ss, len, h, sizeof(h), p, sizeof(p),
                            NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
                srv->addr.port = (uint16_t)atoi(p);
            }
        }
        srv->listen_fd = s;
        rc = 0;
        break;
    }
    freeaddrinfo(res);
    if (rc < 0) {
        return srv_fail(err, errlen, rc, "listen on %s port %s", srv->addr.host, port);
    }
    tp_addr_format(&srv->addr, srv->client_addr, sizeof(srv->client_addr));
    return 0;
}

static int open_pty(struct sim_mbsrv *srv, char *err, size_t errlen)
{
    int rc = tp_open(srv->pty);
    if (rc < 0) {
        return srv_fail(err, errlen, rc, "pty linked at %s", srv->addr.path);
    }
    srv->master_fd = tp_poll_fd(srv->pty);
    srv->rtu_len = 0;
    snprintf(srv->client_addr, sizeof(srv->client_addr), "serial:%s,9600,8N1", srv->addr.path);
    return 0;
}

static int open_endpoint(struct sim_mbsrv *srv, char *err, size_t errlen)
{
    return srv->rtu ? open_pty(srv, err, errlen) : open_tcp(srv, err, errlen);
}

static void close_endpoint(struct sim_mbsrv *srv)
{
    close_fd(&srv->listen_fd);
    for (int i = 0; i < SIM_CLIENTS_MAX; i++) {
        close_fd(&srv->client_fd[i]);
    }
    tp_close(srv->pty); /* removes the link if it is still ours */
    srv->master_fd = -1;
}

/* ---- requests ---- */

/* Modbus over serial line v1.02, §6.2.2: CRC-16, polynomial 0xA001 reflected, init 0xFFFF, sent
 * low byte first. */
static uint16_t crc16(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
        }
    }
    return crc;
}

static struct sim_unit *find_unit(struct sim_mbsrv *srv, uint8_t unit)
{
    for (size_t i = 0; i < srv->n_units; i++) {
        if (srv->units[i].unit == unit) {
            return &srv->units[i];
        }
    }
    return NULL;
}

static void send_raw(struct sim_mbsrv *srv, int fd, const uint8_t *p, size_t n)
{
    ssize_t w = srv->rtu ? write(fd, p, n) : send(fd, p, n, MSG_NOSIGNAL);
    (void)w; /* a client that left is noticed on its next read */
}

/* A reply no client may accept as an answer. */
static void send_garbage(struct sim_mbsrv *srv, int fd, const uint8_t *req, int hl)
{
    uint8_t rsp[260];
    size_t n = 0;
    uint8_t fc = req[hl];
    if (!srv->rtu) {
        /* Right transaction id, wrong function code and a one-byte body: "invalid data" for any
         * client (a reader that waits for a byte count gets it). */
        const uint8_t t[] = {req[0], req[1], 0, 0, 0, 3, req[6], (uint8_t)(fc ^ 0x40), 0};
        send_raw(srv, fd, t, sizeof(t));
        return;
    }
    rsp[n++] = req[0];
    rsp[n++] = fc;
    uint16_t count = (uint16_t)((req[4] << 8) | req[5]);
    if (fc == 3 || fc == 4 || fc == 1 || fc == 2) {
        uint16_t bytes = fc <= 2 ? (uint16_t)((count + 7) / 8) : (uint16_t)(count * 2);
        if (bytes > 250) {
            bytes = 250;
        }
        rsp[n++] = (uint8_t)bytes;
        memset(rsp + n, 0xA5, bytes);
        n += bytes;
    } else {
        memcpy(rsp + n, req + 2, 4);
        n += 4;
    }
    uint16_t crc = (uint16_t)~crc16(rsp, n); /* the right length, the wrong checksum */
    rsp[n++] = (uint8_t)(crc & 0xFF);
    rsp[n++] = (uint8_t)(crc >> 8);
    send_raw(srv, fd, rsp, n);
}

/* Waits ms, or less when a stop is requested. */
static void wait_or_stop(struct sim_mbsrv *srv, int ms)
{
    struct pollfd p = {.fd = srv->stop_pipe[0], .events = POLLIN};
    poll(&p, 1, ms);
}

static void
reply_normally(struct sim_mbsrv *srv, struct sim_unit *u, const uint8_t *req, int len, int hl)
{
    uint8_t fc = req[hl];
    if (modbus_reply(srv->ctx, req, len, u->map) <= 0) {
        return;
    }
    srv->replies++;
    if (fc != 5 && fc != 6 && fc != 15 && fc != 16) {
        return;
    }
    /* modbus_reply() has checked the request's length for its function code */
    uint16_t addr = (uint16_t)((req[hl + 1] << 8) | req[hl + 2]);
    uint16_t n = fc <= 6 ? 1 : (uint16_t)((req[hl + 3] << 8) | req[hl + 4]);
    bool bits = fc == 5 || fc == 15;
    int start = bits ? u->map->start_bits : u->map->start_registers;
    int size = bits ? u->map->nb_bits : u->map->nb_registers;
    if (addr < start || addr + n > start + size) {
        return; /* answered with an exception: nothing was written */
    }
    uint16_t value = fc == 5    ? req[hl + 3] == 0xFF
                     : fc == 6  ? (uint16_t)((req[hl + 3] << 8) | req[hl + 4])
                     : fc == 15 ? req[hl + 6] & 1u
                                : (uint16_t)((req[hl + 6] << 8) | req[hl + 7]);
    if (srv->n_writes < SIM_MBSRV_WRITE_LOG) {
        srv->writes[srv->n_writes] =
            (struct sim_mb_write){.unit = u->unit, .fc = fc, .addr = addr, .n = n, .value = value};
    }
    srv->n_writes++;
    if (srv->on_write) {
        srv->on_write(srv->on_write_ctx, u->unit, fc, addr, n);
    }
}

static void handle_request(struct sim_mbsrv *srv, int fd, const uint8_t *req, int len)
{
    int hl = modbus_get_header_length(srv->ctx);
    uint8_t unit = req[hl - 1];

    modbus_set_socket(srv->ctx, fd);
    pthread_mutex_lock(&srv->lock);
    srv->requests++;
    struct sim_unit *u = find_unit(srv, unit);
    if (!u) {
        /* A TCP gateway answers for a missing unit with exception 0x0B; on a serial line
         * nobody answers. */
        if (!srv->rtu) {
            modbus_reply_exception(srv->ctx, req, MODBUS_EXCEPTION_GATEWAY_TARGET);
        }
        pthread_mutex_unlock(&srv->lock);
        return;
    }
    enum sim_mb_fault fault = u->fault ? u->fault : srv->fault;
    int arg = u->fault ? u->fault_arg : srv->fault_arg;
    switch (fault) {
    case SIM_MB_FAULT_SILENT:
        break;
    case SIM_MB_FAULT_EXCEPTION:
        modbus_reply_exception(srv->ctx, req, (unsigned)arg);
        break;
    case SIM_MB_FAULT_GARBAGE:
        send_garbage(srv, fd, req, hl);
        break;
    case SIM_MB_FAULT_LATE:
        pthread_mutex_unlock(&srv->lock);
        wait_or_stop(srv, arg);
        pthread_mutex_lock(&srv->lock);
        reply_normally(srv, u, req, len, hl);
        break;
    default:
        reply_normally(srv, u, req, len, hl);
        break;
    }
    pthread_mutex_unlock(&srv->lock);
}

/* Length of the request at the start of buf: > 0 complete, 0 need more, -1 not a request. */
static int rtu_request_len(const uint8_t *buf, size_t n)
{
    size_t need;
    if (n < 2) {
        return 0;
    }
    switch (buf[1]) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
        need = 8;
        break;
    case 15:
    case 16:
        if (n < 7) {
            return 0;
        }
        need = 9u + buf[6];
        break;
    default:
        return -1;
    }
    if (n < need) {
        return 0;
    }
    uint16_t crc = crc16(buf, need - 2);
    if (buf[need - 2] != (crc & 0xFF) || buf[need - 1] != (crc >> 8)) {
        return -1;
    }
    return (int)need;
}

static void serve_rtu(struct sim_mbsrv *srv)
{
    ssize_t r = tp_read(srv->pty, srv->rtu_buf + srv->rtu_len, RTU_BUF_MAX - srv->rtu_len);
    if (r <= 0) {
        return;
    }
    srv->rtu_len += (size_t)r;
    for (;;) {
        int len = rtu_request_len(srv->rtu_buf, srv->rtu_len);
        if (len == 0) {
            if (srv->rtu_len == RTU_BUF_MAX) {
                srv->rtu_len = 0;
            }
            return;
        }
        if (len > 0) {
            handle_request(srv, srv->master_fd, srv->rtu_buf, len);
        }
        size_t drop = len > 0 ? (size_t)len : 1; /* resynchronise one byte at a time */
        memmove(srv->rtu_buf, srv->rtu_buf + drop, srv->rtu_len - drop);
        srv->rtu_len -= drop;
    }
}

static void accept_client(struct sim_mbsrv *srv)
{
    int c = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
        return;
    }
    for (int i = 0; i < SIM_CLIENTS_MAX; i++) {
        if (srv->client_fd[i] < 0) {
            srv->client_fd[i] = c;
            return;
        }
    }
    close(c);
}

static void serve_tcp_client(struct sim_mbsrv *srv, int i)
{
    uint8_t req[MODBUS_TCP_MAX_ADU_LENGTH];
    modbus_set_socket(srv->ctx, srv->client_fd[i]);
    int len = modbus_receive(srv->ctx, req);
    if (len < 0) {
        close_fd(&srv->client_fd[i]); /* the client left, or sent something unreadable */
        return;
    }
    if (len > 0) {
        handle_request(srv, srv->client_fd[i], req, len);
    }
}

static void *serve(void *arg)
{
    struct sim_mbsrv *srv = arg;
    for (;;) {
        struct pollfd pfd[2 + SIM_CLIENTS_MAX];
        int owner[2 + SIM_CLIENTS_MAX];
        nfds_t n = 0;
        pfd[n] = (struct pollfd){.fd = srv->stop_pipe[0], .events = POLLIN};
        owner[n++] = -2;
        pfd[n] =
            (struct pollfd){.fd = srv->rtu ? srv->master_fd : srv->listen_fd, .events = POLLIN};
        owner[n++] = -1;
        for (int i = 0; !srv->rtu && i < SIM_CLIENTS_MAX; i++) {
            if (srv->client_fd[i] >= 0) {
                pfd[n] = (struct pollfd){.fd = srv->client_fd[i], .events = POLLIN};
                owner[n++] = i;
            }
        }
        int timeout = srv->rtu && srv->rtu_len > 0 ? RTU_PARTIAL_MS : -1;
        int r = poll(pfd, n, timeout);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (pfd[0].revents) {
            break;
        }
        if (r == 0) {
            srv->rtu_len = 0;
            continue;
        }
        for (nfds_t k = 1; k < n; k++) {
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR))) {
                continue;
            }
            if (owner[k] == -1) {
                if (srv->rtu) {
                    serve_rtu(srv);
                } else {
                    accept_client(srv);
                }
            } else {
                serve_tcp_client(srv, owner[k]);
            }
        }
    }
    return NULL;
}

/* ---- public ---- */

int sim_mbsrv_new(const struct tp_addr *addr, struct sim_mbsrv **out, char *err, size_t errlen)
{
    *out = NULL;
    if (addr->kind != TP_ADDR_TCP && addr->kind != TP_ADDR_PTY) {
        return srv_fail(err, errlen, -EINVAL, "a simulated meter listens on tcp:// or pty:");
    }
    struct sim_mbsrv *srv = calloc(1, sizeof(*srv));
    if (!srv) {
        return -ENOMEM;
    }
    srv->addr = *addr;
    srv->rtu = addr->kind == TP_ADDR_PTY;
    srv->listen_fd = srv->master_fd = -1;
    srv->stop_pipe[0] = srv->stop_pipe[1] = -1;
    for (int i = 0; i < SIM_CLIENTS_MAX; i++) {
        srv->client_fd[i] = -1;
    }
    pthread_mutex_init(&srv->lock, NULL);
    int rc;
    /* The framing context is never connected: only its reply builder is used. */
    srv->ctx = srv->rtu ? modbus_new_rtu("/dev/null", 9600, 'N', 8, 1)
                        : modbus_new_tcp_pi("127.0.0.1", "502");
    if (!srv->ctx) {
        rc = srv_fail(err, errlen, -ENOMEM, "libmodbus context");
        goto fail;
    }
    if (pipe2(srv->stop_pipe, O_CLOEXEC) != 0) {
        rc = srv_fail(err, errlen, -errno, "pipe");
        goto fail;
    }
    if (srv->rtu) {
        rc = tp_pty_new(addr->path, 9600, &srv->pty);
        if (rc < 0) {
            srv_fail(err, errlen, rc, "pty linked at %s", addr->path);
            goto fail;
        }
    }
    rc = open_endpoint(srv, err, errlen);
    if (rc < 0) {
        goto fail;
    }
    *out = srv;
    return 0;
fail:
    sim_mbsrv_free(srv);
    return rc;
}

int sim_mbsrv_start(struct sim_mbsrv *srv)
{
    if (srv->mem) {
        pthread_mutex_lock(&srv->lock);
        srv->mem_off = false;
        pthread_mutex_unlock(&srv->lock);
        return 0;
    }
    if (srv->running) {
        return 0;
    }
    bool open = srv->rtu ? srv->master_fd >= 0 : srv->listen_fd >= 0;
    if (!open) {
        int rc = open_endpoint(srv, NULL, 0);
        if (rc < 0) {
            return rc;
        }
    }
    int rc = pthread_create(&srv->thread, NULL, serve, srv);
    if (rc != 0) {
        return -rc;
    }
    srv->running = true;
    return 0;
}

void sim_mbsrv_stop(struct sim_mbsrv *srv)
{
    if (srv->mem) {
        pthread_mutex_lock(&srv->lock);
        srv->mem_off = true;
        pthread_mutex_unlock(&srv->lock);
        return;
    }
    if (srv->running) {
        uint8_t b = 1;
        ssize_t w = write(srv->stop_pipe[1], &b, 1);
        (void)w;
        pthread_join(srv->thread, NULL);
        ssize_t r = read(srv->stop_pipe[0], &b, 1);
        (void)r;
        srv->running = false;
    }
    close_endpoint(srv);
}

void sim_mbsrv_free(struct sim_mbsrv *srv)
{
    if (!srv) {
        return;
    }
    sim_mbsrv_stop(srv);
    close_fd(&srv->stop_pipe[0]);
    close_fd(&srv->stop_pipe[1]);
    tp_free(srv->pty);
    if (srv->ctx) {
        modbus_set_socket(srv->ctx, -1);
        modbus_free(srv->ctx);
    }
    for (size_t i = 0; i < srv->n_units; i++) {
        modbus_mapping_free(srv->units[i].map);
    }
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}

/* One table of a mapping: its first address, count and cells (bits or registers). */
struct table {
    int start, n;
    void *tab;
    size_t cell;
};

static void tables_of(modbus_mapping_t *m, struct table t[4])
{
    t[0] = (struct table){m->start_bits, m->nb_bits, m->tab_bits, 1};
    t[1] = (struct table){m->start_input_bits, m->nb_input_bits, m->tab_input_bits, 1};
    t[2] = (struct table){m->start_registers, m->nb_registers, m->tab_registers, 2};
    t[3] =
        (struct table){m->start_input_registers, m->nb_input_registers, m->tab_input_registers, 2};
}

/* Both mappings' tables in one (a's cells, then b's), or NULL: -EEXIST when they overlap. */
static modbus_mapping_t *merged(modbus_mapping_t *a, modbus_mapping_t *b, int *rc)
{
    struct table ta[4], tb[4];
    tables_of(a, ta);
    tables_of(b, tb);
    int start[4], n[4];
    for (int k = 0; k < 4; k++) {
        if (ta[k].n && tb[k].n && ta[k].start < tb[k].start + tb[k].n &&
            tb[k].start < ta[k].start + ta[k].n) {
            *rc = -EEXIST; /* one address, two devices: no way to tell whose */
            return NULL;
        }
        int lo = !ta[k].n                    ? tb[k].start
                 : !tb[k].n                  ? ta[k].start
                 : ta[k].start < tb[k].start ? ta[k].start
                                             : tb[k].start;
        int hi_a = ta[k].start + ta[k].n, hi_b = tb[k].start + tb[k].n;
        int hi = !ta[k].n ? hi_b : !tb[k].n ? hi_a : hi_a > hi_b ? hi_a : hi_b;
        start[k] = lo;
        n[k] = hi - lo;
    }
    modbus_mapping_t *m = modbus_mapping_new_start_address(
        (unsigned)start[0], (unsigned)n[0], (unsigned)start[1], (unsigned)n[1], (unsigned)start[2],
        (unsigned)n[2], (unsigned)start[3], (unsigned)n[3]);
    if (!m) {
        *rc = -ENOMEM;
        return NULL;
    }
    struct table tm[4];
    tables_of(m, tm);
    for (int k = 0; k < 4; k++) {
        const struct table *src[2] = {&ta[k], &tb[k]};
        for (int s = 0; s < 2; s++) {
            if (src[s]->n) {
                memcpy((uint8_t *)tm[k].tab + (size_t)(src[s]->start - tm[k].start) * tm[k].cell,
                       src[s]->tab, (size_t)src[s]->n * tm[k].cell);
            }
        }
    }
    return m;
}

void sim_mbsrv_share_unit(struct sim_mbsrv *srv, uint8_t unit)
{
    pthread_mutex_lock(&srv->lock);
    srv->shared[unit / 8] |= (uint8_t)(1u << (unit % 8));
    pthread_mutex_unlock(&srv->lock);
}

int sim_mbsrv_add_unit(struct sim_mbsrv *srv, uint8_t unit, modbus_mapping_t *mapping)
{
    int rc = 0;
    pthread_mutex_lock(&srv->lock);
    struct sim_unit *u = mapping ? find_unit(srv, unit) : NULL;
    if (!mapping) {
        rc = -EINVAL;
    } else if (u && (srv->shared[unit / 8] & (1u << (unit % 8)))) {
        modbus_mapping_t *m = merged(u->map, mapping, &rc);
        if (m) {
            modbus_mapping_free(u->map);
            u->map = m;
            modbus_mapping_free(mapping);
            mapping = NULL;
        }
    } else if (u) {
        rc = -EEXIST;
    } else if (srv->n_units >= SIM_MBSRV_UNITS_MAX) {
        rc = -ENOSPC;
    } else {
        srv->units[srv->n_units].unit = unit;
        srv->units[srv->n_units].map = mapping;
        srv->n_units++;
    }
    pthread_mutex_unlock(&srv->lock);
    if (rc < 0 && mapping) {
        modbus_mapping_free(mapping);
    }
    return rc;
}

uint16_t sim_mbsrv_port(const struct sim_mbsrv *srv)
{
    return srv->rtu ? 0 : srv->addr.port;
}

const char *sim_mbsrv_client_addr(const struct sim_mbsrv *srv)
{
    return srv->client_addr;
}

void sim_mbsrv_lock(struct sim_mbsrv *srv)
{
    pthread_mutex_lock(&srv->lock);
}

void sim_mbsrv_unlock(struct sim_mbsrv *srv)
{
    pthread_mutex_unlock(&srv->lock);
}

modbus_mapping_t *sim_mbsrv_mapping(struct sim_mbsrv *srv, uint8_t unit)
{
    struct sim_unit *u = find_unit(srv, unit);
    return u ? u->map : NULL;
}

int sim_mbsrv_set_unit_fault(struct sim_mbsrv *srv, uint8_t unit, enum sim_mb_fault fault, int arg)
{
    pthread_mutex_lock(&srv->lock);
    struct sim_unit *u = find_unit(srv, unit);
    if (u) {
        u->fault = fault;
        u->fault_arg = arg;
    }
    pthread_mutex_unlock(&srv->lock);
    return u ? 0 : -ENOENT;
}

void sim_mbsrv_set_fault(struct sim_mbsrv *srv, enum sim_mb_fault fault, int arg)
{
    pthread_mutex_lock(&srv->lock);
    srv->fault = fault;
    srv->fault_arg = arg;
    pthread_mutex_unlock(&srv->lock);
}

uint64_t sim_mbsrv_requests(struct sim_mbsrv *srv)
{
    pthread_mutex_lock(&srv->lock);
    uint64_t n = srv->requests;
    pthread_mutex_unlock(&srv->lock);
    return n;
}

uint64_t sim_mbsrv_replies(struct sim_mbsrv *srv)
{
    pthread_mutex_lock(&srv->lock);
    uint64_t n = srv->replies;
    pthread_mutex_unlock(&srv->lock);
    return n;
}

void sim_mbsrv_on_write(struct sim_mbsrv *srv, sim_mbsrv_write_fn *fn, void *ctx)
{
    pthread_mutex_lock(&srv->lock);
    srv->on_write = fn;
    srv->on_write_ctx = ctx;
    pthread_mutex_unlock(&srv->lock);
}

size_t sim_mbsrv_take_writes(struct sim_mbsrv *srv, struct sim_mb_write *out, size_t cap)
{
    pthread_mutex_lock(&srv->lock);
    size_t n = srv->n_writes;
    size_t kept = n < SIM_MBSRV_WRITE_LOG ? n : SIM_MBSRV_WRITE_LOG;
    memcpy(out, srv->writes, (kept < cap ? kept : cap) * sizeof(*out));
    srv->n_writes = 0;
    pthread_mutex_unlock(&srv->lock);
    return n;
}

/* ---- the in-memory line ---- */

int sim_mbsrv_new_mem(const char *name, struct sim_mbsrv **out)
{
    *out = NULL;
    struct sim_mbsrv *srv = calloc(1, sizeof(*srv));
    if (!srv) {
        return -ENOMEM;
    }
    srv->mem = true;
    srv->listen_fd = srv->master_fd = -1;
    srv->stop_pipe[0] = srv->stop_pipe[1] = -1;
    for (int i = 0; i < SIM_CLIENTS_MAX; i++) {
        srv->client_fd[i] = -1;
    }
    pthread_mutex_init(&srv->lock, NULL);
    snprintf(srv->client_addr, sizeof(srv->client_addr), "mem:%s", name ? name : "line");
    *out = srv;
    return 0;
}

/* The unit's table for one request, or the code a client would see instead: silence for a
 * missing unit, a stopped line or a silent fault; the fault's exception; garbage as bad data.
 * A late reply is answered: no time passes on an in-memory line. Call with the lock held. */
static int mem_begin(struct sim_mbsrv *srv, uint8_t unit, struct sim_unit **out)
{
    srv->requests++;
    struct sim_unit *u = find_unit(srv, unit);
    if (!u || srv->mem_off) {
        return -ETIMEDOUT;
    }
    enum sim_mb_fault fault = u->fault ? u->fault : srv->fault;
    int arg = u->fault ? u->fault_arg : srv->fault_arg;
    switch (fault) {
    case SIM_MB_FAULT_SILENT:
        return -ETIMEDOUT;
    case SIM_MB_FAULT_EXCEPTION:
        return -(MODBUS_ENOBASE + arg);
    case SIM_MB_FAULT_GARBAGE:
        return -EMBBADDATA;
    default:
        *out = u;
        return 0;
    }
}

static bool mem_span_ok(int start, int size, uint16_t addr, uint16_t n)
{
    return addr >= start && addr + n <= start + size;
}

static void mem_log_write(
    struct sim_mbsrv *srv, struct sim_unit *u, uint8_t fc, uint16_t addr, uint16_t n, uint16_t v)
{
    srv->replies++;
    if (srv->n_writes < SIM_MBSRV_WRITE_LOG) {
        srv->writes[srv->n_writes] =
            (struct sim_mb_write){.unit = u->unit, .fc = fc, .addr = addr, .n = n, .value = v};
    }
    srv->n_writes++;
    if (srv->on_write) {
        srv->on_write(srv->on_write_ctx, u->unit, fc, addr, n);
    }
}

static int
mem_read_regs(void *ctx, uint8_t unit, uint8_t fc, uint16_t addr, uint16_t n, uint16_t *dst)
{
    struct sim_mbsrv *srv = ctx;
    struct sim_unit *u = NULL;
    pthread_mutex_lock(&srv->lock);
    int rc = mem_begin(srv, unit, &u);
    if (rc == 0) {
        modbus_mapping_t *m = u->map;
        int start = fc == 3 ? m->start_registers : m->start_input_registers;
        int size = fc == 3 ? m->nb_registers : m->nb_input_registers;
        const uint16_t *tab = fc == 3 ? m->tab_registers : m->tab_input_registers;
        if (!mem_span_ok(start, size, addr, n)) {
            rc = -EMBXILADD;
        } else {
            memcpy(dst, tab + (addr - start), n * sizeof(uint16_t));
            srv->replies++;
        }
    }
    pthread_mutex_unlock(&srv->lock);
    return rc;
}

static int mem_read_coils(void *ctx, uint8_t unit, uint16_t addr, uint16_t n, uint8_t *dst)
{
    struct sim_mbsrv *srv = ctx;
    struct sim_unit *u = NULL;
    pthread_mutex_lock(&srv->lock);
    int rc = mem_begin(srv, unit, &u);
    if (rc == 0 && !mem_span_ok(u->map->start_bits, u->map->nb_bits, addr, n)) {
        rc = -EMBXILADD;
    } else if (rc == 0) {
        memcpy(dst, u->map->tab_bits + (addr - u->map->start_bits), n);
        srv->replies++;
    }
    pthread_mutex_unlock(&srv->lock);
    return rc;
}

static int
mem_write_regs(void *ctx, uint8_t unit, uint8_t fc, uint16_t addr, uint16_t n, const uint16_t *src)
{
    struct sim_mbsrv *srv = ctx;
    struct sim_unit *u = NULL;
    pthread_mutex_lock(&srv->lock);
    int rc = mem_begin(srv, unit, &u);
    if (rc == 0 && !mem_span_ok(u->map->start_registers, u->map->nb_registers, addr, n)) {
        rc = -EMBXILADD;
    } else if (rc == 0) {
        memcpy(u->map->tab_registers + (addr - u->map->start_registers), src, n * sizeof(uint16_t));
        mem_log_write(srv, u, fc, addr, n, src[0]);
    }
    pthread_mutex_unlock(&srv->lock);
    return rc;
}

static int mem_write_coil(void *ctx, uint8_t unit, uint16_t addr, bool on)
{
    struct sim_mbsrv *srv = ctx;
    struct sim_unit *u = NULL;
    pthread_mutex_lock(&srv->lock);
    int rc = mem_begin(srv, unit, &u);
    if (rc == 0 && !mem_span_ok(u->map->start_bits, u->map->nb_bits, addr, 1)) {
        rc = -EMBXILADD;
    } else if (rc == 0) {
        u->map->tab_bits[addr - u->map->start_bits] = on ? 1 : 0;
        mem_log_write(srv, u, 5, addr, 1, on ? 1 : 0);
    }
    pthread_mutex_unlock(&srv->lock);
    return rc;
}

const struct mb_bus_mem_ops sim_mbsrv_mem_ops = {
    .read_regs = mem_read_regs,
    .read_coils = mem_read_coils,
    .write_regs = mem_write_regs,
    .write_coil = mem_write_coil,
};
