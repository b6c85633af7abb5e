/* SPDX-License-Identifier: MIT */
/*
 * The OCPP credentials file: one "<charge point id>:<password>" per line ('#' comments, blank
 * lines ignored; the password is everything after the first colon). Kept out of the INI so the
 * config can be world-readable. Checks an HTTP Basic Authorization header against it.
 */
#ifndef OCPP_CREDS_H
#define OCPP_CREDS_H

#include <stddef.h>

#define OCPP_CREDS_MAX 1024

struct ocpp_creds {
    size_t n;
    char **id;
    char **pw;
};

/* Loads path (NULL or "": no file, no passwords). 0, or -EINVAL/-ENOMEM/-errno with the
 * file:line in err. */
int ocpp_creds_load(struct ocpp_creds *c, const char *path, char *err, size_t errlen);

void ocpp_creds_free(struct ocpp_creds *c);

/* The password of id, or NULL when it has none. */
const char *ocpp_creds_password(const struct ocpp_creds *c, const char *id);

/* Checks "Basic base64(<id>:<password>)" (the user must be id). 0 or -EACCES. Compares the
 * password in constant time. */
int ocpp_creds_check_basic(const char *header, const char *id, const char *password);

#endif
