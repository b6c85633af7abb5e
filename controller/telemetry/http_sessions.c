/* SPDX-License-Identifier: MIT */
/*
 * /api/sessions off the loop: reading the session log and building its JSON takes milliseconds
 * per thousand rows (more on a gateway's SD card), which would delay every bus. The request's
 * connection is suspended, the query runs on one worker thread (started on the first request,
 * with a small stack), and the worker resumes the connection, whose next call answers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "controller/telemetry/http_internal.h"

#define JOB_MAGIC    0x53455353u /* "SESS": tells a job from a POST's body in *req */
#define WORKER_STACK (128u * 1024u)

struct http_sess_job {
    uint32_t magic;
    struct http_sess_job *next;
    struct MHD_Connection *c;
    http_sessions_fn *fn;
    char db[HTTP_SESSIONS_DB_MAX];
    char since[64], charger[64];
    bool has_since, has_charger, done;
    int rc;
    char *body;
};

static void ring(struct http_sess *w)
{
    uint64_t one = 1;
    if (write(w->efd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the counter is already non-zero, the loop will look */
    }
}

static void *run(void *arg)
{
    struct http_sess *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !w->stop) {
            pthread_cond_wait(&w->cond, &w->lock);
        }
        struct http_sess_job *j = w->head;
        if (!j) {
            break;
        }
        w->head = j->next;
        if (!w->head) {
            w->tail = NULL;
        }
        pthread_mutex_unlock(&w->lock);
        char *body = NULL;
        int rc =
            j->fn(j->db, j->has_since ? j->since : NULL, j->has_charger ? j->charger : NULL, &body);
        pthread_mutex_lock(&w->lock); /* the loop reads them under it */
        j->rc = rc;
        j->body = body;
        j->done = true;
        pthread_mutex_unlock(&w->lock);
        MHD_resume_connection(j->c); /* the loop may answer and free j from here on */
        ring(w);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static int start(struct http_sess *w)
{
    if (w->started) {
        return 0;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    size_t stack = WORKER_STACK;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    stack *= 8; /* the sanitizers' shadow frames */
#endif
    pthread_attr_setstacksize(&attr, stack);
    int rc = pthread_create(&w->thread, &attr, run, w);
    pthread_attr_destroy(&attr);
    w->started = rc == 0;
    return -rc;
}

int http_sess_init(struct http_sess *w)
{
    memset(w, 0, sizeof(*w));
    w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->efd < 0) {
        return -errno;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    return 0;
}

static bool copy_arg(char *dst, size_t cap, const char *src)
{
    if (!src) {
        return false;
    }
    snprintf(dst, cap, "%s", src);
    return true;
}

int http_sess_submit(struct http_sess *w,
                     struct MHD_Connection *c,
                     http_sessions_fn *fn,
                     const char *db,
                     const char *since,
                     const char *charger,
                     void **req)
{
    if ((since && strlen(since) >= 64) || (charger && strlen(charger) >= 64)) {
        return -EINVAL;
    }
    struct http_sess_job *j = calloc(1, sizeof(*j));
    if (!j) {
        return -ENOMEM;
    }
    j->magic = JOB_MAGIC;
    j->c = c;
    j->fn = fn;
    snprintf(j->db, sizeof(j->db), "%s", db);
    j->has_since = copy_arg(j->since, sizeof(j->since), since);
    j->has_charger = copy_arg(j->charger, sizeof(j->charger), charger);
    int rc = start(w);
    if (rc != 0) {
        free(j);
        return rc;
    }
    *req = j;
    MHD_suspend_connection(c);
    pthread_mutex_lock(&w->lock);
    if (w->tail) {
        w->tail->next = j;
    } else {
        w->head = j;
    }
    w->tail = j;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

bool http_sess_is_job(const void *req)
{
    return req && ((const struct http_sess_job *)req)->magic == JOB_MAGIC;
}

void http_sess_job_free(void *req)
{
    struct http_sess_job *j = req;
    free(j->body);
    free(j);
}

int http_sess_take(struct http_sess *w, void **req, char **body)
{
    struct http_sess_job *j = *req;
    pthread_mutex_lock(&w->lock);
    int rc = j->done ? j->rc : -ECANCELED;
    *body = j->body;
    j->body = NULL;
    pthread_mutex_unlock(&w->lock);
    http_sess_job_free(j);
    *req = NULL;
    return rc;
}

void http_sess_fini(struct http_sess *w)
{
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        struct http_sess_job *left = w->head;
        w->head = w->tail = NULL;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        /* requests never run: resumed, they answer "cannot be read" as MHD closes them */
        for (struct http_sess_job *j = left, *next; j; j = next) {
            next = j->next;
            MHD_resume_connection(j->c);
        }
    }
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    if (w->efd >= 0) {
        close(w->efd);
    }
}
