/* SPDX-License-Identifier: MIT */
/*
 * A policy plugin in a child process (see policy_child.h). The two sides speak framed messages
 * over a socketpair: a header {type, length} and a payload of the ABI's own structs, written as
 * this process lays them out (both sides are the same binary, forked).
 */
#include "controller/engine/policy_child.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "controller/engine/policy_loader.h"

enum {
    MSG_PROBE_REP = 1, /* child: i32 rc, u16 ABI minor, then name, version and error text,
                          each NUL-ended */
    MSG_INIT = 2,      /* parent: u32 max_evse, max_circuit, n_opt, then key, value, ... */
    MSG_INIT_REP = 3,  /* child: i32 rc */
    MSG_REQ = 4,       /* parent: struct req_head, circuits, EVSEs, names */
    MSG_REP = 5,       /* child: struct rep_head, i32 target[n], u8 why[n] */
    MSG_LOG = 6,       /* child: i32 level, text NUL-ended */
};

#define MSG_MAX       (64u << 20) /* no honest message comes near this */
#define LOG_PER_CALL  16          /* log lines forwarded per exchange: a flood is cut */
#define LOG_TEXT_MAX  240
#define CHILD_SOCK_FD 3

struct hdr {
    uint32_t type;
    uint32_t len;
};

struct req_head {
    uint32_t seq;
    uint32_t n_circuit;
    uint32_t n_evse;
    uint32_t circuit_size;
    uint32_t evse_size;
    uint32_t reserved;
    uint64_t now_ms;
};

struct rep_head {
    uint32_t seq;
    int32_t rc;
    uint32_t n;
};

struct policy_child {
    struct ampshare_policy policy; /* first: host->ctx points here (alloc.c) */
    char path[256];
    char name[64];
    char version[64];
    uint32_t timeout_ms;
    struct policy_child_stats stats;
};

/* One instance: its child, its options (kept for restarts) and its buffers. */
struct inst {
    struct policy_child *pc;
    struct ampshare_policy_host host; /* the engine's: for logging */
    pid_t pid;                        /* 0 while down */
    int fd;
    uint32_t seq;
    uint64_t retry_at_ms;
    uint32_t backoff_ms;
    uint32_t good_ticks; /* answered in a row since the last start */
    uint8_t *init_msg;   /* MSG_INIT payload, replayed at each restart */
    uint32_t init_len;
    uint8_t *buf; /* requests and replies */
    size_t cap;
};

/* ---- plumbing ---- */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits for ev on fd until deadline (UINT64_MAX: for ever). 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short ev, uint64_t deadline)
{
    for (;;) {
        int ms = -1;
        if (deadline != UINT64_MAX) {
            uint64_t now = mono_ms();
            if (now >= deadline) {
                return -ETIMEDOUT;
            }
            ms = (int)(deadline - now < 60000 ? deadline - now : 60000);
        }
        struct pollfd p = {.fd = fd, .events = ev};
        int n = poll(&p, 1, ms);
        if (n > 0) {
            return 0;
        }
        if (n < 0 && errno != EINTR) {
            return -errno;
        }
    }
}

static int send_all(int fd, const void *buf, size_t len, uint64_t deadline)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_fd(fd, POLLOUT, deadline);
            if (rc < 0) {
                return rc;
            }
            continue;
        }
        return n < 0 ? -errno : -EPIPE;
    }
    return 0;
}

/* Reads exactly len bytes: 0, -ECONNRESET at end of stream, -ETIMEDOUT or -errno. */
static int recv_all(int fd, void *buf, size_t len, uint64_t deadline)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = recv(fd, p, len, MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n == 0) {
            return -ECONNRESET;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            return -errno;
        }
        int rc = wait_fd(fd, POLLIN, deadline);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static int send_msg(int fd, uint32_t type, const void *a, size_t alen, uint64_t deadline)
{
    struct hdr h = {.type = type, .len = (uint32_t)alen};
    int rc = send_all(fd, &h, sizeof(h), deadline);
    return rc == 0 && alen ? send_all(fd, a, alen, deadline) : rc;
}

