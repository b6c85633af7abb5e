/* SPDX-License-Identifier: MIT */
/*
 * INI text -> struct config. inih does the tokenising; our line reader in front of it counts
 * lines (so every key knows its line), creates sections as their headers pass (so empty
 * sections exist too) and reports what inih would silently accept: indented continuation lines,
 * over-long lines, ':' separators. Values are parsed by a per-section key table.
 */
#include "controller/engine/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "controller/engine/config_internal.h"
#include "drivers/base/amp_text.h"
#include "drivers/transport/tp_addr.h"

enum sect_kind {
    SECT_NONE = 0,
    SECT_SITE,
    SECT_POLICY,
    SECT_CIRCUIT,
    SECT_BUS,
    SECT_WC,
    SECT_METER,
    SECT_EVSE,
    SECT_HTTP,
    SECT_MQTT,
    SECT_OCPP,
    SECT_SESSIONS,
    SECT_BAD, /* an unknown or malformed header: its keys are skipped (one error is enough) */
};

enum key_type {
    K_NAME = 1,
    K_TEXT,
    K_TRANSPORT,
    K_MA,
    K_MA3,
    K_U32,
    K_I32,
    K_PMAP,
    K_ADDR_AUTO, /* a TWC ID or auto */
    K_MEASURES,
};

struct key_def {
    const char *key;
    enum key_type type;
    size_t off;
    int64_t min, max; /* K_U32 / K_I32 */
};

#define KD(k, t, s, f, lo, hi)              \
    {                                       \
        k, t, offsetof(struct s, f), lo, hi \
    }

/* clang-format off */
static const struct key_def site_keys[] = {
    KD("name", K_NAME, cfg_site, name, 0, 0),
    KD("supply_limit_a", K_MA3, cfg_site, supply_limit, 0, 0),
    KD("phases", K_U32, cfg_site, phases, 1, 3),
    KD("voltage_v", K_U32, cfg_site, voltage, 100, 480),
    KD("min_current_a", K_MA, cfg_site, min_current, 0, 0),
    KD("charging_threshold_a", K_MA, cfg_site, charging_threshold, 0, 0),
    KD("overcommit_a", K_MA, cfg_site, overcommit, 0, 0),
    KD("ramp_up_a_per_s", K_MA, cfg_site, ramp_up, 0, 0),
    KD("control_interval_ms", K_U32, cfg_site, control_interval, 100, 60000),
    KD("shutdown_current_a", K_MA, cfg_site, shutdown_current, 0, 0),
    KD("status_socket", K_TEXT, cfg_site, status_socket, 0, 0),
};
static const struct key_def circuit_keys[] = {
    KD("parent", K_NAME, cfg_circuit, parent, 0, 0),
    KD("limit_a", K_MA3, cfg_circuit, limit, 0, 0),
    KD("phases", K_U32, cfg_circuit, phases, 1, 3),
    KD("phase", K_PMAP, cfg_circuit, phase, 0, 0),
    KD("overcommit_a", K_MA, cfg_circuit, overcommit, 0, 0),
};
static const struct key_def bus_keys[] = {
    KD("transport", K_TRANSPORT, cfg_bus, transport, 0, 0),
    KD("master_address", K_ADDR_AUTO, cfg_bus, master_address, 0, 0),
    KD("stale_timeout_ms", K_U32, cfg_bus, stale_timeout, 500, 600000),
};
static const struct key_def wc_keys[] = {
    KD("bus", K_NAME, cfg_wc, bus, 0, 0),
    KD("address", K_ADDR_AUTO, cfg_wc, address, 0, 0),
    KD("circuit", K_NAME, cfg_wc, circuit, 0, 0),
    KD("max_current_a", K_MA, cfg_wc, max_current, 0, 0),
    KD("min_current_a", K_MA, cfg_wc, min_current, 0, 0),
    KD("phases", K_U32, cfg_wc, phases, 1, 3),
    KD("phase_map", K_PMAP, cfg_wc, phase_map, 0, 0),
    KD("priority", K_I32, cfg_wc, priority, -1000, 1000),
    KD("stale_current_a", K_MA, cfg_wc, stale_current, 0, 0),
};
static const struct key_def meter_keys[] = {
    KD("transport", K_TRANSPORT, cfg_meter, transport, 0, 0),
    KD("unit_id", K_U32, cfg_meter, unit_id, 0, 255),
    KD("map", K_TEXT, cfg_meter, map, 0, 0),
    KD("measures", K_MEASURES, cfg_meter, measures, 0, 0),
    KD("phase_map", K_PMAP, cfg_meter, phase_map, 0, 0),
    KD("poll_interval_ms", K_U32, cfg_meter, poll_interval, 100, 600000),
    KD("stale_timeout_ms", K_U32, cfg_meter, stale_timeout, 500, 600000),
    KD("stale_current_a", K_MA, cfg_meter, stale_current, 0, 0),
};
static const struct key_def http_keys[] = {
    KD("listen", K_TEXT, cfg_http, listen, 0, 0),
    KD("token_file", K_TEXT, cfg_http, token_file, 0, 0),
    KD("history_interval_ms", K_U32, cfg_http, history_interval, 100, 600000),
};
static const struct key_def mqtt_keys[] = {
    KD("url", K_TEXT, cfg_mqtt, url, 0, 0),
    KD("ca_file", K_TEXT, cfg_mqtt, ca_file, 0, 0),
    KD("client_id", K_TEXT, cfg_mqtt, client_id, 0, 0),
    KD("credentials_file", K_TEXT, cfg_mqtt, credentials_file, 0, 0),
    KD("prefix", K_TEXT, cfg_mqtt, prefix, 0, 0),
    KD("discovery_prefix", K_TEXT, cfg_mqtt, discovery_prefix, 0, 0),
    KD("commands", K_TEXT, cfg_mqtt, commands, 0, 0),
    KD("qos", K_U32, cfg_mqtt, qos, 0, 1),
    KD("keepalive_s", K_U32, cfg_mqtt, keepalive, 5, 3600),
    KD("interval_s", K_U32, cfg_mqtt, interval, 1, 3600),
};
static const struct key_def ocpp_keys[] = {
    KD("listen", K_TEXT, cfg_ocpp, listen, 0, 0),
    KD("certificate", K_TEXT, cfg_ocpp, certificate, 0, 0),
    KD("key", K_TEXT, cfg_ocpp, key, 0, 0),
    KD("credentials_file", K_TEXT, cfg_ocpp, credentials_file, 0, 0),
    KD("id_tags", K_TEXT, cfg_ocpp, id_tags, 0, 0),
    KD("heartbeat_s", K_U32, cfg_ocpp, heartbeat, 10, 86400),
    KD("meter_interval_s", K_U32, cfg_ocpp, meter_interval, 1, 3600),
};
static const struct key_def evse_keys[] = {
    KD("meter", K_NAME, cfg_evse, meter, 0, 0),
    KD("control", K_TEXT, cfg_evse, control, 0, 0),
    KD("control_transport", K_TRANSPORT, cfg_evse, control_transport, 0, 0),
    KD("control_unit_id", K_U32, cfg_evse, control_unit_id, 0, 255),
    KD("control_map", K_TEXT, cfg_evse, control_map, 0, 0),
    KD("ocpp_id", K_TEXT, cfg_evse, ocpp_id, 0, 0),
    KD("connector", K_U32, cfg_evse, connector, 1, 100),
    KD("circuit", K_NAME, cfg_evse, circuit, 0, 0),
    KD("max_current_a", K_MA, cfg_evse, max_current, 0, 0),
    KD("min_current_a", K_MA, cfg_evse, min_current, 0, 0),
    KD("step_a", K_MA, cfg_evse, step, 0, 0),
    KD("phases", K_U32, cfg_evse, phases, 1, 3),
    KD("phase_map", K_PMAP, cfg_evse, phase_map, 0, 0),
    KD("priority", K_I32, cfg_evse, priority, -1000, 1000),
    KD("stale_current_a", K_MA, cfg_evse, stale_current, 0, 0),
};
static const struct key_def sessions_keys[] = {
    KD("db", K_TEXT, cfg_sessions, db, 0, 0),
    KD("flush_interval_ms", K_U32, cfg_sessions, flush_interval, 1000, 3600000),
};
/* clang-format on */

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

