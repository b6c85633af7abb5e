/* SPDX-License-Identifier: MIT */
/* A site model from INI text: cfg_parse_string, cfg_validate, site_new. */
#include "controller/engine/site_ini.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "controller/engine/config.h"

int site_new_from_ini(
    const char *text, const char *file, struct site **out, char *err, size_t errlen)
{
    *out = NULL;
    /* the diagnostics hold 64 messages of 256 bytes: too large for a small stack */
    struct cfg_diag *diag = calloc(1, sizeof(*diag));
    struct config *cfg = calloc(1, sizeof(*cfg));
    int rc = -ENOMEM;
    char site_err[CFG_DIAG_TEXT] = "";
    if (!diag || !cfg) {
        snprintf(site_err, sizeof(site_err), "%s: out of memory", file);
        goto out;
    }
    cfg_diag_init(diag);
    cfg_init(cfg);
    rc = cfg_parse_string(text, file, cfg, diag);
    if (rc == 0) {
        rc = cfg_validate(cfg, diag);
    }
    if (rc == 0) {
        rc = site_new(cfg, out, site_err, sizeof(site_err));
    } else {
        /* the first error, not a warning that came before it */
        for (size_t i = 0; i < diag->n && !site_err[0]; i++) {
            if (!diag->item[i].warning) {
                snprintf(site_err, sizeof(site_err), "%s", diag->item[i].text);
            }
        }
        if (!site_err[0]) {
            snprintf(site_err, sizeof(site_err), "%s: not a valid site", file);
        }
    }
    cfg_free(cfg);
out:
    if (rc != 0 && err && errlen) {
        snprintf(err, errlen, "%s", site_err);
    }
    free(cfg);
    free(diag);
    return rc;
}
