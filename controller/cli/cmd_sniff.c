/* SPDX-License-Identifier: MIT */
/*
 * ampshare sniff: listens on a Wall Connector bus and prints every frame as `ampshare decode`
 * does, with a timestamp; it never transmits (no write call exists in this file). Optionally a
 * running per-unit summary and a capture file that `ampshare decode` and `ampshare sniff FILE`
 * read back.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_util.h"
#include "controller/cli/twc_capture.h"
#include "controller/cli/twc_fmt.h"
#include "controller/cli/twc_summary.h"
#include "controller/loop.h"
#include "drivers/transport/tp_link.h"
#include "drivers/twc/twc_codec.h"
#include "drivers/twc/twc_feed.h"
#include "drivers/twc/twc_hexline.h"

#define SNIFF_READ_MAX 512 /* well under TWC_CAPTURE_HIST */
/* A replay looks for SIGINT/SIGTERM this often (in input lines). */
#define SNIFF_REPLAY_SIGNAL_LINES 64

struct sniff {
    bool json, summary;
    unsigned long max_frames; /* 0 = no limit */
    FILE *cap_out;
    const char *cap_path;
    bool cap_failed; /* a capture write failed: reported, capture stopped, exit status 1 */
    struct twc_deframer df;
    struct twc_capture cap;
    struct twc_summary sum;
    unsigned long frames, bad_frames, errors;
    unsigned long line; /* replay: the input line being fed */
    bool has_t;         /* the time is known: always live, per line in a replay */
    bool stop;          /* SIGINT or SIGTERM */
    /* live: the loop, the link's fd, its next wake-up, the capture's trailer wait */
    struct loop *loop;
    struct tp_link *link;
    struct loop_service svc;
    uint64_t t0, now;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare sniff ADDRESS|CAPTURE-FILE [--json] [--summary] [--capture FILE]\n"
            "                      [--count N]\n"
            "\n"
            "Listens on a Tesla Wall Connector Gen 2 RS485 bus and prints each frame as\n"
            "'ampshare decode' does, with a timestamp (t= milliseconds since start). It never\n"
            "transmits. Given a capture file (written by --capture) instead of an address, it\n"
            "replays the capture with its timestamps.\n"
            "\n"
            "ADDRESS: serial:/dev/ttyUSB0 (or a bare device path), tcp://HOST:PORT (a serial\n"
            "bridge), pty:PATH (a pseudo-terminal someone else created). The link comes back\n"
            "by itself when the device goes away.\n"
            "\n"
            "options:\n"
            "  --json          JSON Lines, keys as 'ampshare decode --json'\n"
            "  --summary       after each change, a line with every unit's state, limit,\n"
            "                  actual current and the limit its master commanded\n"
            "  --capture FILE  also write each frame to FILE as '<t_ms>\\t<hex on wire>'\n"
            "  --count N       stop after N frames\n"
            "  -h, --help      this help\n"
            "\n"
            "Runs until SIGINT/SIGTERM (or N frames, or the end of a capture file).\n");
}

/*
 * Flushes the capture file, and closes it when close_it. A failed write (a full disk) is reported
 * once, naming the file, and ends the capture; the frames are still printed.
 */
static void sync_capture(struct sniff *s, bool close_it)
{
    errno = 0;
    bool bad = fflush(s->cap_out) != 0 || ferror(s->cap_out);
    int e = errno;
    if (bad || close_it) {
        errno = 0;
        if (fclose(s->cap_out) != 0 && !bad) {
            bad = true;
            e = errno;
        }
        s->cap_out = NULL;
    }
    if (bad) {
        fprintf(stderr, "ampshare sniff: --capture %s: %s; capture stopped\n", s->cap_path,
                strerror(e ? e : EIO));
        s->cap_failed = true;
    }
}

static void drain_capture(struct sniff *s, uint64_t now, bool final)
{
    if (!s->cap_out) {
        return;
    }
    char line[TWC_CAPTURE_LINE_MAX];
    int n;
    while ((n = twc_capture_next_line(&s->cap, now, final, line, sizeof(line))) > 0) {
        fprintf(s->cap_out, "%s\n", line);
    }
    sync_capture(s, false);
}

static void print_summary(struct sniff *s, uint64_t t_ms)
{
    char line[TWC_FMT_LINE_MAX];
    int n = s->json ? twc_summary_json(&s->sum, s->has_t, t_ms, line, sizeof(line))
                    : twc_summary_text(&s->sum, s->has_t, t_ms, line, sizeof(line));
    if (n >= 0) {
        puts(line);
    }
}