/* Reads one message into *buf (grown as needed). Its type and length go to *h. */
static int recv_msg(int fd, struct hdr *h, uint8_t **buf, size_t *cap, uint64_t deadline)
{
    int rc = recv_all(fd, h, sizeof(*h), deadline);
    if (rc < 0) {
        return rc;
    }
    if (h->len > MSG_MAX) {
        return -EPROTO;
    }
    if (h->len + 1u > *cap) {
        uint8_t *nb = realloc(*buf, h->len + 1u);
        if (!nb) {
            return -ENOMEM;
        }
        *buf = nb;
        *cap = h->len + 1u;
    }
    rc = recv_all(fd, *buf, h->len, deadline);
    if (rc == 0) {
        (*buf)[h->len] = 0; /* texts end within the buffer, whatever was sent */
    }
    return rc;
}

/* ---- the child ---- */

static void child_log(void *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void child_log(void *ctx, int level, const char *fmt, ...)
{
    (void)ctx;
    uint8_t msg[4 + LOG_TEXT_MAX + 1];
    int32_t lvl = level;
    memcpy(msg, &lvl, 4);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf((char *)msg + 4, LOG_TEXT_MAX + 1, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n > LOG_TEXT_MAX ? LOG_TEXT_MAX : (size_t)n;
    msg[4 + len] = 0;
    (void)send_msg(CHILD_SOCK_FD, MSG_LOG, msg, 4 + len + 1, UINT64_MAX);
}

/* Cuts the child off from everything of the parent's but stderr and its socket. */
static void child_setup(int fd, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(1);
    }
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    /* the parent's handlers are not the child's: a crash ends it at once (a sanitizer's or a
     * crash reporter's handler would outlast the tick's budget and look like a hang) */
    const int sigs[] = {SIGTERM, SIGINT,  SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1,
                        SIGUSR2, SIGSEGV, SIGBUS, SIGFPE,  SIGILL,  SIGABRT};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        signal(sigs[i], SIG_DFL);
    }
    dup2(STDERR_FILENO, STDOUT_FILENO); /* a plugin's printf must not land in our output */
    if (fd != CHILD_SOCK_FD) {
        dup2(fd, CHILD_SOCK_FD);
    }
    close_range(CHILD_SOCK_FD + 1, ~0u, 0); /* serial ports, sockets, databases */
}

static size_t put_text(uint8_t *dst, size_t at, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (at + n + 1 > cap) {
        n = cap > at + 1 ? cap - at - 1 : 0;
    }
    memcpy(dst + at, s, n);
    dst[at + n] = 0;
    return at + n + 1;
}

static void child_probe(const char *path)
{
    struct policy_handle h;
    char err[512] = "";
    struct policy_open_opts o = {.in_process = true};
    int32_t rc = policy_open_ex(path, &o, &h, err, sizeof(err));
    uint8_t msg[4 + 2 + 64 + 64 + 512];
    memcpy(msg, &rc, 4);
    uint16_t minor = rc == 0 ? h.policy->abi_minor : 0;
    memcpy(msg + 4, &minor, 2);
    size_t at = put_text(msg, 6, sizeof(msg), rc == 0 ? h.policy->name : "");
    at = put_text(msg, at, sizeof(msg), rc == 0 && h.policy->version ? h.policy->version : "");
    at = put_text(msg, at, sizeof(msg), err);
    (void)send_msg(CHILD_SOCK_FD, MSG_PROBE_REP, msg, at, UINT64_MAX);
    _exit(0);
}

/* Rebuilds the input from a request in place: the structs are copied out of the message to
 * aligned arrays and their names pointed into it. 0, or -EPROTO. */
