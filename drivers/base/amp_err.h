/* SPDX-License-Identifier: MIT */
/* Error codes: 0 or a negative errno-style code everywhere; amp_strerror() names any of them. */
#ifndef AMP_ERR_H
#define AMP_ERR_H

#include <errno.h>

/* Project codes, used only where no errno fits. They sit below -AMP_ERR_BASE. */
#define AMP_ERR_BASE          20000
#define AMP_ERR_MASTER_CLASH  (-(AMP_ERR_BASE + 1)) /* another master transmits on the bus */
#define AMP_ERR_NOT_AVAILABLE (-(AMP_ERR_BASE + 2)) /* a meter reported "not available" */
#define AMP_ERR_FORBIDDEN     (-(AMP_ERR_BASE + 3)) /* a frame kind the allow-list refuses */

/*
 * Returns a static description of rc (a negative code as returned by ampshare functions). Covers
 * project codes, libmodbus's range (delegated to modbus_strerror) and plain errno values.
 */
const char *amp_strerror(int rc);

#endif
