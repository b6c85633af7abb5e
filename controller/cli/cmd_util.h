/* SPDX-License-Identifier: MIT */
/* Helpers the subcommands share for their arguments and their real-time loops (the binary only). */
#ifndef AMP_CMD_UTIL_H
#define AMP_CMD_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb_map_custom;
struct tp_addr;

/*
 * Matches argv[*i] against name, written "--opt value" or "--opt=value". Returns the value
 * (borrowed from argv; *i then indexes the value when it was a separate argument), or NULL when
 * argv[*i] is another option or the value is missing.
 */
const char *cmd_opt_value(int argc, char **argv, int *i, const char *name);

/* Parses a whole number in base (0: decimal or 0x-hex) within [lo, hi]. Returns 0 or -EINVAL. */
int cmd_parse_long(const char *s, int base, long lo, long hi, long *out);

/* SIGINT and SIGTERM: what stops a subcommand's loop (loop_signals_catch(l, cmd_stop_signals, 2,
 * ...)). */
extern const int cmd_stop_signals[2];

/*
 * Builds the generic meter map from "KEY=VALUE" strings (--set options; keys in docs/modbus.md).
 * A bad key or an incomplete map is reported on stderr as "PROG: ...".
 * @return CMD_EXIT_OK, or CMD_EXIT_USAGE after the message
 */
int cmd_generic_map(const char *prog,
                    const char *const *set,
                    size_t n_set,
                    struct mb_map_custom *c);

/* A server's listen address: HOST:PORT or tcp://HOST:PORT (port 0: the kernel picks one) or
 * pty:PATH. Returns 0 or -EINVAL with a message in err. */
int cmd_parse_listen(const char *text, struct tp_addr *a, char *err, size_t errlen);

/* Blocks SIGINT and SIGTERM in this thread (call before any thread starts, so all inherit the
 * mask) and fills set with them, for sigwait()/sigtimedwait(): no handler, no global flag. */
void cmd_block_stop_signals(sigset_t *set);

/* A simulator's first line on stdout: "listening on ADDR; clients use CLIENT_ADDR". */
void cmd_print_listening(const struct tp_addr *addr, const char *client_addr);

/* A simulation's output is its table or timeline: the simulated gateway's journal (links, states,
 * limits: info) stays out of it. Warnings and errors still show; -v shows everything. */
void cmd_sim_quiet_log(void);

/*
 * --realtime: paces a simulation's virtual clock to the wall clock (a sim_sched_pace_fn: the
 * first move starts the wall clock; every later time at_ms is waited for). It sleeps in
 * sigtimedwait() on SIGINT and SIGTERM, which cmd_realtime_init blocks, so Ctrl-C ends the
 * sleep at once: the pace returns -EINTR and the run stops where it is.
 */
struct cmd_realtime {
    sigset_t stop;
    bool started;
    uint64_t wall0_ms, virt0_ms;
    int signo; /* the signal that stopped the run, or 0 */
};

void cmd_realtime_init(struct cmd_realtime *rt);
int cmd_realtime_pace(void *ctx, uint64_t from_ms, uint64_t at_ms);

#endif
