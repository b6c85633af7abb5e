/* SPDX-License-Identifier: MIT */
/* A test plugin that loops for ever once its option `after` has passed (misbehave.h). */
#define MISBEHAVE      MB_HANG
#define MISBEHAVE_NAME "hang"
#include "tests/plugins/misbehave.h"
