/* SPDX-License-Identifier: MIT */
/*
 * A site model straight from INI text: parse, validate and build in one call. For sites that
 * live in memory rather than in a file (the simulator's scenarios, tests); the daemon loads its
 * file the same way through cfg_load() and site_new().
 */
#ifndef SITE_INI_H
#define SITE_INI_H

#include <stddef.h>

#include "controller/engine/site.h"

/*
 * Parses text (named file in messages, e.g. "seed.ini"), validates it and builds the site.
 * Allocates; the caller owns *out (site_free). On failure *out is NULL and err (if not NULL)
 * holds the first message, "seed.ini:4: [circuit garage] limit_a: ...". Returns 0, -EINVAL
 * (the text has an error) or -ENOMEM.
 */
int site_new_from_ini(
    const char *text, const char *file, struct site **out, char *err, size_t errlen);

#endif
