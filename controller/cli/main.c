/* SPDX-License-Identifier: MIT */
/* git-style dispatch to the subcommands; the only file that holds process-wide state. */
#include <stdio.h>
#include <string.h>

#include "controller/cli/cmd.h"
#include "drivers/base/log.h"

#ifndef AMPSHARE_VERSION
#define AMPSHARE_VERSION "dev"
#endif

struct cmd_entry {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct cmd_entry commands[] = {
    {"run", cmd_run, "run a site: the gateway daemon (--demo: a simulated site)"},
    {"decode", cmd_decode, "decode Wall Connector frames from hex text or raw bytes"},
    {"sniff", cmd_sniff, "listen on an RS485 bus (never transmits) and print every frame"},
    {"sim", cmd_sim, "simulated Wall Connectors, meters and sites"},
    {"meter", cmd_meter, "read a Modbus energy meter once (commissioning)"},
    {"check-config", cmd_check_config, "validate a site config and print the site tree"},
    {"ports", cmd_ports, "list serial adapters with their USB details"},
    {"status", cmd_status, "ask the running daemon for chargers, circuits and health"},
    {"chargeport", cmd_chargeport, "decode or write the Tesla charge-port opener signal (no TX)"},
    {"sessions", cmd_sessions, "list the charging sessions the daemon logged"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: ampshare [--version] [-v] <command> [<args>]\n\n"
                 "Shares one electrical supply fairly and fully among electric cars on Tesla Wall\n"
                 "Connectors (Gen 2) and Modbus-metered EVSEs.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "\nRun 'ampshare <command> --help' for a command's options.\n");
}

bool cmd_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            return false;
        }
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    int i = 1;
    enum log_level level = LOG_LEVEL_INFO;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            printf("ampshare %s\n", AMPSHARE_VERSION);
            return CMD_EXIT_OK;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return CMD_EXIT_OK;
        } else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
            level = LOG_LEVEL_DEBUG;
        } else {
            fprintf(stderr, "ampshare: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return CMD_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return CMD_EXIT_USAGE;
    }
    log_set_sink(NULL, NULL, level);
    for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
        if (strcmp(argv[i], commands[c].name) == 0) {
            return commands[c].fn(argc - i, argv + i);
        }
    }
    fprintf(stderr, "ampshare: '%s' is not an ampshare command; see 'ampshare --help'\n", argv[i]);
    return CMD_EXIT_USAGE;
}
