/* SPDX-License-Identifier: MIT */
/*
 * The INI parser: every kind of error names file:line with the exact message a user sees; the
 * accepted forms (comments, indentation, CRLF, per-phase lists) parse to the values written.
 * The example config (etc/ampshare.ini) is loaded here too, so it cannot rot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "controller/engine/config.h"
#include "controller/engine/site.h"
#include "tests/support/check_main.h"

struct parse_case {
    const char *text;
    const char *first; /* the first message, exactly */
};

/* clang-format off */
static const struct parse_case errors[] = {
    {"[site]\nsupply_limit_a = x\n",
     "t.ini:2: [site] supply_limit_a: 'x' is not a current in amps (up to 3 decimals)"},
    {"[site]\nsupply_limit_a = 6.1234\n",
     "t.ini:2: [site] supply_limit_a: '6.1234' is not a current in amps (up to 3 decimals)"},
    {"[site]\nsupply_limit_a = 2000\n",
     "t.ini:2: [site] supply_limit_a: '2000' is above 1000 A"},
    {"[site]\nsupply_limit_a = 32,32\n",
     "t.ini:2: [site] supply_limit_a: '32,32' must be one current or three (L1,L2,L3)"},
    {"[site]\nsupply_limit_a = -5\n",
     "t.ini:2: [site] supply_limit_a: '-5' is not a current in amps (up to 3 decimals)"},
    {"[site]\nphases = 4\n",
     "t.ini:2: [site] phases: 4 is out of range 1..3"},
    {"[site]\nvoltage_v = 230.5\n",
     "t.ini:2: [site] voltage_v: '230.5' is not a whole number"},
    {"\n\n[garage]\n",
     "t.ini:3: unknown section [garage] (expected site, policy, circuit, bus, wallconnector, meter, "
     "evse, http, mqtt, sessions or ocpp)"},
    {"[sessions]\nflush_interval_ms = 500\n",
     "t.ini:2: [sessions] flush_interval_ms: 500 is out of range 1000..3600000"},
    {"[sessions]\n[sessions]\ndb = /x.db\n",
     "t.ini:2: [sessions] given twice (first at line 1)"},
    {"[sessions]\ndbfile = /x.db\n",
     "t.ini:2: [sessions]: unknown key 'dbfile'"},
    {"[sessions main]\n",
     "t.ini:1: [sessions] takes no name"},
    {"[site]\nsupply_limt_a = 40\n",
     "t.ini:2: [site]: unknown key 'supply_limt_a'"},
    {"[site]\nsupply_limit_a = 40\nsupply_limit_a = 50\n",
     "t.ini:3: [site] supply_limit_a: given twice (first at line 2)"},
    {"[circuit a]\nlimit_a = 1\n[circuit a]\n",
     "t.ini:3: [circuit a] given twice (first at line 1)"},
    {"[site]\n[site]\n",
     "t.ini:2: [site] given twice (first at line 1)"},
    {"[site home]\n",
     "t.ini:1: [site] takes no name"},
    {"[circuit]\n",
     "t.ini:1: [circuit] needs one name of letters, digits, '_', '-' or '.' (at most 31 "
     "characters)"},
    {"[circuit a/b]\n",
     "t.ini:1: [circuit a/b] needs one name of letters, digits, '_', '-' or '.' (at most 31 "
     "characters)"},
    {"[circuit supply]\n",
     "t.ini:1: [circuit supply]: 'supply' is the site's own name for its root; pick another"},
    {"limit_a = 4\n",
     "t.ini:1: 'limit_a' is outside any section"},
    {"[site]\nsupply_limit_a 40\n",
     "t.ini:2: expected 'key = value', got 'supply_limit_a 40'"},
    {"[site]\nsupply_limit_a: 40\n",
     "t.ini:2: expected 'key = value', got 'supply_limit_a: 40'"},
    {"[site\n",
     "t.ini:1: malformed section header '[site'"},
    {"[site] x\n",
     "t.ini:1: malformed section header '[site] x'"},
    {"[site]\nname =\n",
     "t.ini:2: [site] name: empty value"},
    {"[wallconnector w]\nphase_map = L1,L1\n",
     "t.ini:2: [wallconnector w] phase_map: 'L1,L1' is not a phase list like L1 or L2,L3,L1 "
     "(each phase once)"},
    {"[wallconnector w]\nphase_map = L4\n",
     "t.ini:2: [wallconnector w] phase_map: 'L4' is not a phase list like L1 or L2,L3,L1 (each "
     "phase once)"},
    {"[wallconnector w]\naddress = 12345\n",
     "t.ini:2: [wallconnector w] address: '12345' is not a Wall Connector ID (4 hex digits or "
     "auto)"},
    {"[wallconnector w]\naddress = 0x28\n",
     "t.ini:2: [wallconnector w] address: '0x28' is not a Wall Connector ID (4 hex digits or "
     "auto)"},
    {"[wallconnector w]\naddress = 1e3\n",
     "t.ini:2: [wallconnector w] address: '1e3' is not a Wall Connector ID (4 hex digits or "
     "auto)"},
    {"[wallconnector w]\naddress = 0x\n",
     "t.ini:2: [wallconnector w] address: '0x' is not a Wall Connector ID (4 hex digits or "
     "auto)"},
    {"[bus b]\nmaster_address = 77777\n",
     "t.ini:2: [bus b] master_address: '77777' is not a Wall Connector ID (4 hex digits or auto)"},
    {"[evse e]\ntransport_control = tcp://127.0.0.1:502\n",
     "t.ini:2: [evse e]: unknown key 'transport_control'"},
    {"[evse e]\ncontrol_current_reg = 1\ncontrol_current_reg = 2\n",
     "t.ini:3: [evse e] control_current_reg: given twice (first at line 2)"},
    {"[meter m]\ncurrent_regs = 1\ncurrent_regs = 2\n",
     "t.ini:3: [meter m] current_regs: given twice (first at line 2)"},
    {"[bus b]\ntransport = tcp://host\n",
     "t.ini:2: [bus b] transport: address 'tcp://host': expected tcp://host:port"},
    {"[meter m]\nmeasures = house\n",
     "t.ini:2: [meter m] measures: 'house' is not grid, circuit:NAME, evse or evse:NAME"},
    {"[wallconnector w]\ncircuit = a b\n",
     "t.ini:2: [wallconnector w] circuit: 'a b' is not a section name"},
    {"[wallconnector w]\npriority = high\n",
     "t.ini:2: [wallconnector w] priority: 'high' is not a whole number"},
    {"[policy]\nname = native\nname = fifo\n",
     "t.ini:3: [policy] name: given twice (first at line 2)"},
    {"[policy]\nhold_ms = 1\nhold_ms = 2\n",
     "t.ini:3: [policy] hold_ms: given twice (first at line 2)"},
    {"[site]\nname = "
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxx\n",
     "t.ini:2: line longer than 198 characters"},
};
/* clang-format on */

