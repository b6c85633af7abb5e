/* SPDX-License-Identifier: MIT */
/* A test plugin that writes far past its output arrays once its option `after` has passed
 * (misbehave.h). */
#define MISBEHAVE      MB_OVERRUN
#define MISBEHAVE_NAME "overrun"
#include "tests/plugins/misbehave.h"
