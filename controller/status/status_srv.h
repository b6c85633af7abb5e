/* SPDX-License-Identifier: MIT */
/*
 * The status socket: a Unix stream socket on the daemon's loop. One JSON request per line,
 * one JSON reply per line, in order (docs/status.md):
 *   {"cmd":"status","id":7}  ->  {"id":7,"ok":true,"status":{...status_to_json...}}
 *   {"cmd":"ping"}           ->  {"ok":true}
 *   anything else            ->  {"ok":false,"error":"..."}   (the connection stays open)
 * Non-blocking throughout: a slow, silent or hostile client never delays the loop; a line over
 * STATUS_SRV_LINE_MAX gets an error and the connection is closed; at most STATUS_SRV_CLIENTS
 * clients at once (the listener pauses while full).
 */
#ifndef STATUS_SRV_H
#define STATUS_SRV_H

#include <stddef.h>
#include <stdint.h>

#include "controller/loop.h"
#include "controller/status/status.h"

#define STATUS_SRV_CLIENTS  16
#define STATUS_SRV_LINE_MAX 4096

struct status_srv_stats {
    uint64_t clients;  /* accepted */
    uint64_t requests; /* answered with ok */
    uint64_t refused;  /* malformed or unknown requests, over-long lines */
};

struct status_srv;

/*
 * Listens on path (mode 0660) on loop l; fill(ctx, snap) is called for every status request.
 * A path where another process answers is refused (-EADDRINUSE: a second daemon must not steal
 * the socket); a stale socket file is replaced. Returns 0 and *out, or a negative errno with a
 * message naming the path in err.
 */
int status_srv_open(struct loop *l, const char *path, const struct status_caps *caps,
                    status_fill_fn *fill, void *ctx, struct status_srv **out, char *err,
                    size_t errlen);

/* Closes every client and the listener and removes the socket file; NULL is allowed. */
void status_srv_close(struct status_srv *s);

const struct status_srv_stats *status_srv_get_stats(const struct status_srv *s);

#endif