#define N_ERRORS (sizeof(errors) / sizeof(errors[0]))

START_TEST(test_parse_error_names_file_line_and_fault)
{
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    ck_assert_int_eq(cfg_parse_string(errors[_i].text, "t.ini", &cfg, &diag), -EINVAL);
    ck_assert_uint_ge(diag.n, 1);
    ck_assert_str_eq(diag.item[0].text, errors[_i].first);
    cfg_free(&cfg);
}

END_TEST

START_TEST(test_parse_reports_every_error_not_just_the_first)
{
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    const char *text = "[site]\nsupply_limit_a = x\nphases = 9\n[nope]\nkey = 1\n[circuit a]\n"
                       "limit_a = y\n";
    ck_assert_int_eq(cfg_parse_string(text, "t.ini", &cfg, &diag), -EINVAL);
    ck_assert_uint_eq(diag.errors, 4); /* keys under the unknown section are not repeated */
    ck_assert_int_eq(diag.item[0].line, 2);
    ck_assert_int_eq(diag.item[1].line, 3);
    ck_assert_int_eq(diag.item[2].line, 4);
    ck_assert_int_eq(diag.item[3].line, 7);
    cfg_free(&cfg);
}

END_TEST

START_TEST(test_parse_accepts_comments_indentation_crlf_and_lists)
{
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    const char *text = "\xEF\xBB\xBF; a comment\r\n"
                       "# another\r\n"
                       "[site]\r\n"
                       "  supply_limit_a = 32, 32,25.5   ; per phase\r\n"
                       "\tvoltage_v = 230\r\n"
                       "[wallconnector w]\n"
                       "address = 0x2019\n"
                       "phase_map = l2,L3,L1\n"
                       "[meter m]\ncurrent_regs = 0x0006\nmeasures = circuit:garage\n"
                       "[policy]\nname = ./x.so\nfoo = bar baz\n"
                       "[bus b]\nmaster_address = auto\n"
                       "[evse e]\ncontrol_current_reg = 261\n";
    ck_assert_int_eq(cfg_parse_string(text, "t.ini", &cfg, &diag), 0);
    ck_assert_uint_eq(diag.n, 0);
    ck_assert_int_eq(cfg.site.line, 3);
    ck_assert_int_eq(cfg.site.supply_limit.n, 3);
    ck_assert_int_eq(cfg.site.supply_limit.ma[0], 32000);
    ck_assert_int_eq(cfg.site.supply_limit.ma[2], 25500);
    ck_assert_int_eq(cfg.site.supply_limit.line, 4);
    ck_assert_uint_eq(cfg.site.voltage.v, 230);
    ck_assert_uint_eq(cfg.wc[0].address.v, 0x2019);
    ck_assert_uint_eq(cfg.wc[0].phase_map.n, 3);
    ck_assert_uint_eq(cfg.wc[0].phase_map.ph[0], 1);
    ck_assert_uint_eq(cfg.wc[0].phase_map.ph[2], 0);
    /* keys for the Modbus driver are kept as written, with their lines (config_modbus.c
     * checks them once the section's map or model is known) */
    ck_assert_uint_eq(cfg.meter[0].map_keys.n, 1);
    ck_assert_str_eq(cfg.meter[0].map_keys.kv[0].key, "current_regs");
    ck_assert_str_eq(cfg.meter[0].map_keys.kv[0].value, "0x0006");
    ck_assert_int_eq(cfg.meter[0].map_keys.kv[0].line, 10);
    ck_assert(cfg.bus[0].master_address.is_auto);
    ck_assert_int_eq(cfg.bus[0].master_address.line, 16);
    ck_assert_uint_eq(cfg.evse[0].control_keys.n, 1);
    ck_assert_str_eq(cfg.evse[0].control_keys.kv[0].key, "control_current_reg");
    ck_assert_str_eq(cfg.evse[0].control_keys.kv[0].value, "261");
    ck_assert_int_eq(cfg.evse[0].control_keys.kv[0].line, 18);
    ck_assert_int_eq(cfg.meter[0].measures_kind, CFG_MEASURES_CIRCUIT);
    ck_assert_str_eq(cfg.meter[0].measures_target, "garage");
    ck_assert_str_eq(cfg.policy.name.s, "./x.so");
    ck_assert_uint_eq(cfg.policy.options.n, 1);
    ck_assert_str_eq(cfg.policy.options.kv[0].value, "bar baz");
    ck_assert_int_eq(cfg.policy.options.kv[0].line, 14);
    cfg_free(&cfg);
}

