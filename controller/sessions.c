/* SPDX-License-Identifier: MIT */
/*
 * The session log's tracking side: one sess_track per charger on the caller's (the control
 * loop's) thread, and the decisions when to hand records to the file side (sess_db.h), inline
 * or through the writer thread (sess_writer.h). docs/sessions.md explains the durability
 * choices.
 */
#include "controller/sessions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/sess_db.h"
#include "controller/sess_track.h"
#include "controller/sess_writer.h"
#include "controller/sessions_internal.h"

struct sess_charger {
    struct sess_track track;
    bool dirty;   /* its open session changed since it was last handed over */
    uint64_t key; /* its open session's key (sess_db.h) */
};

/* A finished session not yet handed over (the file is failing, or the queue was full). */
struct sess_out {
    uint64_t key;
    struct sess_record rec;
};

struct sess_log {
    struct sess_track_cfg tcfg;
    uint32_t flush_ms, retry_ms;
    struct sess_charger *chg;
    size_t n_chg;
    struct sess_out *out; /* oldest first, at most SESS_PENDING_MAX */
    size_t n_out;
    uint64_t out_dropped;
    uint64_t last_key;
    struct sess_db *db;    /* inline: the file, written on this thread */
    struct sess_writer *w; /* threaded: the writer thread that owns the file */
    bool failing;          /* the last result was a failure: hand over at retry_at_ms */
    bool owed;             /* a hand-over did not fit the queue: finish it on the next call */
    uint64_t retry_at_ms;
    uint64_t flushed_ms; /* when progress was last handed over */
    uint64_t now_ms;     /* the latest time passed in */
    uint64_t seen_seq;   /* the writer's result already reported */
    char err[SESS_ERR_MAX];
};

static const char *const reason_names[SESS_END_COUNT] = {
    [SESS_END_UNPLUGGED] = "unplugged",
    [SESS_END_FULL] = "full",
    [SESS_END_CONTROLLER_RESTART] = "controller_restart",
    [SESS_END_FAULT] = "fault",
    [SESS_END_SHUTDOWN] = "shutdown",
};

static const char *const source_names[SESS_ENERGY_COUNT] = {
    [SESS_ENERGY_INTEGRATED] = "integrated",
    [SESS_ENERGY_TWC_COUNTER] = "twc_counter",
    [SESS_ENERGY_METER] = "meter",
};

const char *sess_end_reason_name(enum sess_end_reason r)
{
    return (unsigned)r < SESS_END_COUNT ? reason_names[r] : NULL;
}

const char *sess_energy_source_name(enum sess_energy_source s)
{
    return (unsigned)s < SESS_ENERGY_COUNT ? source_names[s] : NULL;
}

enum sess_end_reason sess_end_reason_parse(const char *s)
{
    for (int r = 1; s && r < SESS_END_COUNT; r++) {
        if (strcmp(s, reason_names[r]) == 0) {
            return (enum sess_end_reason)r;
        }
    }
    return SESS_END_NONE;
}

enum sess_energy_source sess_energy_source_parse(const char *s)
{
    for (int i = 0; s && i < SESS_ENERGY_COUNT; i++) {
        if (strcmp(s, source_names[i]) == 0) {
            return (enum sess_energy_source)i;
        }
    }
    return SESS_ENERGY_INTEGRATED;
}

/* The latest result of the file side. Never waits for I/O. */
static void fetch(const struct sess_log *log, struct sess_db_result *res)
{
    if (log->w) {
        sess_writer_result(log->w, res);
    } else {
        *res = *sess_db_result(log->db);
    }
    res->pending += log->n_out;
    res->dropped += log->out_dropped;
}

/* Takes a new result of the file side: a failure is returned once (for the caller to log) and
 * starts the retry wait; a success ends it. */
static int take_result(struct sess_log *log, uint64_t now_ms)
{
    struct sess_db_result res;
    fetch(log, &res);
    if (res.seq == log->seen_seq) {
        return 0;
    }
    log->seen_seq = res.seq;
    log->failing = res.rc < 0;
    if (res.rc < 0) {
        log->retry_at_ms = now_ms + log->retry_ms;
    }
    memcpy(log->err, res.err, sizeof(log->err));
    return res.rc;
}

static int put(struct sess_log *log, uint64_t key, const struct sess_record *rec)
{
    return log->w ? sess_writer_put(log->w, key, rec) : sess_db_put(log->db, key, rec);
}

/*
 * Hands every finished session and every changed open one over, then asks for a commit. What
 * does not fit the writer's queue stays here (owed) for the next call: the loop never waits.
 */
