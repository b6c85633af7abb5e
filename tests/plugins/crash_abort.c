/* SPDX-License-Identifier: MIT */
/* A test plugin that aborts once its option `after` has passed (misbehave.h). */
#define MISBEHAVE      MB_ABORT
#define MISBEHAVE_NAME "crash_abort"
#include "tests/plugins/misbehave.h"
