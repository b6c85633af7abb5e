/* SPDX-License-Identifier: MIT */
/*
 * Finding a policy: the built-in table (chrony's driver table) or a plugin opened with
 * dlopen(RTLD_NOW | RTLD_LOCAL). Built-ins and plugins are the same struct and pass the same
 * checks (STYLE §2.7).
 */
#ifndef POLICY_LOADER_H
#define POLICY_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policies/ampshare_policy.h"

/* The size of struct ampshare_policy at ABI 1.0: the least a plugin may report. */
#define POLICY_V1_STRUCT_SIZE (offsetof(struct ampshare_policy, destroy) + sizeof(void (*)(void *)))

struct policy_child;

struct policy_handle {
    const struct ampshare_policy *policy; /* borrowed: valid until policy_close() */
    void *dl;                   /* dlopen handle; NULL for a built-in or an isolated plugin */
    struct policy_child *child; /* an isolated plugin (policy_child.h), else NULL */
    char source[256];           /* "built-in" or the plugin's path */
};

/* How a plugin is run ([policy] isolate and timeout_ms). */
struct policy_open_opts {
    bool in_process;     /* dlopen the plugin into this process; default: a child process */
    uint32_t timeout_ms; /* isolated: the most one allocate() may take; 0 = the default */
};

/* The built-in policy called name ('-' and '_' are the same); NULL if none. */
const struct ampshare_policy *policy_builtin_find(const char *name);

/* The built-ins, for listing and for the contract suite: i in 0..policy_builtin_count()-1. */
size_t policy_builtin_count(void);
const struct ampshare_policy *policy_builtin_at(size_t i);

/* Writes "native, equal_share, ..." into buf. */
void policy_builtin_list(char *buf, size_t cap);

/*
 * Checks what a policy reports about itself: ABI major, struct size, name and the three
 * functions. Returns 0, -EPROTONOSUPPORT (other major, struct too small) or -EINVAL (missing
 * name or function), with a message naming source in err.
 */
int policy_check(const struct ampshare_policy *p, const char *source, char *err, size_t errlen);

/* Where installed plugins are looked for when a config names neither a built-in nor a path. */
#ifndef AMPSHARE_POLICY_DIR
#define AMPSHARE_POLICY_DIR "/usr/lib/ampshare/policies"
#endif

/*
 * Turns a configured policy name into what policy_open takes: a built-in name or a path as it
 * is, else "<dir>/<name>.so" when that file exists (dir NULL or "" means AMPSHARE_POLICY_DIR).
 * Returns 0, -ENOENT (neither a built-in nor a plugin in dir) or -ENAMETOOLONG.
 */
int policy_resolve(const char *name, const char *dir, char *out, size_t cap);

/*
 * Opens a policy by built-in name or by path (anything with a '/'). A plugin is run in a child
 * process (policy_child.h) with the default time budget. A plugin must export
 * ampshare_policy_entry() and pass policy_check(). Returns 0, -ENOENT (no such built-in, file
 * or symbol), -EPROTONOSUPPORT or -EINVAL, with a message in err. On failure h is emptied.
 */
int policy_open(const char *name, struct policy_handle *h, char *err, size_t errlen);

/* policy_open with options (NULL: the defaults). A plugin runs in a child process unless
 * o->in_process; the built-ins always run in this one. */
int policy_open_ex(const char *name,
                   const struct policy_open_opts *o,
                   struct policy_handle *h,
                   char *err,
                   size_t errlen);

/* Closes what policy_open opened; accepts an emptied handle. Instances must be destroyed first. */
void policy_close(struct policy_handle *h);

#endif
