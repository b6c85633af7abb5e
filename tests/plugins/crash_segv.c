/* SPDX-License-Identifier: MIT */
/* A test plugin that segfaults once its option `after` has passed (misbehave.h). */
#define MISBEHAVE      MB_SEGV
#define MISBEHAVE_NAME "crash_segv"
#include "tests/plugins/misbehave.h"
