/* SPDX-License-Identifier: MIT */
/*
 * Serial port discovery: which adapters are plugged in, with the USB details a user picks the
 * right RS485 adapter by (research/serial-ptys.md). The serial transport itself is made with
 * tp_serial_new() (tp.h).
 */
#ifndef TP_SERIAL_H
#define TP_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tp_port_bus {
    TP_PORT_NATIVE = 1, /* a UART on the board */
    TP_PORT_USB = 2,
    TP_PORT_BLUETOOTH = 3,
    TP_PORT_OTHER = 4,
};

/* One port as libserialport reports it. Strings are "" when unknown. */
struct tp_port_info {
    char path[128]; /* /dev/ttyUSB0 */
    char description[128];
    enum tp_port_bus bus;
    uint16_t usb_vid; /* USB only; 0 when unknown */
    uint16_t usb_pid;
    char manufacturer[64];
    char product[64];
    char serial[64];
};

/*
 * Lists the serial ports of this machine, sorted by path.
 * @param[out] out  room for cap entries (caller-owned); may be NULL when cap is 0
 * @return the number of ports found (which may exceed cap: only cap are written), or a negative
 *         code. Pseudo-terminals are never listed (they are not in /sys/class/tty).
 */
int tp_serial_list(struct tp_port_info *out, size_t cap);

/* "usb", "native", "bluetooth" or "other". */
const char *tp_port_bus_name(enum tp_port_bus bus);

#endif
