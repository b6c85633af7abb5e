/* SPDX-License-Identifier: MIT */
/*
 * `ampshare sim master`: ampshare's real Wall Connector master (drivers/twc/twc_bus) on a bus,
 * giving every slave one fixed limit. A bring-up and interoperability tool: point it at real
 * slaves, `ampshare sim slaves`, or TWCManager as a fake slave. No allocation engine, no meters:
 * the fixed limit must be safe for the circuit on its own. On SIGINT/SIGTERM every slave is sent
 * a zero limit before exit (STYLE.md §2.8).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_util.h"
#include "controller/cli/twc_fmt.h"
#include "controller/loop.h"
#include "drivers/base/amp_err.h"
#include "drivers/base/amp_text.h"
#include "drivers/transport/tp_link.h"
#include "drivers/twc/twc_bus.h"

/* After a stop request, how long the zero limits may take to reach every slave. */
#define MASTER_STOP_GRACE_MS 3000

struct master_opts {
    const char *bus;
    long limit_a, ceiling_a;
    long id; /* -1: random */
    int trailer;
    long for_s;     /* 0: until a signal */
    long status_ms; /* 0: no status lines */
    long exit_when; /* >0: exit 0 once this many slaves charge near the limit */
    long slave_timeout_ms;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare sim master --bus ADDR [--limit-a A] [options]\n"
            "\n"
            "Runs ampshare's own Wall Connector Gen 2 master on a bus and gives every slave the\n"
            "same fixed limit: a bring-up and interoperability tool (real slaves, `ampshare sim\n"
            "slaves`, TWCManager). It has no meters and no allocation: the limit must be safe\n"
            "for the circuit on its own (up to 3 slaves x the limit). On SIGINT/SIGTERM each\n"
            "slave is sent a zero limit before exit. Events go to stderr, status to stdout.\n"
            "\n"
            "  --bus ADDR           serial:/dev/ttyUSB0, /dev/ttyUSB0, tcp://HOST:PORT, or a\n"
            "                       pty path (serial:PATH)\n"
            "  --limit-a A          limit per slave in whole amps, 0..80 (default 6); below the\n"
            "                       slave's minimum (5 A v1, 6 A v2) means stop\n"
            "  --ceiling-a A        allow the 6 A-lock spike and paced cuts up to A (default:\n"
            "                       the limit, i.e. no spike; docs/master.md)\n"
            "  --id HHHH            our TWCID in hex (default random; never 0000)\n"
            "  --trailer XX         byte after each frame, hex, or none (default none)\n"
            "  --slave-timeout-ms N drop a silent slave after N ms (default 26000)\n"
            "  --for-s N            stop after N seconds (default: until a signal)\n"
            "  --status-ms N        print the slave table every N ms (default 5000; 0 = never)\n"
            "  --exit-when-charging N\n"
            "                       exit 0 as soon as N slaves echo the limit and draw at least\n"
            "                       90%% of it (exit 1 if --for-s passes first)\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 done, 1 another master on the bus or a device error, 2 usage.\n");
}

static int parse_opt(struct master_opts *o, const char *name, const char *val)
{
    long v = 0;
    if (strcmp(name, "--bus") == 0) {
        o->bus = val;
        return 0;
    }
    if (strcmp(name, "--trailer") == 0) {
        if (strcmp(val, "none") == 0) {
            o->trailer = -1;
            return 0;
        }
        if (cmd_parse_long(val, 16, 0, 0xFF, &v) < 0) {
            return -EINVAL;
        }
        o->trailer = (int)v;
        return 0;
    }

    struct {
        const char *name;
        int base;
        long lo, hi;
        long *dst;
    } const nums[] = {
        {"--limit-a", 10, 0, 80, &o->limit_a},
        {"--ceiling-a", 10, 0, 80, &o->ceiling_a},
        {"--id", 16, 1, 0xFFFF, &o->id},
        {"--for-s", 10, 1, 86400L * 365, &o->for_s},
        {"--status-ms", 10, 0, 3600000, &o->status_ms},
        {"--exit-when-charging", 10, 1, TWC_MASTER_SLAVES_MAX, &o->exit_when},
        {"--slave-timeout-ms", 10, 2000, 600000, &o->slave_timeout_ms},
    };

    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        if (strcmp(name, nums[i].name) == 0) {
            return cmd_parse_long(val, nums[i].base, nums[i].lo, nums[i].hi, nums[i].dst);
        }
    }
    return -ENOENT;
}

struct master_run {
    struct twc_bus bus;
    const struct master_opts *o;
    struct loop *loop;
    struct loop_service svc;       /* the bus: its fd (changes on reconnects), its wake-up */
    struct loop_timer status, end; /* status lines, --for-s */
    uint64_t t0;                   /* loop time of the start: times print from 1 ms */
    uint64_t stop_at;              /* when the zero limits were set (0: running) */
    bool stopping;                 /* a signal, the time limit or --exit-when-charging */
    int rc;
};

