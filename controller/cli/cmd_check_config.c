/* SPDX-License-Identifier: MIT */
/* ampshare check-config FILE [--json]: the same loader and validator the daemon runs. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli/cmd.h"
#include "controller/engine/alloc.h"
#include "controller/engine/config.h"
#include "controller/engine/policy_loader.h"
#include "controller/engine/site.h"
#include "controller/engine/site_print.h"
#include "drivers/base/amp_text.h"
#include "drivers/base/log.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare check-config FILE [--json]\n\n"
            "Loads a site config as the daemon would: parses it, checks every reference, range\n"
            "and limit, loads the policy (built-in or plugin) and starts it with its options,\n"
            "then runs it on a few generated fleets of the site: a policy that crashes, hangs,\n"
            "answers garbage, refuses or needs the safety clamp's corrections is an error.\n"
            "Prints every error and warning as FILE:LINE: message; when the config is valid,\n"
            "prints the site as a tree of circuits with their limits and phases and the chargers\n"
            "on them. The keys are described in docs/config.md.\n\n"
            "  --json     print one JSON object {file, valid, errors, warnings, site} instead\n"
            "  -h, --help show this help\n\n"
            "Exit status: 0 valid (warnings allowed), 1 errors, 2 bad arguments.\n");
}

struct capture {
    struct cfg_diag *diag;
    const struct config *cfg;
    int line;
};

static bool is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The line of the [policy] option a message names, or the [policy] name line. */
static int option_line(const struct capture *c, const char *msg)
{
    const struct cfg_kvlist *opts = &c->cfg->policy.options;
    for (size_t i = 0; i < opts->n; i++) {
        const char *key = opts->kv[i].key;
        size_t n = strlen(key);
        for (const char *p = strstr(msg, key); n && p; p = strstr(p + 1, key)) {
            if ((p == msg || !is_word(p[-1])) && !is_word(p[n])) {
                return opts->kv[i].line;
            }
        }
    }
    return c->line;
}

/* Policy init messages become errors at the line of the option they name. */
static void capture_sink(void *ctx, enum log_level lvl, const char *mod, const char *line)
{
    struct capture *c = ctx;
    (void)mod; /* the policy names itself in its messages */
    if (lvl <= LOG_LEVEL_WARN) {
        cfg_diag_add(c->diag, lvl == LOG_LEVEL_WARN, c->cfg->file, option_line(c, line),
                     "[policy] %s", line);
    }
}

/* The generated fleets a policy is tried on: what every car does, and whether the meters are
 * fresh. Each runs a few ticks, as the daemon would run them. */
enum trial_car {
    TRIAL_NONE,
    TRIAL_CHARGING,
    TRIAL_IDLE,
    TRIAL_MIXED
};

static const struct trial {
    const char *what;
    enum trial_car cars;
    bool stale;
} trials[] = {
    {"no car plugged in", TRIAL_NONE, false},
    {"every car charging at its maximum", TRIAL_CHARGING, false},
    {"every car plugged in and idle", TRIAL_IDLE, false},
    {"half the cars charging, half idle", TRIAL_MIXED, false},
    {"every car charging, every meter stale", TRIAL_CHARGING, true},
};

#define TRIAL_TICKS 3

static void trial_state(const struct site *site,
                        const struct trial *t,
                        const struct alloc_result *last,
                        struct site_state *st,
                        uint64_t now)
{
    for (size_t i = 0; i < site->n_evse; i++) {
        const struct site_evse *e = &site->evse[i];
        bool charging = t->cars == TRIAL_CHARGING || (t->cars == TRIAL_MIXED && i % 2 == 0);
        int32_t draw = charging ? e->max_ma : 0;
        int32_t offer = last->evse[i].target_ma;
        draw = charging && e->controllable && offer < draw ? offer : draw;
        st->evse[i] = (struct site_evse_input){
            .connected = t->cars != TRIAL_NONE,
            .draw_ma = {draw, draw, draw},
            .draw_at_ms = t->stale ? 0 : now,
            .offer_ma = offer,
            .energy_wanted_wh = -1,
        };
    }
    for (size_t m = 0; m < site->n_meter; m++) {
        st->meter[m] = (struct site_meter_input){.at_ms = t->stale ? 0 : now};
        const struct site_meter *sm = &site->meter[m];
        if (sm->measures == CFG_MEASURES_EVSE && sm->target >= 0 &&
            (size_t)sm->target < site->n_evse) {
            for (int k = 0; k < 3; k++) {
                st->meter[m].current_ma[k] = st->evse[sm->target].draw_ma[0];
            }
        }
    }
}

static const char *trial_fault(int rc)
{
    return rc == -EIO         ? "crashed"
           : rc == -ETIMEDOUT ? "did not answer in time"
           : rc == -EPROTO    ? "answered garbage"
                              : "refused to allocate";
}

/*
 * Runs the engine with the policy on a few generated fleets of this site. A policy that
 * crashes, hangs, answers garbage, refuses, or answers targets the clamp must correct (a policy
 * fault: a good policy sees everything the clamp sees) is an error at its [policy] line.
 */
