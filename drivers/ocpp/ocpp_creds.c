/* SPDX-License-Identifier: MIT */
/* The credentials file and HTTP Basic (ocpp_creds.h). */
#include "drivers/ocpp/ocpp_creds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drivers/ocpp/lws_dl.h"

static int add(struct ocpp_creds *c, const char *id, const char *pw)
{
    char **ni = realloc(c->id, (c->n + 1) * sizeof(*ni));
    if (!ni) {
        return -ENOMEM;
    }
    c->id = ni;
    char **np = realloc(c->pw, (c->n + 1) * sizeof(*np));
    if (!np) {
        return -ENOMEM;
    }
    c->pw = np;
    c->id[c->n] = strdup(id);
    c->pw[c->n] = strdup(pw);
    if (!c->id[c->n] || !c->pw[c->n]) {
        free(c->id[c->n]);
        free(c->pw[c->n]);
        return -ENOMEM;
    }
    c->n++;
    return 0;
}

int ocpp_creds_load(struct ocpp_creds *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    if (!path || !*path) {
        return 0;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    char line[512];
    int rc = 0, no = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        no++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#') {
            continue;
        }
        char *colon = strchr(line, ':');
        if (!colon || colon == line || !colon[1]) {
            snprintf(err, errlen, "%s:%d: expected <charge point id>:<password>", path, no);
            rc = -EINVAL;
        } else if (c->n == OCPP_CREDS_MAX) {
            snprintf(err, errlen, "%s:%d: more than %d charge points", path, no, OCPP_CREDS_MAX);
            rc = -EINVAL;
        } else {
            *colon = '\0';
            if (ocpp_creds_password(c, line)) {
                snprintf(err, errlen, "%s:%d: %s given twice", path, no, line);
                rc = -EINVAL;
            } else if ((rc = add(c, line, colon + 1)) != 0) {
                snprintf(err, errlen, "out of memory");
            }
        }
    }
    fclose(f);
    if (rc != 0) {
        ocpp_creds_free(c);
    }
    return rc;
}

void ocpp_creds_free(struct ocpp_creds *c)
{
    for (size_t i = 0; i < c->n; i++) {
        explicit_bzero(c->pw[i], strlen(c->pw[i]));
        free(c->id[i]);
        free(c->pw[i]);
    }
    free(c->id);
    free(c->pw);
    memset(c, 0, sizeof(*c));
}

const char *ocpp_creds_password(const struct ocpp_creds *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->id[i], id) == 0) {
            return c->pw[i];
        }
    }
    return NULL;
}

int ocpp_creds_check_basic(const char *header, const char *id, const char *password)
{
    if (strncasecmp(header, "Basic ", 6) != 0) {
        return -EACCES;
    }
    char dec[384];
    int n = lws_b64_decode_string(header + 6, dec, (int)sizeof(dec));
    size_t il = strlen(id), pl = strlen(password);
    if (n < 0 || (size_t)n != il + 1 + pl || memcmp(dec, id, il) != 0 || dec[il] != ':') {
        explicit_bzero(dec, sizeof(dec));
        return -EACCES;
    }
    unsigned char diff = 0;
    for (size_t i = 0; i < pl; i++) {
        diff |= (unsigned char)(dec[il + 1 + i] ^ password[i]);
    }
    explicit_bzero(dec, sizeof(dec));
    return diff ? -EACCES : 0;
}