struct sect_def {
    const char *word;
    enum sect_kind kind;
    bool named;
    const struct key_def *keys;
    size_t n_keys;
};

static const struct sect_def sect_defs[] = {
    {"site", SECT_SITE, false, site_keys, NKEYS(site_keys)},
    {"policy", SECT_POLICY, false, NULL, 0},
    {"circuit", SECT_CIRCUIT, true, circuit_keys, NKEYS(circuit_keys)},
    {"bus", SECT_BUS, true, bus_keys, NKEYS(bus_keys)},
    {"wallconnector", SECT_WC, true, wc_keys, NKEYS(wc_keys)},
    {"meter", SECT_METER, true, meter_keys, NKEYS(meter_keys)},
    {"evse", SECT_EVSE, true, evse_keys, NKEYS(evse_keys)},
    {"http", SECT_HTTP, false, http_keys, NKEYS(http_keys)},
    {"mqtt", SECT_MQTT, false, mqtt_keys, NKEYS(mqtt_keys)},
    {"ocpp", SECT_OCPP, false, ocpp_keys, NKEYS(ocpp_keys)},
    {"sessions", SECT_SESSIONS, false, sessions_keys, NKEYS(sessions_keys)},
};

struct parse_ctx {
    const char *text;
    size_t pos, len;
    int line;     /* number of the line last handed to inih */
    int max_line; /* the buffer inih reads into */
    struct config *cfg;
    struct cfg_diag *diag;
    enum sect_kind kind;
    const struct sect_def *def;
    size_t index;                  /* into the kind's array */
    char label[CFG_NAME_MAX + 24]; /* "[circuit garage]" */
    size_t n_sections;
    bool nomem;
};

void cfg_init(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
}

static void kv_free(struct cfg_kvlist *l)
{
    free(l->kv);
    memset(l, 0, sizeof(*l));
}