END_TEST

START_TEST(test_amps_parse_exactly_without_floats)
{
    int32_t ma = -1;
    ck_assert_int_eq(cfg_parse_amps("32", &ma), 0);
    ck_assert_int_eq(ma, 32000);
    ck_assert_int_eq(cfg_parse_amps("0.125", &ma), 0);
    ck_assert_int_eq(ma, 125);
    ck_assert_int_eq(cfg_parse_amps(".5", &ma), 0);
    ck_assert_int_eq(ma, 500);
    ck_assert_int_eq(cfg_parse_amps("1000", &ma), 0);
    ck_assert_int_eq(ma, 1000000);
    ck_assert_int_eq(cfg_parse_amps("1000.001", &ma), -ERANGE);
    ck_assert_int_eq(cfg_parse_amps("", &ma), -EINVAL);
    ck_assert_int_eq(cfg_parse_amps(".", &ma), -EINVAL);
    ck_assert_int_eq(cfg_parse_amps("1e3", &ma), -EINVAL);
    ck_assert_int_eq(cfg_parse_amps("99999999999999", &ma), -ERANGE);
    char buf[16];
    ck_assert_str_eq(cfg_fmt_amps(32000, buf, sizeof(buf)), "32");
    ck_assert_str_eq(cfg_fmt_amps(6500, buf, sizeof(buf)), "6.5");
    ck_assert_str_eq(cfg_fmt_amps(250, buf, sizeof(buf)), "0.25");
    ck_assert_str_eq(cfg_fmt_amps(125, buf, sizeof(buf)), "0.125");
}

END_TEST

