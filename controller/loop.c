/* SPDX-License-Identifier: MIT */
/* The event loop: fd handlers over poll(), one timer list, signals through a signalfd (loop.h). */
#include "controller/loop.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "drivers/base/amp_clock.h"

struct loop {
    struct loop_clock clock;
    uint64_t now_ms;
    uint64_t turns;
    bool stop;
    struct loop_busy busy;

    struct loop_fd *fds; /* registered handlers, newest first */
    size_t n_fds;
    /* this turn's poll set: pfd[i] belongs to polled[i] (NULL once deleted mid-turn) */
    struct pollfd *pfd;
    struct loop_fd **polled;
    size_t cap, n_polled;

    struct loop_timer *timers; /* armed timers, unsorted: a site has a handful */

    loop_hook_fn *before_sleep;
    void *before_sleep_ctx;

    /* signals */
    struct loop_fd sig_h;
    int sig_fd;
    loop_signal_fn *sig_fn;
    void *sig_ctx;
    sigset_t sig_old;
    bool sig_masked;
};

/* Clocks ----------------------------------------------------------------------------------- */

static uint64_t real_now(void *ctx)
{
    (void)ctx;
    return amp_clock_mono_ms();
}

static int real_wait(void *ctx, struct pollfd *fds, size_t n, int timeout_ms)
{
    (void)ctx;
    int rc = poll(fds, (nfds_t)n, timeout_ms);
    return rc < 0 ? -errno : rc;
}

const struct loop_clock loop_clock_real = {
    .now_ms = real_now,
    .wait = real_wait,
    .ctx = NULL,
};

static uint64_t vclock_now(void *ctx)
{
    return ((struct loop_vclock *)ctx)->now_ms;
}

static int vclock_wait(void *ctx, struct pollfd *fds, size_t n, int timeout_ms)
{
    struct loop_vclock *vc = ctx;
    int rc = poll(fds, (nfds_t)n, 0);
    if (rc != 0 || timeout_ms == 0) {
        return rc < 0 ? -errno : rc;
    }
    vc->waits++;
    if (timeout_ms < 0) {
        return -EDEADLK;
    }
    vc->now_ms += (uint64_t)timeout_ms;
    return 0;
}

void loop_vclock_init(struct loop_vclock *vc, uint64_t start_ms)
{
    memset(vc, 0, sizeof(*vc));
    vc->now_ms = start_ms;
    vc->clock.now_ms = vclock_now;
    vc->clock.wait = vclock_wait;
    vc->clock.ctx = vc;
}

/* Life ------------------------------------------------------------------------------------- */

int loop_new(const struct loop_clock *clock, struct loop **out)
{
    struct loop *l = calloc(1, sizeof(*l));
    *out = l;
    if (!l) {
        return -ENOMEM;
    }
    l->clock = clock ? *clock : loop_clock_real;
    if (!l->clock.wait) {
        l->clock.wait = real_wait;
    }
    l->sig_fd = -1;
    l->now_ms = l->clock.now_ms(l->clock.ctx);
    return 0;
}

static void signals_release(struct loop *l)
{
    loop_fd_del(l, &l->sig_h);
    if (l->sig_fd >= 0) {
        close(l->sig_fd);
        l->sig_fd = -1;
    }
    if (l->sig_masked) {
        /* Signals that arrived but were never read stay pending and act on unblock, as they
         * would have without us (a late SIGTERM still ends the process). */
        (void)pthread_sigmask(SIG_SETMASK, &l->sig_old, NULL);
        l->sig_masked = false;
    }
}

void loop_free(struct loop *l)
{
    if (!l) {
        return;
    }
    signals_release(l);
    free(l->pfd);
    free(l->polled);
    free(l);
}

uint64_t loop_now_ms(const struct loop *l)
{
    return l->now_ms;
}

uint64_t loop_update_time(struct loop *l)
{
    uint64_t now = l->clock.now_ms(l->clock.ctx);
    /* a monotonic clock never goes back; an injected one is trusted no further */
    l->now_ms = now > l->now_ms ? now : l->now_ms;
    return l->now_ms;
}

/* fd handlers ------------------------------------------------------------------------------ */

void loop_fd_init(struct loop_fd *h, loop_fd_fn *fn, void *ctx)
{
    memset(h, 0, sizeof(*h));
    h->fd = -1;
    h->fn = fn;
    h->ctx = ctx;
}

/* The poll set holds one slot per registered handler, so it grows at registration only. */
static int reserve(struct loop *l, size_t want)
{
    if (want <= l->cap) {
        return 0;
    }
    size_t cap = l->cap ? l->cap * 2 : 8;
    while (cap < want) {
        cap *= 2;
    }
    struct pollfd *pfd = realloc(l->pfd, cap * sizeof(*pfd));
    if (!pfd) {
        return -ENOMEM;
    }
    l->pfd = pfd;
    struct loop_fd **polled = realloc(l->polled, cap * sizeof(*polled));
    if (!polled) {
        return -ENOMEM;
    }
    l->polled = polled;
    l->cap = cap;
    return 0;
}

