/* SPDX-License-Identifier: MIT */
/* ampshare status [--json] [--watch]: asks the running daemon over its status socket. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <signal.h>
#include <unistd.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_util.h"
#include "controller/engine/config.h"
#include "controller/loop.h"
#include "controller/status/status.h"

#define STATUS_DEFAULT_CONFIG "/etc/ampshare/ampshare.ini"
#define STATUS_TIMEOUT_MS     5000 /* a daemon that does not answer in this time is stuck */
#define STATUS_REPLY_MAX      (16u << 20)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare status [--json] [--watch [--interval-s N]] [--config FILE]\n"
            "                       [--socket PATH]\n\n"
            "Asks the running `ampshare run` for every charger's state, offer, measured current\n"
            "per phase, session energy and the reason for its limit; every circuit's load and\n"
            "limit per phase; bus and meter health; loop timing. The JSON is documented key by\n"
            "key in docs/status.md.\n\n"
            "The socket is found as `ampshare run` places it: [site] status_socket of the config\n"
            "(default %s), else %s, else $XDG_RUNTIME_DIR/ampshare.sock.\n\n"
            "  --json           print the status document as JSON\n"
            "  --watch          print it again every --interval-s seconds (default 2) until ^C\n"
            "  --config FILE    the daemon's config, to read [site] status_socket\n"
            "  --socket PATH    the socket itself\n"
            "  -h, --help       show this help\n\n"
            "Exit status: 0 ok, 1 no daemon answered, 2 bad arguments.\n",
            STATUS_DEFAULT_CONFIG, STATUS_SOCKET);
}

/* Reads [site] status_socket of a config file; "" when it has none. An unreadable default
 * config is no error (the daemon then ran --demo or without one); a named one is. */
static int configured_socket(const char *config, bool named, char *out, size_t cap)
{
    out[0] = '\0';
    struct config cfg;
    struct cfg_diag *diag = calloc(1, sizeof(*diag));
    if (!diag) {
        return -ENOMEM;
    }
    cfg_init(&cfg);
    cfg_diag_init(diag);
    int rc = cfg_parse_file(config, &cfg, diag);
    if (rc == 0 || !named) {
        if (cfg.site.status_socket.line) {
            snprintf(out, cap, "%s", cfg.site.status_socket.s);
        }
        rc = 0;
    } else {
        fprintf(stderr, "ampshare status: %s: %s\n", config,
                diag->n ? diag->item[0].text : strerror(-rc));
    }
    cfg_free(&cfg);
    free(diag);
    return rc;
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        return -ENAMETOOLONG;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

/* Sends one request and reads one reply line, each bounded by STATUS_TIMEOUT_MS. */
static int ask(int fd, const char *request, char **reply)
{
    size_t len = strlen(request), off = 0;
    while (off < len) {
        ssize_t n = send(fd, request + off, len - off, MSG_NOSIGNAL);
        if (n < 0) {
            return -errno;
        }
        off += (size_t)n;
    }
    size_t cap = 65536, n_in = 0;
    char *buf = malloc(cap);
    if (!buf) {
        return -ENOMEM;
    }
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, STATUS_TIMEOUT_MS);
        if (pr <= 0) {
            free(buf);
            return pr == 0 ? -ETIMEDOUT : -errno;
        }
        if (n_in + 1 >= cap) {
            char *grown = cap < STATUS_REPLY_MAX ? realloc(buf, cap * 2) : NULL;
            if (!grown) {
                free(buf);
                return -EMSGSIZE;
            }
            buf = grown;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + n_in, cap - n_in - 1);
        if (n <= 0) {
            free(buf);
            return n == 0 ? -ECONNRESET : -errno;
        }
        n_in += (size_t)n;
        char *nl = memchr(buf, '\n', n_in);
        if (nl) {
            *nl = '\0';
            *reply = buf;
            return 0;
        }
    }
}

