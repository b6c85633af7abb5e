/* SPDX-License-Identifier: MIT */
/*
 * `ampshare meter`: commissioning tools for Modbus meters. `meter read` reads one meter once and
 * prints the reading with units (or JSON), with an error that says what to check; `meter maps`
 * lists the built-in register maps and EVSE models.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modbus.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_util.h"
#include "drivers/base/amp_err.h"
#include "drivers/base/amp_text.h"
#include "drivers/modbus/mb_bus.h"
#include "drivers/modbus/mb_evse.h"
#include "drivers/modbus/mb_meter.h"
#include "drivers/transport/tp_addr.h"

#define CMD_METER_TIMEOUT_MS 500u
#define CMD_METER_SETS_MAX   24

static void meter_usage(FILE *out)
{
    fprintf(
        out,
        "usage: ampshare meter read --transport ADDR --unit N --map NAME [--json]\n"
        "                           [--timeout-ms MS] [--set KEY=VALUE]...\n"
        "       ampshare meter maps\n"
        "\n"
        "read   reads one Modbus energy meter once and prints current, voltage and power per\n"
        "       phase, total power and import energy.\n"
        "  --transport ADDR  tcp://HOST:PORT, or serial:/dev/ttyUSB0,9600,8N1 (also a pty path)\n"
        "  --unit N          Modbus unit id (1-247 on a serial line, 0-255 over TCP)\n"
        "  --map NAME        register map, see 'ampshare meter maps'; 'generic' takes its\n"
        "                    registers from --set KEY=VALUE (keys in docs/modbus.md)\n"
        "  --timeout-ms MS   response timeout per request (default %u)\n"
        "  --json            one JSON object: values in mA, dV (0.1 V), W and Wh, null when\n"
        "                    a field is missing\n"
        "maps   lists the meter maps, their aliases, and the controllable EVSE models.\n"
        "\n"
        "Exit status: 0 for a valid reading, 1 when the meter could not be read, 2 for usage.\n",
        CMD_METER_TIMEOUT_MS);
}

struct read_args {
    const char *transport;
    const char *map;
    long unit;
    long timeout_ms;
    bool json;
    const char *set[CMD_METER_SETS_MAX];
    size_t n_set;
};

static int parse_read_args(int argc, char **argv, struct read_args *a)
{
    memset(a, 0, sizeof(*a));
    a->unit = -1;
    a->timeout_ms = CMD_METER_TIMEOUT_MS;
    for (int i = 2; i < argc && argv[i]; i++) {
        const char *v;
        if ((v = cmd_opt_value(argc, argv, &i, "--transport"))) {
            a->transport = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--map"))) {
            a->map = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--unit"))) {
            if (cmd_parse_long(v, 10, 0, 255, &a->unit) < 0) {
                fprintf(stderr, "ampshare meter read: --unit '%s' is not a unit id 0-255\n", v);
                return CMD_EXIT_USAGE;
            }
        } else if ((v = cmd_opt_value(argc, argv, &i, "--timeout-ms"))) {
            if (cmd_parse_long(v, 10, 1, MB_BUS_TIMEOUT_MAX_MS, &a->timeout_ms) < 0) {
                fprintf(stderr, "ampshare meter read: --timeout-ms '%s' is not 1-%u\n", v,
                        MB_BUS_TIMEOUT_MAX_MS);
                return CMD_EXIT_USAGE;
            }
        } else if ((v = cmd_opt_value(argc, argv, &i, "--set"))) {
            if (a->n_set >= CMD_METER_SETS_MAX || !strchr(v, '=')) {
                fprintf(stderr, "ampshare meter read: --set '%s': expected KEY=VALUE\n", v);
                return CMD_EXIT_USAGE;
            }
            a->set[a->n_set++] = v;
        } else if (strcmp(argv[i], "--json") == 0) {
            a->json = true;
        } else {
            fprintf(stderr, "ampshare meter read: unknown or incomplete option '%s'\n", argv[i]);
            meter_usage(stderr);
            return CMD_EXIT_USAGE;
        }
    }
    if (!a->transport || !a->map || a->unit < 0) {
        fprintf(stderr, "ampshare meter read: --transport, --unit and --map are required\n");
        meter_usage(stderr);
        return CMD_EXIT_USAGE;
    }
    return CMD_EXIT_OK;
}

/* ---- output ---- */

