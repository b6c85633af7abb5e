/* SPDX-License-Identifier: MIT */
/* Argument parsing and clock helpers shared by the subcommands (cmd_util.h). */
#include "controller/cli/cmd_util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/cli/cmd.h"
#include "drivers/base/amp_clock.h"
#include "drivers/base/log.h"
#include "drivers/modbus/mb_maps.h"
#include "drivers/transport/tp_addr.h"

const char *cmd_opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (!argv[*i] || strncmp(argv[*i], name, n) != 0) {
        return NULL;
    }
    if (argv[*i][n] == '=') {
        return argv[*i] + n + 1;
    }
    if (argv[*i][n] != '\0' || *i + 1 >= argc) {
        return NULL;
    }
    return argv[++*i];
}

int cmd_parse_long(const char *s, int base, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, base);
    if (errno || end == s || *end != '\0' || v < lo || v > hi) {
        return -EINVAL;
    }
    *out = v;
    return 0;
}

const int cmd_stop_signals[2] = {SIGINT, SIGTERM};

int cmd_generic_map(const char *prog, const char *const *set, size_t n_set, struct mb_map_custom *c)
{
    char err[256];
    mb_map_generic_init(c, "generic");
    for (size_t i = 0; i < n_set; i++) {
        char key[64];
        const char *eq = strchr(set[i], '=');
        snprintf(key, sizeof(key), "%.*s", (int)(eq - set[i]), set[i]);
        if (mb_map_generic_set(c, key, eq + 1, err, sizeof(err)) != 0) {
            fprintf(stderr, "%s: --set %s: %s\n", prog, set[i], err);
            return CMD_EXIT_USAGE;
        }
    }
    if (mb_map_generic_finish(c, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return CMD_EXIT_USAGE;
    }
    return CMD_EXIT_OK;
}

/* HOST:PORT, tcp://HOST:PORT (port 0 allowed) or pty:PATH. */
int cmd_parse_listen(const char *text, struct tp_addr *a, char *err, size_t errlen)
{
    char buf[300];
    if (strncmp(text, "pty:", 4) == 0) {
        return tp_addr_parse(text, a, err, errlen);
    }
    snprintf(buf, sizeof(buf), "%s%s", strncmp(text, "tcp://", 6) == 0 ? "" : "tcp://", text);
    size_t len = strlen(buf);
    bool port0 = len > 2 && strcmp(buf + len - 2, ":0") == 0;
    if (port0) {
        buf[len - 1] = '1'; /* tp_addr wants 1..65535 for clients; a server may ask for any */
    }
    int rc = tp_addr_parse(buf, a, err, errlen);
    if (rc == 0 && port0) {
        a->port = 0;
    }
    return rc;
}

void cmd_block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

void cmd_print_listening(const struct tp_addr *addr, const char *client_addr)
{
    if (addr->kind == TP_ADDR_PTY) {
        printf("listening on pty:%s; clients use %s\n", addr->path, client_addr);
    } else {
        printf("listening on %s; clients use %s\n", client_addr, client_addr);
    }
}

void cmd_sim_quiet_log(void)
{
    if (!log_enabled(LOG_LEVEL_DEBUG)) {
        log_set_sink(NULL, NULL, LOG_LEVEL_WARN);
    }
}

void cmd_realtime_init(struct cmd_realtime *rt)
{
    memset(rt, 0, sizeof(*rt));
    cmd_block_stop_signals(&rt->stop);
}

int cmd_realtime_pace(void *ctx, uint64_t from_ms, uint64_t at_ms)
{
    struct cmd_realtime *rt = ctx;
    uint64_t now = amp_clock_mono_ms();
    if (!rt->started) {
        rt->started = true;
        rt->wall0_ms = now;
        rt->virt0_ms = from_ms;
    }
    uint64_t due = rt->wall0_ms + (at_ms - rt->virt0_ms);
    for (;;) {
        /* a zero wait still takes a Ctrl-C that came while the simulation was computing */
        uint64_t left = due > now ? due - now : 0;
        struct timespec ts = {.tv_sec = (time_t)(left / 1000),
                              .tv_nsec = (long)(left % 1000) * 1000000L};
        int sig = sigtimedwait(&rt->stop, NULL, &ts);
        if (sig > 0) {
            rt->signo = sig;
            return -EINTR;
        }
        now = amp_clock_mono_ms();
        if (now >= due) {
            return 0;
        }
    }
}