void cfg_free(struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_meter; i++) {
        kv_free(&cfg->meter[i].map_keys);
    }
    for (size_t i = 0; i < cfg->n_evse; i++) {
        kv_free(&cfg->evse[i].control_keys);
    }
    kv_free(&cfg->policy.options);
    free(cfg->circuit);
    free(cfg->bus);
    free(cfg->wc);
    free(cfg->meter);
    free(cfg->evse);
    cfg_init(cfg);
}

void cfg_diag_init(struct cfg_diag *diag)
{
    memset(diag, 0, sizeof(*diag));
}

void cfg_diag_add(
    struct cfg_diag *diag, bool warning, const char *file, int line, const char *fmt, ...)
{
    if (line < 0) {
        return; /* about a value already reported as unparsable */
    }
    if (warning) {
        diag->warnings++;
    } else {
        diag->errors++;
    }
    if (diag->n >= CFG_DIAG_MAX) {
        diag->dropped++;
        return;
    }
    struct cfg_diag_item *it = &diag->item[diag->n++];
    it->warning = warning;
    it->line = line;
    int n = line > 0 ? snprintf(it->text, sizeof(it->text), "%s:%d: ", file, line)
                     : snprintf(it->text, sizeof(it->text), "%s: ", file);
    if (n < 0 || (size_t)n >= sizeof(it->text)) {
        return;
    }
    if (warning && (size_t)n + 9 < sizeof(it->text)) {
        memcpy(it->text + n, "warning: ", 9);
        n += 9;
    }
    /* Messages quote the file's own text: its control characters and terminal escapes are
     * shown as \xNN, never passed raw to a terminal, a log or JSON. */
    char raw[CFG_DIAG_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    amp_text_safe(raw, it->text + n, sizeof(it->text) - (size_t)n);
}

int cfg_parse_listen(const char *text, struct cfg_listen *out)
{
    const char *host = text, *colon;
    size_t hl;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':') {
            return -EINVAL;
        }
        host = text + 1;
        hl = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon || strchr(text, ':') != colon) {
            return -EINVAL;
        }
        hl = (size_t)(colon - text);
    }
    if (!hl || hl >= sizeof(out->host)) {
        return -EINVAL;
    }
    char h[sizeof(out->host)];
    memcpy(h, host, hl);
    h[hl] = '\0';
    unsigned char addr[16];
    if (inet_pton(AF_INET, h, addr) != 1 && inet_pton(AF_INET6, h, addr) != 1) {
        return -EINVAL;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535) {
        return -EINVAL;
    }
    memcpy(out->host, h, hl + 1);
    out->port = (uint16_t)port;
    return 0;
}

int cfg_parse_amps(const char *text, int32_t *out_ma)
{
    const char *s = text;
    int64_t whole = 0, frac = 0;
    int digits = 0, decimals = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        if (whole > 100000) {
            return -ERANGE;
        }
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, decimals++) {
            if (decimals == 3) {
                return -EINVAL;
            }
            frac = frac * 10 + (*s - '0');
        }
    }
    if (*s || (digits == 0 && decimals == 0)) {
        return -EINVAL;
    }
    for (; decimals < 3; decimals++) {
        frac *= 10;
    }
    int64_t ma = whole * 1000 + frac;
    if (ma > 1000000) {
        return -ERANGE;
    }
    *out_ma = (int32_t)ma;
    return 0;
}

const char *cfg_fmt_amps(int32_t ma, char *buf, size_t cap)
{
    int32_t a = ma < 0 ? -ma : ma;
    int32_t frac = a % 1000;
    if (frac == 0) {
        snprintf(buf, cap, "%s%d", ma < 0 ? "-" : "", a / 1000);
    } else if (frac % 100 == 0) {
        snprintf(buf, cap, "%s%d.%d", ma < 0 ? "-" : "", a / 1000, frac / 100);
    } else if (frac % 10 == 0) {
        snprintf(buf, cap, "%s%d.%02d", ma < 0 ? "-" : "", a / 1000, frac / 10);
    } else {
        snprintf(buf, cap, "%s%d.%03d", ma < 0 ? "-" : "", a / 1000, frac);
    }
    return buf;
}

const struct cfg_kv *cfg_kv_find(const struct cfg_kvlist *list, const char *key)
{
    for (size_t i = 0; i < list->n; i++) {
        if (strcmp(list->kv[i].key, key) == 0) {
            return &list->kv[i];
        }
    }
    return NULL;
}

static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) {
        return true;
    }
    size_t ncap = *cap ? *cap * 2 : 8;
    if (ncap > SIZE_MAX / elem) {
        return false;
    }
    void *p = realloc(*arr, ncap * elem);
    if (!p) {
        return false;
    }
    memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
    *arr = p;
    *cap = ncap;
    return true;
}

static bool name_is_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= CFG_NAME_MAX) {
        return false;
    }
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.')) {
            return false;
        }
    }
    return true;
}