/* Formats v / 10^decimals with its unit, in integer arithmetic (no floats in controller/). */
static void format_fixed(char *buf, size_t cap, int64_t v, int decimals, const char *unit)
{
    static const uint64_t p10[] = {1, 10, 100, 1000};
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (decimals == 0) {
        snprintf(buf, cap, "%s%llu %s", v < 0 ? "-" : "", (unsigned long long)mag, unit);
        return;
    }
    snprintf(buf, cap, "%s%llu.%0*llu %s", v < 0 ? "-" : "",
             (unsigned long long)(mag / p10[decimals]), decimals,
             (unsigned long long)(mag % p10[decimals]), unit);
}

static void print_cell(
    const struct mb_reading *r, int field, int64_t v, int decimals, const char *unit, bool last)
{
    char buf[64] = "n/a";
    if (r->have & MB_HAVE(field)) {
        format_fixed(buf, sizeof(buf), v, decimals, unit);
    }
    printf(last ? "  %s\n" : "  %-14s", buf);
}

/* One row of per-phase values, when the map has that quantity. */
static void print_row(const struct mb_map *map,
                      const struct mb_reading *r,
                      const char *name,
                      int first,
                      const int32_t *v,
                      int decimals,
                      const char *unit)
{
    if (map->field[first].type == MB_TYPE_NONE) {
        return;
    }
    printf("%-13s", name);
    for (int p = 0; p < map->phases; p++) {
        print_cell(r, first + p, v[p], decimals, unit, p + 1 == map->phases);
    }
}

static void print_human(const struct read_args *a,
                        const struct mb_map *map,
                        const char *label,
                        const struct mb_reading *r)
{
    printf("%s (%s), unit %ld on %s\n", map->name, map->model, a->unit, label);
    if (map->phases > 0) {
        printf("%-13s", "");
        for (int p = 0; p < map->phases; p++) {
            printf(p + 1 == map->phases ? "  L%d\n" : "  L%-13d", p + 1);
        }
    }
    print_row(map, r, "current", MB_FIELD_CURRENT_L1, r->current_ma, 3, "A");
    print_row(map, r, "voltage", MB_FIELD_VOLTAGE_L1, r->voltage_dv, 1, "V");
    print_row(map, r, "power", MB_FIELD_POWER_L1, r->power_w, 0, "W");
    if (map->field[MB_FIELD_POWER_TOTAL].type != MB_TYPE_NONE) {
        printf("%-13s", "total power");
        print_cell(r, MB_FIELD_POWER_TOTAL, r->power_total_w, 0, "W", true);
    }
    if (map->field[MB_FIELD_IMPORT_ENERGY].type != MB_TYPE_NONE) {
        printf("%-13s", "import");
        print_cell(r, MB_FIELD_IMPORT_ENERGY, r->import_wh, 3, "kWh", true);
    }
}

static void json_field(const struct mb_reading *r, int field, int64_t v)
{
    if (r->have & MB_HAVE(field)) {
        printf("%lld", (long long)v);
    } else {
        printf("null");
    }
}

static void json_triplet(const char *name, const struct mb_reading *r, int first, const int32_t *v)
{
    printf(",\"%s\":[", name);
    for (int p = 0; p < 3; p++) {
        printf(p ? "," : "");
        json_field(r, first + p, v[p]);
    }
    printf("]");
}

