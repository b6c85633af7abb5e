/* SPDX-License-Identifier: MIT */
/*
 * The event loop (STYLE.md §2.8; the size of Redis's ae.c): fd handlers over poll(), one timer
 * list, one monotonic clock, signals delivered as events through a signalfd. Single-threaded.
 *
 * Every turn: the before-sleep hook runs, the loop sleeps in poll() until an fd is ready or the
 * earliest armed timer is due (never longer, never a busy loop: with nothing armed and no fd it
 * sleeps until a signal), reads the clock once (loop_now_ms), runs the ready fd handlers, then
 * every timer due at that time.
 *
 * Handlers and timers are caller-owned structs (no allocation per turn): init once, register,
 * and unregister before the memory goes away. See docs/loop.md.
 */
#ifndef LOOP_H
#define LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A timer armed at LOOP_NEVER is disarmed; a "next due" of LOOP_NEVER means "only on input". */
#define LOOP_NEVER UINT64_MAX

/* Events of an fd handler (poll(2) bits, so a handler may test POLLPRI and the like too). */
#define LOOP_READ  POLLIN
#define LOOP_WRITE POLLOUT
/* Always reported, never asked for: POLLERR, POLLHUP, POLLNVAL. */
#define LOOP_ERROR (POLLERR | POLLHUP | POLLNVAL)

struct loop;
struct loop_fd;
struct loop_timer;

/* Called when fd has one of the events asked for (or an error/hangup): revents as poll() set. */
typedef void loop_fd_fn(struct loop *l, struct loop_fd *h, int fd, short revents, void *ctx);
/* Called once when a timer falls due; the timer is disarmed first, so the callback may re-arm. */
typedef void loop_timer_fn(struct loop *l, struct loop_timer *t, uint64_t now_ms, void *ctx);
/* Called for every caught signal (SIGTERM, SIGHUP, ...) in loop context, not in a handler. */
typedef void loop_signal_fn(struct loop *l, int signo, void *ctx);
/* The before-sleep hook: runs at the start of every turn, before the timeout is computed. */
typedef void loop_hook_fn(struct loop *l, uint64_t now_ms, void *ctx);

/*
 * Time, injectable: now_ms reads a monotonic clock in ms; wait sleeps in poll() for at most
 * timeout_ms (-1: no limit) and returns poll()'s result or a negative errno (-EINTR is
 * harmless). A virtual clock makes wait advance its time instead of sleeping.
 */
typedef uint64_t loop_now_fn(void *ctx);
typedef int loop_wait_fn(void *ctx, struct pollfd *fds, size_t n, int timeout_ms);

struct loop_clock {
    loop_now_fn *now_ms;
    loop_wait_fn *wait; /* NULL: poll(2) */
    void *ctx;
};

/* CLOCK_MONOTONIC and poll(2): the clock every real-time loop of ampshare runs on. */
extern const struct loop_clock loop_clock_real;

/*
 * A virtual clock for tests and faster-than-real-time runs: wait() polls the fds without
 * sleeping and, when none is ready, moves now_ms forward by the whole timeout (a timeout of -1
 * with nothing ready returns -EDEADLK: the loop would sleep for ever). Init fills clock.
 */
struct loop_vclock {
    uint64_t now_ms;
    uint64_t waits; /* turns that had to move time (or would have slept) */
    struct loop_clock clock;
};

void loop_vclock_init(struct loop_vclock *vc, uint64_t start_ms);

/* A handler for one fd; caller-owned. fd and events may change while it is registered. */
struct loop_fd {
    int fd;       /* -1: registered but not polled (e.g. a link that is down) */
    short events; /* LOOP_READ | LOOP_WRITE; 0: not polled */
    loop_fd_fn *fn;
    void *ctx;
    /* private to the loop */
    struct loop_fd *next;
    bool linked;
};

/* A one-shot timer at an absolute loop time; caller-owned. */
struct loop_timer {
    uint64_t due_ms; /* LOOP_NEVER while disarmed */
    loop_timer_fn *fn;
    void *ctx;
    /* private to the loop */
    struct loop_timer *next;
    bool linked, firing;
};

/*
 * Creates a loop on clock (borrowed; NULL = loop_clock_real) and reads it once. Returns 0 and
 * *out, or -ENOMEM (*out = NULL).
 */
int loop_new(const struct loop_clock *clock, struct loop **out);

/* Restores the signal mask loop_signals_catch changed and frees the loop. Handlers and timers
 * stay the caller's. Accepts NULL. */
void loop_free(struct loop *l);

/* The time of the current turn (read once per turn, after poll returns). Monotonic ms. */
uint64_t loop_now_ms(const struct loop *l);

/* Reads the clock again (after a long callback); returns the new loop_now_ms. */
uint64_t loop_update_time(struct loop *l);

/* fd handlers ------------------------------------------------------------------------------ */

/* Fills h (not registered): fd -1, no events. */
void loop_fd_init(struct loop_fd *h, loop_fd_fn *fn, void *ctx);

