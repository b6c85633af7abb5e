/* SPDX-License-Identifier: MIT */
/* The built-in policy table and the plugin loader. */
#include "controller/engine/policy_loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "controller/engine/policy_child.h"

/* Each built-in policy file defines one of these (APK_POLICY in ampshare_policy_kit.h). */
const struct ampshare_policy *ampshare_builtin_native(void);
const struct ampshare_policy *ampshare_builtin_equal_share(void);
const struct ampshare_policy *ampshare_builtin_idle_reclaim(void);
const struct ampshare_policy *ampshare_builtin_priority(void);
const struct ampshare_policy *ampshare_builtin_fifo(void);
const struct ampshare_policy *ampshare_builtin_round_robin(void);
const struct ampshare_policy *ampshare_builtin_edf(void);
const struct ampshare_policy *ampshare_builtin_llf(void);
const struct ampshare_policy *ampshare_builtin_acn_uncontrolled(void);
const struct ampshare_policy *ampshare_builtin_acn_fcfs(void);
const struct ampshare_policy *ampshare_builtin_acn_edf(void);
const struct ampshare_policy *ampshare_builtin_acn_llf(void);
const struct ampshare_policy *ampshare_builtin_acn_rr(void);

typedef const struct ampshare_policy *policy_builtin_fn(void);

static policy_builtin_fn *const builtin[] = {
    ampshare_builtin_native,   ampshare_builtin_equal_share, ampshare_builtin_idle_reclaim,
    ampshare_builtin_priority, ampshare_builtin_fifo,        ampshare_builtin_round_robin,
    ampshare_builtin_edf,      ampshare_builtin_llf,         ampshare_builtin_acn_uncontrolled,
    ampshare_builtin_acn_fcfs, ampshare_builtin_acn_edf,     ampshare_builtin_acn_llf,
    ampshare_builtin_acn_rr,
};

#define N_BUILTIN (sizeof(builtin) / sizeof(builtin[0]))

size_t policy_builtin_count(void)
{
    return N_BUILTIN;
}

const struct ampshare_policy *policy_builtin_at(size_t i)
{
    return i < N_BUILTIN ? builtin[i]() : NULL;
}

static bool same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
        if (x != y) {
            return false;
        }
    }
    return *a == *b;
}

const struct ampshare_policy *policy_builtin_find(const char *name)
{
    for (size_t i = 0; i < N_BUILTIN; i++) {
        const struct ampshare_policy *p = builtin[i]();
        if (same_name(p->name, name)) {
            return p;
        }
    }
    return NULL;
}

void policy_builtin_list(char *buf, size_t cap)
{
    size_t n = 0;
    if (cap) {
        buf[0] = '\0';
    }
    for (size_t i = 0; i < N_BUILTIN; i++) {
        int w = snprintf(buf + n, cap > n ? cap - n : 0, "%s%s", i ? ", " : "", builtin[i]()->name);
        if (w < 0 || (size_t)w >= (cap > n ? cap - n : 0)) {
            return;
        }
        n += (size_t)w;
    }
}

int policy_check(const struct ampshare_policy *p, const char *source, char *err, size_t errlen)
{
    if (!p) {
        snprintf(err, errlen, "policy %s: no policy description", source);
        return -EINVAL;
    }
    if (p->abi_major != AMPSHARE_POLICY_ABI_MAJOR) {
        snprintf(err, errlen,
                 "policy %s: built for policy ABI %u.%u, this ampshare speaks ABI %u.%u; rebuild "
                 "it against this ampshare_policy.h",
                 source, p->abi_major, p->abi_minor, AMPSHARE_POLICY_ABI_MAJOR,
                 AMPSHARE_POLICY_ABI_MINOR);
        return -EPROTONOSUPPORT;
    }
    if (p->struct_size < POLICY_V1_STRUCT_SIZE) {
        snprintf(err, errlen,
                 "policy %s: struct ampshare_policy is %u bytes, smaller than ABI 1.0's %zu",
                 source, p->struct_size, (size_t)POLICY_V1_STRUCT_SIZE);
        return -EPROTONOSUPPORT;
    }
    const char *missing = !p->name || !p->name[0] ? "name"
                          : !p->init              ? "init"
                          : !p->allocate          ? "allocate"
                          : !p->destroy           ? "destroy"
                                                  : NULL;
    if (missing) {
        snprintf(err, errlen, "policy %s: its description has no %s", source, missing);
        return -EINVAL;
    }
    return 0;
}

