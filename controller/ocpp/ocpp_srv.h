/* SPDX-License-Identifier: MIT */
/*
 * The OCPP 1.6J central system's WebSocket server (docs/ocpp.md): libwebsockets on the daemon's
 * one event loop. lws runs in external-poll mode: it tells us which fds to watch (ADD/DEL/
 * CHANGE_MODE_POLL_FD), the loop reports their events back through lws_service_fd, and one loop
 * timer drives lws's own timers. No thread: every callback runs in loop context, so the charge
 * points' state (drivers/ocpp/ocpp_cp.h) is only touched there.
 *
 * Charge points connect to ws[s]://HOST:PORT/ocpp/<id> with the ocpp1.6 subprotocol. Only the
 * configured ids are let in; one with a password in the credentials file must send it by HTTP
 * Basic (security profile 1, or 2 over wss); the others connect without (profile 0).
 */
#ifndef OCPP_SRV_H
#define OCPP_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/loop.h"
#include "drivers/ocpp/ocpp_cp.h"

struct ocpp_srv_conf {
    const char *listen;      /* "127.0.0.1:9000"; port 0 = any free port (ocpp_srv_port) */
    const char *certificate; /* PEM; with key: wss:// */
    const char *key;
    const char *credentials; /* file of "<id>:<password>" lines, or NULL */
    struct ocpp_cp_conf cp;  /* copied; its id_tags stay borrowed */
};

/* One charge point to let in: its identity and the connector we control. */
struct ocpp_srv_point {
    const char *id;
    int connector;
};

struct ocpp_srv;

/*
 * Starts listening on l. Returns 0 and *out, or -EINVAL (bad listen address, unreadable
 * credentials, a password for an id not configured) / -ENOMEM / -EADDRINUSE with a message in
 * err. Warns once per charge point that connects without a password.
 */
int ocpp_srv_new(struct loop *l,
                 const struct ocpp_srv_conf *conf,
                 const struct ocpp_srv_point *points,
                 size_t n_points,
                 struct ocpp_srv **out,
                 char *err,
                 size_t errlen);

/* Closes every connection and frees. NULL is allowed. */
void ocpp_srv_free(struct ocpp_srv *s);

/* The port it listens on (the bound one when 0 was asked). */
int ocpp_srv_port(const struct ocpp_srv *s);

size_t ocpp_srv_count(const struct ocpp_srv *s);

/* Charge point i (in the order given to ocpp_srv_new); owned by the server. */
struct ocpp_cp *ocpp_srv_cp(struct ocpp_srv *s, size_t i);

/* Sends what the charge points have due (after targets changed): call after ocpp_cp_set_target. */
void ocpp_srv_flush(struct ocpp_srv *s);

/* Asks every online charge point to clear our profiles (shutdown). */
void ocpp_srv_clear_all(struct ocpp_srv *s);

/* Connections refused at the handshake since start (wrong password, unknown id, ...). */
uint32_t ocpp_srv_refused(const struct ocpp_srv *s);

#endif