START_TEST(test_sessions_section_parses_db_and_flush_interval)
{
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    ck_assert_int_eq(cfg_parse_string("[site]\nsupply_limit_a = 40\n\n[sessions]\n"
                                      "db = /srv/ampshare/log.db\nflush_interval_ms = 30000\n",
                                      "t.ini", &cfg, &diag),
                     0);
    ck_assert_int_eq(cfg.sessions.line, 4);
    ck_assert_str_eq(cfg.sessions.db.s, "/srv/ampshare/log.db");
    ck_assert_int_eq(cfg.sessions.db.line, 5);
    ck_assert_uint_eq(cfg.sessions.flush_interval.v, 30000);
    cfg_free(&cfg);
    /* absent: no line, the caller takes the defaults */
    cfg_diag_init(&diag);
    ck_assert_int_eq(cfg_parse_string("[site]\nsupply_limit_a = 40\n", "t.ini", &cfg, &diag), 0);
    ck_assert_int_eq(cfg.sessions.line, 0);
    ck_assert_int_eq(cfg.sessions.db.line, 0);
    cfg_free(&cfg);
}
END_TEST

START_TEST(test_missing_file_is_reported_with_its_path)
{
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    ck_assert_int_eq(cfg_parse_file("/nonexistent/ampshare.ini", &cfg, &diag), -ENOENT);
    ck_assert_str_eq(diag.item[0].text,
                     "/nonexistent/ampshare.ini: cannot read: No such file or directory");
    char err[256];
    ck_assert_int_eq(cfg_load("/nonexistent/ampshare.ini", &cfg, err, sizeof(err)), -ENOENT);
    ck_assert_str_eq(err, "/nonexistent/ampshare.ini: cannot read: No such file or directory");
    cfg_free(&cfg);
}

END_TEST

/* The issue-17 case: one NUL in a comment used to end the file there, silently dropping the
 * grid meter below it. */
static const char nul_text[] = "[site]\nsupply_limit_a = 40\n; old \0 note\n"
                               "[meter grid]\ntransport = tcp://127.0.0.1:502\nmeasures = grid\n";

START_TEST(test_nul_byte_is_an_error_with_line_and_column_not_the_end)
{
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    ck_assert_int_eq(cfg_parse_bytes(nul_text, sizeof(nul_text) - 1, "t.ini", &cfg, &diag),
                     -EINVAL);
    ck_assert_uint_eq(diag.errors, 1);
    ck_assert_str_eq(diag.item[0].text, "t.ini:3: NUL byte at column 7: a config file is text");
    ck_assert_uint_eq(cfg.n_meter, 1); /* the rest was read */
    cfg_free(&cfg);
    /* the same from a file */
    char path[] = "/tmp/ampshare-cfg-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, nul_text, sizeof(nul_text) - 1), (ssize_t)sizeof(nul_text) - 1);
    close(fd);
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    ck_assert_int_eq(cfg_parse_file(path, &cfg, &diag), -EINVAL);
    char want[128];
    snprintf(want, sizeof(want), "%s:3: NUL byte at column 7: a config file is text", path);
    ck_assert_str_eq(diag.item[0].text, want);
    ck_assert_uint_eq(cfg.n_meter, 1);
    cfg_free(&cfg);
    unlink(path);
}

END_TEST