int policy_resolve(const char *name, const char *dir, char *out, size_t cap)
{
    int n;
    if (strchr(name, '/') || policy_builtin_find(name)) {
        n = snprintf(out, cap, "%s", name);
        return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
    }
    n = snprintf(out, cap, "%s/%s.so", dir && dir[0] ? dir : AMPSHARE_POLICY_DIR, name);
    if (n < 0 || (size_t)n >= cap) {
        return -ENAMETOOLONG;
    }
    struct stat st;
    /* A plugin name with a '.' or a '/' could climb out of the directory: only plain names. */
    if (name[0] == '\0' || strchr(name, '.') || stat(out, &st) != 0 || !S_ISREG(st.st_mode)) {
        return -ENOENT;
    }
    return 0;
}

typedef const struct ampshare_policy *policy_entry_fn(uint16_t, uint16_t);

int policy_open(const char *name, struct policy_handle *h, char *err, size_t errlen)
{
    return policy_open_ex(name, NULL, h, err, errlen);
}

int policy_open_ex(const char *name,
                   const struct policy_open_opts *o,
                   struct policy_handle *h,
                   char *err,
                   size_t errlen)
{
    memset(h, 0, sizeof(*h));
    if (!strchr(name, '/')) {
        const struct ampshare_policy *p = policy_builtin_find(name);
        if (!p) {
            char list[160];
            policy_builtin_list(list, sizeof(list));
            snprintf(err, errlen,
                     "policy '%s': no such built-in (%s); a plugin is named by its path", name,
                     list);
            return -ENOENT;
        }
        snprintf(h->source, sizeof(h->source), "built-in");
        int rc = policy_check(p, name, err, errlen);
        if (rc == 0) {
            h->policy = p;
        }
        return rc;
    }
    snprintf(h->source, sizeof(h->source), "%s", name);
    if (!o || !o->in_process) {
        int rc = policy_child_open(name, o ? o->timeout_ms : 0, &h->child, err, errlen);
        if (rc != 0) {
            memset(h, 0, sizeof(*h));
            return rc;
        }
        h->policy = policy_child_policy(h->child);
        return 0;
    }
    void *dl = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *why = dlerror();
        snprintf(err, errlen, "policy %s: cannot load: %s", name, why ? why : "unknown error");
        memset(h, 0, sizeof(*h));
        return -ENOENT;
    }
    dlerror();
    void *sym = dlsym(dl, "ampshare_policy_entry");
    if (!sym) {
        snprintf(err, errlen, "policy %s: missing symbol ampshare_policy_entry (is it exported?)",
                 name);
        dlclose(dl);
        memset(h, 0, sizeof(*h));
        return -ENOENT;
    }
    policy_entry_fn *entry;
    memcpy(&entry, &sym, sizeof(entry)); /* POSIX: dlsym's object pointer holds a function */
    const struct ampshare_policy *p = entry(AMPSHARE_POLICY_ABI_MAJOR, AMPSHARE_POLICY_ABI_MINOR);
    int rc;
    if (!p) {
        snprintf(err, errlen, "policy %s: does not support policy ABI major %u", name,
                 AMPSHARE_POLICY_ABI_MAJOR);
        rc = -EPROTONOSUPPORT;
    } else {
        rc = policy_check(p, name, err, errlen);
    }
    if (rc != 0) {
        dlclose(dl);
        memset(h, 0, sizeof(*h));
        return rc;
    }
    h->policy = p;
    h->dl = dl;
    return 0;
}

void policy_close(struct policy_handle *h)
{
    if (h && h->dl) {
        dlclose(h->dl);
    }
    if (h && h->child) {
        policy_child_close(h->child);
    }
    if (h) {
        memset(h, 0, sizeof(*h));
    }
}
