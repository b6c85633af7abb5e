/* SPDX-License-Identifier: MIT */
/*
 * ampshare sessions [--db FILE] [--config FILE] [--since DATE] [--charger NAME] [--csv|--json]:
 * the session log, read-only, while the daemon writes it. docs/sessions.md documents the
 * columns; JSON and CSV share one column table, so their keys cannot drift apart.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_util.h"
#include "controller/engine/config.h"
#include "controller/sessions.h"
#include "controller/sessions_cols.h"
#include "drivers/base/amp_text.h"

#define DEFAULT_CONFIG "/etc/ampshare/ampshare.ini"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare sessions [--db FILE] [--config FILE] [--since DATE]\n"
            "                         [--charger NAME] [--csv | --json]\n\n"
            "Lists the charging sessions the daemon logged, oldest first: one row per session\n"
            "per charger with its start and end (UTC), energy and where it came from, peak and\n"
            "mean current, the vehicle's VIN when the charger reported it (else the id tag\n"
            "that started an OCPP transaction, with its transaction id in --csv and --json),\n"
            "and why it ended.\n"
            "A session still open shows no end. The file is opened read-only, so this works\n"
            "while the daemon writes. docs/sessions.md describes every column.\n\n"
            "  --db FILE       the session log (default: [sessions] db of the config, else\n"
            "                  " CFG_DEFAULT_SESSION_DB ")\n"
            "  --config FILE   the site config whose [sessions] db to read (default\n"
            "                  " DEFAULT_CONFIG " when it exists)\n"
            "  --since DATE    sessions that started at or after DATE, UTC: YYYY-MM-DD,\n"
            "                  YYYY-MM-DDTHH:MM[:SS][Z] or @UNIX-SECONDS\n"
            "  --charger NAME  one charger's sessions\n"
            "  --csv           RFC 4180 CSV with a header row\n"
            "  --json          a JSON array of objects\n"
            "  -h, --help      show this help\n\n"
            "Exit status: 0 listed (perhaps none), 1 the file cannot be read, 2 bad arguments.\n");
}

/* ---- text that may hold any byte ---- */

/* Writes s for a CSV field as valid UTF-8 (a byte that starts no valid sequence becomes
 * U+FFFD, as in JSON); quoted: inside "", where a quote is doubled (RFC 4180). */
static void put_csv(FILE *out, const char *s, bool quoted)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = amp_utf8_seq(p + i, n - i);
        if (k == 0) {
            fputs("\xef\xbf\xbd", out);
            i++;
            continue;
        }
        if (quoted && p[i] == '"') {
            fputc('"', out);
        }
        fwrite(p + i, 1, k, out);
        i += k;
    }
}

enum format {
    FMT_TEXT,
    FMT_CSV,
    FMT_JSON,
};

struct printer {
    FILE *out;
    enum format fmt;
    size_t rows;
};

static void csv_field(FILE *out, const char *s)
{
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote) {
        fputc('"', out);
    }
    put_csv(out, s, quote);
    if (quote) {
        fputc('"', out);
    }
}

static void print_row_csv(struct printer *pr, const struct sess_record *r)
{
    for (int c = 0; c < SESS_COL_COUNT; c++) {
        struct sess_val v;
        sess_col_get(r, (enum sess_col)c, &v);
        if (c) {
            fputc(',', pr->out);
        }
        if (v.kind == SESS_VAL_INT) {
            fprintf(pr->out, "%" PRId64, v.i);
        } else if (v.kind == SESS_VAL_STR) {
            csv_field(pr->out, v.s);
        }
    }
    fputs("\r\n", pr->out);
}

static void print_row_json(struct printer *pr, const struct sess_record *r)
{
    fputs(pr->rows ? ",\n  " : "  ", pr->out);
    sess_json_row(pr->out, r);
}

static const char text_head[] = "%6s  %-16s %-19s  %-19s  %8s  %9s  %-11s  %6s  %6s  %-18s  %s\n";

static void print_row_text(struct printer *pr, const struct sess_record *r)
{
    char start[32], end[32], dur[32], kwh[48], peak[24], mean[24];
    struct sess_val d;
    sess_col_get(r, SESS_COL_DURATION, &d);
    snprintf(dur, sizeof(dur), "%" PRId64 ":%02d", d.i / 3600, (int)(d.i / 60 % 60));
    snprintf(kwh, sizeof(kwh), "%" PRIu64 ".%03u", r->energy_wh / 1000,
             (unsigned)(r->energy_wh % 1000));
    snprintf(peak, sizeof(peak), "%.1f", r->peak_ma / 1000.0);
    snprintf(mean, sizeof(mean), "%.1f", r->mean_ma / 1000.0);
    fprintf(pr->out, "%6" PRId64 "  ", r->id);
    amp_text_put(pr->out, r->charger);
    fprintf(pr->out, "%*s %-19s  %-19s  %8s  %9s  %-11s  %6s  %6s  ",
            (int)(16 - (strlen(r->charger) < 16 ? strlen(r->charger) : 16)), "",
            sess_fmt_time(r->start_s, false, start, sizeof(start)),
            sess_record_is_open(r) ? "(open)" : sess_fmt_time(r->end_s, false, end, sizeof(end)), dur, kwh,
            sess_energy_source_name(r->energy_source), peak, mean);
    /* the car, or who started the session (an OCPP charger's id tag) */
    const char *who = r->vin[0] ? r->vin : r->id_tag;
    if (who[0]) {
        amp_text_put(pr->out, who);
    } else {
        fputc('-', pr->out);
    }
    fprintf(pr->out, "%*s  %s\n", (int)(18 - (strlen(who) < 18 ? (who[0] ? strlen(who) : 1) : 18)),
            "",
            sess_record_is_open(r) ? "-" : sess_end_reason_name(r->end_reason));
}