static void hand_over(struct sess_log *log, uint64_t now_ms)
{
    size_t i = 0;
    while (i < log->n_out && put(log, log->out[i].key, &log->out[i].rec) == 0) {
        i++;
    }
    memmove(log->out, log->out + i, (log->n_out - i) * sizeof(*log->out));
    log->n_out -= i;
    log->owed = log->n_out > 0;
    for (size_t k = 0; !log->owed && k < log->n_chg; k++) {
        struct sess_charger *c = &log->chg[k];
        if (c->dirty && c->track.open) {
            log->owed = put(log, c->key, &c->track.rec) != 0;
            c->dirty = log->owed;
        }
    }
    if (!log->owed && log->w) {
        log->owed = sess_writer_commit(log->w) != 0;
    } else if (!log->owed) {
        (void)sess_db_commit(log->db);
    }
    log->flushed_ms = now_ms;
}

/* Hands over when something is due and a retry, if one is waiting, is due too; returns a new
 * failure of the file side once. */
static int flush_if_due(struct sess_log *log, uint64_t now_ms, bool boundary)
{
    log->now_ms = now_ms;
    bool due = log->failing ? now_ms >= log->retry_at_ms
                            : boundary || log->owed || now_ms - log->flushed_ms >= log->flush_ms;
    if (due) {
        log->retry_at_ms = now_ms + log->retry_ms; /* a threaded result comes later */
        hand_over(log, now_ms);
    }
    return take_result(log, now_ms);
}

/* Waits until what was handed over is committed, handing over again whatever the writer's
 * queue could not take (owed) meanwhile. Blocks on a threaded log: shutdown and tests only. */
static int settle(struct sess_log *log, uint64_t now_ms)
{
    while (log->w && log->owed) {
        (void)sess_writer_sync(log->w); /* empties the queue */
        hand_over(log, now_ms);
    }
    if (log->w) {
        (void)sess_writer_sync(log->w);
    }
    (void)take_result(log, now_ms);
    struct sess_db_result res;
    fetch(log, &res);
    return res.rc;
}

/* Hands everything over and waits until it is committed (or failed). */
static int drain(struct sess_log *log, uint64_t now_ms)
{
    hand_over(log, now_ms);
    return settle(log, now_ms);
}

static void queue_finished(struct sess_log *log, uint64_t key, const struct sess_record *r)
{
    if (log->n_out == SESS_PENDING_MAX) {
        /* the file has been unwritable for a long time: keep the newest */
        memmove(log->out, log->out + 1, (SESS_PENDING_MAX - 1) * sizeof(*log->out));
        log->n_out--;
        log->out_dropped++;
    }
    log->out[log->n_out++] = (struct sess_out){.key = key, .rec = *r};
}

static bool names_are_valid(const char *const *name, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!name || !name[i] || strlen(name[i]) >= SESS_NAME_MAX) {
            return false;
        }
    }
    return true;
}

int sess_log_new(const struct sess_opts *o,
                 int64_t now_wall_s,
                 uint64_t now_ms,
                 struct sess_log **out)
{
    (void)now_wall_s;
    *out = NULL;
    if (!o || !o->path || !o->path[0] || !names_are_valid(o->charger, o->n_charger) ||
        o->flush_interval_ms < 1000 || o->retry_interval_ms < 1000) {
        return -EINVAL;
    }
    struct sess_log *log = calloc(1, sizeof(*log));
    if (!log) {
        return -ENOMEM;
    }
    log->chg = calloc(o->n_charger ? o->n_charger : 1, sizeof(*log->chg));
    log->out = calloc(SESS_PENDING_MAX, sizeof(*log->out));
    if (!log->chg || !log->out || sess_db_new(o->path, &log->db) != 0) {
        sess_log_free(log);
        return -ENOMEM;
    }
    log->n_chg = o->n_charger;
    log->tcfg.full_after_ms = o->full_after_ms;
    log->tcfg.nominal_voltage_v =
        o->nominal_voltage_v ? o->nominal_voltage_v : SESS_DEFAULT_VOLTAGE_V;
    log->flush_ms = o->flush_interval_ms;
    log->retry_ms = o->retry_interval_ms;
    log->flushed_ms = log->now_ms = now_ms;
    for (size_t i = 0; i < log->n_chg; i++) {
        sess_track_init(&log->chg[i].track);
        snprintf(log->chg[i].track.rec.charger, SESS_NAME_MAX, "%s", o->charger[i]);
    }
    /* opened here, before the loop runs: recovery and migration finish before the first tick */
    (void)sess_db_open(log->db);
    int rc = take_result(log, now_ms);
    if (o->threaded) {
        struct sess_db *db = log->db;
        log->db = NULL;
        if (sess_writer_new(db, &log->w) != 0) { /* it freed db */
            sess_log_free(log);
            return -ENOMEM;
        }
    }
    *out = log;
    return rc;
}