static int child_input(uint8_t *m,
                       size_t len,
                       struct ampshare_policy_input *in,
                       struct ampshare_policy_circuit **vc,
                       struct ampshare_policy_evse **ve,
                       size_t *cap_c,
                       size_t *cap_e)
{
    struct req_head rh;
    if (len < sizeof(rh)) {
        return -EPROTO;
    }
    memcpy(&rh, m, sizeof(rh));
    size_t cs = sizeof(**vc), es = sizeof(**ve);
    size_t need = sizeof(rh) + rh.n_circuit * cs + (size_t)rh.n_evse * es;
    if (rh.circuit_size != cs || rh.evse_size != es || need > len) {
        return -EPROTO;
    }
    if (rh.n_circuit > *cap_c || rh.n_evse > *cap_e) {
        free(*vc), free(*ve);
        *cap_c = rh.n_circuit, *cap_e = rh.n_evse;
        *vc = calloc(*cap_c ? *cap_c : 1, cs);
        *ve = calloc(*cap_e ? *cap_e : 1, es);
        if (!*vc || !*ve) {
            return -ENOMEM;
        }
    }
    memcpy(*vc, m + sizeof(rh), rh.n_circuit * cs);
    memcpy(*ve, m + sizeof(rh) + rh.n_circuit * cs, rh.n_evse * es);
    const char *names = (const char *)m + need, *end = (const char *)m + len;
    for (size_t i = 0; i < rh.n_circuit + rh.n_evse; i++) {
        const char *s = names < end ? names : "";
        if (i < rh.n_circuit) {
            (*vc)[i].name = s;
        } else {
            (*ve)[i - rh.n_circuit].name = s;
        }
        names += names < end ? strlen(names) + 1 : 0;
    }
    *in = (struct ampshare_policy_input){
        .struct_size = sizeof(*in),
        .circuit_size = (uint32_t)cs,
        .evse_size = (uint32_t)es,
        .now_ms = rh.now_ms,
        .circuit = *vc,
        .n_circuit = rh.n_circuit,
        .evse = *ve,
        .n_evse = rh.n_evse,
    };
    return (int)rh.seq;
}

static void child_serve(const char *path)
{
    uint8_t *buf = NULL;
    size_t cap = 0;
    struct hdr h;
    if (recv_msg(CHILD_SOCK_FD, &h, &buf, &cap, UINT64_MAX) != 0 || h.type != MSG_INIT ||
        h.len < 12) {
        _exit(1);
    }
    uint32_t hv[3];
    memcpy(hv, buf, sizeof(hv));
    struct ampshare_policy_option *opt = calloc(hv[2] ? hv[2] : 1, sizeof(*opt));
    const char *s = (const char *)buf + 12, *end = (const char *)buf + h.len;
    for (uint32_t i = 0; opt && i < hv[2]; i++) {
        opt[i].key = s < end ? s : "";
        s += s < end ? strlen(s) + 1 : 0;
        opt[i].value = s < end ? s : "";
        s += s < end ? strlen(s) + 1 : 0;
    }
    struct policy_handle ph;
    char err[512];
    struct policy_open_opts o = {.in_process = true};
    int32_t rc = opt ? policy_open_ex(path, &o, &ph, err, sizeof(err)) : -ENOMEM;
    const struct ampshare_policy_host host = {
        .struct_size = sizeof(host),
        .max_evse = hv[0],
        .max_circuit = hv[1],
        .log = child_log,
    };
    void *state = NULL;
    if (rc == 0) {
        rc = ph.policy->init(&host, opt, hv[2], &state);
        rc = rc > 0 ? -EINVAL : rc;
    } else {
        child_log(NULL, AMPSHARE_LOG_ERR, "%s", err);
    }
    (void)send_msg(CHILD_SOCK_FD, MSG_INIT_REP, &rc, sizeof(rc), UINT64_MAX);
    if (rc != 0) {
        _exit(0);
    }
    struct ampshare_policy_circuit *vc = NULL;
    struct ampshare_policy_evse *ve = NULL;
    size_t cap_c = 0, cap_e = 0;
    int32_t *target = NULL;
    uint8_t *rep = NULL;
    size_t rep_cap = 0;
    while (recv_msg(CHILD_SOCK_FD, &h, &buf, &cap, UINT64_MAX) == 0 && h.type == MSG_REQ) {
        struct ampshare_policy_input in;
        int seq = child_input(buf, h.len, &in, &vc, &ve, &cap_c, &cap_e);
        if (seq < 0) {
            break;
        }
        size_t n = in.n_evse;
        size_t need = sizeof(struct rep_head) + n * 5;
        if (need > rep_cap) {
            free(rep), free(target);
            rep = malloc(need);
            target = malloc((n ? n : 1) * sizeof(*target));
            rep_cap = need;
            if (!rep || !target) {
                break;
            }
        }
        uint8_t *why = rep + sizeof(struct rep_head) + n * 4;
        memset(target, 0, n * sizeof(*target));
        memset(why, AMPSHARE_WHY_POLICY, n);
        struct ampshare_policy_output out = {
            .struct_size = sizeof(out),
            .target_ma = target,
            .why = why,
        };
        struct rep_head rh = {.seq = (uint32_t)seq, .n = (uint32_t)n};
        rh.rc = ph.policy->allocate(state, &in, &out);
        memcpy(rep, &rh, sizeof(rh));
        memcpy(rep + sizeof(rh), target, n * sizeof(*target));
        if (send_msg(CHILD_SOCK_FD, MSG_REP, rep, need, UINT64_MAX) != 0) {
            break;
        }
    }
    ph.policy->destroy(state);
    _exit(0);
}

