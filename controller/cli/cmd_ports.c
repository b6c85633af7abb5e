/* SPDX-License-Identifier: MIT */
/* `ampshare ports`: lists serial adapters with their USB details, to pick the RS485 one. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli/cmd.h"
#include "drivers/base/amp_err.h"
#include "drivers/transport/tp_serial.h"

#define PORTS_MAX 64

static void ports_usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare ports [--help]\n\n"
            "Lists the serial ports of this machine: path, bus, USB vendor:product, manufacturer,\n"
            "product and serial number, and the stable /dev/serial/by-id name where there is one.\n"
            "Use that name in the config (serial:/dev/serial/by-id/...): it survives replugging,\n"
            "while /dev/ttyUSB0 may become /dev/ttyUSB1. Pseudo-terminals are not listed.\n");
}

/* The /dev/serial/by-id link that resolves to path, written into out; false if none. */
static bool find_by_id(const char *path, char *out, size_t cap)
{
    static const char by_id[] = "/dev/serial/by-id";
    DIR *d = opendir(by_id);
    if (!d) {
        return false;
    }
    char want[PATH_MAX];
    bool found = false;
    if (realpath(path, want)) {
        struct dirent *e;
        while (!found && (e = readdir(d)) != NULL) {
            char link[PATH_MAX];
            char real[PATH_MAX];
            if (e->d_name[0] == '.') {
                continue;
            }
            snprintf(link, sizeof(link), "%s/%s", by_id, e->d_name);
            if (realpath(link, real) && strcmp(real, want) == 0) {
                snprintf(out, cap, "%s", link);
                found = true;
            }
        }
    }
    closedir(d);
    return found;
}

static void print_port(const struct tp_port_info *p)
{
    char ids[16] = "-";
    if (p->bus == TP_PORT_USB && (p->usb_vid || p->usb_pid)) {
        snprintf(ids, sizeof(ids), "%04x:%04x", (unsigned)p->usb_vid, (unsigned)p->usb_pid);
    }
    printf("%-16s %-9s %-9s %-20s %-24s %-16s %s\n", p->path, tp_port_bus_name(p->bus), ids,
           p->manufacturer[0] ? p->manufacturer : "-", p->product[0] ? p->product : "-",
           p->serial[0] ? p->serial : "-", p->description[0] ? p->description : "-");
    char stable[PATH_MAX];
    if (find_by_id(p->path, stable, sizeof(stable))) {
        printf("  stable name: serial:%s\n", stable);
    }
}

int cmd_ports(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        ports_usage(stdout);
        return CMD_EXIT_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "ampshare ports: unexpected argument '%s'\n", argv[1]);
        ports_usage(stderr);
        return CMD_EXIT_USAGE;
    }
    struct tp_port_info *ports = calloc(PORTS_MAX, sizeof(*ports));
    if (!ports) {
        fprintf(stderr, "ampshare ports: out of memory\n");
        return CMD_EXIT_FAIL;
    }
    int n = tp_serial_list(ports, PORTS_MAX);
    if (n < 0) {
        fprintf(stderr, "ampshare ports: cannot list serial ports: %s\n", amp_strerror(n));
        free(ports);
        return CMD_EXIT_FAIL;
    }
    if (n == 0) {
        printf("no serial ports found (pseudo-terminals are not listed)\n");
    } else {
        printf("%-16s %-9s %-9s %-20s %-24s %-16s %s\n", "PATH", "BUS", "VID:PID", "MANUFACTURER",
               "PRODUCT", "SERIAL", "DESCRIPTION");
        for (int i = 0; i < n && i < PORTS_MAX; i++) {
            print_port(&ports[i]);
        }
        if (n > PORTS_MAX) {
            printf("(%d more not shown)\n", n - PORTS_MAX);
        }
    }
    free(ports);
    return CMD_EXIT_OK;
}
