/* SPDX-License-Identifier: MIT */
/* Shared by http.c and http_post.c: the write calls' request handling. */
#ifndef HTTP_INTERNAL_H
#define HTTP_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "controller/telemetry/mhd_dl.h"

#include "controller/telemetry/http.h"

/* Handles every call MHD makes for one POST (collects the body, then answers). */
enum MHD_Result http_on_post(struct MHD_Connection *c, const char *url, const char *upload,
                             size_t *upload_size, void **req, const struct http_options *o);

/* MHD_OPTION_NOTIFY_COMPLETED: frees what a POST collected. */
void http_post_done(void *cls, struct MHD_Connection *c, void **req,
                    enum MHD_RequestTerminationCode toe);

/* /api/sessions on a worker thread (http_sessions.c): the loop only suspends and answers. */
struct http_sess {
    pthread_t thread;
    bool started, stop;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct http_sess_job *head, *tail; /* waiting, oldest first */
    int efd;                           /* rung after each resume: the loop runs MHD then */
};

/* 0 or a negative errno (no eventfd). */
int http_sess_init(struct http_sess *w);

/* Queues the query for c (db, since and charger copied), suspends c and puts the job in *req.
 * 0, -EINVAL (an argument too long) or -ENOMEM / a pthread code (nothing queued). */
int http_sess_submit(struct http_sess *w,
                     struct MHD_Connection *c,
                     http_sessions_fn *fn,
                     const char *db,
                     const char *since,
                     const char *charger,
                     void **req);

/* In the call after the resume: the query's code and body (the caller's to free); frees the job
 * and clears *req. */
int http_sess_take(struct http_sess *w, void **req, char **body);

/* Whether *req is a job (MHD_OPTION_NOTIFY_COMPLETED frees it with http_sess_job_free). */
bool http_sess_is_job(const void *req);
void http_sess_job_free(void *req);

/* Stops the worker (the query under way finishes), resumes what waited; before MHD stops. */
void http_sess_fini(struct http_sess *w);

#endif
