/* SPDX-License-Identifier: MIT */
/* Where the status socket is: one rule for the daemon and for `ampshare status`. */
#include "controller/status/status.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int put(char *out, size_t cap, const char *a, const char *b)
{
    int n = snprintf(out, cap, "%s%s", a, b);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int status_socket_path(const char *configured, bool for_server, char *out, size_t cap)
{
    if (configured && configured[0]) {
        return put(out, cap, configured, "");
    }
    if (for_server) {
        /* The unit's RuntimeDirectory= makes it; run by hand as root we make it ourselves. */
        if (mkdir(STATUS_SOCKET_DIR, 0750) == 0 || errno == EEXIST) {
            if (access(STATUS_SOCKET_DIR, W_OK | X_OK) == 0) {
                return put(out, cap, STATUS_SOCKET, "");
            }
        }
    } else if (access(STATUS_SOCKET, F_OK) == 0) {
        return put(out, cap, STATUS_SOCKET, "");
    }
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && xdg[0] == '/') {
        return put(out, cap, xdg, "/ampshare.sock");
    }
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "/tmp/ampshare-%u.sock", (unsigned)getuid());
    return put(out, cap, tmp, "");
}
