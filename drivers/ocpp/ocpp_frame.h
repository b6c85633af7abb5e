/* SPDX-License-Identifier: MIT */
/*
 * OCPP-J 1.6 frames (docs/ocpp.md): the RPC envelope around every message, parsed and printed
 * with jansson. Pure: text in, struct out, and back.
 *
 *   CALL       [2, "<id>", "<Action>", {payload}]
 *   CALLRESULT [3, "<id>", {payload}]
 *   CALLERROR  [4, "<id>", "<code>", "<description>", {details}]
 */
#ifndef OCPP_FRAME_H
#define OCPP_FRAME_H

#include <jansson.h>
#include <stddef.h>

#define OCPP_ID_MAX     36 /* message ids: GUID size (OCPP-J §4.1.4) */
#define OCPP_ACTION_MAX 40
#define OCPP_CODE_MAX   40
#define OCPP_FRAME_MAX  65536 /* larger text frames are refused */

enum ocpp_type {
    OCPP_CALL = 2,
    OCPP_RESULT = 3,
    OCPP_ERROR = 4
};

struct ocpp_frame {
    enum ocpp_type type;
    char id[OCPP_ID_MAX + 1];         /* "-1" when the frame's id could not be read */
    char action[OCPP_ACTION_MAX + 1]; /* CALL */
    char code[OCPP_CODE_MAX + 1];     /* CALLERROR */
    json_t *payload;                  /* owned: CALL/CALLRESULT payload, CALLERROR details */
};

/*
 * Parses one text frame. Returns 0 and fills f (free with ocpp_frame_clear), or -EPROTO with
 * f->id set to the frame's id when one could be read ("-1" otherwise) and *why a static
 * description: the caller answers FormationViolation with it.
 */
int ocpp_frame_parse(const char *text, size_t len, struct ocpp_frame *f, const char **why);

void ocpp_frame_clear(struct ocpp_frame *f);

/* Prints a frame; payload is stolen (NULL = {}). Returns a malloc'd string, or NULL on no
 * memory. */
char *ocpp_frame_call(const char *id, const char *action, json_t *payload);
char *ocpp_frame_result(const char *id, json_t *payload);
char *ocpp_frame_error(const char *id, const char *code, const char *description);

#endif
