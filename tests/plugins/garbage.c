/* SPDX-License-Identifier: MIT */
/* A test plugin that writes garbage into every descriptor it finds, the host's socket among them
 * once its option `after` has passed (misbehave.h). */
#define MISBEHAVE      MB_GARBAGE
#define MISBEHAVE_NAME "garbage"
#include "tests/plugins/misbehave.h"
