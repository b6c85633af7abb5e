/* SPDX-License-Identifier: MIT */
/*
 * The pty listener transport: a pseudo-terminal whose slave side is linked at a path, so that a
 * master (ampshare through the serial transport's termios path, or TWCManager through pyserial)
 * opens that path as if it were an RS485 adapter. We read and write the pty's master side.
 *
 * We keep the slave side open ourselves. Without that, every time the client closes the path the
 * master side reads -EIO and polls POLLHUP without end, and the loop would spin until the next
 * client came. The cost is that bytes we write while no client has the path open wait in the
 * slave's input queue; write() drops them once they pile up (TP_PTY_STALE_BYTES), as a bus with
 * no one listening would, and the serial transport flushes its input when it opens.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "drivers/base/log.h"
#include "drivers/transport/tp.h"
#include "drivers/transport/tp_internal.h"

/* About 1 s of bus traffic at 9600 baud (twc-gen2.md §1: 1.04 ms per byte). */
#define TP_PTY_STALE_BYTES 1024

struct tp_pty {
    struct tp base;
    char link[256]; /* the path clients open */
    uint32_t baud;
    int mfd;       /* master side: our end */
    int sfd;       /* slave side, held open (see the top of this file) */
    char name[64]; /* /dev/pts/N */
};

/* Replaces a stale symlink at path; refuses to remove anything that is not a symlink. */
static int make_link(const char *target, const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISLNK(st.st_mode)) {
            return -EEXIST;
        }
        if (unlink(path) < 0) {
            return -errno;
        }
    } else if (errno != ENOENT) {
        return -errno;
    }
    if (symlink(target, path) < 0) {
        return -errno;
    }
    return 0;
}

/* Removes path only if it still points at our pty (another process may have replaced it). */
static void remove_link(const struct tp_pty *p)
{
    char target[sizeof(p->name)];
    ssize_t n = readlink(p->link, target, sizeof(target) - 1);
    if (n < 0) {
        return;
    }
    target[n] = '\0';
    if (strcmp(target, p->name) == 0) {
        unlink(p->link);
    }
}

static void pty_close(struct tp *t)
{
    struct tp_pty *p = TP_CONTAINER_OF(t, struct tp_pty, base);
    if (p->mfd >= 0) {
        remove_link(p);
    }
    tp_fd_close(&p->sfd);
    tp_fd_close(&p->mfd);
    p->name[0] = '\0';
}

static int pty_open(struct tp *t)
{
    struct tp_pty *p = TP_CONTAINER_OF(t, struct tp_pty, base);
    if (p->mfd >= 0) {
        return 0;
    }
    int rc = 0;
    p->mfd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p->mfd < 0) {
        return -errno;
    }
    if (grantpt(p->mfd) < 0 || unlockpt(p->mfd) < 0) {
        rc = -errno;
        goto fail;
    }
    int e = ptsname_r(p->mfd, p->name, sizeof(p->name));
    if (e != 0) {
        rc = -e;
        goto fail;
    }
    p->sfd = open(p->name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p->sfd < 0) {
        rc = -errno;
        goto fail;
    }
    /* The line discipline (echo, canonical mode) sits on the slave side: make it raw. */
    rc = tp_termios_raw(p->sfd, p->baud, 8, 'N', 1);
    if (rc < 0) {
        goto fail;
    }
    int flags = fcntl(p->mfd, F_GETFL);
    if (flags < 0 || fcntl(p->mfd, F_SETFL, flags | O_NONBLOCK) < 0) {
        rc = -errno;
        goto fail;
    }
    rc = make_link(p->name, p->link);
    if (rc < 0) {
        goto fail;
    }
    log_info("tp", "%s: pseudo-terminal %s linked at %s", t->label, p->name, p->link);
    return 0;

fail:
    tp_fd_close(&p->sfd);
    tp_fd_close(&p->mfd);
    p->name[0] = '\0';
    return rc;
}

static ssize_t pty_read(struct tp *t, uint8_t *buf, size_t cap)
{
    struct tp_pty *p = TP_CONTAINER_OF(t, struct tp_pty, base);
    return tp_fd_read(p->mfd, buf, cap, -EIO);
}

static ssize_t pty_write(struct tp *t, const uint8_t *buf, size_t len)
{
    struct tp_pty *p = TP_CONTAINER_OF(t, struct tp_pty, base);
    int queued = 0;
    if (p->sfd >= 0 && ioctl(p->sfd, FIONREAD, &queued) == 0 && queued >= TP_PTY_STALE_BYTES) {
        log_debug("tp", "%s: dropping %d bytes no client read", t->label, queued);
        tcflush(p->sfd, TCIFLUSH);
    }
    return tp_fd_write(p->mfd, buf, len, 0);
}

static int pty_poll_fd(const struct tp *t)
{
    const struct tp_pty *p = TP_CONTAINER_OF_CONST(t, struct tp_pty, base);
    return p->mfd;
}

static const struct tp_ops pty_ops = {
    .name = "pty",
    .open = pty_open,
    .read = pty_read,
    .write = pty_write,
    .poll_fd = pty_poll_fd,
    .close = pty_close,
};

int tp_pty_new(const char *link_path, uint32_t baud, struct tp **out)
{
    if (!out) {
        return -EINVAL;
    }
    *out = NULL;
    if (!link_path || link_path[0] == '\0') {
        return -EINVAL;
    }
    struct tp_pty *p = calloc(1, sizeof(*p));
    if (!p) {
        return -ENOMEM;
    }
    if (strlen(link_path) >= sizeof(p->link)) {
        free(p);
        return -EINVAL;
    }
    strcpy(p->link, link_path);
    p->baud = baud ? baud : 9600;
    p->mfd = -1;
    p->sfd = -1;
    p->base.ops = &pty_ops;
    tp_set_label(&p->base, "pty:%s", link_path);
    *out = &p->base;
    return 0;
}

const char *tp_pty_name(const struct tp *t)
{
    if (!t || t->ops != &pty_ops) {
        return NULL;
    }
    const struct tp_pty *p = TP_CONTAINER_OF_CONST(t, struct tp_pty, base);
    return p->mfd >= 0 ? p->name : NULL;
}