/* Forks a child that probes (probe) or serves path on a new socket: its pid, or -errno. */
static pid_t spawn(const char *path, bool probe, int *fd_out)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        return -errno;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]), close(sv[1]);
        return -e;
    }
    if (pid == 0) {
        child_setup(sv[1], parent);
        if (probe) {
            child_probe(path);
        }
        child_serve(path);
    }
    close(sv[1]);
    *fd_out = sv[0];
    return pid;
}

/* ---- the parent ---- */

/* How a child ended, for a log line. Reaps it. */
static void reap(pid_t pid, bool kill_it, char *buf, size_t cap)
{
    if (kill_it) {
        kill(pid, SIGKILL);
    }
    int st = 0;
    pid_t r;
    do {
        r = waitpid(pid, &st, 0);
    } while (r < 0 && errno == EINTR);
    if (r != pid) {
        snprintf(buf, cap, "ended");
    } else if (WIFSIGNALED(st)) {
        snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    } else {
        snprintf(buf, cap, "exited with status %d", WEXITSTATUS(st));
    }
}

/* Forwards a child's log line through the engine's host, without its control characters. */
static void forward_log(const struct inst *s, const uint8_t *m, uint32_t len)
{
    if (!s->host.log || len < 5) {
        return;
    }
    int32_t lvl;
    memcpy(&lvl, m, 4);
    char text[LOG_TEXT_MAX + 1];
    size_t n = 0;
    for (const uint8_t *p = m + 4; p < m + len && *p && n < LOG_TEXT_MAX; p++) {
        text[n++] = *p < 0x20 || *p == 0x7f ? '?' : (char)*p;
    }
    text[n] = 0;
    s->host.log(s->host.ctx, lvl < AMPSHARE_LOG_ERR ? AMPSHARE_LOG_ERR : lvl, "%s", text);
}

/* Reads messages until one of type `want`, forwarding log lines. 0, -ETIMEDOUT, -ECONNRESET,
 * -EPROTO (another type) or -errno. */
static int await(struct inst *s, uint32_t want, struct hdr *h, uint64_t deadline)
{
    for (int logs = 0;;) {
        int rc = recv_msg(s->fd, h, &s->buf, &s->cap, deadline);
        if (rc < 0) {
            return rc;
        }
        if (h->type == want) {
            return 0;
        }
        if (h->type != MSG_LOG) {
            return -EPROTO;
        }
        if (logs++ < LOG_PER_CALL) {
            forward_log(s, s->buf, h->len);
        }
    }
}

static const char *fault_text(int rc)
{
    return rc == -ETIMEDOUT    ? "no answer in time"
           : rc == -ECONNRESET ? "crashed"
           : rc == -EPROTO     ? "answered garbage"
                               : "failed";
}

/* Starts the instance's child and runs init in it, within budget_ms. 0, the plugin's init
 * code, or -EIO. */
static int start(struct inst *s, uint32_t budget_ms)
{
    struct policy_child *pc = s->pc;
    s->pid = spawn(pc->path, false, &s->fd);
    if (s->pid < 0) {
        int rc = s->pid;
        s->pid = 0;
        return rc;
    }
    pc->stats.starts++;
    pc->stats.last_pid = (int)s->pid;
    uint64_t deadline = mono_ms() + budget_ms;
    struct hdr h;
    int rc = send_msg(s->fd, MSG_INIT, s->init_msg, s->init_len, deadline);
    if (rc == 0) {
        rc = await(s, MSG_INIT_REP, &h, deadline);
    }
    int32_t init_rc = -EIO;
    if (rc == 0 && h.len == sizeof(init_rc)) {
        memcpy(&init_rc, s->buf, sizeof(init_rc));
    } else if (rc == 0) {
        rc = -EPROTO;
    }
    if (rc != 0 || init_rc != 0) {
        char how[96];
        reap(s->pid, true, how, sizeof(how));
        close(s->fd);
        s->pid = 0;
        s->fd = -1;
        if (rc != 0 && s->host.log) {
            s->host.log(s->host.ctx, AMPSHARE_LOG_ERR, "plugin %s %s while starting (%s)", pc->path,
                        fault_text(rc), how);
        }
        return rc != 0 ? -EIO : init_rc < 0 ? init_rc : -EINVAL;
    }
    s->good_ticks = 0;
    return 0;
}

