/* SPDX-License-Identifier: MIT */
/* Serial port discovery through libserialport (tp_serial.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libserialport.h>

#include "drivers/transport/tp_internal.h"
#include "drivers/transport/tp_serial.h"

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static void describe(const struct sp_port *p, struct tp_port_info *info)
{
    memset(info, 0, sizeof(*info));
    copy_str(info->path, sizeof(info->path), sp_get_port_name(p));
    copy_str(info->description, sizeof(info->description), sp_get_port_description(p));
    switch (sp_get_port_transport(p)) {
    case SP_TRANSPORT_NATIVE:
        info->bus = TP_PORT_NATIVE;
        break;
    case SP_TRANSPORT_USB:
        info->bus = TP_PORT_USB;
        break;
    case SP_TRANSPORT_BLUETOOTH:
        info->bus = TP_PORT_BLUETOOTH;
        break;
    default:
        info->bus = TP_PORT_OTHER;
        break;
    }
    if (info->bus != TP_PORT_USB) {
        return;
    }
    int vid = 0;
    int pid = 0;
    if (sp_get_port_usb_vid_pid(p, &vid, &pid) == SP_OK) {
        info->usb_vid = (uint16_t)vid;
        info->usb_pid = (uint16_t)pid;
    }
    copy_str(info->manufacturer, sizeof(info->manufacturer), sp_get_port_usb_manufacturer(p));
    copy_str(info->product, sizeof(info->product), sp_get_port_usb_product(p));
    copy_str(info->serial, sizeof(info->serial), sp_get_port_usb_serial(p));
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct tp_port_info *)a)->path, ((const struct tp_port_info *)b)->path);
}

int tp_serial_list(struct tp_port_info *out, size_t cap)
{
    if (!out && cap) {
        return -EINVAL;
    }
    struct sp_port **ports = NULL;
    int rc = tp_sp_to_rc(sp_list_ports(&ports));
    if (rc < 0) {
        return rc;
    }
    size_t n = 0;
    for (; ports[n]; n++) {
        if (n < cap) {
            describe(ports[n], &out[n]);
        }
    }
    sp_free_port_list(ports);
    if (n > 0 && cap > 0) {
        qsort(out, n < cap ? n : cap, sizeof(*out), by_path);
    }
    return n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
}

const char *tp_port_bus_name(enum tp_port_bus bus)
{
    switch (bus) {
    case TP_PORT_NATIVE:
        return "native";
    case TP_PORT_USB:
        return "usb";
    case TP_PORT_BLUETOOTH:
        return "bluetooth";
    case TP_PORT_OTHER:
    default:
        return "other";
    }
}
