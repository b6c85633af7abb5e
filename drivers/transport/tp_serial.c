/* SPDX-License-Identifier: MIT */
/*
 * The serial transport: libserialport for real adapters, a termios path for pseudo-terminals and
 * anything libserialport cannot look up (research/serial-ptys.md). Either way, bytes move with
 * plain read()/write() on the port's fd: sp_nonblocking_read() folds a hang-up (read() == 0) into
 * "no data", and an unplugged USB adapter must show up as -ENODEV, not as silence.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <libserialport.h>

#include "drivers/base/amp_err.h"
#include "drivers/base/log.h"
#include "drivers/transport/tp.h"
#include "drivers/transport/tp_internal.h"

struct tp_serial {
    struct tp base;
    struct tp_addr addr;
    int fd;               /* the fd bytes move through (ours, or borrowed from port) */
    struct sp_port *port; /* set when libserialport opened the device; owns fd then */
};

int tp_sp_to_rc(int sp_return)
{
    switch ((enum sp_return)sp_return) {
    case SP_OK:
        return 0;
    case SP_ERR_ARG:
        return -EINVAL;
    case SP_ERR_MEM:
        return -ENOMEM;
    case SP_ERR_SUPP:
        return -ENOTSUP;
    case SP_ERR_FAIL:
    default: {
        int e = sp_last_error_code();
        return e > 0 ? -e : -EIO;
    }
    }
}

static int baud_to_speed(uint32_t baud, speed_t *out)
{
    static const struct {
        uint32_t baud;
        speed_t speed;
    } speeds[] = {
        {1200, B1200},   {2400, B2400},   {4800, B4800},     {9600, B9600},     {19200, B19200},
        {38400, B38400}, {57600, B57600}, {115200, B115200}, {230400, B230400}, {460800, B460800},
    };

    for (size_t i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++) {
        if (speeds[i].baud == baud) {
            *out = speeds[i].speed;
            return 0;
        }
    }
    return -EINVAL;
}

int tp_termios_raw(int fd, uint32_t baud, uint8_t data_bits, char parity, uint8_t stop_bits)
{
    static const tcflag_t sizes[] = {CS5, CS6, CS7, CS8};
    speed_t speed;
    if (baud_to_speed(baud, &speed) < 0 || data_bits < 5 || data_bits > 8) {
        return -EINVAL;
    }
    struct termios tio;
    if (tcgetattr(fd, &tio) < 0) {
        return -errno;
    }
    cfmakeraw(&tio);
    tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
    tio.c_cflag |= CLOCAL | CREAD | sizes[data_bits - 5];
    if (parity == 'E' || parity == 'O') {
        tio.c_cflag |= PARENB | (parity == 'O' ? PARODD : 0);
        tio.c_iflag |= INPCK;
    }
    if (stop_bits == 2) {
        tio.c_cflag |= CSTOPB;
    }
    tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    if (cfsetispeed(&tio, speed) < 0 || cfsetospeed(&tio, speed) < 0 ||
        tcsetattr(fd, TCSANOW, &tio) < 0) {
        return -errno;
    }
    return 0;
}

/* UNIX98 pty slaves: majors 136..143 (Documentation/admin-guide/devices.txt). */
static bool path_is_pty(const char *real)
{
    if (strncmp(real, "/dev/pts/", 9) == 0) {
        return true;
    }
    struct stat st;
    if (stat(real, &st) < 0 || !S_ISCHR(st.st_mode)) {
        return false;
    }
    return major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143;
}

/* Input queued before we opened is from a bus we were not listening to: drop it. */
static int finish_fd(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        return -errno;
    }
    tcflush(fd, TCIFLUSH);
    return 0;
}