static void stop(struct inst *s)
{
    if (s->pid <= 0) {
        return;
    }
    close(s->fd); /* end of stream: the child destroys its instance and exits */
    s->fd = -1;
    int st;
    uint64_t until = mono_ms() + 200;
    while (waitpid(s->pid, &st, WNOHANG) == 0) {
        if (mono_ms() >= until) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &st, 0);
            break;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    s->pid = 0;
}

static int px_init(const struct ampshare_policy_host *host,
                   const struct ampshare_policy_option *opt,
                   size_t n_opt,
                   void **state);

static void px_destroy(void *state)
{
    struct inst *s = state;
    if (!s) {
        return;
    }
    stop(s);
    free(s->init_msg);
    free(s->buf);
    free(s);
}

static int px_init(const struct ampshare_policy_host *host,
                   const struct ampshare_policy_option *opt,
                   size_t n_opt,
                   void **state)
{
    const struct ampshare_policy *p = host ? host->ctx : NULL;
    if (!p || p->init != px_init) {
        return -EINVAL; /* not the engine's host: the proxy cannot find its plugin */
    }
    struct inst *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->pc = (struct policy_child *)(uintptr_t)p;
    s->host = *host;
    s->fd = -1;
    s->backoff_ms = POLICY_CHILD_BACKOFF_MIN_MS;
    size_t len = 12;
    for (size_t i = 0; i < n_opt; i++) {
        len += strlen(opt[i].key) + strlen(opt[i].value) + 2;
    }
    s->init_msg = malloc(len);
    if (!s->init_msg) {
        free(s);
        return -ENOMEM;
    }
    uint32_t hv[3] = {host->max_evse, host->max_circuit, (uint32_t)n_opt};
    memcpy(s->init_msg, hv, sizeof(hv));
    size_t at = 12;
    for (size_t i = 0; i < n_opt; i++) {
        at = put_text(s->init_msg, at, len, opt[i].key);
        at = put_text(s->init_msg, at, len, opt[i].value);
    }
    s->init_len = (uint32_t)len;
    int rc = start(s, POLICY_CHILD_INIT_TIMEOUT_MS);
    if (rc != 0) {
        px_destroy(s);
        return rc;
    }
    *state = s;
    return 0;
}

/* The request for in, in s->buf: its length, or -ENOMEM. */
static ssize_t build_req(struct inst *s, const struct ampshare_policy_input *in)
{
    size_t cs = sizeof(struct ampshare_policy_circuit), es = sizeof(struct ampshare_policy_evse);
    size_t len =
        sizeof(struct hdr) + sizeof(struct req_head) + in->n_circuit * cs + in->n_evse * es;
    for (size_t c = 0; c < in->n_circuit; c++) {
        const char *nm = ampshare_policy_circuit_at(in, c)->name;
        len += (nm ? strlen(nm) : 0) + 1;
    }
    for (size_t i = 0; i < in->n_evse; i++) {
        const char *nm = ampshare_policy_evse_at(in, i)->name;
        len += (nm ? strlen(nm) : 0) + 1;
    }
    if (len > s->cap) {
        uint8_t *nb = realloc(s->buf, len);
        if (!nb) {
            return -ENOMEM;
        }
        s->buf = nb;
        s->cap = len;
    }
    struct hdr h = {.type = MSG_REQ, .len = (uint32_t)(len - sizeof(h))};
    struct req_head rh = {
        .seq = ++s->seq,
        .n_circuit = (uint32_t)in->n_circuit,
        .n_evse = (uint32_t)in->n_evse,
        .circuit_size = (uint32_t)cs,
        .evse_size = (uint32_t)es,
        .now_ms = in->now_ms,
    };
    uint8_t *p = s->buf;
    memcpy(p, &h, sizeof(h)), p += sizeof(h);
    memcpy(p, &rh, sizeof(rh)), p += sizeof(rh);
    for (size_t c = 0; c < in->n_circuit; c++, p += cs) {
        memcpy(p, ampshare_policy_circuit_at(in, c), cs);
    }
    for (size_t i = 0; i < in->n_evse; i++, p += es) {
        memcpy(p, ampshare_policy_evse_at(in, i), es);
    }
    for (size_t c = 0; c < in->n_circuit; c++) {
        const char *nm = ampshare_policy_circuit_at(in, c)->name;
        p += put_text(p, 0, SIZE_MAX, nm ? nm : "");
    }
    for (size_t i = 0; i < in->n_evse; i++) {
        const char *nm = ampshare_policy_evse_at(in, i)->name;
        p += put_text(p, 0, SIZE_MAX, nm ? nm : "");
    }
    return (ssize_t)len;
}