static void on_event(void *ctx, const struct twc_master_event *ev)
{
    struct master_run *r = ctx;
    if (ev->type == TWC_MEV_SLAVE_LINKED && !r->stopping) {
        /* the fixed allocation: every slave the same limit */
        (void)twc_master_set_target_ceiling(twc_bus_master(&r->bus), ev->at_ms, ev->slave_id,
                                            (int32_t)r->o->limit_a * 1000,
                                            (int32_t)r->o->ceiling_a * 1000);
    }
}

static void print_status(struct master_run *r, uint64_t now)
{
    struct twc_master *m = twc_bus_master(&r->bus);
    size_t n = twc_master_slave_count(m);
    printf("[%7" PRIu64 ".%03u] %zu slave%s\n", now / 1000, (unsigned)(now % 1000), n,
           n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        struct twc_master_slave_info s;
        if (twc_master_slave_at(m, i, &s) < 0) {
            continue;
        }
        char vin[sizeof(s.vin) * 8];
        printf("  slave %04x v%u max %" PRId32 " mA: state %02x %s, limit %" PRId32
               " mA (offered %" PRId32 "), actual %" PRId32 " mA%s%s%s\n",
               s.id, s.proto, s.max_ma, s.state, s.replied ? twc_fmt_state_name(s.state) : "?",
               s.limit_ma, s.offered_ma, s.actual_ma, s.vin_known ? ", VIN " : "",
               s.vin_known ? (s.vin[0] ? amp_text_safe(s.vin, vin, sizeof(vin)) : "none") : "",
               s.ext ? " (4.5.3)" : "");
    }
    fflush(stdout);
}

static size_t count_charging(struct master_run *r)
{
    struct twc_master *m = twc_bus_master(&r->bus);
    size_t ok = 0;
    for (size_t i = 0; i < twc_master_slave_count(m); i++) {
        struct twc_master_slave_info s;
        if (twc_master_slave_at(m, i, &s) == 0 && s.replied && s.offered_ma > 0 &&
            s.limit_ma == s.offered_ma && s.actual_ma * 10 >= s.offered_ma * 9) {
            ok++;
        }
    }
    return ok;
}

/* After a stop request: zero every target and wait until each slave echoes 0 (or the grace). */
static bool all_zero(struct master_run *r, uint64_t now, bool first)
{
    struct twc_master *m = twc_bus_master(&r->bus);
    bool done = true;
    for (size_t i = 0; i < twc_master_slave_count(m); i++) {
        struct twc_master_slave_info s;
        if (twc_master_slave_at(m, i, &s) < 0) {
            continue;
        }
        if (first) {
            (void)twc_master_set_target(m, now, s.id, 0);
        }
        done = done && s.limit_ma == 0;
    }
    return done;
}

static uint64_t run_now(const struct master_run *r)
{
    return loop_now_ms(r->loop) - r->t0 + 1;
}

/* Everything the old poll loop did in one pass: service the bus, then the stop logic. The loop
 * asks the bus for its fd and wake-up after every pass (a frame just read may make a reply due
 * at once). */
static uint64_t service(struct loop *l, uint64_t loop_now, int *fd, void *ctx)
{
    struct master_run *r = ctx;
    uint64_t now = loop_now - r->t0 + 1;
    if (twc_bus_service(&r->bus, now) == AMP_ERR_MASTER_CLASH) {
        r->rc = CMD_EXIT_FAIL;
        loop_stop(l);
        return LOOP_NEVER;
    }
    if (r->o->exit_when > 0 && !r->stopping && count_charging(r) >= (size_t)r->o->exit_when) {
        print_status(r, now);
        r->stopping = true;
    }
    if (r->stopping && r->stop_at == 0) {
        r->stop_at = now;
        (void)all_zero(r, now, true);
        loop_timer_arm(l, &r->end, r->t0 - 1 + now + MASTER_STOP_GRACE_MS);
    }
    if (r->stop_at && all_zero(r, now, false)) {
        loop_stop(l);
        return LOOP_NEVER;
    }
    *fd = twc_bus_poll_fd(&r->bus);
    uint64_t next = twc_bus_next_wakeup_ms(&r->bus);
    return next == LOOP_NEVER ? LOOP_NEVER : r->t0 - 1 + next;
}

static void on_status(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)now;
    struct master_run *r = ctx;
    print_status(r, run_now(r));
    loop_timer_arm_in(l, t, (uint64_t)r->o->status_ms);
}

