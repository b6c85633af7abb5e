/* SPDX-License-Identifier: MIT */
/* The session log's writer thread: a bounded hand-off queue in, sess_db results out. */
#include "controller/sess_writer.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One hand-over: a record under its session's key, or (key 0) a commit mark. */
struct msg {
    uint64_t key;
    struct sess_record rec;
};

struct sess_writer {
    struct sess_db *db; /* the thread's own */
    pthread_t thread;
    struct msg *batch; /* the thread's own: what it took from the queue */

    pthread_mutex_t lock;
    pthread_cond_t wake; /* the thread: a commit mark, a full queue, a waiter, stop */
    pthread_cond_t done; /* sess_writer_sync: the thread finished a batch */
    struct msg q[SESS_WRITER_QUEUE];
    size_t head, n;
    size_t marks;      /* commit marks in q */
    size_t q_finished; /* finished records in q */
    size_t b_finished; /* ... and in the batch the thread is writing */
    uint64_t handed;   /* messages ever queued */
    uint64_t taken;    /* ... and done by the thread */
    unsigned waiters;  /* in sess_writer_sync */
    uint64_t lost;     /* records sess_db could not keep (out of memory) */
    bool stop;
    struct sess_db_result res;
};

static bool should_take(const struct sess_writer *w)
{
    return w->marks > 0 || w->n == SESS_WRITER_QUEUE || (w->waiters > 0 && w->n > 0) || w->stop;
}

/* Takes the whole queue into w->batch. Call with the lock held. */
static size_t take(struct sess_writer *w)
{
    size_t n = w->n;
    for (size_t i = 0; i < n; i++) {
        w->batch[i] = w->q[(w->head + i) % SESS_WRITER_QUEUE];
    }
    w->head = (w->head + n) % SESS_WRITER_QUEUE;
    w->b_finished = w->q_finished;
    w->n = w->marks = w->q_finished = 0;
    return n;
}

static void *run(void *arg)
{
    struct sess_writer *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!should_take(w)) {
            pthread_cond_wait(&w->wake, &w->lock);
        }
        if (w->stop && w->n == 0) {
            break;
        }
        size_t n = take(w);
        pthread_mutex_unlock(&w->lock);
        /* the I/O, off the lock: the loop can hand over meanwhile */
        bool commit = false;
        uint64_t lost = 0;
        for (size_t i = 0; i < n; i++) {
            if (!w->batch[i].key) {
                commit = true;
            } else if (sess_db_put(w->db, w->batch[i].key, &w->batch[i].rec) < 0) {
                lost++;
            }
        }
        if (commit) {
            (void)sess_db_commit(w->db);
        }
        pthread_mutex_lock(&w->lock);
        w->res = *sess_db_result(w->db);
        w->b_finished = 0;
        w->lost += lost;
        w->taken += n;
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int sess_writer_new(struct sess_db *db, struct sess_writer **out)
{
    *out = NULL;
    struct sess_writer *w = calloc(1, sizeof(*w));
    struct msg *batch = calloc(SESS_WRITER_QUEUE, sizeof(*batch));
    if (!w || !batch) {
        free(w);
        free(batch);
        sess_db_free(db);
        return -ENOMEM;
    }
    w->db = db;
    w->batch = batch;
    w->res = *sess_db_result(db);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->done, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* a small stack (the rss work): SQLite's deepest call chains need a few tens of KiB */
    size_t stack = SESS_WRITER_STACK;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    stack *= 8; /* the sanitizers' shadow frames */
#endif
    size_t least = (size_t)PTHREAD_STACK_MIN;
    pthread_attr_setstacksize(&attr, stack < least ? least : stack);
    int rc = pthread_create(&w->thread, &attr, run, w);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        pthread_cond_destroy(&w->done);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        sess_db_free(db);
        free(batch);
        free(w);
        return -rc;
    }
    *out = w;
    return 0;
}

/* Queues one message; the thread is woken for a commit mark and when the queue is full. */
static int push(struct sess_writer *w, uint64_t key, const struct sess_record *rec)
{
    pthread_mutex_lock(&w->lock);
    if (w->n == SESS_WRITER_QUEUE) {
        pthread_mutex_unlock(&w->lock);
        return -EAGAIN;
    }
    struct msg *m = &w->q[(w->head + w->n++) % SESS_WRITER_QUEUE];
    m->key = key;
    if (rec) {
        m->rec = *rec;
        w->q_finished += rec->end_reason != SESS_END_NONE;
    } else {
        w->marks++;
    }
    w->handed++;
    if (!key || w->n == SESS_WRITER_QUEUE) {
        pthread_cond_signal(&w->wake);
    }
    pthread_mutex_unlock(&w->lock);
    return 0;
}

int sess_writer_put(struct sess_writer *w, uint64_t key, const struct sess_record *rec)
{
    return key && rec ? push(w, key, rec) : -EINVAL;
}

int sess_writer_commit(struct sess_writer *w)
{
    return push(w, 0, NULL);
}

void sess_writer_result(struct sess_writer *w, struct sess_db_result *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->res;
    out->pending += w->q_finished + w->b_finished;
    out->dropped += w->lost;
    pthread_mutex_unlock(&w->lock);
}

int sess_writer_sync(struct sess_writer *w)
{
    pthread_mutex_lock(&w->lock);
    uint64_t target = w->handed;
    w->waiters++;
    pthread_cond_signal(&w->wake);
    while (w->taken < target) {
        pthread_cond_wait(&w->done, &w->lock);
    }
    w->waiters--;
    int rc = w->res.rc;
    pthread_mutex_unlock(&w->lock);
    return rc;
}

void sess_writer_free(struct sess_writer *w)
{
    if (!w) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    sess_db_free(w->db); /* commits what was handed over without a commit mark */
    pthread_cond_destroy(&w->done);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w->batch);
    free(w);
}