static void perr(struct parse_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void perr(struct parse_ctx *x, const char *fmt, ...)
{
    char msg[CFG_DIAG_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg_diag_add(x->diag, false, x->cfg->file, x->line, "%s", msg);
}

/* Returns the name of an existing section of this kind, to refuse duplicates; -1 if none. */
static int find_section_line(const struct config *cfg, enum sect_kind kind, const char *name)
{
#define FIND(arr, n)                            \
    for (size_t i = 0; i < (n); i++) {          \
        if (strcmp((arr)[i].name, name) == 0) { \
            return (arr)[i].line;               \
        }                                       \
    }
    switch (kind) {
    case SECT_CIRCUIT:
        FIND(cfg->circuit, cfg->n_circuit);
        break;
    case SECT_BUS:
        FIND(cfg->bus, cfg->n_bus);
        break;
    case SECT_WC:
        FIND(cfg->wc, cfg->n_wc);
        break;
    case SECT_METER:
        FIND(cfg->meter, cfg->n_meter);
        break;
    case SECT_EVSE:
        FIND(cfg->evse, cfg->n_evse);
        break;
    default:
        break;
    }
#undef FIND
    return -1;
}

/* Every named section starts with the line of its header, then its name. */
_Static_assert(offsetof(struct cfg_circuit, name) == offsetof(struct cfg_bus, name), "layout");
_Static_assert(offsetof(struct cfg_circuit, name) == offsetof(struct cfg_wc, name), "layout");
_Static_assert(offsetof(struct cfg_circuit, name) == offsetof(struct cfg_meter, name), "layout");
_Static_assert(offsetof(struct cfg_circuit, name) == offsetof(struct cfg_evse, name), "layout");
_Static_assert(offsetof(struct cfg_circuit, line) == 0 && offsetof(struct cfg_evse, line) == 0,
               "layout");

/* Appends a zeroed section of kind to cfg; sets x->index. */
static bool add_section(struct parse_ctx *x, enum sect_kind kind, const char *name)
{
    struct config *c = x->cfg;
    void **arr;
    size_t *n, *cap, elem;
    switch (kind) {
    case SECT_CIRCUIT:
        arr = (void **)&c->circuit, n = &c->n_circuit, cap = &c->cap_circuit;
        elem = sizeof(*c->circuit);
        break;
    case SECT_BUS:
        arr = (void **)&c->bus, n = &c->n_bus, cap = &c->cap_bus, elem = sizeof(*c->bus);
        break;
    case SECT_WC:
        arr = (void **)&c->wc, n = &c->n_wc, cap = &c->cap_wc, elem = sizeof(*c->wc);
        break;
    case SECT_METER:
        arr = (void **)&c->meter, n = &c->n_meter, cap = &c->cap_meter;
        elem = sizeof(*c->meter);
        break;
    case SECT_EVSE:
        arr = (void **)&c->evse, n = &c->n_evse, cap = &c->cap_evse, elem = sizeof(*c->evse);
        break;
    default:
        return false;
    }
    if (!grow(arr, cap, *n, elem)) {
        x->nomem = true;
        return false;
    }
    /* Every named section starts with int line, then char name[CFG_NAME_MAX]. */
    char *s = (char *)*arr + *n * elem;
    int *line = (int *)(void *)s;
    *line = x->line;
    char *nm = s + offsetof(struct cfg_circuit, name);
    snprintf(nm, CFG_NAME_MAX, "%s", name);
    x->index = (*n)++;
    return true;
}

static void *section_base(const struct parse_ctx *x)
{
    struct config *c = x->cfg;
    switch (x->kind) {
    case SECT_SITE:
        return &c->site;
    case SECT_POLICY:
        return &c->policy;
    case SECT_HTTP:
        return &c->http;
    case SECT_MQTT:
        return &c->mqtt;
    case SECT_OCPP:
        return &c->ocpp;
    case SECT_SESSIONS:
        return &c->sessions;
    case SECT_CIRCUIT:
        return &c->circuit[x->index];
    case SECT_BUS:
        return &c->bus[x->index];
    case SECT_WC:
        return &c->wc[x->index];
    case SECT_METER:
        return &c->meter[x->index];
    case SECT_EVSE:
        return &c->evse[x->index];
    default:
        return NULL;
    }
}

_Static_assert(offsetof(struct cfg_site, line) == 0 && offsetof(struct cfg_policy, line) == 0 &&
                   offsetof(struct cfg_sessions, line) == 0 && offsetof(struct cfg_ocpp, line) == 0 &&
                   offsetof(struct cfg_http, line) == 0 && offsetof(struct cfg_mqtt, line) == 0,
               "layout");

/* Handles a "[...]" line: body is what lies between the brackets. */
static void open_section(struct parse_ctx *x, const char *body)
{
    char word[32] = "", name[256] = "", extra[8] = "";
    x->kind = SECT_BAD;
    x->def = NULL;
    snprintf(x->label, sizeof(x->label), "[%.*s]", CFG_NAME_MAX + 20, body);
    if (++x->n_sections > CFG_SECTIONS_MAX) {
        perr(x, "more than %d sections", CFG_SECTIONS_MAX);
        return;
    }
    int n = sscanf(body, "%31s %255s %7s", word, name, extra);
    const struct sect_def *def = NULL;
    for (size_t i = 0; n >= 1 && i < sizeof(sect_defs) / sizeof(sect_defs[0]); i++) {
        if (strcmp(word, sect_defs[i].word) == 0) {
            def = &sect_defs[i];
        }
    }
    if (!def) {
        perr(x,
             "unknown section [%s] (expected site, policy, circuit, bus, wallconnector, meter, "
             "evse, http, mqtt, sessions or ocpp)",
             body);
        return;
    }
    if (!def->named) {
        if (n != 1) {
            perr(x, "[%s] takes no name", word);
            return;
        }
        /* Every unnamed section's struct starts with the line of its header. */
        x->kind = def->kind;
        int *line = section_base(x);
        if (*line) {
            perr(x, "[%s] given twice (first at line %d)", word, *line);
            x->kind = SECT_BAD;
            return;
        }
        *line = x->line;
        x->def = def;
        return;
    }
    if (n != 2 || !name_is_valid(name)) {
        perr(x, "[%s] needs one name of letters, digits, '_', '-' or '.' (at most %d characters)",
             body, CFG_NAME_MAX - 1);
        return;
    }
    if (def->kind == SECT_CIRCUIT && strcmp(name, "supply") == 0) {
        perr(x, "[circuit supply]: 'supply' is the site's own name for its root; pick another");
        return;
    }
    int prev = find_section_line(x->cfg, def->kind, name);
    if (prev >= 0) {
        perr(x, "[%s %s] given twice (first at line %d)", word, name, prev);
        return;
    }
    if (!add_section(x, def->kind, name)) {
        return;
    }
    x->kind = def->kind;
    x->def = def;
}

/* The line reader inih calls: one physical line per call, with our checks in front. */
static char *read_line(char *str, int num, void *stream)
{
    struct parse_ctx *x = stream;
    if (x->pos >= x->len || num < 4) {
        return NULL;
    }
    const char *p = x->text + x->pos;
    const char *line_start = p;
    const char *nl = memchr(p, '\n', x->len - x->pos);
    size_t len = nl ? (size_t)(nl - p) : x->len - x->pos;
    x->pos += len + (nl ? 1 : 0);
    x->line++;
    if (x->line == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3, len -= 3; /* a UTF-8 byte order mark */
    }
    if (len && p[len - 1] == '\r') {
        len--;
    }
    /* Leading blanks are dropped: inih would take an indented line as the continuation of the
     * previous value, which is never what an indented key means here. */
    while (len && (*p == ' ' || *p == '\t')) {
        p++, len--;
    }
    size_t bad = 0;
    const char *nul = memchr(p, '\0', len);
    if (nul) {
        /* a NUL would end the line for inih, silently dropping the rest (a key, a section) */
        perr(x, "NUL byte at column %zu: a config file is text", (size_t)(nul - line_start) + 1);
        len = 0;
    } else if (amp_utf8_check((const uint8_t *)p, len, &bad) < 0) {
        perr(x, "invalid UTF-8 at column %zu (byte 0x%02x)", (size_t)(p - line_start) + bad + 1,
             (unsigned char)p[bad]);
        len = 0;
    } else if (len > (size_t)num - 2) {
        perr(x, "line longer than %d characters", num - 2);
        len = 0;
    }
    memcpy(str, p, len);
    str[len] = '\0';
    if (len == 0 || str[0] == ';' || str[0] == '#') {
        return str;
    }
    if (str[0] == '[') {
        char *end = strchr(str, ']');
        const char *rest = end ? end + 1 : "";
        while (*rest == ' ' || *rest == '\t') {
            rest++;
        }
        if (!end || (*rest && *rest != ';' && *rest != '#')) {
            perr(x, "malformed section header '%s'", str);
            x->kind = SECT_BAD;
            str[0] = '\0';
            return str;
        }
        *end = '\0';
        open_section(x, str + 1);
        *end = ']';
        return str;
    }
    size_t sep = strcspn(str, "=:");
    if (str[sep] != '=') {
        perr(x, "expected 'key = value', got '%s'", str);
        str[0] = '\0';
    }
    return str;
}

static void copy_text(char *dst, size_t cap, const char *src, struct parse_ctx *x, const char *key)
{
    if (strlen(src) >= cap) {
        perr(x, "%s %s: value longer than %zu characters", x->label, key, cap - 1);
    }
    snprintf(dst, cap, "%s", src);
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10) {
            return false;
        }
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v > max) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_phase(const char *s, size_t n, uint8_t *ph)
{
    if (n == 2 && (s[0] == 'L' || s[0] == 'l') && s[1] >= '1' && s[1] <= '3') {
        *ph = (uint8_t)(s[1] - '1');
        return true;
    }
    return false;
}

/* Splits a comma list ("a, b,c") into at most 3 trimmed items; returns the count or -1. */
static int split3(const char *v, const char *item[3], size_t len[3])
{
    int n = 0;
    const char *p = v;
    for (;;) {
        while (*p == ' ') {
            p++;
        }
        const char *e = p + strcspn(p, ",");
        const char *t = e;
        while (t > p && t[-1] == ' ') {
            t--;
        }
        if (n == 3 || t == p) {
            return -1;
        }
        item[n] = p;
        len[n] = (size_t)(t - p);
        n++;
        if (*e != ',') {
            return n;
        }
        p = e + 1;
    }
}

static void amps_error(struct parse_ctx *x, const char *key, const char *v, int rc)
{
    if (rc == -ERANGE) {
        perr(x, "%s %s: '%s' is above 1000 A", x->label, key, v);
    } else {
        perr(x, "%s %s: '%s' is not a current in amps (up to 3 decimals)", x->label, key, v);
    }
}

static bool parse_typed(struct parse_ctx *x, const struct key_def *kd, void *field, const char *v)
{
    const char *key = kd->key;
    switch (kd->type) {
    case K_NAME: {
        struct cfg_name *f = field;
        if (!name_is_valid(v)) {
            perr(x, "%s %s: '%s' is not a section name", x->label, key, v);
            return false;
        }
        snprintf(f->s, sizeof(f->s), "%s", v);
        f->line = x->line;
        return true;
    }
    case K_TEXT:
    case K_TRANSPORT: {
        struct cfg_text *f = field;
        if (kd->type == K_TRANSPORT) {
            struct tp_addr a;
            char msg[160];
            if (tp_addr_parse(v, &a, msg, sizeof(msg)) != 0) {
                perr(x, "%s %s: %s", x->label, key, msg);
                return false;
            }
        }
        copy_text(f->s, sizeof(f->s), v, x, key);
        f->line = x->line;
        return true;
    }
    case K_MA: {
        struct cfg_ma *f = field;
        int rc = cfg_parse_amps(v, &f->ma);
        if (rc) {
            amps_error(x, key, v, rc);
            return false;
        }
        f->line = x->line;
        return true;
    }
    case K_MA3: {
        struct cfg_ma3 *f = field;
        const char *item[3];
        size_t len[3];
        int n = split3(v, item, len);
        if (n != 1 && n != 3) {
            perr(x, "%s %s: '%s' must be one current or three (L1,L2,L3)", x->label, key, v);
            return false;
        }
        for (int i = 0; i < n; i++) {
            char one[32];
            snprintf(one, sizeof(one), "%.*s", (int)(len[i] < 31 ? len[i] : 31), item[i]);
            int rc = len[i] > 31 ? -EINVAL : cfg_parse_amps(one, &f->ma[i]);
            if (rc) {
                amps_error(x, key, v, rc);
                return false;
            }
        }
        if (n == 1) {
            f->ma[1] = f->ma[2] = f->ma[0];
        }
        f->n = (uint8_t)n;
        f->line = x->line;
        return true;
    }
    case K_U32: {
        struct cfg_u32 *f = field;
        uint64_t u;
        if (!parse_u64(v, UINT32_MAX, &u)) {
            perr(x, "%s %s: '%s' is not a whole number", x->label, key, v);
            return false;
        }
        if ((int64_t)u < kd->min || (int64_t)u > kd->max) {
            perr(x, "%s %s: %s is out of range %lld..%lld", x->label, key, v, (long long)kd->min,
                 (long long)kd->max);
            return false;
        }
        f->v = (uint32_t)u;
        f->line = x->line;
        return true;
    }
    case K_I32: {
        struct cfg_i32 *f = field;
        uint64_t u;
        bool neg = v[0] == '-';
        if (!parse_u64(v + neg, 1u << 30, &u)) {
            perr(x, "%s %s: '%s' is not a whole number", x->label, key, v);
            return false;
        }
        int64_t s = neg ? -(int64_t)u : (int64_t)u;
        if (s < kd->min || s > kd->max) {
            perr(x, "%s %s: %s is out of range %lld..%lld", x->label, key, v, (long long)kd->min,
                 (long long)kd->max);
            return false;
        }
        f->v = (int32_t)s;
        f->line = x->line;
        return true;
    }
    case K_PMAP: {
        struct cfg_pmap *f = field;
        const char *item[3];
        size_t len[3];
        int n = split3(v, item, len);
        uint8_t seen = 0;
        for (int i = 0; i < n; i++) {
            if (!parse_phase(item[i], len[i], &f->ph[i]) || (seen & (1u << f->ph[i]))) {
                n = -1;
                break;
            }
            seen |= (uint8_t)(1u << f->ph[i]);
        }
        if (n < 1) {
            perr(x, "%s %s: '%s' is not a phase list like L1 or L2,L3,L1 (each phase once)",
                 x->label, key, v);
            return false;
        }
        f->n = (uint8_t)n;
        f->line = x->line;
        return true;
    }
    case K_ADDR_AUTO: {
        struct cfg_addr *f = field;
        if (strcmp(v, "auto") == 0) {
            f->v = 0;
            f->is_auto = true;
            f->line = x->line;
            return true;
        }
        /* twc-gen2.md §4.1: an ID is two bytes, written as exactly four hex digits (as on the
         * unit's label and in captures); "28" or "1e3" is a typo, not 0028 or 01e3. */
        const char *h = (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) ? v + 2 : v;
        unsigned long a = strlen(h) == 4 && strspn(h, "0123456789abcdefABCDEF") == 4
                              ? strtoul(h, NULL, 16)
                              : 0x10000;
        if (a > 0xffff) {
            perr(x, "%s %s: '%s' is not a Wall Connector ID (4 hex digits or auto)", x->label, key,
                 v);
            return false;
        }
        f->v = (uint16_t)a;
        f->line = x->line;
        return true;
    }
    case K_MEASURES: {
        struct cfg_meter *m = &x->cfg->meter[x->index];
        const char *colon = strchr(v, ':');
        size_t wl = colon ? (size_t)(colon - v) : strlen(v);
        const char *target = colon ? colon + 1 : "";
        enum cfg_measures kind = CFG_MEASURES_NONE;
        if (wl == 4 && strncmp(v, "grid", 4) == 0 && !colon) {
            kind = CFG_MEASURES_GRID;
        } else if (wl == 7 && strncmp(v, "circuit", 7) == 0 && name_is_valid(target)) {
            kind = CFG_MEASURES_CIRCUIT;
        } else if (wl == 4 && strncmp(v, "evse", 4) == 0 && (!colon || name_is_valid(target))) {
            kind = CFG_MEASURES_EVSE;
        }
        if (kind == CFG_MEASURES_NONE) {
            perr(x, "%s %s: '%s' is not grid, circuit:NAME, evse or evse:NAME", x->label, key, v);
            return false;
        }
        m->measures_kind = kind;
        snprintf(m->measures_target, sizeof(m->measures_target), "%s", target);
        snprintf(m->measures.s, sizeof(m->measures.s), "%s", v);
        m->measures.line = x->line;
        return true;
    }
    }
    return false;
}

static void add_kv(struct parse_ctx *x, struct cfg_kvlist *l, const char *key, const char *v)
{
    const struct cfg_kv *prev = cfg_kv_find(l, key);
    if (prev) {
        perr(x, "%s %s: given twice (first at line %d)", x->label, key, prev->line);
        return;
    }
    if (strlen(key) >= CFG_KEY_MAX) {
        perr(x, "%s: key '%s' longer than %d characters", x->label, key, CFG_KEY_MAX - 1);
        return;
    }
    if (!grow((void **)&l->kv, &l->cap, l->n, sizeof(*l->kv))) {
        x->nomem = true;
        return;
    }
    struct cfg_kv *kv = &l->kv[l->n++];
    snprintf(kv->key, sizeof(kv->key), "%s", key);
    copy_text(kv->value, sizeof(kv->value), v, x, key);
    kv->line = x->line;
}

/* Where the line of a value of type t is kept. */
static int *line_of(enum key_type t, void *field)
{
    switch (t) {
    case K_NAME:
        return &((struct cfg_name *)field)->line;
    case K_TEXT:
    case K_TRANSPORT:
    case K_MEASURES:
        return &((struct cfg_text *)field)->line;
    case K_MA:
        return &((struct cfg_ma *)field)->line;
    case K_MA3:
        return &((struct cfg_ma3 *)field)->line;
    case K_U32:
        return &((struct cfg_u32 *)field)->line;
    case K_I32:
        return &((struct cfg_i32 *)field)->line;
    case K_PMAP:
        return &((struct cfg_pmap *)field)->line;
    case K_ADDR_AUTO:
        return &((struct cfg_addr *)field)->line;
    }
    return &((struct cfg_name *)field)->line;
}

/* inih's callback: returns 1 always, so parsing goes on and every error is collected. */
static int on_key(void *user, const char *section, const char *key, const char *value)
{
    struct parse_ctx *x = user;
    (void)section;
    if (x->nomem || x->kind == SECT_BAD) {
        return 1;
    }
    if (x->kind == SECT_NONE) {
        perr(x, "'%s' is outside any section", key);
        return 1;
    }
    if (value[0] == '\0') {
        perr(x, "%s %s: empty value", x->label, key);
        return 1;
    }
    if (x->kind == SECT_POLICY) {
        struct cfg_policy *p = &x->cfg->policy;
        struct cfg_text *t = strcmp(key, "name") == 0  ? &p->name
                             : strcmp(key, "dir") == 0 ? &p->dir
                                                       : NULL;
        if (t) {
            if (t->line) {
                perr(x, "%s %s: given twice (first at line %d)", x->label, key, t->line);
                return 1;
            }
            copy_text(t->s, sizeof(t->s), value, x, key);
            t->line = x->line;
        } else if (strcmp(key, "isolate") == 0 || strcmp(key, "timeout_ms") == 0) {
            /* the host's keys, never the policy's (docs/config.md) */
            bool iso = key[0] == 'i';
            struct cfg_u32 *f = iso ? &p->isolate : &p->timeout;
            uint64_t v = 0;
            if (f->line) {
                perr(x, "%s %s: given twice (first at line %d)", x->label, key, f->line);
            } else if (iso && strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
                perr(x, "%s isolate: '%s' is neither yes nor no", x->label, value);
            } else if (!iso && (!parse_u64(value, 60000, &v) || v < 10)) {
                perr(x, "%s timeout_ms: '%s' is not a whole number of ms from 10 to 60000",
                     x->label, value);
            } else {
                f->v = iso ? strcmp(value, "yes") == 0 : (uint32_t)v;
                f->line = x->line;
            }
        } else {
            add_kv(x, &p->options, key, value);
        }
        return 1;
    }
    const struct key_def *kd = NULL;
    for (size_t i = 0; i < x->def->n_keys; i++) {
        if (strcmp(x->def->keys[i].key, key) == 0) {
            kd = &x->def->keys[i];
        }
    }
    /* Keys that belong to the Modbus driver are kept as written: which ones exist depends on
     * the map or model named in the same section, perhaps further down, so cfg_validate checks
     * them (config_modbus.c). */
    if (!kd && x->kind == SECT_METER) {
        add_kv(x, &x->cfg->meter[x->index].map_keys, key, value);
        return 1;
    }
    if (!kd && x->kind == SECT_EVSE && strncmp(key, "control_", 8) == 0) {
        add_kv(x, &x->cfg->evse[x->index].control_keys, key, value);
        return 1;
    }
    if (!kd) {
        perr(x, "%s: unknown key '%s'", x->label, key);
        return 1;
    }
    char *field = (char *)section_base(x) + kd->off;
    int *line = line_of(kd->type, field);
    if (*line) {
        perr(x, "%s %s: given twice (first at line %d)", x->label, key, *line < 0 ? -*line : *line);
        return 1;
    }
    if (!parse_typed(x, kd, field, value)) {
        /* present but unusable: validation neither calls it missing nor checks its value */
        *line = -x->line;
    }
    return 1;
}

int cfg_parse_string(const char *text, const char *file, struct config *cfg, struct cfg_diag *diag)
{
    return cfg_parse_bytes(text, strlen(text), file, cfg, diag);
}

int cfg_parse_bytes(
    const char *text, size_t len, const char *file, struct config *cfg, struct cfg_diag *diag)
{
    struct parse_ctx x = {
        .text = text,
        .len = len,
        .cfg = cfg,
        .diag = diag,
    };
    size_t errors_before = diag->errors;
    snprintf(cfg->file, sizeof(cfg->file), "%s", file ? file : "(config)");
    /* The reader swallows every line inih could not parse, so inih itself reports no error. */
    int rc = ini_parse_stream(read_line, &x, on_key, &x);
    if (x.nomem || rc == -2) {
        return -ENOMEM;
    }
    if (rc > 0) {
        cfg_diag_add(diag, false, cfg->file, rc, "syntax error");
    }
    cfg_resolve_modbus(cfg);
    return diag->errors > errors_before ? -EINVAL : 0;
}

/* Reads the whole regular file at path into *out (len in *n, NUL added). -errno. */
static int read_regular(const char *path, char **out, size_t *n_out)
{
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer; it is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        return -errno;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return S_ISDIR(st.st_mode) ? -EISDIR : -ENOTSUP;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (cap - n < 4096) {
            char *nb = cap > (16u << 20) ? NULL : realloc(buf, cap ? cap * 2 : 8192);
            if (!nb) {
                rc = cap > (16u << 20) ? -EFBIG : -ENOMEM;
                break;
            }
            buf = nb;
            cap = cap ? cap * 2 : 8192;
        }
        ssize_t got = read(fd, buf + n, cap - n - 1);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            rc = got < 0 ? -errno : 0;
            break;
        }
        n += (size_t)got;
    }
    close(fd);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *n_out = n;
    return 0;
}