static int open_termios(struct tp_serial *s, const char *real)
{
    const struct tp_addr *a = &s->addr;
    int fd = open(real, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    int rc = isatty(fd) ? 0 : -ENOTTY;
    if (rc == 0) {
        rc = tp_termios_raw(fd, a->baud, a->data_bits, a->parity, a->stop_bits);
    }
    if (rc == 0) {
        rc = finish_fd(fd);
    }
    if (rc < 0) {
        close(fd);
        return rc;
    }
    s->fd = fd;
    return 0;
}

static enum sp_parity sp_parity_of(char parity)
{
    return parity == 'E' ? SP_PARITY_EVEN : parity == 'O' ? SP_PARITY_ODD : SP_PARITY_NONE;
}

/* port: from sp_get_port_by_name; ownership passes to s on success, freed on failure. */
static int open_libserialport(struct tp_serial *s, struct sp_port *port)
{
    const struct tp_addr *a = &s->addr;
    int fd = -1;
    int rc = tp_sp_to_rc(sp_open(port, SP_MODE_READ_WRITE));
    if (rc < 0) {
        goto fail_free;
    }
    rc = tp_sp_to_rc(sp_set_baudrate(port, (int)a->baud));
    if (rc == 0) {
        rc = tp_sp_to_rc(sp_set_bits(port, a->data_bits));
    }
    if (rc == 0) {
        rc = tp_sp_to_rc(sp_set_parity(port, sp_parity_of(a->parity)));
    }
    if (rc == 0) {
        rc = tp_sp_to_rc(sp_set_stopbits(port, a->stop_bits));
    }
    if (rc == 0) {
        /* twc-gen2.md §1: no flow control; RS485 adapters switch direction themselves. */
        rc = tp_sp_to_rc(sp_set_flowcontrol(port, SP_FLOWCONTROL_NONE));
    }
    if (rc == 0) {
        rc = tp_sp_to_rc(sp_get_port_handle(port, &fd));
    }
    if (rc < 0) {
        goto fail_close;
    }
    /* libserialport leaves VMIN 0, where a non-blocking read() of 0 is ambiguous; ask for 1. */
    struct termios tio;
    if (tcgetattr(fd, &tio) < 0) {
        rc = -errno;
        goto fail_close;
    }
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &tio) < 0) {
        rc = -errno;
        goto fail_close;
    }
    rc = finish_fd(fd);
    if (rc < 0) {
        goto fail_close;
    }
    s->port = port;
    s->fd = fd;
    return 0;

fail_close:
    sp_close(port);
fail_free:
    sp_free_port(port);
    return rc;
}

static int serial_open(struct tp *t)
{
    struct tp_serial *s = TP_CONTAINER_OF(t, struct tp_serial, base);
    if (s->fd >= 0) {
        return 0;
    }
    char real[PATH_MAX];
    if (!realpath(s->addr.path, real)) {
        return -errno;
    }
    const char *why = NULL;
    struct sp_port *port = NULL;
    if (path_is_pty(real)) {
        why = "a pseudo-terminal, which libserialport cannot open";
    } else if (sp_get_port_by_name(real, &port) != SP_OK) {
        why = "not a device libserialport can look up";
        port = NULL;
    }
    int rc = why ? open_termios(s, real) : open_libserialport(s, port);
    if (rc < 0) {
        return rc;
    }
    if (why) {
        log_info("tp", "%s: opened %s with termios (%s)", t->label, real, why);
    } else {
        log_info("tp", "%s: opened %s with libserialport", t->label, real);
    }
    return 0;
}

static ssize_t serial_read(struct tp *t, uint8_t *buf, size_t cap)
{
    struct tp_serial *s = TP_CONTAINER_OF(t, struct tp_serial, base);
    /* With VMIN 1 and O_NONBLOCK, read() returns 0 only after a hang-up: the device is gone. */
    return tp_fd_read(s->fd, buf, cap, -ENODEV);
}

static ssize_t serial_write(struct tp *t, const uint8_t *buf, size_t len)
{
    struct tp_serial *s = TP_CONTAINER_OF(t, struct tp_serial, base);
    return tp_fd_write(s->fd, buf, len, 0);
}

static int serial_poll_fd(const struct tp *t)
{
    const struct tp_serial *s = TP_CONTAINER_OF_CONST(t, struct tp_serial, base);
    return s->fd;
}

static void serial_close(struct tp *t)
{
    struct tp_serial *s = TP_CONTAINER_OF(t, struct tp_serial, base);
    if (s->port) {
        sp_close(s->port);
        sp_free_port(s->port);
        s->port = NULL;
        s->fd = -1;
    }
    tp_fd_close(&s->fd);
}

static const struct tp_ops serial_ops = {
    .name = "serial",
    .open = serial_open,
    .read = serial_read,
    .write = serial_write,
    .poll_fd = serial_poll_fd,
    .close = serial_close,
};

int tp_serial_new(const struct tp_addr *addr, struct tp **out)
{
    if (!out) {
        return -EINVAL;
    }
    *out = NULL;
    if (!addr || addr->path[0] == '\0') {
        return -EINVAL;
    }
    struct tp_serial *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->base.ops = &serial_ops;
    s->addr = *addr;
    s->fd = -1;
    char text[sizeof(s->base.label)];
    if (tp_addr_format(addr, text, sizeof(text)) < 0) {
        tp_set_label(&s->base, "serial:%s", addr->path);
    } else {
        tp_set_label(&s->base, "%s", text);
    }
    *out = &s->base;
    return 0;
}
