/* SPDX-License-Identifier: MIT */
/*
 * `ampshare run`: the gateway daemon (controller/daemon.h) on one event loop. SIGHUP reloads the
 * config, SIGTERM/SIGINT stop safely (every charger to its shutdown current, confirmed, then exit
 * 0). Without a config file — or with --demo — it runs the built-in demo site (cmd_run_demo.c).
 */
#include "controller/cli/cmd_run.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <sqlite3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_util.h"
#include "controller/daemon.h"
#include "controller/loop.h"
#include "controller/sdnotify.h"
#include "drivers/base/amp_err.h"
#include "drivers/base/log.h"

#define MOD "run"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare run [--config FILE] [--duration-s N]\n"
            "       ampshare run --demo [--duration-s N]\n"
            "\n"
            "Runs the site of a config file: one Wall Connector master per [bus], the Modbus\n"
            "meters and EVSEs, the allocation engine every control interval. Logs go to stderr\n"
            "with journald priority prefixes.\n"
            "  --config FILE     the site config (default " DAEMON_DEFAULT_CONFIG ");\n"
            "                    when the default is missing the demo runs instead\n"
            "  --demo            the built-in demo site, in real time: a 40 A circuit, a Tesla\n"
            "                    and an idle BMW i3 on two simulated Wall Connectors on a pty,\n"
            "                    a simulated Modbus EVSE with its meter, a grid meter\n"
            "  --duration-s N    stop (safely) after N seconds\n"
            "  -h, --help        this help\n"
            "\n"
            "Signals: SIGHUP reloads the config (an invalid file keeps the running one);\n"
            "SIGTERM/SIGINT set every charger to [site] shutdown_current_a, wait until the\n"
            "chargers confirmed it (at most %d s), and exit 0.\n"
            "Exit status: 0 stopped, 1 a device or config error at start, 2 usage.\n",
            DAEMON_STOP_GRACE_MS / 1000);
}

struct run_ctx {
    struct loop *loop;
    struct daemon *d;
    struct loop_timer end, watchdog, logflush;
    uint64_t watchdog_ms; /* 0: systemd asks for no watchdog */
    int signals;
};

/* WATCHDOG=1 from the loop: a stuck loop stops it, and systemd restarts the daemon. */
static void on_watchdog(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)now;
    struct run_ctx *r = ctx;
    int rc = sdnotify_watchdog();
    if (rc < 0) {
        log_limited("sdnotify", now, LOG_LEVEL_WARN, MOD, "watchdog ping: %s", amp_strerror(rc));
    }
    const struct daemon_stats *st = daemon_get_stats(r->d);
    (void)sdnotify_status("%" PRIu64 " ticks; worst lateness: bus %" PRIu64 " ms, tick %" PRIu64
                          " ms",
                          st->ticks, st->worst_wake_late_ms, st->worst_tick_late_ms);
    loop_timer_arm_in(l, t, r->watchdog_ms);
}

/* The keyed rate limiters' "... N more times" summaries, once their minute is over. */
static void on_logflush(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)ctx;
    (void)log_limited_flush(now);
    loop_timer_arm_in(l, t, 10000);
}

static void on_signal(struct loop *l, int signo, void *ctx)
{
    struct run_ctx *r = ctx;
    if (signo == SIGHUP) {
        (void)daemon_reload(r->d);
        return;
    }
    if (r->signals++ > 0) {
        log_warn(MOD, "second stop signal: exiting without waiting for confirmations");
        loop_stop(l);
        return;
    }
    log_info(MOD, "%s: stopping safely", strsignal(signo));
    daemon_stop(r->d);
}

static void on_end(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)l;
    (void)t;
    (void)now;
    struct run_ctx *r = ctx;
    log_info(MOD, "--duration-s passed: stopping safely");
    daemon_stop(r->d);
}

/*
 * The daemon's process-wide memory settings, before any thread or database exists (bench figures
 * in docs/daemon.md). One malloc arena: glibc gives each Modbus poller thread its own (a 132 KB
 * reservation, pages touched in each, and free memory that one thread cannot reuse for another);
 * they allocate little, rarely, so sharing the main arena costs no measurable contention. No
 * up-front page-cache block per SQLite connection (SQLITE_DEFAULT_PCACHE_INITSZ pages, touched
 * at open: ~130 KB): the session log's pages are then allocated as the cache fills, up to its
 * usual cache_size, so what the daemon holds follows the size of its database.
 */
static void run_memory_settings(void)
{
    if (mallopt(M_ARENA_MAX, 1) != 1) {
        log_warn(MOD, "cannot limit malloc to one arena");
    }
    /* SQLITE_MISUSE: SQLite already started in this process (a second run in one test), and
     * keeps the settings it started with */
    int src = sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
    if (src != SQLITE_OK && src != SQLITE_MISUSE) {
        log_warn(MOD, "cannot turn off SQLite's bulk page-cache allocation: %s",
                 sqlite3_errstr(src));
    }
}

