/* SPDX-License-Identifier: MIT */
/*
 * The real transports on real ptys and loopback sockets: the serial transport's termios path on a
 * socat pty pair (socat killed = adapter unplugged, restarted = plugged back), the TCP client and
 * listener against each other and against plain sockets, and the pty listener opened through the
 * serial transport and through pyserial (what TWCManager uses). Every wait is a poll() on a
 * readiness fd with a bounded timeout; nothing sleeps for a fixed time.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "drivers/base/amp_clock.h"
#include "drivers/base/log.h"
#include "drivers/transport/tp.h"
#include "drivers/transport/tp_link.h"
#include "drivers/transport/tp_serial.h"
#include "tests/support/amp_port.h"
#include "tests/support/check_main.h"

#define WAIT_MS 5000 /* upper bound for any single wait; passing runs take milliseconds */

/* A master heartbeat and a slave reply (twc-gen2.md §8), used as recognisable bytes. */
static const uint8_t to_slave[] = {0xc0, 0xfb, 0xe0, 0x77, 0x77, 0x20, 0x19, 0x05, 0x06,
                                   0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd3, 0xc0};
static const uint8_t to_master[] = {0xc0, 0xfd, 0xe0, 0x20, 0x19, 0x77, 0x77, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x65, 0xc0};

static uint64_t now_ms(void)
{
    return amp_clock_mono_ms();
}

/* Waits up to timeout_ms for fd to be readable (or hung up). Returns true when it is. */
static bool wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, timeout_ms) > 0;
}

/* ---- log capture ---- */

struct logbook {
    int errs;
    int infos;
    char lines[32][200];
    int n;
};

static struct logbook book;

static void capture(void *ctx, enum log_level lvl, const char *mod, const char *line)
{
    struct logbook *b = ctx;
    b->errs += lvl == LOG_LEVEL_ERR;
    b->infos += lvl == LOG_LEVEL_INFO;
    if (b->n < 32) {
        snprintf(b->lines[b->n++], sizeof(b->lines[0]), "%s: %s", mod, line);
    }
}

/* True when some captured line contains needle. */
static bool logged(const char *needle)
{
    for (int i = 0; i < book.n; i++) {
        if (strstr(book.lines[i], needle)) {
            return true;
        }
    }
    return false;
}

static void log_setup(void)
{
    memset(&book, 0, sizeof(book));
    log_set_sink(capture, &book, LOG_LEVEL_INFO);
}

static void log_teardown(void)
{
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
}

/* ---- reading with a deadline ---- */