/* One deframer event: a frame (decoded, rx->rc its code) or a stretch the deframer skipped. */
static void emit(struct sniff *s, const struct twc_rx *rx, bool at_end, uint64_t t_ms)
{
    const struct twc_df_event *ev = &rx->ev;
    char line[TWC_FMT_LINE_MAX];
    struct twc_fmt_where w = {
        .offset = ev->offset, .line = s->line, .has_t_ms = s->has_t, .t_ms = t_ms};
    int n;
    if (ev->type == TWC_DF_FRAME && !at_end) {
        s->frames++;
        s->bad_frames += rx->rc == -EBADMSG;
        n = s->json ? twc_fmt_frame_json(&rx->msg, rx->rc, &w, line, sizeof(line))
                    : twc_fmt_frame_text(&rx->msg, rx->rc, &w, line, sizeof(line));
        if (n >= 0) {
            puts(line);
        }
        if (s->cap_out) {
            twc_capture_frame(&s->cap, t_ms, ev->offset);
        }
        if (rx->rc == 0 && twc_summary_update(&s->sum, &rx->msg) && s->summary) {
            print_summary(s, t_ms);
        }
        return;
    }
    s->errors++;
    n = s->json ? twc_fmt_event_json(ev, at_end, &w, line, sizeof(line))
                : twc_fmt_event_text(ev, at_end, &w, line, sizeof(line));
    if (n >= 0) {
        puts(line);
    }
}

static void on_signal(struct loop *l, int signo, void *ctx)
{
    (void)signo;
    struct sniff *s = ctx;
    s->stop = true;
    loop_stop(l);
}

static bool done(const struct sniff *s)
{
    return s->stop || (s->max_frames && s->frames >= s->max_frames);
}

static void feed(struct sniff *s, uint64_t t_ms, const uint8_t *data, size_t len)
{
    if (s->cap_out) {
        twc_capture_bytes(&s->cap, t_ms, data, len);
    }
    struct twc_rx rx;
    while (!done(s) && twc_rx_next(&s->df, &data, &len, &rx) == 1) {
        emit(s, &rx, false, t_ms);
    }
    drain_capture(s, t_ms, false);
}

static void finish(struct sniff *s, uint64_t t_ms)
{
    struct twc_rx rx = {.rc = -ENOMSG};
    if (!done(s) && twc_deframer_finish(&s->df, &rx.ev) == 1) {
        emit(s, &rx, true, t_ms);
    }
    drain_capture(s, t_ms, true);
    if (s->summary) {
        print_summary(s, t_ms);
    }
}

/* Reads what the link has; due again when the link is (reconnects) or a capture line is. */
static uint64_t live_service(struct loop *l, uint64_t loop_now, int *fd, void *ctx)
{
    struct sniff *s = ctx;
    uint64_t now = loop_now - s->t0;
    s->now = now;
    tp_link_service(s->link, now);
    uint8_t buf[SNIFF_READ_MAX];
    ssize_t n;
    while (!done(s) && (n = tp_link_read(s->link, now, buf, sizeof(buf))) > 0) {
        feed(s, now, buf, (size_t)n);
    }
    drain_capture(s, now, false);
    if (done(s)) {
        loop_stop(l);
        return LOOP_NEVER;
    }
    *fd = tp_link_poll_fd(s->link);
    uint64_t next = tp_link_next_ms(s->link);
    if (s->cap_out && s->cap.npend > 0) {
        uint64_t cap = s->cap.last_rx_ms + TWC_CAPTURE_TRAILER_WAIT_MS;
        next = cap < next ? cap : next;
    }
    return next == UINT64_MAX ? LOOP_NEVER : s->t0 + next;
}

static int sniff_live(struct sniff *s, const char *addr)
{
    char err[256];
    if (tp_link_new_from_text(addr, TP_ROLE_CONNECT, &s->link, err, sizeof(err)) < 0) {
        fprintf(stderr, "ampshare sniff: %s\n", err);
        return -EINVAL;
    }
    fprintf(stderr, "ampshare sniff: listening on %s (never transmits)\n",
            tp_link_tp(s->link)->label);
    s->t0 = loop_now_ms(s->loop);
    s->has_t = true;
    loop_service_init(&s->svc, live_service, s);
    int rc = loop_service_start(s->loop, &s->svc);
    rc = rc < 0 ? rc : loop_run(s->loop);
    loop_service_stop(s->loop, &s->svc);
    finish(s, s->now);
    tp_link_free(s->link);
    s->link = NULL;
    return rc < 0 ? rc : 0;
}