int cmd_run_site(const struct daemon_opts *o,
                 uint64_t duration_ms,
                 const struct cmd_run_hooks *hooks)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    static const struct cmd_run_hooks none = {0};
    const struct cmd_run_hooks *h = hooks ? hooks : &none;
    struct run_ctx r = {0};
    run_memory_settings();
    if (loop_new(NULL, &r.loop) < 0) {
        return CMD_EXIT_FAIL;
    }
    /* before any thread starts (the Modbus pollers inherit the blocked mask) */
    int rc = loop_signals_catch(r.loop, sigs, 3, on_signal, &r);
    if (rc < 0) {
        fprintf(stderr, "ampshare run: signals: %s\n", amp_strerror(rc));
        loop_free(r.loop);
        return CMD_EXIT_FAIL;
    }
    char err[CFG_DIAG_TEXT] = "";
    rc = h->start ? h->start(h->ctx, r.loop) : 0;
    if (rc == 0) {
        rc = daemon_new(o, r.loop, &r.d, err, sizeof(err));
        if (rc < 0) {
            fprintf(stderr, "ampshare run: %s\n", err[0] ? err : amp_strerror(rc));
        }
    }
    if (rc < 0) {
        if (h->stop) {
            h->stop(h->ctx, r.loop);
        }
        loop_free(r.loop);
        return CMD_EXIT_FAIL;
    }
    if (h->running) {
        h->running(h->ctx, r.d);
    }
    loop_timer_init(&r.end, on_end, &r);
    if (duration_ms) {
        loop_timer_arm_in(r.loop, &r.end, duration_ms);
    }
    loop_timer_init(&r.watchdog, on_watchdog, &r);
    loop_timer_init(&r.logflush, on_logflush, &r);
    loop_timer_arm_in(r.loop, &r.logflush, 10000);
    uint64_t wd = 0;
    if (sdnotify_watchdog_timeout_ms(&wd) > 0) {
        r.watchdog_ms = sdnotify_watchdog_period_ms(wd);
        loop_timer_arm_in(r.loop, &r.watchdog, r.watchdog_ms);
        log_info(MOD, "systemd watchdog: %" PRIu64 " ms, pinged every %" PRIu64 " ms", wd,
                 r.watchdog_ms);
    }
    rc = sdnotify_ready("running");
    if (rc < 0) {
        log_warn(MOD, "cannot tell systemd we are ready: %s", amp_strerror(rc));
    }
    rc = loop_run(r.loop);
    loop_timer_disarm(r.loop, &r.end);
    loop_timer_disarm(r.loop, &r.watchdog);
    loop_timer_disarm(r.loop, &r.logflush);
    (void)log_limited_flush(UINT64_MAX);
    const struct daemon_stats *st = daemon_get_stats(r.d);
    struct loop_busy busy;
    loop_busy_stats(r.loop, &busy);
    log_info(MOD,
             "ran %" PRIu64 " ticks, %" PRIu64 " reloads (%" PRIu64 " refused); worst lateness: "
             "bus wake-up %" PRIu64 " ms, control tick %" PRIu64 " ms; longest tick %" PRIu64
             " ms; longest loop turn %" PRIu64 " us (most CPU in a turn %" PRIu64
             " us), turns over 5/10/20/50 ms: %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64,
             st->ticks, st->reloads, st->reload_failures, st->worst_wake_late_ms,
             st->worst_tick_late_ms, st->worst_step_ms, busy.max_us, busy.cpu_max_us, busy.over[2],
             busy.over[3], busy.over[4], busy.over[5]);
    if (h->finish) {
        h->finish(h->ctx, r.d, loop_now_ms(r.loop));
    }
    daemon_free(r.d);
    if (h->stop) {
        h->stop(h->ctx, r.loop);
    }
    loop_free(r.loop);
    return rc < 0 ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    const char *config = NULL;
    bool demo = false;
    long duration_s = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = cmd_opt_value(argc, argv, &i, "--config"))) {
            config = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--duration-s"))) {
            if (cmd_parse_long(v, 10, 1, 86400L * 3650, &duration_s) < 0) {
                fprintf(stderr, "ampshare run: --duration-s: bad value '%s'\n", v);
                return CMD_EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--demo") == 0) {
            demo = true;
        } else {
            fprintf(stderr, "ampshare run: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return CMD_EXIT_USAGE;
        }
    }
    if (demo && config) {
        fprintf(stderr, "ampshare run: --demo and --config exclude each other\n");
        return CMD_EXIT_USAGE;
    }
    struct stat sb;
    if (!demo && !config && stat(DAEMON_DEFAULT_CONFIG, &sb) != 0) {
        fprintf(stderr,
                "ampshare run: ******************************************************\n"
                "ampshare run: no config at %s: RUNNING THE BUILT-IN DEMO SITE\n"
                "ampshare run: (simulated chargers only; write a config, see docs/config.md)\n"
                "ampshare run: ******************************************************\n",
                DAEMON_DEFAULT_CONFIG);
        demo = true;
    }
    if (demo) {
        return cmd_run_demo((uint64_t)duration_s * 1000);
    }
    struct daemon_opts o = {.path = config ? config : DAEMON_DEFAULT_CONFIG};
    return cmd_run_site(&o, (uint64_t)duration_s * 1000, NULL);
}