/* --for-s passed, or the stop grace after it ran out. */
static void on_end(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)t;
    (void)now;
    struct master_run *r = ctx;
    if (r->stop_at) {
        loop_stop(l);
        return;
    }
    fprintf(stderr, "ampshare sim master: %ld s passed\n", r->o->for_s);
    if (r->o->exit_when > 0) {
        print_status(r, run_now(r));
        r->rc = CMD_EXIT_FAIL;
    }
    r->stopping = true;
    loop_service_run(l, &r->svc);
}

static void on_signal(struct loop *l, int signo, void *ctx)
{
    (void)signo;
    struct master_run *r = ctx;
    r->stopping = true;
    loop_service_run(l, &r->svc);
}

static int run(struct master_run *r)
{
    const struct master_opts *o = r->o;
    loop_service_init(&r->svc, service, r);
    loop_timer_init(&r->status, on_status, r);
    loop_timer_init(&r->end, on_end, r);
    if (o->status_ms > 0) {
        loop_timer_arm(r->loop, &r->status, r->t0 - 1 + (uint64_t)o->status_ms);
    }
    if (o->for_s > 0) {
        loop_timer_arm(r->loop, &r->end, r->t0 - 1 + (uint64_t)o->for_s * 1000);
    }
    if (loop_service_start(r->loop, &r->svc) < 0) {
        return CMD_EXIT_FAIL;
    }
    int rc = loop_run(r->loop);
    loop_service_stop(r->loop, &r->svc);
    return rc < 0 ? CMD_EXIT_FAIL : r->rc;
}

int cmd_sim_master(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    struct master_opts o = {
        .limit_a = 6,
        .ceiling_a = -1,
        .id = -1,
        .trailer = -1,
        .status_ms = 5000,
        .slave_timeout_ms = TWC_MASTER_SLAVE_TIMEOUT_MS,
    };
    /* Every option takes one value. */
    for (int i = 1; i < argc; i += 2) {
        int rc = i + 1 < argc ? parse_opt(&o, argv[i], argv[i + 1]) : -ENOENT;
        if (rc < 0) {
            fprintf(stderr, "ampshare sim master: %s '%s'%s%s\n",
                    rc == -ENOENT ? "unknown option or missing value" : "bad value for", argv[i],
                    rc == -ENOENT ? "" : ": ", rc == -ENOENT ? "" : argv[i + 1]);
            usage(stderr);
            return CMD_EXIT_USAGE;
        }
    }
    if (!o.bus) {
        fprintf(stderr, "ampshare sim master: --bus ADDR is required\n");
        usage(stderr);
        return CMD_EXIT_USAGE;
    }
    if (o.ceiling_a < o.limit_a) {
        o.ceiling_a = o.limit_a;
    }
    char err[256];
    struct tp_link *link = NULL;
    if (tp_link_new_from_text(o.bus, TP_ROLE_CONNECT, &link, err, sizeof(err)) < 0) {
        fprintf(stderr, "ampshare sim master: %s\n", err);
        return CMD_EXIT_USAGE;
    }
    struct master_run *r = calloc(1, sizeof(*r));
    if (!r) {
        tp_link_free(link);
        return CMD_EXIT_FAIL;
    }
    r->o = &o;
    if (loop_new(NULL, &r->loop) < 0) {
        free(r);
        tp_link_free(link);
        return CMD_EXIT_FAIL;
    }
    r->t0 = loop_now_ms(r->loop);
    struct twc_bus_config bc;
    twc_bus_config_init(&bc);
    if (o.id > 0) {
        bc.master.id = (uint16_t)o.id;
        twc_master_pick_id((uint64_t)o.id, &(uint16_t){0}, &bc.master.sign);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
        twc_master_pick_id(seed, &bc.master.id, &bc.master.sign);
    }
    bc.master.trailer = o.trailer;
    bc.master.slave_timeout_ms = (uint32_t)o.slave_timeout_ms;
    bc.on_event = on_event;
    bc.on_event_ctx = r;
    int rc = twc_bus_init(&r->bus, link, &bc, 1);
    if (rc < 0) {
        fprintf(stderr, "ampshare sim master: %s\n", amp_strerror(rc));
        rc = CMD_EXIT_USAGE;
    } else if ((rc = loop_signals_catch(r->loop, cmd_stop_signals, 2, on_signal, r)) < 0) {
        fprintf(stderr, "ampshare sim master: signals: %s\n", amp_strerror(rc));
        rc = CMD_EXIT_FAIL;
    } else {
        fprintf(stderr, "ampshare sim master: ID %04x, %ld A per slave on %s\n", bc.master.id,
                o.limit_a, o.bus);
        rc = run(r);
        fprintf(stderr, "ampshare sim master: stopped\n");
    }
    loop_free(r->loop);
    free(r);
    tp_link_free(link);
    return rc;
}