void sess_log_free(struct sess_log *log)
{
    if (!log) {
        return;
    }
    if (log->w || log->db) {
        (void)drain(log, log->now_ms);
    }
    sess_writer_free(log->w);
    sess_db_free(log->db);
    free(log->out);
    free(log->chg);
    free(log);
}

int sess_update(struct sess_log *log,
                int64_t now_wall_s,
                uint64_t now_ms,
                size_t charger_index,
                const struct sess_sample *s)
{
    if (!log || !s || charger_index >= log->n_chg || (unsigned)s->end_reason >= SESS_END_COUNT) {
        return -EINVAL;
    }
    struct sess_charger *c = &log->chg[charger_index];
    struct sess_record ended;
    int ev = sess_track_step(&c->track, &log->tcfg, now_wall_s, now_ms, s, &ended);
    if (ev & SESS_TRACK_ENDED) {
        queue_finished(log, c->key, &ended);
    }
    if (ev & SESS_TRACK_STARTED) {
        c->key = ++log->last_key;
    }
    c->dirty = c->track.open;
    return flush_if_due(log, now_ms, ev != 0);
}

int sess_log_set_chargers(
    struct sess_log *log, const char *const *name, size_t n, int64_t now_wall_s, uint64_t now_ms)
{
    if (!log || !names_are_valid(name, n)) {
        return -EINVAL;
    }
    struct sess_charger *chg = calloc(n ? n : 1, sizeof(*chg));
    bool *kept = calloc(log->n_chg ? log->n_chg : 1, sizeof(*kept));
    if (!chg || !kept) {
        free(chg);
        free(kept);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        sess_track_init(&chg[i].track);
        snprintf(chg[i].track.rec.charger, SESS_NAME_MAX, "%s", name[i]);
        for (size_t j = 0; j < log->n_chg; j++) {
            if (!kept[j] && strcmp(log->chg[j].track.rec.charger, name[i]) == 0) {
                chg[i] = log->chg[j];
                kept[j] = true;
                break;
            }
        }
    }
    bool ended = false;
    for (size_t j = 0; j < log->n_chg; j++) {
        struct sess_record rec;
        if (!kept[j] && sess_track_end(&log->chg[j].track, &log->tcfg, now_wall_s, now_ms,
                                       SESS_END_SHUTDOWN, &rec)) {
            queue_finished(log, log->chg[j].key, &rec);
            ended = true;
        }
    }
    free(kept);
    free(log->chg);
    log->chg = chg;
    log->n_chg = n;
    return flush_if_due(log, now_ms, ended);
}

int sess_flush(struct sess_log *log, int64_t now_wall_s, uint64_t now_ms)
{
    (void)now_wall_s;
    if (!log) {
        return -EINVAL;
    }
    log->now_ms = now_ms;
    hand_over(log, now_ms);
    return take_result(log, now_ms);
}

int sess_log_sync(struct sess_log *log)
{
    return log ? settle(log, log->now_ms) : -EINVAL;
}

int sess_close_all(struct sess_log *log,
                   int64_t now_wall_s,
                   uint64_t now_ms,
                   enum sess_end_reason reason)
{
    if (!log || !sess_end_reason_name(reason)) {
        return -EINVAL;
    }
    for (size_t i = 0; i < log->n_chg; i++) {
        struct sess_record ended;
        if (sess_track_end(&log->chg[i].track, &log->tcfg, now_wall_s, now_ms, reason, &ended)) {
            queue_finished(log, log->chg[i].key, &ended);
        }
        log->chg[i].dirty = false;
    }
    log->now_ms = now_ms;
    return drain(log, now_ms);
}

const char *sess_log_error(const struct sess_log *log)
{
    return log ? log->err : "";
}

bool sess_log_is_writing(const struct sess_log *log)
{
    struct sess_db_result res;
    if (!log) {
        return false;
    }
    fetch(log, &res);
    return res.writing;
}

size_t sess_log_pending(const struct sess_log *log)
{
    struct sess_db_result res = {0};
    if (log) {
        fetch(log, &res);
    }
    return res.pending;
}

uint64_t sess_log_dropped(const struct sess_log *log)
{
    struct sess_db_result res = {0};
    if (log) {
        fetch(log, &res);
    }
    return res.dropped;
}

bool sess_log_current(const struct sess_log *log, size_t charger_index, struct sess_record *out)
{
    if (!log || charger_index >= log->n_chg || !log->chg[charger_index].track.open) {
        return false;
    }
    const struct sess_charger *c = &log->chg[charger_index];
    *out = c->track.rec;
    /* the row id is the file side's: known here only on an inline log */
    out->id = log->db ? sess_db_row_id(log->db, c->key) : 0;
    return true;
}