START_TEST(test_invalid_utf8_is_an_error_with_line_and_column)
{
    static const struct {
        const char *text;
        const char *first;
    } cases[] = {
        {"[site]\nname = caf\xe9\n", "t.ini:2: invalid UTF-8 at column 11 (byte 0xe9)"},
        {"[site]\n; \xc0\xaf overlong\n", "t.ini:2: invalid UTF-8 at column 3 (byte 0xc0)"},
        {"; \xed\xa0\x80 surrogate\n", "t.ini:1: invalid UTF-8 at column 3 (byte 0xed)"},
        {"[site]\nname = x\xf4\x90\x80\x80\n", "t.ini:2: invalid UTF-8 at column 9 (byte 0xf4)"},
        {"[site]\nname = cut\xe2\x82", "t.ini:2: invalid UTF-8 at column 11 (byte 0xe2)"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cfg_diag diag;
        struct config cfg;
        cfg_diag_init(&diag);
        cfg_init(&cfg);
        ck_assert_int_eq(cfg_parse_string(cases[i].text, "t.ini", &cfg, &diag), -EINVAL);
        ck_assert_str_eq(diag.item[0].text, cases[i].first);
        cfg_free(&cfg);
    }
    /* valid UTF-8 anywhere is fine: a comment and a policy option */
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    ck_assert_int_eq(cfg_parse_string("; Zo\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x8c\n[policy]\n"
                                      "note = Caf\xc3\xa9\n",
                                      "t.ini", &cfg, &diag),
                     0);
    cfg_free(&cfg);
}

END_TEST

START_TEST(test_only_regular_files_are_read)
{
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    ck_assert_int_eq(cfg_parse_file("/tmp", &cfg, &diag), -EISDIR);
    ck_assert_str_eq(diag.item[0].text, "/tmp: cannot read: Is a directory");
    cfg_free(&cfg);
    /* a FIFO with no writer would block a read for ever: refused at once */
    char dir[] = "/tmp/ampshare-fifo-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/cfg", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    ck_assert_int_eq(cfg_parse_file(path, &cfg, &diag), -ENOTSUP);
    char want[160];
    snprintf(want, sizeof(want), "%s: cannot read: not a regular file (a FIFO, socket or device)",
             path);
    ck_assert_str_eq(diag.item[0].text, want);
    cfg_free(&cfg);
    char err[256];
    ck_assert_int_eq(cfg_load(path, &cfg, err, sizeof(err)), -ENOTSUP);
    ck_assert_str_eq(err, want);
    unlink(path);
    rmdir(dir);
    cfg_init(&cfg);
    ck_assert_int_eq(cfg_load("/dev/null", &cfg, err, sizeof(err)), -ENOTSUP);
}

END_TEST

START_TEST(test_example_config_loads_and_builds_a_site)
{
    const char *path = AMP_TEST_SRC_DIR "/etc/ampshare.ini";
    struct config cfg;
    char err[256] = "";
    cfg_init(&cfg);
    ck_assert_msg(cfg_load(path, &cfg, err, sizeof(err)) == 0, "%s", err);
    struct site *site = NULL;
    ck_assert_msg(site_new(&cfg, &site, err, sizeof(err)) == 0, "%s", err);
    /* supply -> main -> garage, carport: four circuits, depth-first */
    ck_assert_uint_eq(site->n_circuit, 4);
    ck_assert_str_eq(site->circuit[0].name, "supply");
    ck_assert_str_eq(site->circuit[1].name, "main");
    ck_assert_str_eq(site->circuit[2].name, "garage");
    ck_assert_str_eq(site->circuit[3].name, "carport");
    ck_assert_uint_eq(site->circuit[3].phases, AMPSHARE_PHASE_L3);
    ck_assert_uint_eq(site->n_evse, 4);
    ck_assert_uint_eq(site->n_controllable, 3);
    int bay3 = site_find_evse(site, "bay3");
    ck_assert_int_ge(bay3, 0);
    ck_assert_uint_eq(site->evse[bay3].phase_map[0], 1);
    ck_assert_str_eq(site->evse[bay3].control_map, "heidelberg-ec");
    ck_assert_uint_eq(site->evse[bay3].control_unit_id, 1);
    ck_assert_str_eq(site->policy, "idle_reclaim");
    ck_assert_uint_eq(site->n_policy_opt, 2);
    const struct site_meter *gm = &site->meter[site_find_meter(site, "garage-meter")];
    ck_assert_str_eq(gm->map, "generic");
    ck_assert_uint_eq(gm->n_map_keys, 4);
    ck_assert_str_eq(gm->map_keys[0].key, "current_regs");
    ck_assert_str_eq(gm->map_keys[0].value, "0x0006, 0x0008, 0x000A");
    ck_assert_str_eq(site->meter[site_find_meter(site, "bay3-meter")].map, "heidelberg-ec");
    /* the example leaves the master ID to chance, never TWCManager's 7777 */
    ck_assert_uint_eq(site->n_bus, 1);
    ck_assert(site->bus[0].master_auto);
    site_free(site);
    cfg_free(&cfg);
}

END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_parse_error_names_file_line_and_fault, 0, (int)N_ERRORS);
    tcase_add_test(tc, test_parse_reports_every_error_not_just_the_first);
    tcase_add_test(tc, test_parse_accepts_comments_indentation_crlf_and_lists);
    tcase_add_test(tc, test_amps_parse_exactly_without_floats);
    tcase_add_test(tc, test_missing_file_is_reported_with_its_path);
    tcase_add_test(tc, test_nul_byte_is_an_error_with_line_and_column_not_the_end);
    tcase_add_test(tc, test_invalid_utf8_is_an_error_with_line_and_column);
    tcase_add_test(tc, test_only_regular_files_are_read);
    tcase_add_test(tc, test_sessions_section_parses_db_and_flush_interval);
    tcase_add_test(tc, test_example_config_loads_and_builds_a_site);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(config_suite)