static void print_json(const struct read_args *a,
                       const struct mb_map *map,
                       const char *label,
                       const struct mb_reading *r,
                       int rc,
                       const char *error)
{
    printf("{\"map\":");
    amp_json_string(stdout, map->name);
    printf(",\"unit\":%ld,\"transport\":", a->unit);
    amp_json_string(stdout, label);
    printf(",\"valid\":%s", r->valid ? "true" : "false");
    json_triplet("current_ma", r, MB_FIELD_CURRENT_L1, r->current_ma);
    json_triplet("voltage_dv", r, MB_FIELD_VOLTAGE_L1, r->voltage_dv);
    json_triplet("power_w", r, MB_FIELD_POWER_L1, r->power_w);
    printf(",\"power_total_w\":");
    json_field(r, MB_FIELD_POWER_TOTAL, r->power_total_w);
    printf(",\"import_wh\":");
    json_field(r, MB_FIELD_IMPORT_ENERGY, r->import_wh);
    if (rc != 0) {
        printf(",\"code\":%d,\"error\":", rc);
        amp_json_string(stdout, error);
    }
    printf("}\n");
}

/* What a failed read means, and what to check. */
static void explain(char *buf,
                    size_t cap,
                    int rc,
                    const struct read_args *a,
                    const struct mb_map *map,
                    const char *label,
                    const struct mb_block *failed)
{
    const char *table = map->fc == 3 ? "holding" : "input";
    if (rc == -ETIMEDOUT) {
        bool tcp = strncmp(label, "tcp://", 6) == 0;
        snprintf(buf, cap, "no answer from unit %ld on %s within %ld ms: check the unit id%s",
                 a->unit, label, a->timeout_ms,
                 tcp ? " and that the address is the meter or its gateway"
                     : ", the wiring (A/B), the baud rate and parity");
    } else if (-rc >= EMBXILFUN && -rc <= EMBXGTAR) {
        int code = -rc - MODBUS_ENOBASE;
        const char *hint =
            code == MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS ||
                    code == MODBUS_EXCEPTION_ILLEGAL_FUNCTION
                ? ": the device does not have these registers; is --map right "
                  "for it?"
            : code == MODBUS_EXCEPTION_GATEWAY_TARGET || code == MODBUS_EXCEPTION_GATEWAY_PATH
                ? ": the gateway reached no device with this unit id"
                : "";
        snprintf(buf, cap,
                 "unit %ld answered with Modbus exception %d (%s) reading %u %s registers at "
                 "0x%04x for map %s%s",
                 a->unit, code, amp_strerror(rc), failed->count, table, failed->addr, map->name,
                 hint);
    } else if (rc == -EMBBADCRC || rc == -EMBBADDATA || rc == -EMBMDATA || rc == -EMBBADEXC ||
               rc == -EMBUNKEXC || rc == -EMBBADSLAVE || rc == -EPROTO) {
        snprintf(buf, cap,
                 "garbled answer from unit %ld on %s: %s; check the baud rate, parity, "
                 "termination and that no other master is on the bus",
                 a->unit, label, amp_strerror(rc));
    } else if (rc == AMP_ERR_NOT_AVAILABLE || rc == -ERANGE) {
        snprintf(buf, cap, "the meter reports a needed value as not available (%s)",
                 amp_strerror(rc));
    } else {
        snprintf(buf, cap, "cannot reach %s: %s", label, amp_strerror(rc));
    }
}

