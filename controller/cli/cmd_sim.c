/* SPDX-License-Identifier: MIT */
/* `ampshare sim <what>`: dispatch to the simulators. */
#include <stdio.h>
#include <string.h>

#include "controller/cli/cmd.h"

struct sim_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct sim_cmd sim_cmds[] = {
    {"seed", cmd_sim_seed, "the seed's 34 A of 40 A, native master vs ampshare's"},
    {"slaves", cmd_sim_slaves, "simulated Wall Connector slaves on a TCP port or a pty"},
    {"master", cmd_sim_master, "ampshare's real master on a bus, one fixed limit per slave"},
    {"meter", cmd_sim_meter, "a Modbus energy meter (any map) over TCP or a pty"},
    {"ocpp", cmd_sim_ocpp, "an OCPP 1.6J charge point with a car, for a central system"},
    {"evse", cmd_sim_evse, "a Modbus EVSE (any model) with a car and a meter"},
    {"replay", cmd_sim_replay, "real charging sessions under the ACN reference algorithms"},
    {NULL, NULL, NULL},
};

static void sim_usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare sim <what> [<args>]\n"
            "       ampshare sim SCENARIO.ini [--fast] [...]   a fleet scenario\n\nsimulators:\n");
    for (size_t i = 0; sim_cmds[i].name; i++) {
        fprintf(out, "  %-10s %s\n", sim_cmds[i].name, sim_cmds[i].summary);
    }
}

int cmd_sim(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        sim_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CMD_EXIT_USAGE : CMD_EXIT_OK;
    }
    for (size_t i = 0; sim_cmds[i].name; i++) {
        if (strcmp(argv[1], sim_cmds[i].name) == 0) {
            return sim_cmds[i].fn(argc - 1, argv + 1);
        }
    }
    size_t len = strlen(argv[1]);
    if (len > 4 && strcmp(argv[1] + len - 4, ".ini") == 0) {
        return cmd_sim_scenario(argc - 1, argv + 1);
    }
    fprintf(stderr, "ampshare sim: unknown simulator '%s'\n", argv[1]);
    sim_usage(stderr);
    return CMD_EXIT_USAGE;
}