int loop_fd_set(struct loop *l, struct loop_fd *h, int fd, short events)
{
    if (!h->linked) {
        int rc = reserve(l, l->n_fds + 1);
        if (rc < 0) {
            return rc;
        }
        h->next = l->fds;
        l->fds = h;
        h->linked = true;
        l->n_fds++;
    }
    h->fd = fd;
    h->events = events;
    return 0;
}

void loop_fd_del(struct loop *l, struct loop_fd *h)
{
    if (!h->linked) {
        return;
    }
    for (struct loop_fd **p = &l->fds; *p; p = &(*p)->next) {
        if (*p == h) {
            *p = h->next;
            break;
        }
    }
    /* the caller may free h as soon as we return: forget it in this turn's poll set too */
    for (size_t i = 0; i < l->n_polled; i++) {
        if (l->polled[i] == h) {
            l->polled[i] = NULL;
        }
    }
    h->linked = false;
    h->next = NULL;
    l->n_fds--;
}

/* Timers ----------------------------------------------------------------------------------- */

void loop_timer_init(struct loop_timer *t, loop_timer_fn *fn, void *ctx)
{
    memset(t, 0, sizeof(*t));
    t->due_ms = LOOP_NEVER;
    t->fn = fn;
    t->ctx = ctx;
}

void loop_timer_disarm(struct loop *l, struct loop_timer *t)
{
    t->due_ms = LOOP_NEVER;
    t->firing = false;
    if (!t->linked) {
        return;
    }
    for (struct loop_timer **p = &l->timers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->linked = false;
    t->next = NULL;
}

void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t due_ms)
{
    if (due_ms == LOOP_NEVER) {
        loop_timer_disarm(l, t);
        return;
    }
    t->due_ms = due_ms;
    /* armed during the timer pass: it fires next turn, so a timer in the past cannot spin here */
    t->firing = false;
    if (!t->linked) {
        t->next = l->timers;
        l->timers = t;
        t->linked = true;
    }
}

void loop_timer_arm_in(struct loop *l, struct loop_timer *t, uint64_t delay_ms)
{
    uint64_t due = l->now_ms + delay_ms;
    loop_timer_arm(l, t, due < l->now_ms ? LOOP_NEVER - 1 : due);
}

bool loop_timer_is_armed(const struct loop_timer *t)
{
    return t->linked;
}

uint64_t loop_next_due_ms(const struct loop *l)
{
    uint64_t due = LOOP_NEVER;
    for (const struct loop_timer *t = l->timers; t; t = t->next) {
        due = t->due_ms < due ? t->due_ms : due;
    }
    return due;
}

/* Runs every timer due at now; callbacks may arm, disarm or free any timer. */
static int run_timers(struct loop *l, uint64_t now)
{
    int ran = 0;
    for (struct loop_timer *t = l->timers; t; t = t->next) {
        t->firing = t->due_ms <= now;
    }
    for (;;) {
        struct loop_timer *t = l->timers;
        while (t && !t->firing) {
            t = t->next;
        }
        if (!t) {
            return ran;
        }
        loop_timer_disarm(l, t);
        t->fn(l, t, now, t->ctx);
        ran++;
    }
}

/* Services --------------------------------------------------------------------------------- */

static void service_on_fd(struct loop *l, struct loop_fd *h, int fd, short revents, void *ctx)
{
    (void)h;
    (void)fd;
    (void)revents;
    loop_service_run(l, ctx);
}

static void service_on_timer(struct loop *l, struct loop_timer *t, uint64_t now_ms, void *ctx)
{
    (void)t;
    (void)now_ms;
    loop_service_run(l, ctx);
}

void loop_service_init(struct loop_service *s, loop_service_fn *fn, void *ctx)
{
    memset(s, 0, sizeof(*s));
    loop_fd_init(&s->io, service_on_fd, s);
    loop_timer_init(&s->wake, service_on_timer, s);
    s->fn = fn;
    s->ctx = ctx;
    s->events = LOOP_READ;
}

void loop_service_run(struct loop *l, struct loop_service *s)
{
    int fd = -1;
    uint64_t next = s->fn(l, l->now_ms, &fd, s->ctx);
    if (!s->io.linked) {
        return; /* stopped from inside fn */
    }
    s->io.fd = fd;
    s->io.events = s->events;
    loop_timer_arm(l, &s->wake, next);
}

int loop_service_start(struct loop *l, struct loop_service *s)
{
    int rc = loop_fd_set(l, &s->io, -1, s->events);
    if (rc < 0) {
        return rc;
    }
    loop_service_run(l, s);
    return 0;
}

void loop_service_stop(struct loop *l, struct loop_service *s)
{
    loop_fd_del(l, &s->io);
    loop_timer_disarm(l, &s->wake);
}

/* Signals and hooks ------------------------------------------------------------------------ */

static void on_signalfd(struct loop *l, struct loop_fd *h, int fd, short revents, void *ctx)
{
    (void)h;
    (void)revents;
    (void)ctx;
    struct signalfd_siginfo si[8];
    for (;;) {
        ssize_t n = read(fd, si, sizeof(si));
        if (n <= 0) {
            return; /* drained (EAGAIN) */
        }
        for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
            if (l->sig_fn) {
                l->sig_fn(l, (int)si[i].ssi_signo, l->sig_ctx);
            }
        }
    }
}

