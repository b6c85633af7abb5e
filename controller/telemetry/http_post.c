/* SPDX-License-Identifier: MIT */
/*
 * The HTTP write calls, only with a token: POST /api/charger/<name>/<command> and
 * POST /api/site/policy, the body being the MQTT command payload ("16", "OFF", ...). The same
 * parser and the same command path as MQTT, so both are checked by one set of rules and bounded
 * by the clamp.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/telemetry/http_internal.h"
#include "controller/telemetry/mqtt.h"
#include "drivers/base/log.h"

struct post {
    size_t len;
    bool too_long;
    char body[MQTT_PAYLOAD_MAX + 1];
};

int http_parse_command(const char *url, const char *body, size_t len, int64_t wall_ms,
                       struct command *out, char *why, size_t cap)
{
    /* "/api/charger/NAME/CMD" is the MQTT topic "api/charger/NAME/CMD/set" under prefix "api" */
    char topic[MQTT_TOPIC_MAX];
    if ((strncmp(url, "/api/charger/", 13) != 0 && strcmp(url, "/api/site/policy") != 0) ||
        strlen(url) + 5 >= sizeof(topic)) {
        return -ENOENT;
    }
    snprintf(topic, sizeof(topic), "%s/set", url + 1);
    int rc = mqtt_parse_command("api", topic, body, len, wall_ms, out, why, cap);
    return rc;
}

/* Equal, in time that does not depend on where they differ. */
static bool same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la && i < lb; i++) {
        d |= (unsigned char)(a[i] ^ b[i]);
    }
    return d == 0;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code, bool ok, const char *msg)
{
    json_t *doc = json_pack("{s:b, s:o}", "ok", ok, "message", status_json_text(msg)); /* may quote the URL */
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        return MHD_NO;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (code == MHD_HTTP_UNAUTHORIZED) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"ampshare\"");
    }
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result http_on_post(struct MHD_Connection *c, const char *url, const char *upload,
                             size_t *upload_size, void **req, const struct http_options *o)
{
    struct post *p = *req;
    if (!p) { /* the headers: the body follows in later calls */
        p = calloc(1, sizeof(*p));
        if (!p) {
            return MHD_NO;
        }
        *req = p;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        if (p->len + n > MQTT_PAYLOAD_MAX) {
            p->too_long = true;
        } else {
            memcpy(p->body + p->len, upload, n);
            p->len += n;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!auth || strncmp(auth, "Bearer ", 7) != 0 || !same_secret(auth + 7, o->token)) {
        log_warn("http", "write call %s refused: no or a wrong token", url);
        return answer(c, MHD_HTTP_UNAUTHORIZED, false, "a write call needs the bearer token");
    }
    char why[256] = "";
    struct command cmd;
    if (p->too_long) {
        return answer(c, MHD_HTTP_BAD_REQUEST, false, "the body is longer than 128 bytes");
    }
    int rc = http_parse_command(url, p->body, p->len, (int64_t)time(NULL) * 1000, &cmd, why,
                                sizeof(why));
    if (rc == -ENOENT) {
        return answer(c, MHD_HTTP_NOT_FOUND, false, "no such write call");
    }
    if (rc != 0) {
        log_warn("http", "command %s refused: %s", url, why);
        return answer(c, MHD_HTTP_BAD_REQUEST, false, why);
    }
    rc = o->command(o->ctx, &cmd, why, sizeof(why));
    if (rc != 0) {
        log_warn("http", "command %s refused: %s", url, why);
        return answer(c, rc == -ENOENT ? MHD_HTTP_NOT_FOUND : MHD_HTTP_CONFLICT, false, why);
    }
    log_info("http", "command %s: %s", url, why);
    return answer(c, MHD_HTTP_OK, true, why);
}

void http_post_done(void *cls, struct MHD_Connection *c, void **req,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    if (http_sess_is_job(*req)) {
        http_sess_job_free(*req); /* a client that left while its sessions were read */
    } else {
        free(*req);
    }
    *req = NULL;
}