/* One exchange: 0 with the answer in out, the plugin's own error code (a refusal: the child
 * lives on), or a fault code (-ETIMEDOUT, -ECONNRESET, -EPROTO, ...). */
static int exchange(struct inst *s,
                    const struct ampshare_policy_input *in,
                    struct ampshare_policy_output *out,
                    bool *fault)
{
    *fault = true;
    uint64_t deadline = mono_ms() + s->pc->timeout_ms;
    ssize_t len = build_req(s, in);
    if (len < 0) {
        *fault = false;
        return (int)len;
    }
    uint32_t seq = s->seq;
    int rc = send_all(s->fd, s->buf, (size_t)len, deadline);
    struct hdr h;
    if (rc == 0) {
        rc = await(s, MSG_REP, &h, deadline);
    }
    if (rc == -EPIPE) {
        rc = -ECONNRESET; /* it died before it read the request */
    }
    if (rc < 0) {
        return rc;
    }
    struct rep_head rh;
    size_t n = in->n_evse;
    if (h.len != sizeof(rh) + n * 5) {
        return -EPROTO;
    }
    memcpy(&rh, s->buf, sizeof(rh));
    if (rh.seq != seq || rh.n != n) {
        return -EPROTO;
    }
    *fault = false;
    if (rh.rc != 0) {
        return rh.rc < 0 ? rh.rc : -EINVAL;
    }
    memcpy(out->target_ma, s->buf + sizeof(rh), n * sizeof(int32_t));
    memcpy(out->why, s->buf + sizeof(rh) + n * 4, n);
    return 0;
}

static int
px_allocate(void *state, const struct ampshare_policy_input *in, struct ampshare_policy_output *out)
{
    struct inst *s = state;
    struct policy_child *pc = s->pc;
    uint64_t now = in->now_ms;
    if (in->n_evse > s->host.max_evse || in->n_circuit > s->host.max_circuit) {
        return -EINVAL;
    }
    if (s->pid <= 0) {
        if (now < s->retry_at_ms) {
            pc->stats.last_fault = POLICY_CHILD_DOWN;
            return -EAGAIN;
        }
        /* a restart runs inside a control tick: a short budget, so a plugin whose init hangs
         * (or a child that cannot load it) delays the tick by a second at most */
        uint32_t budget = pc->timeout_ms * 4 > POLICY_CHILD_RESTART_TIMEOUT_MS
                              ? pc->timeout_ms * 4
                              : POLICY_CHILD_RESTART_TIMEOUT_MS;
        int rc = start(s, budget);
        if (rc != 0) {
            s->retry_at_ms = now + s->backoff_ms;
            s->backoff_ms = s->backoff_ms * 2 < POLICY_CHILD_BACKOFF_MAX_MS
                                ? s->backoff_ms * 2
                                : POLICY_CHILD_BACKOFF_MAX_MS;
            pc->stats.last_fault = POLICY_CHILD_DOWN;
            return -EAGAIN;
        }
        pc->stats.restarts++;
        if (s->host.log) {
            s->host.log(s->host.ctx, AMPSHARE_LOG_INFO, "plugin %s restarted (pid %d)", pc->path,
                        (int)s->pid);
        }
    }
    bool fault;
    int rc = exchange(s, in, out, &fault);
    if (!fault) {
        pc->stats.answers++;
        pc->stats.last_fault = POLICY_CHILD_OK;
        if (++s->good_ticks >= 10) {
            s->backoff_ms = POLICY_CHILD_BACKOFF_MIN_MS; /* it has served a while: forgiven */
        }
        return rc;
    }
    enum policy_child_fault kind = rc == -ETIMEDOUT ? POLICY_CHILD_HANG
                                   : rc == -EPROTO  ? POLICY_CHILD_GARBAGE
                                                    : POLICY_CHILD_CRASH;
    pc->stats.last_fault = (int)kind;
    pc->stats.hangs += kind == POLICY_CHILD_HANG;
    pc->stats.garbage += kind == POLICY_CHILD_GARBAGE;
    pc->stats.crashes += kind == POLICY_CHILD_CRASH;
    char how[96];
    reap(s->pid, true, how, sizeof(how));
    close(s->fd);
    s->fd = -1;
    s->pid = 0;
    s->retry_at_ms = now + s->backoff_ms;
    if (s->host.log) {
        s->host.log(s->host.ctx, AMPSHARE_LOG_ERR,
                    "plugin %s %s on the tick at %llu ms (%s%s): the fallback policy decides "
                    "until it is restarted in %u s",
                    pc->path, fault_text(rc), (unsigned long long)now,
                    kind == POLICY_CHILD_HANG ? "limit " : "",
                    kind == POLICY_CHILD_HANG ? "reached, killed" : how, s->backoff_ms / 1000);
    }
    s->backoff_ms = s->backoff_ms * 2 < POLICY_CHILD_BACKOFF_MAX_MS ? s->backoff_ms * 2
                                                                    : POLICY_CHILD_BACKOFF_MAX_MS;
    return rc == -ETIMEDOUT ? -ETIMEDOUT : rc == -EPROTO ? -EPROTO : -EIO;
}