int loop_signals_catch(struct loop *l, const int *sigs, size_t n, loop_signal_fn *fn, void *ctx)
{
    signals_release(l);
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < n; i++) {
        if (sigaddset(&set, sigs[i]) < 0) {
            return -EINVAL;
        }
    }
    int rc = pthread_sigmask(SIG_BLOCK, &set, &l->sig_old);
    if (rc != 0) {
        return -rc;
    }
    l->sig_masked = true;
    l->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (l->sig_fd < 0) {
        rc = -errno;
        signals_release(l);
        return rc;
    }
    l->sig_fn = fn;
    l->sig_ctx = ctx;
    loop_fd_init(&l->sig_h, on_signalfd, NULL);
    rc = loop_fd_set(l, &l->sig_h, l->sig_fd, LOOP_READ);
    if (rc < 0) {
        signals_release(l);
    }
    return rc;
}

void loop_set_before_sleep(struct loop *l, loop_hook_fn *fn, void *ctx)
{
    l->before_sleep = fn;
    l->before_sleep_ctx = ctx;
}

/* Running ---------------------------------------------------------------------------------- */

static int timeout_for(const struct loop *l, unsigned flags)
{
    if (flags & LOOP_NOWAIT) {
        return 0;
    }
    uint64_t due = loop_next_due_ms(l);
    if (due == LOOP_NEVER) {
        return -1;
    }
    if (due <= l->now_ms) {
        return 0;
    }
    uint64_t wait = due - l->now_ms;
    return wait > INT_MAX ? INT_MAX : (int)wait;
}

const uint32_t loop_busy_over_ms[LOOP_BUSY_BUCKETS] = {1, 2, 5, 10, 20, 50};

static void busy_add(struct loop_busy *b, uint64_t us, uint64_t cpu_us)
{
    b->cpu_max_us = cpu_us > b->cpu_max_us ? cpu_us : b->cpu_max_us;
    b->last_us = us;
    b->max_us = us > b->max_us ? us : b->max_us;
    for (int i = 0; i < LOOP_BUSY_BUCKETS && us >= loop_busy_over_ms[i] * 1000u; i++) {
        b->over[i]++;
    }
}

void loop_busy_stats(const struct loop *l, struct loop_busy *out)
{
    *out = l->busy;
}

static int run_turn(struct loop *l, unsigned flags, uint64_t *busy_us);

int loop_run_once(struct loop *l, unsigned flags)
{
    uint64_t busy = 0, cpu0 = amp_clock_thread_cpu_us();
    int rc = run_turn(l, flags, &busy);
    busy_add(&l->busy, busy, amp_clock_thread_cpu_us() - cpu0);
    return rc;
}

static int run_turn(struct loop *l, unsigned flags, uint64_t *busy_us)
{
    uint64_t t0 = amp_clock_mono_us();
    l->turns++;
    if (l->before_sleep) {
        l->before_sleep(l, l->now_ms, l->before_sleep_ctx);
    }
    l->n_polled = 0;
    for (struct loop_fd *h = l->fds; h; h = h->next) {
        if (h->fd >= 0 && h->events) {
            l->pfd[l->n_polled] = (struct pollfd){.fd = h->fd, .events = h->events};
            l->polled[l->n_polled++] = h;
        }
    }
    uint64_t t1 = amp_clock_mono_us();
    int rc = l->clock.wait(l->clock.ctx, l->pfd, l->n_polled, timeout_for(l, flags));
    uint64_t now = loop_update_time(l);
    uint64_t t2 = amp_clock_mono_us();
    if (rc < 0 && rc != -EINTR) {
        l->n_polled = 0;
        return rc;
    }
    int ran = 0;
    for (size_t i = 0; rc > 0 && i < l->n_polled; i++) {
        struct loop_fd *h = l->polled[i];
        short rev = l->pfd[i].revents;
        if (!h || !rev) {
            continue;
        }
        h->fn(l, h, l->pfd[i].fd, rev, h->ctx);
        ran++;
        if (rev & POLLNVAL) {
            /* a closed fd left registered would wake every turn: stop polling it */
            if (l->polled[i] && h->fd == l->pfd[i].fd) {
                h->fd = -1;
            }
        }
    }
    l->n_polled = 0;
    ran += run_timers(l, now);
    *busy_us = (t1 - t0) + (amp_clock_mono_us() - t2);
    return ran;
}

int loop_run(struct loop *l)
{
    int rc = 0;
    while (!l->stop) {
        rc = loop_run_once(l, 0);
        if (rc < 0) {
            break;
        }
        rc = 0;
    }
    l->stop = false;
    return rc;
}

void loop_stop(struct loop *l)
{
    l->stop = true;
}

bool loop_is_stopped(const struct loop *l)
{
    return l->stop;
}

uint64_t loop_turns(const struct loop *l)
{
    return l->turns;
}