static void try_policy(const struct config *cfg,
                       const struct site *site,
                       struct alloc *a,
                       struct cfg_diag *diag,
                       int line)
{
    struct site_state *st = NULL;
    struct alloc_result *r = NULL;
    if (site_state_new(site, &st) != 0 || alloc_result_new(site, &r) != 0) {
        cfg_diag_add(diag, false, cfg->file, line, "[policy] out of memory trying the policy");
        goto out;
    }
    uint64_t now = 1000;
    for (size_t k = 0; k < sizeof(trials) / sizeof(trials[0]); k++) {
        const struct trial *t = &trials[k];
        for (int n = 0; n < TRIAL_TICKS; n++, now += site->control_interval_ms) {
            trial_state(site, t, r, st, now);
            int rc = alloc_tick(a, st, now, r);
            if (rc == 0 && r->policy_rc != 0) {
                rc = r->policy_rc;
                bool refused = rc != -EIO && rc != -ETIMEDOUT && rc != -EPROTO;
                cfg_diag_add(diag, false, cfg->file, line,
                             "[policy] %s %s on a generated fleet (%s, tick %d)%s%s", site->policy,
                             trial_fault(rc), t->what, n + 1, refused ? ": " : "",
                             refused ? strerror(rc < 0 ? -rc : EINVAL) : "");
                goto out;
            }
            if (rc == 0 && r->corrections > 0) {
                for (size_t i = 0; i < site->n_evse; i++) {
                    if (r->evse[i].fix != ALLOC_FIX_NONE) {
                        cfg_diag_add(
                            diag, false, cfg->file, line,
                            "[policy] %s answered a target the safety clamp had to "
                            "correct on a generated fleet (%s, tick %d): %d mA for "
                            "%s %s (%s)",
                            site->policy, t->what, n + 1, r->evse[i].policy_ma,
                            site->evse[i].kind == SITE_EVSE_WALL_CONNECTOR ? "wallconnector"
                                                                           : "evse",
                            site->evse[i].name, alloc_fix_name((enum alloc_fix)r->evse[i].fix));
                        goto out;
                    }
                }
            }
            if (rc != 0) {
                cfg_diag_add(diag, false, cfg->file, line, "[policy] engine tick failed: %s",
                             strerror(-rc));
                goto out;
            }
        }
    }
out:
    alloc_result_free(r);
    site_state_free(st);
}

/* Opens the site's policy and starts an engine with it, exactly as the daemon will. */
static void check_policy(const struct config *cfg,
                         const struct site *site,
                         struct cfg_diag *diag,
                         char *source,
                         size_t cap)
{
    int line = cfg->policy.name.line ? cfg->policy.name.line : cfg->policy.line;
    struct policy_handle h;
    char err[512];
    struct policy_open_opts po = {.in_process = !site->policy_isolate,
                                  .timeout_ms = site->policy_timeout_ms};
    if (policy_open_ex(site->policy, &po, &h, err, sizeof(err)) != 0) {
        cfg_diag_add(diag, false, cfg->file, line, "%s", err);
        return;
    }
    snprintf(source, cap, "%s", h.source);
    struct capture c = {.diag = diag, .cfg = cfg, .line = line};
    enum log_level restore = log_enabled(LOG_LEVEL_DEBUG) ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO;
    size_t before = diag->errors;
    log_set_sink(capture_sink, &c, LOG_LEVEL_WARN);
    struct alloc *a = NULL;
    int rc = alloc_new(site, h.policy, &a, err, sizeof(err));
    if (rc == 0) {
        try_policy(cfg, site, a, diag, line);
    }
    log_set_sink(NULL, NULL, restore);
    if (rc != 0 && diag->errors == before) {
        cfg_diag_add(diag, false, cfg->file, line, "%s", err);
    }
    alloc_free(a);
    policy_close(&h);
}

int cmd_check_config(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    const char *path = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "ampshare check-config: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return CMD_EXIT_USAGE;
        } else if (path) {
            fprintf(stderr, "ampshare check-config: one FILE only\n");
            return CMD_EXIT_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        usage(stderr);
        return CMD_EXIT_USAGE;
    }
    struct cfg_diag *diag = calloc(1, sizeof(*diag));
    if (!diag) {
        fprintf(stderr, "ampshare check-config: out of memory\n");
        return CMD_EXIT_FAIL;
    }
    struct config cfg;
    cfg_init(&cfg);
    struct site *site = NULL;
    char source[256] = "";
    /* Validation also runs after parse errors, so every error shows at once; values that did
     * not parse are skipped by it (config.h: negative lines), not reported twice. */
    int rc = cfg_parse_file(path, &cfg, diag);
    if ((rc == 0 || rc == -EINVAL) && cfg_validate(&cfg, diag) == 0 && rc == 0) {
        char err[512];
        if (site_new(&cfg, &site, err, sizeof(err)) != 0) {
            cfg_diag_add(diag, false, path, 0, "%s", err);
        } else {
            check_policy(&cfg, site, diag, source, sizeof(source));
        }
    }
    bool ok = diag->errors == 0 && site;
    if (json) {
        site_print_json(stdout, path, diag, ok ? site : NULL, source);
    } else {
        /* in file order: parse and validation messages interleave by line */
        for (int line = 0, next = 0; next != INT_MAX; line = next) {
            next = INT_MAX;
            for (size_t i = 0; i < diag->n; i++) {
                int l = diag->item[i].line;
                if (l == line) {
                    fprintf(stderr, "%s\n", diag->item[i].text);
                } else if (l > line && l < next) {
                    next = l;
                }
            }
        }
        char safe_path[512];
        amp_text_safe(path, safe_path, sizeof(safe_path));
        if (diag->dropped) {
            fprintf(stderr, "%s: ... and %zu more\n", safe_path, diag->dropped);
        }
        if (ok) {
            site_print_tree(stdout, site, source);
        } else {
            fprintf(stderr, "%s: %zu error%s, %zu warning%s\n", safe_path, diag->errors,
                    diag->errors == 1 ? "" : "s", diag->warnings, diag->warnings == 1 ? "" : "s");
        }
    }
    site_free(site);
    cfg_free(&cfg);
    free(diag);
    return ok ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}