static int on_row(void *ctx, const struct sess_record *r)
{
    struct printer *pr = ctx;
    switch (pr->fmt) {
    case FMT_TEXT:
        print_row_text(pr, r);
        break;
    case FMT_CSV:
        print_row_csv(pr, r);
        break;
    case FMT_JSON:
        print_row_json(pr, r);
        break;
    }
    pr->rows++;
    return 0;
}

static void print_head(struct printer *pr)
{
    if (pr->fmt == FMT_TEXT) {
        fprintf(pr->out, text_head, "ID", "CHARGER", "START (UTC)", "END (UTC)", "H:MM", "kWh",
                "SOURCE", "PEAK A", "MEAN A", "VIN/TAG", "ENDED");
    } else if (pr->fmt == FMT_CSV) {
        for (int c = 0; c < SESS_COL_COUNT; c++) {
            fprintf(pr->out, "%s%s", c ? "," : "", sess_col_key[c]);
        }
        fputs("\r\n", pr->out);
    } else {
        fputs("[\n", pr->out);
    }
}

static void print_tail(struct printer *pr)
{
    if (pr->fmt == FMT_JSON) {
        fputs(pr->rows ? "\n]\n" : "]\n", pr->out);
    } else if (pr->fmt == FMT_TEXT && pr->rows == 0) {
        fputs("(no sessions)\n", pr->out);
    }
}

/* The file to read: --db, else [sessions] db of --config (or the default config when it
 * exists), else the default. Returns CMD_EXIT_OK or CMD_EXIT_FAIL after a message. */
static int find_db(const char *db, const char *config, char *path, size_t cap)
{
    if (db) {
        snprintf(path, cap, "%s", db);
        return CMD_EXIT_OK;
    }
    snprintf(path, cap, "%s", CFG_DEFAULT_SESSION_DB);
    if (!config && access(DEFAULT_CONFIG, R_OK) != 0) {
        return CMD_EXIT_OK;
    }
    const char *file = config ? config : DEFAULT_CONFIG;
    struct config *cfg = malloc(sizeof(*cfg));
    struct cfg_diag *diag = malloc(sizeof(*diag));
    int rc = CMD_EXIT_FAIL;
    if (!cfg || !diag) {
        fprintf(stderr, "ampshare sessions: out of memory\n");
        goto out;
    }
    cfg_init(cfg);
    cfg_diag_init(diag);
    if (cfg_parse_file(file, cfg, diag) != 0) {
        for (size_t i = 0; i < diag->n; i++) {
            fprintf(stderr, "%s\n", diag->item[i].text);
        }
    } else {
        if (cfg->sessions.db.line > 0) {
            snprintf(path, cap, "%s", cfg->sessions.db.s);
        }
        rc = CMD_EXIT_OK;
    }
    cfg_free(cfg);
out:
    free(cfg);
    free(diag);
    return rc;
}

int cmd_sessions(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    const char *db = NULL, *config = NULL, *since = NULL, *v;
    struct sess_filter filter = {0};
    enum format fmt = FMT_TEXT;
    int n_fmt = 0;
    for (int i = 1; i < argc; i++) {
        if ((v = cmd_opt_value(argc, argv, &i, "--db"))) {
            db = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--config"))) {
            config = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--since"))) {
            since = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--charger"))) {
            filter.charger = v;
        } else if (strcmp(argv[i], "--csv") == 0) {
            fmt = FMT_CSV, n_fmt++;
        } else if (strcmp(argv[i], "--json") == 0) {
            fmt = FMT_JSON, n_fmt++;
        } else {
            fprintf(stderr, "ampshare sessions: unknown option or missing value '%s'\n", argv[i]);
            usage(stderr);
            return CMD_EXIT_USAGE;
        }
    }
    if (n_fmt > 1) {
        fprintf(stderr, "ampshare sessions: --csv and --json exclude each other\n");
        return CMD_EXIT_USAGE;
    }
    if (since && sess_parse_since(since, &filter.since_s) != 0) {
        fprintf(stderr,
                "ampshare sessions: --since '%s' is not YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] or "
                "@UNIX-SECONDS\n",
                since);
        return CMD_EXIT_USAGE;
    }
    char path[CFG_TEXT_MAX + 1];
    int rc = find_db(db, config, path, sizeof(path));
    if (rc != CMD_EXIT_OK) {
        return rc;
    }
    char err[SESS_ERR_MAX + CFG_TEXT_MAX];
    struct sess_reader *r = NULL;
    if (sess_reader_open(path, &r, err, sizeof(err)) != 0) {
        fprintf(stderr, "ampshare sessions: %s\n", err);
        return CMD_EXIT_FAIL;
    }
    struct printer pr = {.out = stdout, .fmt = fmt};
    print_head(&pr);
    rc = sess_reader_each(r, &filter, on_row, &pr, err, sizeof(err));
    print_tail(&pr);
    sess_reader_free(r);
    if (rc != 0) {
        fprintf(stderr, "ampshare sessions: %s\n", err);
        return CMD_EXIT_FAIL;
    }
    return fflush(stdout) == 0 ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}
