/* SPDX-License-Identifier: MIT */
/*
 * A policy plugin run in a child process, so that a plugin that segfaults, aborts, writes past
 * its arrays, loops for ever or answers garbage cannot take down the loop that guards the
 * breaker (EVerest runs each module as a process of its own; docs/policy-abi.md).
 *
 * policy_child_open() checks the plugin in a short-lived child (the parent never maps its code)
 * and returns a proxy: a struct ampshare_policy whose init starts one child per instance and
 * whose allocate sends the input over a socketpair and waits at most timeout_ms for the answer.
 * On a crash, a hang (SIGKILL), garbage or a dead child, allocate returns a negative code, so the
 * engine uses its fallback policy for that tick; the failure is logged once through host->log
 * and the child is restarted on a later tick, after a back-off that doubles from 1 s to 60 s.
 * The engine clamps whatever comes back, as for any policy.
 *
 * The proxy finds its plugin through host->ctx, which the engine (alloc.c) sets to the policy
 * description it was given: a proxy initialised with another host refuses with -EINVAL.
 */
#ifndef POLICY_CHILD_H
#define POLICY_CHILD_H

#include <stddef.h>
#include <stdint.h>

#include "policies/ampshare_policy.h"

#define POLICY_CHILD_TIMEOUT_DEFAULT_MS 250u   /* per allocate(): [policy] timeout_ms */
#define POLICY_CHILD_INIT_TIMEOUT_MS    5000u  /* loading and init() at start-up */
#define POLICY_CHILD_RESTART_TIMEOUT_MS 1000u  /* ... in a restart (or 4 x timeout_ms) */
#define POLICY_CHILD_BACKOFF_MIN_MS     1000u  /* first restart after a failure */
#define POLICY_CHILD_BACKOFF_MAX_MS     60000u /* the back-off doubles up to this */

/* Why a tick got no answer from the child. */
enum policy_child_fault {
    POLICY_CHILD_OK = 0,
    POLICY_CHILD_CRASH = 1,   /* it died (signal or exit) */
    POLICY_CHILD_HANG = 2,    /* no answer within timeout_ms: killed */
    POLICY_CHILD_GARBAGE = 3, /* an answer that is not one: killed */
    POLICY_CHILD_DOWN = 4,    /* waiting for its restart */
};

/* Counters over every instance of one plugin. */
struct policy_child_stats {
    uint64_t answers;  /* ticks the child answered (refusals included) */
    uint64_t crashes;  /* POLICY_CHILD_CRASH */
    uint64_t hangs;    /* POLICY_CHILD_HANG */
    uint64_t garbage;  /* POLICY_CHILD_GARBAGE */
    uint64_t starts;   /* children started for instances (the first ones included) */
    uint64_t restarts; /* ... of which restarts after a failure */
    int last_fault;    /* enum policy_child_fault of the last tick */
    int last_pid;      /* the last child started, for tests and logs */
};

struct policy_child;

/*
 * Opens the plugin at path in a child process and checks it as policy_open() would (entry
 * symbol, ABI major, struct size, name, functions). Returns 0 with *out, or the loader's code
 * (-ENOENT, -EPROTONOSUPPORT, -EINVAL) with its message in err, or -EIO when the plugin crashed
 * or hung while loading. timeout_ms bounds each allocate() (0: the default).
 */
int policy_child_open(
    const char *path, uint32_t timeout_ms, struct policy_child **out, char *err, size_t errlen);

/* The proxy description (borrowed; valid until policy_child_close). */
const struct ampshare_policy *policy_child_policy(const struct policy_child *pc);

const struct policy_child_stats *policy_child_get_stats(const struct policy_child *pc);

/* Frees the proxy; its instances must be destroyed first. NULL is allowed. */
void policy_child_close(struct policy_child *pc);

#endif
