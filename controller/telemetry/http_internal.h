/* SPDX-License-Identifier: MIT */
/* Shared by http.c and http_post.c: the write calls' request handling. */
#ifndef HTTP_INTERNAL_H
#define HTTP_INTERNAL_H

#include "controller/telemetry/mhd_dl.h"

#include "controller/telemetry/http.h"

/* Handles every call MHD makes for one POST (collects the body, then answers). */
enum MHD_Result http_on_post(struct MHD_Connection *c, const char *url, const char *upload,
                             size_t *upload_size, void **req, const struct http_options *o);

/* MHD_OPTION_NOTIFY_COMPLETED: frees what a POST collected. */
void http_post_done(void *cls, struct MHD_Connection *c, void **req,
                    enum MHD_RequestTerminationCode toe);

#endif