static int sniff_replay(struct sniff *s, const char *path)
{
    FILE *in = fopen(path, "r");
    if (!in) {
        fprintf(stderr, "ampshare sniff: %s: %s\n", path, strerror(errno));
        return -errno;
    }
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t got;
    uint64_t t = 0;
    uint8_t bytes[256], wire[2 * TWC_BODY_MAX + 3];
    while (!done(s) && (got = getline(&line, &line_cap, in)) >= 0) {
        s->line++;
        if (s->line % SNIFF_REPLAY_SIGNAL_LINES == 0) {
            (void)loop_run_once(s->loop, LOOP_NOWAIT); /* a SIGINT ends a long replay */
        }
        struct twc_hexline hl;
        if ((size_t)got / 2 + 1 > sizeof(bytes)) {
            fprintf(stderr, "ampshare sniff: %s:%lu: line too long; skipped\n", path, s->line);
            continue;
        }
        if (twc_hexline_parse(line, (size_t)got, s->line == 1, bytes, sizeof(bytes), &hl) < 0) {
            fprintf(stderr, "ampshare sniff: %s:%lu: column %zu is not hex; line skipped\n", path,
                    s->line, hl.err_col);
            continue;
        }
        if (hl.type == TWC_HEXLINE_SKIP) {
            continue;
        }
        t = hl.has_t_ms ? hl.t_ms : t;
        s->has_t = hl.has_t_ms;
        if (hl.type == TWC_HEXLINE_WIRE) {
            feed(s, t, bytes, hl.len);
        } else {
            int n = twc_frame_wrap(bytes, hl.len, -1, wire, sizeof(wire));
            if (n > 0) {
                feed(s, t, wire, (size_t)n);
            }
        }
    }
    int rc = ferror(in) ? -EIO : 0;
    free(line);
    fclose(in);
    finish(s, t);
    return rc;
}

static bool is_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int parse_args(struct sniff *s, int argc, char **argv, const char **src)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            s->json = true;
        } else if (strcmp(a, "--summary") == 0) {
            s->summary = true;
        } else if (strcmp(a, "--capture") == 0 && val) {
            s->cap_path = val;
            i++;
        } else if (strcmp(a, "--count") == 0 && val) {
            char *end = NULL;
            s->max_frames = strtoul(val, &end, 10);
            if (end == val || *end != '\0' || s->max_frames == 0) {
                fprintf(stderr, "ampshare sniff: --count: '%s' is not a positive number\n", val);
                return -EINVAL;
            }
            i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "ampshare sniff: unknown option or missing value '%s'\n", a);
            return -EINVAL;
        } else if (*src == NULL) {
            *src = a;
        } else {
            fprintf(stderr, "ampshare sniff: one source only ('%s' and '%s')\n", *src, a);
            return -EINVAL;
        }
    }
    if (*src == NULL) {
        fprintf(stderr, "ampshare sniff: an address or a capture file is required\n");
        return -EINVAL;
    }
    return 0;
}

int cmd_sniff(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    struct sniff *s = calloc(1, sizeof(*s));
    if (!s) {
        return CMD_EXIT_FAIL;
    }
    const char *src = NULL;
    if (parse_args(s, argc, argv, &src) < 0) {
        usage(stderr);
        free(s);
        return CMD_EXIT_USAGE;
    }
    twc_deframer_init(&s->df);
    twc_capture_init(&s->cap);
    twc_summary_init(&s->sum);
    bool replay = is_regular_file(src);
    if (s->cap_path) {
        s->cap_out = fopen(s->cap_path, "w");
        if (!s->cap_out) {
            fprintf(stderr, "ampshare sniff: --capture %s: %s\n", s->cap_path, strerror(errno));
            free(s);
            return CMD_EXIT_FAIL;
        }
        time_t wall = time(NULL);
        char stamp[32];
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&wall));
        fprintf(s->cap_out, "# ampshare sniff capture of %s, started %s; <t_ms>\\t<hex on wire>\n",
                src, stamp);
    }
    int lrc = loop_new(NULL, &s->loop);
    lrc = lrc < 0 ? lrc : loop_signals_catch(s->loop, cmd_stop_signals, 2, on_signal, s);
    if (lrc < 0) {
        fprintf(stderr, "ampshare sniff: %s\n", strerror(-lrc));
        if (s->cap_out) {
            fclose(s->cap_out);
        }
        loop_free(s->loop);
        free(s);
        return CMD_EXIT_FAIL;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = replay ? sniff_replay(s, src) : sniff_live(s, src);
    if (s->cap_out) {
        sync_capture(s, true);
    }
    if (s->cap_failed && rc == 0) {
        rc = -EIO;
    }
    fprintf(stderr, "ampshare sniff: %lu frames (%lu with a bad checksum), %lu errors\n", s->frames,
            s->bad_frames, s->errors);
    if (s->cap.lost) {
        fprintf(stderr, "ampshare sniff: %u frames could not be captured\n", s->cap.lost);
    }
    loop_free(s->loop);
    free(s);
    if (rc == -EINVAL) {
        return CMD_EXIT_USAGE;
    }
    return rc < 0 ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}
