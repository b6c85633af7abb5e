/* SPDX-License-Identifier: MIT */
/* One place that turns any of our negative codes into words. */
#include <string.h>

#include <modbus.h>

#include "drivers/base/amp_err.h"

const char *amp_strerror(int rc)
{
    int e = rc < 0 ? -rc : rc;
    switch (-e) {
    case AMP_ERR_MASTER_CLASH:
        return "another master is transmitting on the bus";
    case AMP_ERR_NOT_AVAILABLE:
        return "value not available";
    case AMP_ERR_FORBIDDEN:
        return "frame kind refused by the transmit allow-list";
    default:
        break;
    }
    if (e >= MODBUS_ENOBASE) {
        return modbus_strerror(e);
    }
    return strerror(e);
}