/*
 * Registers h (or updates it when registered) to be polled for events on fd. fd < 0 or events
 * 0 keeps it registered but idle. Returns 0 or -ENOMEM (first registration only).
 */
int loop_fd_set(struct loop *l, struct loop_fd *h, int fd, short events);

/* Unregisters h; safe from any callback, also for h itself, and when h is not registered. */
void loop_fd_del(struct loop *l, struct loop_fd *h);

/* Timers ----------------------------------------------------------------------------------- */

void loop_timer_init(struct loop_timer *t, loop_timer_fn *fn, void *ctx);

/* Arms t to fire at due_ms (re-arms it when armed; in the past = next turn; LOOP_NEVER =
 * disarm). Cheap enough to call after every service of a driver. */
void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t due_ms);

/* Arms t at loop_now_ms + delay_ms. */
void loop_timer_arm_in(struct loop *l, struct loop_timer *t, uint64_t delay_ms);

/* Disarms t; safe from any callback and when not armed. Do this before freeing t. */
void loop_timer_disarm(struct loop *l, struct loop_timer *t);

bool loop_timer_is_armed(const struct loop_timer *t);

/* The earliest armed timer's due time, LOOP_NEVER when none. */
uint64_t loop_next_due_ms(const struct loop *l);

/* Services ---------------------------------------------------------------------------------
 * A sans-I/O driver (twc_bus, tp_link, the simulated slaves) binds to the loop as a service: one
 * function that does everything due now and says which fd to wait on and when it is due next.
 * The loop calls it when that fd is ready and when that time comes, and re-asks both after
 * every call: a frame just read can make a reply due at once (docs/loop.md).
 */

/* Does the work due at now_ms; sets *fd (-1: none) and returns when it is due next
 * (LOOP_NEVER: only on input). */
typedef uint64_t loop_service_fn(struct loop *l, uint64_t now_ms, int *fd, void *ctx);

struct loop_service {
    struct loop_fd io;
    struct loop_timer wake;
    loop_service_fn *fn;
    void *ctx;
    short events; /* LOOP_READ unless changed before start */
};

void loop_service_init(struct loop_service *s, loop_service_fn *fn, void *ctx);

/* Registers s and calls it once now. Returns 0 or -ENOMEM. */
int loop_service_start(struct loop *l, struct loop_service *s);

/* Calls s now (from a callback: at once, re-arming as after any call). For inputs the driver
 * cannot see, e.g. a new target set on the master: its next wake-up may be sooner. */
void loop_service_run(struct loop *l, struct loop_service *s);

/* Unregisters s (its fd and its timer); safe from any callback. */
void loop_service_stop(struct loop *l, struct loop_service *s);

/* Signals and hooks ------------------------------------------------------------------------ */

/*
 * Delivers the signals in sigs[0..n) as loop events: blocks them (so call this before starting
 * threads, which inherit the mask) and reads them from a signalfd. Replaces an earlier set.
 * Returns 0 or a negative errno. loop_free restores the mask.
 */
int loop_signals_catch(struct loop *l, const int *sigs, size_t n, loop_signal_fn *fn, void *ctx);

/* Sets (or with NULL clears) the before-sleep hook. */
void loop_set_before_sleep(struct loop *l, loop_hook_fn *fn, void *ctx);

/* Running ---------------------------------------------------------------------------------- */

enum loop_flags {
    LOOP_NOWAIT = 1, /* do not sleep: handle what is ready and due now */
};

/*
 * One turn: hook, wait, fd handlers, due timers. Returns the number of handlers and timers run,
 * or a negative errno from the clock's wait (not -EINTR).
 */
int loop_run_once(struct loop *l, unsigned flags);

/* Runs turns until loop_stop(). Returns 0, or the error of a failed turn. */
int loop_run(struct loop *l);

/* Makes loop_run return after the current turn; callable from any callback. */
void loop_stop(struct loop *l);

bool loop_is_stopped(const struct loop *l);

/* Turns run so far (for tests and status: a loop that does not spin has few). */
uint64_t loop_turns(const struct loop *l);

/*
 * How long the turns worked (the before-sleep hook, fd handlers and timers; not the wait), on
 * the monotonic clock whatever the loop's own: every busy millisecond delays whatever is due
 * next, a Wall Connector's heartbeat included. over[i] counts the turns that took at least
 * loop_busy_over_ms[i]. cpu_max_us is the most CPU time one turn used: a long turn with little
 * CPU waited for a core (a loaded machine) rather than doing work or blocking in a syscall.
 */
#define LOOP_BUSY_BUCKETS 6
extern const uint32_t loop_busy_over_ms[LOOP_BUSY_BUCKETS]; /* 1, 2, 5, 10, 20, 50 */

struct loop_busy {
    uint64_t last_us, max_us;
    uint64_t cpu_max_us;
    uint64_t over[LOOP_BUSY_BUCKETS];
};

void loop_busy_stats(const struct loop *l, struct loop_busy *out);

#endif
