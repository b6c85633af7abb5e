/* SPDX-License-Identifier: MIT */
/* Optional libraries opened on first use (amp_dl.h). */
#include "drivers/base/amp_dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* The open, for pthread_once: which takes no argument, so the library being opened is passed in
 * this thread's variable (amp_dl_load holds no lock while pthread_once runs the call). */
static _Thread_local struct amp_dl *opening;

static void open_now(void)
{
    struct amp_dl *d = opening;
    void *h = dlopen(d->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(d->why, sizeof(d->why), "%s", why ? why : "dlopen failed");
        d->rc = -ENOENT;
        return;
    }
    for (size_t i = 0; i < d->n; i++) {
        dlerror();
        d->slots[i] = dlsym(h, d->names[i]);
        if (!d->slots[i]) {
            snprintf(d->why, sizeof(d->why), "it has no %s", d->names[i]);
            d->rc = -ENOENT;
            dlclose(h);
            return;
        }
    }
    d->rc = 0; /* h stays open for the life of the process */
}

static int ensure(struct amp_dl *d)
{
    opening = d;
    pthread_once(&d->once, open_now);
    opening = NULL;
    return d->rc;
}

int amp_dl_load(struct amp_dl *d, const char *who, char *err, size_t errlen)
{
    int rc = ensure(d);
    if (rc != 0) {
        snprintf(err, errlen, "cannot load %s, which %s needs: %s", d->soname, who, d->why);
    }
    return rc;
}

void *amp_dl_sym(struct amp_dl *d, size_t i)
{
    if (ensure(d) != 0) {
        fprintf(stderr, "ampshare: cannot load %s: %s\n", d->soname, d->why);
        abort();
    }
    return d->slots[i];
}