int cfg_parse_file(const char *path, struct config *cfg, struct cfg_diag *diag)
{
    snprintf(cfg->file, sizeof(cfg->file), "%s", path);
    char *buf = NULL;
    size_t n = 0;
    int rc = read_regular(path, &buf, &n);
    if (rc == -ENOTSUP) {
        cfg_diag_add(diag, false, path, 0,
                     "cannot read: not a regular file (a FIFO, socket or "
                     "device)");
        return rc;
    }
    if (rc < 0) {
        cfg_diag_add(diag, false, path, 0, "cannot read: %s", strerror(-rc));
        return rc;
    }
    rc = cfg_parse_bytes(buf, n, path, cfg, diag);
    free(buf);
    return rc;
}

int cfg_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
    struct cfg_diag *diag = malloc(sizeof(*diag));
    if (!diag) {
        return -ENOMEM;
    }
    cfg_diag_init(diag);
    int rc = cfg_parse_file(path, cfg, diag);
    if (rc == 0) {
        rc = cfg_validate(cfg, diag);
    }
    if (rc != 0 && err && errlen) {
        const char *first = "";
        for (size_t i = 0; i < diag->n; i++) {
            if (!diag->item[i].warning) {
                first = diag->item[i].text;
                break;
            }
        }
        snprintf(err, errlen, "%s", first[0] ? first : "cannot load the config");
    }
    if (rc != 0) {
        cfg_free(cfg);
    }
    free(diag);
    return rc;
}
