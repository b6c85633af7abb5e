/* SPDX-License-Identifier: MIT */
/*
 * Optional libraries loaded when the config first needs them, not at exec. libmicrohttpd
 * ([http]) pulls GnuTLS and its helpers, libmosquitto ([mqtt]) and libwebsockets ([ocpp]) pull
 * OpenSSL: mapped at start-up they would be most of the daemon's memory on a site that uses none
 * of them. Each such library has a table of the functions ampshare calls (mhd_dl.h, mosq_dl.h,
 * lws_dl.h); its header redefines each function's name to a call through the table, so the code
 * that uses the library reads as before.
 *
 * A library is opened once (dlopen(RTLD_NOW | RTLD_LOCAL), every listed symbol resolved) and kept
 * for the life of the process: OpenSSL and GnuTLS do not unload cleanly. The subsystem's open
 * call (http_srv_open, mqtt_open, ocpp_srv_new, `sim ocpp`) calls amp_dl_load first, which names
 * the library and the config section when it cannot be loaded.
 *
 * Calling another function of such a library: add it to its table (the SYMS list and one
 * #define); until then the link fails with "undefined reference" to it, since the library is not
 * linked.
 */
#ifndef AMP_DL_H
#define AMP_DL_H

#include <pthread.h>
#include <stddef.h>

struct amp_dl {
    const char *soname;       /* "libmicrohttpd.so.12" (CMake reads it from the library) */
    const char *const *names; /* the symbols, n of them */
    void **slots;             /* their addresses, once loaded */
    size_t n;
    pthread_once_t once;
    int rc;        /* after the attempt: 0 or -ENOENT */
    char why[200]; /* dlerror() of a failed attempt */
};

#define AMP_DL_INIT(soname, names, slots)                                                        \
    {                                                                                            \
        (soname), (names), (slots), sizeof(slots) / sizeof((slots)[0]), PTHREAD_ONCE_INIT, 0, "" \
    }

/*
 * Opens d's library (the first call does the work; later calls return its result). 0, or -ENOENT
 * with "cannot load SONAME, which WHO needs: WHY" in err. who names the user: "[http]",
 * "[ocpp]", "sim ocpp".
 */
int amp_dl_load(struct amp_dl *d, const char *who, char *err, size_t errlen);

/* Symbol i of d. Loads d if no one did; aborts, naming the library, if it cannot be loaded: the
 * subsystem's open call checks with amp_dl_load before any call through the table. */
void *amp_dl_sym(struct amp_dl *d, size_t i);

#endif