/* Reads exactly want bytes from t within WAIT_MS; returns want, a short count, or a code. */
static ssize_t tp_read_all(struct tp *t, uint8_t *buf, size_t want)
{
    size_t got = 0;
    uint64_t end = now_ms() + WAIT_MS;
    while (got < want && now_ms() < end) {
        wait_readable(tp_poll_fd(t), (int)(end - now_ms()));
        ssize_t n = tp_read(t, buf + got, want - got);
        if (n < 0) {
            return n;
        }
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static ssize_t fd_read_all(int fd, uint8_t *buf, size_t want)
{
    size_t got = 0;
    uint64_t end = now_ms() + WAIT_MS;
    while (got < want && now_ms() < end) {
        wait_readable(fd, (int)(end - now_ms()));
        ssize_t n = read(fd, buf + got, want - got);
        if (n == 0) {
            break;
        }
        if (n < 0 && errno != EAGAIN) {
            return -errno;
        }
        got += n > 0 ? (size_t)n : 0;
    }
    return (ssize_t)got;
}

/* Reads from t until it reports an error (the device gone), within WAIT_MS; returns the code. */
static ssize_t tp_wait_gone(struct tp *t)
{
    uint8_t buf[64];
    uint64_t end = now_ms() + WAIT_MS;
    while (now_ms() < end) {
        wait_readable(tp_poll_fd(t), (int)(end - now_ms()));
        ssize_t n = tp_read(t, buf, sizeof(buf));
        if (n < 0) {
            return n;
        }
    }
    return 0;
}

static ssize_t link_read_all(struct tp_link *l, uint8_t *buf, size_t want)
{
    size_t got = 0;
    uint64_t end = now_ms() + WAIT_MS;
    while (got < want && now_ms() < end) {
        wait_readable(tp_link_poll_fd(l), (int)(end - now_ms()));
        ssize_t n = tp_link_read(l, now_ms(), buf + got, want - got);
        if (n < 0) {
            return n;
        }
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Services l until it is up, waiting for its next due time; bounded by timeout_ms. */
static int link_wait_up(struct tp_link *l, struct tp *also_read, uint64_t timeout_ms)
{
    uint64_t end = now_ms() + timeout_ms;
    int rc = -ETIMEDOUT;
    while (now_ms() < end) {
        rc = tp_link_service(l, now_ms());
        if (also_read) {
            uint8_t scratch[1];
            tp_read(also_read, scratch, 0); /* lets a listener accept */
        }
        if (rc == 0 && (!also_read || tp_tcp_listen_has_client(also_read))) {
            return 0;
        }
        uint64_t next = tp_link_next_ms(l);
        uint64_t now = now_ms();
        int wait = next == UINT64_MAX ? 10 : next > now ? (int)(next - now) : 0;
        if (wait > 100) {
            wait = 100;
        }
        struct pollfd p[2] = {{.fd = tp_link_poll_fd(l), .events = POLLOUT},
                              {.fd = also_read ? tp_poll_fd(also_read) : -1, .events = POLLIN}};
        poll(p, 2, wait);
    }
    return rc;
}

/* ---- socat ---- */

struct socat {
    pid_t pid;
    int err_fd; /* socat's stderr: tells us when it is ready, and EOF when it has gone */
};

/* One directory for the whole run (removed at the end even after a failed test), one inside it
   per test for the socat links and pty links. */
static char top[64];
static char dir[96];
static char path_a[128];
static char path_b[128];

static void top_setup(void)
{
    strcpy(top, "/tmp/amp-tp-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(top));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void top_teardown(void)
{
    nftw(top, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void dir_setup(void)
{
    snprintf(dir, sizeof(dir), "%s/t-XXXXXX", top);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path_a, sizeof(path_a), "%s/a", dir);
    snprintf(path_b, sizeof(path_b), "%s/b", dir);
}

static void socat_start(struct socat *s)
{
    char a[160];
    char b[160];
    snprintf(a, sizeof(a), "pty,raw,echo=0,link=%s", path_a);
    snprintf(b, sizeof(b), "pty,raw,echo=0,link=%s", path_b);
    int pfd[2];
    ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
    pid_t parent = getpid();
    s->pid = fork();
    ck_assert_int_ge(s->pid, 0);
    if (s->pid == 0) {
        /* socat dies with the test, even when a failed assertion ends the test early. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) {
            _exit(127);
        }
        dup2(pfd[1], STDERR_FILENO);
        execlp("socat", "socat", "-d", "-d", a, b, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    s->err_fd = pfd[0];
    /* socat -d -d says "starting data transfer loop" once both ptys and links exist. */
    char text[4096];
    size_t len = 0;
    uint64_t end = now_ms() + WAIT_MS;
    while (now_ms() < end && len < sizeof(text) - 1) {
        if (!wait_readable(s->err_fd, (int)(end - now_ms()))) {
            break;
        }
        ssize_t n = read(s->err_fd, text + len, sizeof(text) - 1 - len);
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
        text[len] = '\0';
        if (strstr(text, "starting data transfer loop")) {
            return;
        }
    }
    text[len] = '\0';
    ck_abort_msg("socat did not start (is it installed?): %s", text);
}

/* Stops socat (the adapter is unplugged) and waits, bounded, for it to be gone. */
static void socat_stop(struct socat *s)
{
    ck_assert_int_eq(kill(s->pid, SIGTERM), 0);
    char buf[512];
    uint64_t end = now_ms() + WAIT_MS;
    while (now_ms() < end && wait_readable(s->err_fd, (int)(end - now_ms()))) {
        if (read(s->err_fd, buf, sizeof(buf)) <= 0) {
            break; /* EOF: socat has exited */
        }
    }
    int status;
    ck_assert_int_eq(waitpid(s->pid, &status, 0), s->pid);
    close(s->err_fd);
    s->pid = -1;
}

/* The far end of the pair, opened as any program would. */
static int open_peer(const char *path)
{
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    struct termios tio;
    ck_assert_int_eq(tcgetattr(fd, &tio), 0);
    cfmakeraw(&tio);
    ck_assert_int_eq(tcsetattr(fd, TCSANOW, &tio), 0);
    return fd;
}

static void exchange_tp_fd(struct tp *t, int fd)
{
    uint8_t buf[64];
    ck_assert_int_eq(tp_write(t, to_slave, sizeof(to_slave)), sizeof(to_slave));
    ck_assert_int_eq(fd_read_all(fd, buf, sizeof(to_slave)), sizeof(to_slave));
    ck_assert_mem_eq(buf, to_slave, sizeof(to_slave));
    ck_assert_int_eq(write(fd, to_master, sizeof(to_master)), sizeof(to_master));
    ck_assert_int_eq(tp_read_all(t, buf, sizeof(to_master)), sizeof(to_master));
    ck_assert_mem_eq(buf, to_master, sizeof(to_master));
}

START_TEST(test_serial_termios_path_carries_bytes_and_reports_unplug)
{
    struct socat s;
    socat_start(&s);
    char text[160];
    snprintf(text, sizeof(text), "serial:%s", path_a);
    struct tp *t;
    char err[160];
    ck_assert_int_eq(tp_new_from_text(text, TP_ROLE_CONNECT, &t, err, sizeof(err)), 0);
    ck_assert_str_eq(tp_kind(t), "serial");
    ck_assert_int_eq(tp_poll_fd(t), -1); /* closed */
    ck_assert_int_eq(tp_open(t), 0);
    ck_assert_int_ge(tp_poll_fd(t), 0);
    /* serial-ptys.md: libserialport cannot open a pty, so the termios path is taken, and said. */
    ck_assert(logged("opened /dev/pts/"));
    ck_assert(logged("with termios (a pseudo-terminal"));
    /* Nothing waiting is 0, not an error: a loop may read on every tick. */
    uint8_t none[8];
    ck_assert_int_eq(tp_read(t, none, sizeof(none)), 0);
    int peer = open_peer(path_b);
    exchange_tp_fd(t, peer);
    ck_assert_int_eq(tp_read(t, none, sizeof(none)), 0);

    /* socat ends: the kernel hangs the pty up. read() then returns 0 (hung_up_tty_read), which
       the serial transport reports as the device gone; write() fails with EIO. */
    close(peer);
    socat_stop(&s);
    ck_assert_int_eq(tp_wait_gone(t), -ENODEV);
    ck_assert_int_eq(tp_write(t, to_slave, sizeof(to_slave)), -EIO);
    tp_close(t);
    ck_assert_int_eq(tp_poll_fd(t), -1);
    /* With socat gone the link path is gone too: opening fails with a code, not a crash. */
    ck_assert_int_eq(tp_open(t), -ENOENT);
    tp_free(t);
}

END_TEST

START_TEST(test_serial_link_comes_back_when_socat_restarts)
{
    struct socat s;
    socat_start(&s);
    char text[160];
    snprintf(text, sizeof(text), "serial:%s", path_a);
    struct tp_link *l;
    ck_assert_int_eq(tp_link_new_from_text(text, TP_ROLE_CONNECT, &l, NULL, 0), 0);
    ck_assert_int_eq(link_wait_up(l, NULL, WAIT_MS), 0);
    int peer = open_peer(path_b);
    uint8_t buf[64];
    ck_assert_int_eq(tp_link_write(l, now_ms(), to_slave, sizeof(to_slave)), sizeof(to_slave));
    ck_assert_int_eq(fd_read_all(peer, buf, sizeof(to_slave)), sizeof(to_slave));

    /* Unplug: the link sees it on its next read and logs it once. */
    close(peer);
    socat_stop(&s);
    ck_assert_int_lt(link_read_all(l, buf, 1), 0);
    ck_assert(!tp_link_is_up(l));
    ck_assert_int_eq(book.errs, 1);
    /* a local device is retried every second, not with back-off (§6.4: cars stop at 25 s) */
    ck_assert(logged(": lost: No such device; reconnecting every 1000 ms"));
    /* Still gone at the first retries: silent. */
    ck_assert_int_ne(link_wait_up(l, NULL, 2500), 0);
    ck_assert_int_eq(book.errs, 1);

    /* Plugged back: the link reopens by itself at its next retry. */
    socat_start(&s);
    ck_assert_int_eq(link_wait_up(l, NULL, 10000), 0);
    ck_assert(logged(": back after "));
    peer = open_peer(path_b);
    ck_assert_int_eq(tp_link_write(l, now_ms(), to_slave, sizeof(to_slave)), sizeof(to_slave));
    ck_assert_int_eq(fd_read_all(peer, buf, sizeof(to_slave)), sizeof(to_slave));
    ck_assert_mem_eq(buf, to_slave, sizeof(to_slave));
    ck_assert_int_eq(write(peer, to_master, sizeof(to_master)), sizeof(to_master));
    ck_assert_int_eq(link_read_all(l, buf, sizeof(to_master)), sizeof(to_master));
    ck_assert_mem_eq(buf, to_master, sizeof(to_master));
    ck_assert_int_eq(book.errs, 1);
    close(peer);
    tp_link_free(l);
    socat_stop(&s);
}

END_TEST

/* ---- TCP ---- */

static void exchange_tp_tp(struct tp *x, struct tp *y)
{
    uint8_t buf[64];
    ck_assert_int_eq(tp_write(x, to_slave, sizeof(to_slave)), sizeof(to_slave));
    ck_assert_int_eq(tp_read_all(y, buf, sizeof(to_slave)), sizeof(to_slave));
    ck_assert_mem_eq(buf, to_slave, sizeof(to_slave));
    ck_assert_int_eq(tp_write(y, to_master, sizeof(to_master)), sizeof(to_master));
    ck_assert_int_eq(tp_read_all(x, buf, sizeof(to_master)), sizeof(to_master));
    ck_assert_mem_eq(buf, to_master, sizeof(to_master));
}

START_TEST(test_tcp_client_link_and_listener_survive_listener_restart)
{
    struct tp *srv;
    ck_assert_int_eq(tp_tcp_listen_new("127.0.0.1", 0, &srv), 0);
    ck_assert_str_eq(tp_kind(srv), "tcp-listen");
    ck_assert_int_eq(tp_open(srv), 0);
    int port = tp_tcp_listen_port(srv);
    ck_assert_int_gt(port, 0);
    char text[64];
    snprintf(text, sizeof(text), "tcp://127.0.0.1:%d", port);
    struct tp_link *l;
    ck_assert_int_eq(tp_link_new_from_text(text, TP_ROLE_CONNECT, &l, NULL, 0), 0);
    ck_assert_str_eq(tp_kind(tp_link_tp(l)), "tcp");
    ck_assert_str_eq(tp_link_tp(l)->label, text);
    ck_assert_int_eq(link_wait_up(l, srv, WAIT_MS), 0);
    exchange_tp_tp(tp_link_tp(l), srv);

    /* The listener goes away: the client reads the connection's end as the peer gone. The port
     * is held meanwhile, so no other test takes it (amp_port.h). */
    tp_close(srv);
    int hold = amp_port_hold(port);
    uint8_t buf[64];
    ck_assert_int_eq(link_read_all(l, buf, 1), -ECONNRESET);
    ck_assert(logged(": lost: Connection reset by peer; reconnecting with back-off"));
    /* Nobody listens: the first retry is refused, silently. */
    ck_assert_int_ne(link_wait_up(l, NULL, 700), 0);
    ck_assert_int_eq(book.errs, 1);

    /* The listener comes back on the same port; the client finds it by itself. */
    ck_assert_int_eq(tp_open(srv), 0);
    ck_assert_int_eq(tp_tcp_listen_port(srv), port);
    amp_port_release(hold);
    ck_assert_int_eq(link_wait_up(l, srv, 10000), 0);
    ck_assert(logged(": back after "));
    exchange_tp_tp(tp_link_tp(l), srv);
    tp_link_free(l);
    tp_free(srv);
}

END_TEST

static int plain_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

START_TEST(test_tcp_listener_serves_plain_socket_newest_client_replaces_old)
{
    struct tp *srv;
    uint8_t buf[64];
    ck_assert_int_eq(tp_tcp_listen_new("127.0.0.1", 0, &srv), 0);
    ck_assert_int_eq(tp_open(srv), 0);
    int port = tp_tcp_listen_port(srv);
    /* No client yet: nothing to read, and writes go nowhere but are taken. */
    ck_assert_int_eq(tp_read(srv, buf, sizeof(buf)), 0);
    ck_assert_int_eq(tp_write(srv, to_master, sizeof(to_master)), sizeof(to_master));

    int c1 = plain_connect(port);
    ck_assert_int_eq(write(c1, "one", 3), 3);
    ck_assert_int_eq(tp_read_all(srv, buf, 3), 3);
    ck_assert_mem_eq(buf, "one", 3);
    ck_assert(tp_tcp_listen_has_client(srv));
    ck_assert_int_eq(tp_write(srv, (const uint8_t *)"r1", 2), 2);
    ck_assert_int_eq(fd_read_all(c1, buf, 2), 2);
    ck_assert_mem_eq(buf, "r1", 2);

    /* A second client replaces the first, whose connection is closed. */
    int c2 = plain_connect(port);
    ck_assert_int_eq(write(c2, "two", 3), 3);
    ck_assert_int_eq(tp_read_all(srv, buf, 3), 3);
    ck_assert_mem_eq(buf, "two", 3);
    ck_assert(logged("replaced by 127.0.0.1:"));
    ck_assert(wait_readable(c1, WAIT_MS));
    ck_assert_int_eq(read(c1, buf, sizeof(buf)), 0); /* EOF */
    ck_assert_int_eq(tp_write(srv, (const uint8_t *)"r2", 2), 2);
    ck_assert_int_eq(fd_read_all(c2, buf, 2), 2);
    ck_assert_mem_eq(buf, "r2", 2);

    /* The client leaves: the listener keeps listening and reports no error. */
    close(c2);
    ck_assert(wait_readable(tp_poll_fd(srv), WAIT_MS));
    ck_assert_int_eq(tp_read(srv, buf, sizeof(buf)), 0);
    ck_assert(!tp_tcp_listen_has_client(srv));
    ck_assert(logged(" left"));
    close(c1);
    tp_free(srv);
}

END_TEST

/* Calls open until it is no longer in progress (bounded). */
static int open_until_done(struct tp *t)
{
    uint64_t end = now_ms() + WAIT_MS;
    int rc;
    while ((rc = tp_open(t)) == -EINPROGRESS && now_ms() < end) {
        struct pollfd p = {.fd = tp_poll_fd(t), .events = POLLOUT};
        poll(&p, 1, (int)(end - now_ms()));
    }
    return rc;
}

START_TEST(test_tcp_client_against_plain_listener_and_refused_port)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(lfd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1; /* the port is held once this closes; its TIME_WAIT must allow that */
    ck_assert_int_eq(setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(lfd, 1), 0);
    socklen_t len = sizeof(sa);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
    uint16_t port = ntohs(sa.sin_port);

    struct tp *c;
    ck_assert_int_eq(tp_tcp_new("127.0.0.1", port, &c), 0);
    ck_assert_int_eq(open_until_done(c), 0);
    uint8_t none[8];
    ck_assert_int_eq(tp_read(c, none, sizeof(none)), 0);

    /* Keep-alive: probes after 10 s idle, every 5 s, 3 misses; no Nagle delay (tp_tcp.c). */
    static const struct {
        int level;
        int name;
        int want;
    } opts[] = {
        {IPPROTO_TCP, TCP_NODELAY, 1},   {SOL_SOCKET, SO_KEEPALIVE, 1},
        {IPPROTO_TCP, TCP_KEEPIDLE, 10}, {IPPROTO_TCP, TCP_KEEPINTVL, 5},
        {IPPROTO_TCP, TCP_KEEPCNT, 3},   {IPPROTO_TCP, TCP_USER_TIMEOUT, 25000},
    };

    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        int v = -1;
        socklen_t vlen = sizeof(v);
        ck_assert_int_eq(getsockopt(tp_poll_fd(c), opts[i].level, opts[i].name, &v, &vlen), 0);
        ck_assert_int_eq(v, opts[i].want);
    }
    ck_assert(wait_readable(lfd, WAIT_MS));
    int peer = accept(lfd, NULL, NULL);
    ck_assert_int_ge(peer, 0);
    ck_assert_int_eq(fcntl(peer, F_SETFL, O_NONBLOCK), 0);
    exchange_tp_fd(c, peer);

    /* The bridge closes the connection: that is the device gone. */
    close(peer);
    ck_assert_int_eq(tp_wait_gone(c), -ECONNRESET);
    tp_close(c);

    /* Nothing listens any more: the connect is refused, now or after it was under way. The
     * port stays held, so no other test's socket can answer instead (amp_port.h). */
    close(lfd);
    int hold = amp_port_hold(port);
    ck_assert_int_eq(open_until_done(c), -ECONNREFUSED);
    amp_port_release(hold);
    ck_assert_int_eq(tp_poll_fd(c), -1);
    tp_free(c);
}

END_TEST

/* ---- pty listener ---- */

START_TEST(test_pty_listener_serves_serial_transport_across_client_reopen)
{
    char bus[160];
    char text[170];
    snprintf(bus, sizeof(bus), "%s/bus", dir);
    snprintf(text, sizeof(text), "pty:%s", bus);
    struct tp *sim;
    ck_assert_int_eq(tp_new_from_text(text, TP_ROLE_LISTEN, &sim, NULL, 0), 0);
    ck_assert_str_eq(tp_kind(sim), "pty");
    ck_assert_ptr_null(tp_pty_name(sim));
    ck_assert_int_eq(tp_open(sim), 0);
    char target[64] = "";
    ck_assert_int_gt(readlink(bus, target, sizeof(target) - 1), 0);
    ck_assert_str_eq(target, tp_pty_name(sim));
    ck_assert_int_eq(strncmp(target, "/dev/pts/", 9), 0);

    struct tp *master;
    snprintf(text, sizeof(text), "serial:%s", bus);
    ck_assert_int_eq(tp_new_from_text(text, TP_ROLE_CONNECT, &master, NULL, 0), 0);
    ck_assert_int_eq(tp_open(master), 0);
    ck_assert(logged("with termios (a pseudo-terminal"));
    uint8_t none[8];
    ck_assert_int_eq(tp_read(master, none, sizeof(none)), 0);
    ck_assert_int_eq(tp_read(sim, none, sizeof(none)), 0);
    exchange_tp_tp(master, sim);

    /* The master closes the path: the listener is not disturbed (no error, no endless hang-up). */
    tp_close(master);
    uint8_t buf[64];
    ck_assert(!wait_readable(tp_poll_fd(sim), 0));
    ck_assert_int_eq(tp_read(sim, buf, sizeof(buf)), 0);
    /* Bytes sent while no one listens are not served to the next master. */
    ck_assert_int_eq(tp_write(sim, (const uint8_t *)"stale", 5), 5);
    ck_assert_int_eq(tp_open(master), 0);
    exchange_tp_tp(master, sim);

    /* The listener goes away: its link is removed and the master sees the device gone. */
    tp_close(sim);
    struct stat st;
    ck_assert_int_eq(lstat(bus, &st), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(tp_wait_gone(master), -ENODEV);
    tp_free(master);
    tp_free(sim);
}

END_TEST

START_TEST(test_pty_listener_replaces_stale_link_but_not_a_file)
{
    char stale[160];
    char file[160];
    snprintf(stale, sizeof(stale), "%s/stale", dir);
    snprintf(file, sizeof(file), "%s/file", dir);
    ck_assert_int_eq(symlink("/dev/pts/nonexistent", stale), 0);
    struct tp *p;
    ck_assert_int_eq(tp_pty_new(stale, 9600, &p), 0);
    ck_assert_int_eq(tp_open(p), 0);
    char target[64] = "";
    ck_assert_int_gt(readlink(stale, target, sizeof(target) - 1), 0);
    ck_assert_str_eq(target, tp_pty_name(p));
    tp_free(p); /* closes and removes the link */
    ck_assert_int_eq(access(stale, F_OK), -1);

    int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(tp_pty_new(file, 9600, &p), 0);
    ck_assert_int_eq(tp_open(p), -EEXIST);
    ck_assert_int_eq(tp_poll_fd(p), -1);
    ck_assert_int_eq(access(file, F_OK), 0);
    tp_free(p);
}

END_TEST

/* TWCManager opens its port with pyserial; so does this client. It sends 3 bytes, expects 3. */
static const char pyserial_client[] = "import serial, sys\n"
                                      "s = serial.Serial(sys.argv[1], 9600, timeout=5)\n"
                                      "s.write(bytes([0xc0, 0xfd, 0xe2]))\n"
                                      "r = s.read(3)\n"
                                      "sys.exit(0 if r == bytes([0xc0, 0xfb, 0xe2]) else 3)\n";

START_TEST(test_pty_listener_serves_pyserial_client)
{
    char bus[160];
    snprintf(bus, sizeof(bus), "%s/bus", dir);
    struct tp *sim;
    ck_assert_int_eq(tp_pty_new(bus, 9600, &sim), 0);
    ck_assert_int_eq(tp_open(sim), 0);
    const char *python = getenv("PYTHON") ? getenv("PYTHON") : "/usr/bin/python3";
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        execl(python, python, "-c", pyserial_client, bus, (char *)NULL);
        _exit(127);
    }
    uint8_t buf[8];
    ck_assert_int_eq(tp_read_all(sim, buf, 3), 3);
    ck_assert_mem_eq(buf, "\xc0\xfd\xe2", 3);
    ck_assert_int_eq(tp_write(sim, (const uint8_t *)"\xc0\xfb\xe2", 3), 3);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0); /* 127: no python3; 1: no pyserial module */
    tp_free(sim);
}

END_TEST

START_TEST(test_serial_list_names_only_devices)
{
    struct tp_port_info ports[16];
    int n = tp_serial_list(ports, 16);
    ck_assert_int_ge(n, 0);
    for (int i = 0; i < n && i < 16; i++) {
        ck_assert_int_eq(strncmp(ports[i].path, "/dev/", 5), 0);
    }
    /* Counting only. */
    ck_assert_int_eq(tp_serial_list(NULL, 0), n);
    ck_assert_int_eq(tp_serial_list(NULL, 1), -EINVAL);
}

END_TEST

static void setup(void)
{
    log_setup();
    dir_setup();
}

static void teardown(void)
{
    log_teardown();
}

static Suite *tp_serial_suite(void)
{
    Suite *s = suite_create("tp_serial");
    TCase *tc = tcase_create("real");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, top_setup, top_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_serial_termios_path_carries_bytes_and_reports_unplug);
    tcase_add_test(tc, test_serial_link_comes_back_when_socat_restarts);
    tcase_add_test(tc, test_tcp_client_link_and_listener_survive_listener_restart);
    tcase_add_test(tc, test_tcp_listener_serves_plain_socket_newest_client_replaces_old);
    tcase_add_test(tc, test_tcp_client_against_plain_listener_and_refused_port);
    tcase_add_test(tc, test_pty_listener_serves_serial_transport_across_client_reopen);
    tcase_add_test(tc, test_pty_listener_replaces_stale_link_but_not_a_file);
    tcase_add_test(tc, test_pty_listener_serves_pyserial_client);
    tcase_add_test(tc, test_serial_list_names_only_devices);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(tp_serial_suite)
