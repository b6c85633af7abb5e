/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: arbitrary bytes through cfg_parse_bytes (our line reader in front of inih) and
 * cfg_validate; when it passes, the site is built, printed (text and JSON) and run for one
 * allocation tick with the built-in equal_share. Nothing may crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/engine/alloc.h"
#include "controller/engine/config.h"
#include "controller/engine/policy_loader.h"
#include "controller/engine/site.h"
#include "controller/engine/site_print.h"
#include "drivers/base/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_site(const struct site *site, const struct cfg_diag *diag)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f) {
        site_print_tree(f, site, "built-in");
        site_print_json(f, "fuzz.ini", diag, site, "built-in");
        fclose(f);
    }
    free(buf);
    struct alloc *a = NULL;
    struct site_state *st = NULL;
    struct alloc_result *r = NULL;
    char err[256];
    const struct ampshare_policy *p = policy_builtin_find(site->policy);
    if (alloc_new(site, p ? p : policy_builtin_find("equal_share"), &a, err, sizeof(err)) == 0 &&
        site_state_new(site, &st) == 0 && alloc_result_new(site, &r) == 0) {
        for (size_t i = 0; i < st->n_evse; i++) {
            st->evse[i].connected = i % 2 == 0;
            st->evse[i].draw_ma[0] = (int32_t)(i * 700);
            st->evse[i].draw_at_ms = 500;
        }
        if (alloc_tick(a, st, 1000, r) != 0) {
            abort();
        }
    }
    alloc_result_free(r);
    site_state_free(st);
    alloc_free(a);
}

static void quiet(void *ctx, enum log_level lvl, const char *mod, const char *line)
{
    (void)ctx, (void)lvl, (void)mod, (void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    log_set_sink(quiet, NULL, LOG_LEVEL_ERR); /* policies refusing fuzzed options are expected */
    /* exactly size bytes, no terminator: NULs and invalid UTF-8 are input like any other */
    char *text = malloc(size ? size : 1);
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    struct cfg_diag *diag = calloc(1, sizeof(*diag));
    struct config cfg;
    cfg_init(&cfg);
    if (diag && cfg_parse_bytes(text, size, "fuzz.ini", &cfg, diag) == 0 &&
        cfg_validate(&cfg, diag) == 0) {
        struct site *site = NULL;
        char err[256];
        if (site_new(&cfg, &site, err, sizeof(err)) == 0) {
            run_site(site, diag);
        }
        site_free(site);
    }
    cfg_free(&cfg);
    free(diag);
    free(text);
    return 0;
}