static int meter_read(int argc, char **argv)
{
    struct read_args a;
    int ex = parse_read_args(argc, argv, &a);
    if (ex != CMD_EXIT_OK) {
        return ex;
    }
    struct mb_map_custom custom;
    const struct mb_map *map;
    if (strcmp(a.map, "generic") == 0) {
        ex = cmd_generic_map("ampshare meter read", a.set, a.n_set, &custom);
        if (ex != CMD_EXIT_OK) {
            return ex;
        }
        map = &custom.map;
    } else {
        map = mb_map_find(a.map);
        if (!map) {
            fprintf(stderr,
                    "ampshare meter read: unknown map '%s'; 'ampshare meter maps' lists them\n",
                    a.map);
            return CMD_EXIT_USAGE;
        }
        if (a.n_set) {
            fprintf(stderr, "ampshare meter read: --set applies to --map generic only\n");
            return CMD_EXIT_USAGE;
        }
    }
    char err[512];
    struct tp_addr addr;
    if (tp_addr_parse(a.transport, &addr, err, sizeof(err)) != 0) {
        fprintf(stderr, "ampshare meter read: --transport: %s\n", err);
        return CMD_EXIT_USAGE;
    }
    if (addr.kind == TP_ADDR_PTY) {
        fprintf(stderr, "ampshare meter read: --transport: pty: is the listening side of a "
                        "simulator; open the link with serial:PATH\n");
        return CMD_EXIT_USAGE;
    }
    if (addr.kind == TP_ADDR_SERIAL && (a.unit < 1 || a.unit > 247)) {
        fprintf(stderr,
                "ampshare meter read: --unit %ld: a serial line has unit ids 1-247 (0 is "
                "broadcast, which no meter answers)\n",
                a.unit);
        return CMD_EXIT_USAGE;
    }
    struct mb_bus_opts bo = {.timeout_ms = (uint32_t)a.timeout_ms, .gap_ms = map->gap_ms};
    struct mb_bus *bus;
    int rc = mb_bus_new(&addr, &bo, &bus);
    if (rc < 0) {
        fprintf(stderr, "ampshare meter read: %s: %s\n", a.transport, amp_strerror(rc));
        return CMD_EXIT_FAIL;
    }
    struct mb_plan plan;
    mb_map_plan(map, &plan);
    struct mb_reading r;
    struct mb_block failed = {0, 0};
    rc = mb_meter_read(bus, (uint8_t)a.unit, map, &plan, &r, &failed);
    char label[320];
    snprintf(label, sizeof(label), "%s", mb_bus_label(bus));
    mb_bus_free(bus);

    if (rc != 0) {
        explain(err, sizeof(err), rc, &a, map, label, &failed);
    }
    if (a.json) {
        print_json(&a, map, label, &r, rc, rc ? err : "");
    } else if (rc == 0 || r.have) {
        print_human(&a, map, label, &r);
    }
    if (rc != 0) {
        fprintf(stderr, "ampshare meter read: %s\n", err);
        return CMD_EXIT_FAIL;
    }
    return CMD_EXIT_OK;
}

static int meter_maps(void)
{
    printf("meter maps (--map NAME):\n");
    for (size_t i = 0; i < mb_map_count(); i++) {
        const struct mb_map *m = mb_map_at(i);
        char phases[16];
        if (m->flags & MB_MAP_TOTAL_ONLY) {
            snprintf(phases, sizeof(phases), "total");
        } else {
            snprintf(phases, sizeof(phases), "%u-phase", m->phases);
        }
        printf("  %-22s %-8s fc%u  %s\n", m->name, phases, m->fc, m->model);
    }
    printf("  %-22s %-8s      registers, type, word order and scales from --set KEY=VALUE\n",
           "generic", "any");
    printf("\naliases:\n");
    for (size_t i = 0; i < mb_map_alias_count(); i++) {
        const char *target;
        const char *alias = mb_map_alias_at(i, &target);
        printf("  %-22s -> %s\n", alias, target);
    }
    printf("\ncontrollable EVSE models:\n");
    for (size_t i = 0; i < mb_evse_count(); i++) {
        const struct mb_evse_model *m = mb_evse_at(i);
        printf("  %-22s %2d-%d A  %s\n", m->name, m->min_ma / 1000, m->max_ma / 1000, m->model);
    }
    printf("  %-22s %s\n", "generic",
           "setpoint register, unit, enable, state, keep-alive from "
           "the config");
    return CMD_EXIT_OK;
}

int cmd_meter(int argc, char **argv)
{
    if (argc < 2) {
        meter_usage(stderr);
        return CMD_EXIT_USAGE;
    }
    if (cmd_wants_help(argc, argv)) {
        meter_usage(stdout);
        return CMD_EXIT_OK;
    }
    if (strcmp(argv[1], "read") == 0) {
        return meter_read(argc, argv);
    }
    if (strcmp(argv[1], "maps") == 0) {
        if (argc > 2) {
            fprintf(stderr, "ampshare meter maps: takes no arguments\n");
            return CMD_EXIT_USAGE;
        }
        return meter_maps();
    }
    fprintf(stderr, "ampshare meter: unknown action '%s'\n", argv[1]);
    meter_usage(stderr);
    return CMD_EXIT_USAGE;
}