/* One status request on fd; prints it. CMD_EXIT_OK or CMD_EXIT_FAIL. */
static int show(int fd, const char *path, bool json)
{
    char *line = NULL;
    int rc = ask(fd, "{\"cmd\":\"status\"}\n", &line);
    if (rc != 0) {
        fprintf(stderr, "ampshare status: %s: %s\n", path, strerror(-rc));
        return CMD_EXIT_FAIL;
    }
    json_error_t jerr;
    json_t *msg = json_loads(line, 0, &jerr);
    free(line);
    json_t *doc = json_object_get(msg, "status");
    if (!json_is_true(json_object_get(msg, "ok")) || !json_is_object(doc)) {
        const char *why = json_string_value(json_object_get(msg, "error"));
        fprintf(stderr, "ampshare status: %s: %s\n", path,
                why ? why : msg ? "unexpected reply" : jerr.text);
        json_decref(msg);
        return CMD_EXIT_FAIL;
    }
    if (json) {
        rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        fputc('\n', stdout);
    } else {
        rc = status_print_text(doc, stdout);
    }
    json_decref(msg);
    fflush(stdout);
    return rc == 0 ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}

struct watch {
    int fd;
    const char *path;
    bool json;
    long interval_ms;
    int rc;
    struct loop_timer t;
};

static void watch_tick(struct loop *l, struct loop_timer *t, uint64_t now_ms, void *ctx)
{
    (void)now_ms;
    struct watch *w = ctx;
    if (!w->json && isatty(STDOUT_FILENO)) {
        fputs("\033[H\033[2J", stdout); /* a fresh screen each time, like watch(1) */
    }
    w->rc = show(w->fd, w->path, w->json);
    if (w->rc != CMD_EXIT_OK) {
        loop_stop(l);
        return;
    }
    loop_timer_arm_in(l, t, (uint64_t)w->interval_ms);
}

static void watch_stop(struct loop *l, int signo, void *ctx)
{
    (void)signo;
    (void)ctx;
    loop_stop(l);
}

/* --watch: the status now and every interval, until SIGINT/SIGTERM or a failed request. */
static int watch_run(struct watch *w)
{
    struct loop *l;
    static const int sigs[] = {SIGINT, SIGTERM};
    if (loop_new(NULL, &l) != 0 || loop_signals_catch(l, sigs, 2, watch_stop, w) != 0) {
        loop_free(l);
        fprintf(stderr, "ampshare status: cannot start its loop\n");
        return CMD_EXIT_FAIL;
    }
    loop_timer_init(&w->t, watch_tick, w);
    loop_timer_arm_in(l, &w->t, 0);
    loop_run(l);
    loop_timer_disarm(l, &w->t);
    loop_free(l);
    return w->rc;
}

int cmd_status(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    bool json = false, watch = false;
    const char *config = NULL, *socket_opt = NULL, *v;
    long interval_s = 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--watch") == 0) {
            watch = true;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--config"))) {
            config = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--socket"))) {
            socket_opt = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--interval-s"))) {
            if (cmd_parse_long(v, 10, 1, 3600, &interval_s) != 0) {
                fprintf(stderr, "ampshare status: --interval-s: '%s' is not 1..3600\n", v);
                return CMD_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "ampshare status: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return CMD_EXIT_USAGE;
        }
    }
    char configured[CFG_TEXT_MAX] = "", path[256];
    if (!socket_opt &&
        configured_socket(config ? config : STATUS_DEFAULT_CONFIG, config != NULL, configured,
                          sizeof(configured)) != 0) {
        return CMD_EXIT_FAIL;
    }
    if (status_socket_path(socket_opt ? socket_opt : configured, false, path, sizeof(path)) != 0) {
        fprintf(stderr, "ampshare status: socket path too long\n");
        return CMD_EXIT_USAGE;
    }
    int fd = connect_to(path);
    if (fd < 0) {
        fprintf(stderr, "ampshare status: %s: %s (is `ampshare run` running?)\n", path,
                strerror(-fd));
        return CMD_EXIT_FAIL;
    }
    struct watch w = {.fd = fd, .path = path, .json = json, .interval_ms = interval_s * 1000};
    int rc = watch ? watch_run(&w) : show(fd, path, json);
    close(fd);
    return rc;
}