/* ---- open and close ---- */

int policy_child_open(
    const char *path, uint32_t timeout_ms, struct policy_child **out, char *err, size_t errlen)
{
    *out = NULL;
    struct policy_child *pc = calloc(1, sizeof(*pc));
    if (!pc) {
        snprintf(err, errlen, "policy %s: out of memory", path);
        return -ENOMEM;
    }
    if (strlen(path) >= sizeof(pc->path)) {
        snprintf(err, errlen, "policy %s: path too long", path);
        free(pc);
        return -ENAMETOOLONG;
    }
    snprintf(pc->path, sizeof(pc->path), "%s", path);
    pc->timeout_ms = timeout_ms ? timeout_ms : POLICY_CHILD_TIMEOUT_DEFAULT_MS;
    struct inst probe = {.pc = pc, .fd = -1};
    probe.pid = spawn(path, true, &probe.fd);
    if (probe.pid < 0) {
        snprintf(err, errlen, "policy %s: cannot start a process for it: %s", path,
                 strerror(-probe.pid));
        free(pc);
        return probe.pid;
    }
    struct hdr h;
    int rc = await(&probe, MSG_PROBE_REP, &h, mono_ms() + POLICY_CHILD_INIT_TIMEOUT_MS);
    int32_t prc = -EIO;
    uint16_t minor = 0;
    if (rc == 0 && h.len >= 9) {
        memcpy(&prc, probe.buf, 4);
        memcpy(&minor, probe.buf + 4, 2);
        const char *name = (const char *)probe.buf + 6;
        const char *ver = name + strlen(name) + 1;
        const char *msg = ver < (const char *)probe.buf + h.len ? ver + strlen(ver) + 1 : "";
        msg = msg < (const char *)probe.buf + h.len ? msg : "";
        snprintf(pc->name, sizeof(pc->name), "%s", name);
        snprintf(pc->version, sizeof(pc->version), "%s", ver);
        if (prc != 0) {
            snprintf(err, errlen, "%s", msg);
        }
    } else {
        rc = rc == 0 ? -EPROTO : rc;
    }
    char how[96];
    reap(probe.pid, rc != 0, how, sizeof(how));
    close(probe.fd);
    free(probe.buf);
    if (rc != 0) {
        snprintf(err, errlen, "policy %s: %s while loading (%s)", path, fault_text(rc), how);
        free(pc);
        return -EIO;
    }
    if (prc != 0 || !pc->name[0]) {
        free(pc);
        return prc != 0 ? prc : -EINVAL;
    }
    pc->policy = (struct ampshare_policy){
        .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
        .abi_minor = minor, /* the plugin's own: it says which view fields it reads */
        .struct_size = sizeof(struct ampshare_policy),
        .name = pc->name,
        .version = pc->version,
        .init = px_init,
        .allocate = px_allocate,
        .destroy = px_destroy,
    };
    *out = pc;
    return 0;
}

const struct ampshare_policy *policy_child_policy(const struct policy_child *pc)
{
    return &pc->policy;
}

const struct policy_child_stats *policy_child_get_stats(const struct policy_child *pc)
{
    return &pc->stats;
}

void policy_child_close(struct policy_child *pc)
{
    free(pc);
}
