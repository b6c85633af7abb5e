/* SPDX-License-Identifier: MIT */
/* OCPP-J frames: the envelope only; ocpp_msg.c reads the payloads. */
#include "drivers/ocpp/ocpp_frame.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fail(struct ocpp_frame *f, json_t *root, const char *text, const char **why)
{
    if (f->payload) {
        json_decref(f->payload);
        f->payload = NULL;
    }
    json_decref(root);
    *why = text;
    return -EPROTO;
}

static int copy_str(const json_t *j, char *dst, size_t cap)
{
    if (!json_is_string(j)) {
        return -1;
    }
    size_t n = json_string_length(j);
    const char *s = json_string_value(j);
    if (n == 0 || n >= cap || memchr(s, '\0', n)) {
        return -1;
    }
    memcpy(dst, s, n + 1);
    return 0;
}

int ocpp_frame_parse(const char *text, size_t len, struct ocpp_frame *f, const char **why)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->id, sizeof(f->id), "-1");
    if (len > OCPP_FRAME_MAX) {
        return fail(f, NULL, "frame too long", why);
    }
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        return fail(f, NULL, "not JSON", why);
    }
    if (!json_is_array(root) || json_array_size(root) < 3) {
        return fail(f, root, "not an OCPP-J array", why);
    }
    json_t *t = json_array_get(root, 0);
    if (copy_str(json_array_get(root, 1), f->id, sizeof(f->id)) != 0) {
        snprintf(f->id, sizeof(f->id), "-1");
        return fail(f, root, "message id is not a string of 1 to 36 characters", why);
    }
    if (!json_is_integer(t)) {
        return fail(f, root, "message type is not an integer", why);
    }
    size_t n = json_array_size(root);
    switch (json_integer_value(t)) {
    case OCPP_CALL:
        f->type = OCPP_CALL;
        if (n != 4) {
            return fail(f, root, "a CALL has 4 elements", why);
        }
        if (copy_str(json_array_get(root, 2), f->action, sizeof(f->action)) != 0) {
            return fail(f, root, "action is not a string", why);
        }
        f->payload = json_incref(json_array_get(root, 3));
        break;
    case OCPP_RESULT:
        f->type = OCPP_RESULT;
        if (n != 3) {
            return fail(f, root, "a CALLRESULT has 3 elements", why);
        }
        f->payload = json_incref(json_array_get(root, 2));
        break;
    case OCPP_ERROR:
        f->type = OCPP_ERROR;
        if (n != 5 || !json_is_string(json_array_get(root, 3))) {
            return fail(f, root, "a CALLERROR has 5 elements", why);
        }
        if (copy_str(json_array_get(root, 2), f->code, sizeof(f->code)) != 0) {
            return fail(f, root, "error code is not a string", why);
        }
        f->payload = json_incref(json_array_get(root, 4));
        break;
    default:
        return fail(f, root, "unknown message type", why);
    }
    if (!json_is_object(f->payload)) {
        return fail(f, root, "payload is not an object", why);
    }
    json_decref(root);
    return 0;
}

void ocpp_frame_clear(struct ocpp_frame *f)
{
    json_decref(f->payload);
    f->payload = NULL;
}

static char *dump(json_t *root)
{
    if (!root) {
        return NULL;
    }
    /* Reals are limits in deci-amps / 10: ten significant digits print them exactly ("6.1",
     * not 17 digits' "6.0999999999999996"), as the 1.6 schemas' multipleOf 0.1 wants. */
    char *s = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(root);
    return s;
}

static json_t *obj_or_empty(json_t *payload)
{
    return payload ? payload : json_object();
}

char *ocpp_frame_call(const char *id, const char *action, json_t *payload)
{
    return dump(json_pack("[isso]", OCPP_CALL, id, action, obj_or_empty(payload)));
}

char *ocpp_frame_result(const char *id, json_t *payload)
{
    return dump(json_pack("[iso]", OCPP_RESULT, id, obj_or_empty(payload)));
}

char *ocpp_frame_error(const char *id, const char *code, const char *description)
{
    return dump(json_pack("[isss{}]", OCPP_ERROR, id, code, description ? description : ""));
}
