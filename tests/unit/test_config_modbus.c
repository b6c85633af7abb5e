/* SPDX-License-Identifier: MIT */
/*
 * Meters and EVSEs checked against the Modbus driver's tables (config_modbus.c), the master ID
 * (auto by default; 7777, TWCManager's, warned about) and what the site keeps of them. Table-
 * driven: one case per kind of message, each with its exact text and file:line; then configs
 * that must pass without any error, so a check cannot refuse everything and still pass.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "controller/ctl_twc.h"
#include "controller/engine/config.h"
#include "controller/engine/site.h"
#include "tests/support/check_main.h"

/* Lines 1..9; every case's own text starts at line 10. garage: 3-phase 40 A; one: L2 20 A. */
#define BASE                \
    "[site]\n"              \
    "supply_limit_a = 63\n" \
    "[circuit garage]\n"    \
    "limit_a = 40\n"        \
    "[circuit one]\n"       \
    "parent = garage\n"     \
    "phases = 1\n"          \
    "phase = L2\n"          \
    "limit_a = 20\n"

/* Lines 10..13 (map at 12); its extra keys start at line 14. */
#define METER(name, map, measures) \
    "[meter " name "]\ntransport = tcp://127.0.0.1:502\nmap = " map "\nmeasures = " measures "\n"

/* A metered-only EVSE on garage, lines 10..14; its meter comes next (map at line 17). */
#define EVSE_NONE(name, meter) \
    "[evse " name "]\ncontrol = none\nmeter = " meter "\ncircuit = garage\nmax_current_a = 16\n"

/* A Modbus EVSE on garage, lines 10..15 (max at 14, control_map at 15); extras from line 16. */
#define EVSE_MB(name, max, model)                                                  \
    "[evse " name "]\ncontrol = modbus\ncontrol_transport = tcp://127.0.0.1:502\n" \
    "circuit = garage\nmax_current_a = " max "\ncontrol_map = " model "\n"

#define MAP_LIST                                                                       \
    "eastron-sdm630, eastron-sdm120, eastron-sdm72d-m, eastron-sdm72d-m-v2, abb-b23, " \
    "carlo-gavazzi-em24, carlo-gavazzi-em340, heidelberg-ec or generic"
#define MODEL_LIST "phoenix-ev-ser, phoenix-ev-eth, phoenix-ev-eth-wallbe, heidelberg-ec or generic"
#define TOTAL_ONLY(map)                                                                           \
    "map: meter map " map " reports total power only (no per-phase currents or voltages), so it " \
    "cannot feed per-phase balancing; use it as a total-power meter, or choose a per-phase map "  \
    "(eastron-sdm72d-m-v2 for the v2 model)"

struct mcase {
    const char *text;
    bool warning_only;
    const char *msg; /* exactly one of the messages */
};

/* clang-format off */
static const struct mcase cases[] = {
    /* ---- meter map names ---- */
    {BASE METER("m", "sdm63", "grid"), false,
     "t.ini:12: [meter m] map: unknown map 'sdm63'; did you mean 'sdm630'? (known: " MAP_LIST
     "; 'ampshare meter maps' lists aliases)"},
    {BASE METER("m", "landis-gyr", "grid"), false,
     "t.ini:12: [meter m] map: unknown map 'landis-gyr' (known: " MAP_LIST
     "; 'ampshare meter maps' lists aliases)"},
    /* ---- keys beside a built-in map (an alias resolves to its stable name) ---- */
    {BASE METER("m", "sdm630", "grid") "type = float32\n", false,
     "t.ini:14: [meter m] type: only for map = generic (this map is eastron-sdm630)"},
    {BASE METER("m", "sdm630", "grid") "unit = 1\n", false,
     "t.ini:14: [meter m]: unknown key 'unit'"},
    /* ---- a generic map: each key at its line, in the driver's words ---- */
    {BASE METER("m", "generic", "grid") "current_regs = 6,8\n", false,
     "t.ini:14: [meter m] current_regs: '6,8' is not a list of 1 or 3 register addresses "
     "(0-65535)"},
    {BASE METER("m", "generic", "grid") "current_regs = 6\nword_order = middle\n", false,
     "t.ini:15: [meter m] word_order: 'middle' is not high-first or low-first"},
    {BASE METER("m", "generic", "grid") "current_regs = 6\ncurrent_scale = 9\n", false,
     "t.ini:15: [meter m] current_scale: '9' is not a power of ten from -6 to 6"},
    {BASE METER("m", "generic", "grid") "current_regs = 6\nwrd_order = le\n", false,
     "t.ini:15: [meter m]: unknown key 'wrd_order'"},
    {BASE METER("m", "generic", "grid") "type = int32\n", false,
     "t.ini:12: [meter m] map = generic: set current_regs (1 or 3 registers), or at least "
     "power_total_reg"},
    {BASE METER("m", "generic", "grid") "current_regs = 0, 2, 4\npower_regs = 6\n", false,
     "t.ini:15: [meter m] map = generic: power_regs lists 1 registers but current_regs lists 3"},
    /* ---- per-phase use of a total-power map (modbus-maps.md §3.3) ---- */
    {BASE METER("m", "eastron-sdm72d-m", "circuit:garage"), false,
     "t.ini:12: [meter m] " TOTAL_ONLY("eastron-sdm72d-m")},
    {BASE EVSE_NONE("e", "m") METER("m", "eastron-sdm72d-m-v1", "evse"), false,
     "t.ini:17: [meter m] " TOTAL_ONLY("eastron-sdm72d-m")},
    {BASE METER("m", "generic", "grid") "power_total_reg = 0x34\n", false,
     "t.ini:12: [meter m] " TOTAL_ONLY("generic")},
    /* ---- fewer phases than what it measures ---- */
    {BASE METER("m", "sdm120", "circuit:garage"), false,
     "t.ini:12: [meter m] map: eastron-sdm120 reads 1 phase current, but circuit garage needs 3"},
    {BASE EVSE_NONE("e", "m") METER("m", "sdm120", "evse:e"), false,
     "t.ini:17: [meter m] map: eastron-sdm120 reads 1 phase current, but evse e needs 3"},
    {BASE METER("m", "generic", "grid") "current_regs = 6\n", false,
     "t.ini:12: [meter m] map: generic reads 1 phase current, but the supply needs 3"},
    /* ---- EVSE models ---- */
    {BASE "[evse e]\ncontrol = modbus\ncontrol_transport = tcp://127.0.0.1:502\n"
          "circuit = garage\nmax_current_a = 16\n", true,
     "t.ini:10: warning: [evse e] control = modbus without control_map: nothing can set its "
     "current until it names its model: " MODEL_LIST},
    {BASE "[evse e]\ncontrol = modbus\ncontrol_transport = tcp://127.0.0.1:502\n"
          "circuit = garage\nmax_current_a = 16\ncontrol_current_reg = 1\n", false,
     "t.ini:15: [evse e] control_current_reg: only for control_map = generic (no control_map is "
     "given)"},
    {BASE EVSE_MB("e", "16", "heidelberg"), false,
     "t.ini:15: [evse e] control_map: unknown EVSE model 'heidelberg'; did you mean "
     "'heidelberg-ec'? (known: " MODEL_LIST ")"},
    {BASE EVSE_MB("e", "16", "wallbox9000"), false,
     "t.ini:15: [evse e] control_map: unknown EVSE model 'wallbox9000' (known: " MODEL_LIST ")"},
    {BASE EVSE_MB("e", "16", "phoenix-ev-ser") "control_current_reg = 100\n", false,
     "t.ini:16: [evse e] control_current_reg: only for control_map = generic (this model is "
     "phoenix-ev-ser)"},
    {BASE EVSE_MB("e", "16", "phoenix-ev-ser") "control_frob = 1\n", false,
     "t.ini:16: [evse e]: unknown key 'control_frob'"},
    /* ---- the generic model: its keys carry control_ in [evse] ---- */
    {BASE EVSE_MB("e", "16", "generic")
          "control_current_reg = 100\ncontrol_enable_coil = 5\ncontrol_current_unit = 0.5A\n",
     false, "t.ini:18: [evse e] control_current_unit: '0.5A' is not A, 0.1A or 0.01A"},
    {BASE EVSE_MB("e", "16", "generic") "control_current_reg = 70000\n", false,
     "t.ini:16: [evse e] control_current_reg: '70000' is not a number 0-65535"},
    {BASE EVSE_MB("e", "16", "generic") "control_current_reg = 1\ncontrol_frob = 1\n", false,
     "t.ini:17: [evse e]: unknown key 'control_frob'"},
    {BASE EVSE_MB("e", "16", "generic") "control_enable_coil = 5\n", false,
     "t.ini:15: [evse e] control_map = generic: control_current_reg is required"},
    {BASE EVSE_MB("e", "16", "generic")
          "control_current_reg = 100\ncontrol_enable_coil = 5\ncontrol_keepalive = write\n",
     false, "t.ini:18: [evse e] control_map = generic: control_keepalive = write needs "
            "control_keepalive_ms"},
    {BASE EVSE_MB("e", "16", "generic") "control_current_reg = 100\n", false,
     "t.ini:15: [evse e] control_map: the generic model can neither be disabled nor take 0 A, "
     "so a charge could not be stopped: set control_enable_coil, control_enable_reg or "
     "control_zero_pauses = yes"},
    /* ---- the EVSE's currents against the model ---- */
    {BASE EVSE_MB("e", "32", "heidelberg-ec"), false,
     "t.ini:14: [evse e] max_current_a: 32 A is above the 16 A that heidelberg-ec takes"},
    {BASE EVSE_MB("e", "40", "generic") "control_current_reg = 1\ncontrol_zero_pauses = yes\n",
     false, "t.ini:14: [evse e] max_current_a: 40 A is above the 32 A that the generic model "
            "takes (control_max_current_a)"},
    {BASE EVSE_MB("e", "16", "heidelberg-ec") "min_current_a = 5\n", false,
     "t.ini:16: [evse e] min_current_a: 5 A is below the 6 A that heidelberg-ec takes"},
    {BASE EVSE_MB("e", "16", "heidelberg-ec") "step_a = 0.05\n", false,
     "t.ini:16: [evse e] step_a: 0.05 A is not a whole number of the 0.1 A steps that "
     "heidelberg-ec takes"},
    {BASE EVSE_NONE("e", "m") "control_current_reg = 5\n" METER("m", "sdm630", "evse"), false,
     "t.ini:15: [evse e] control_* keys need control = modbus"},
    /* ---- the master's ID ---- */
    {BASE "[bus b]\ntransport = serial:/dev/ttyUSB0\nmaster_address = 7777\n", true,
     "t.ini:12: warning: [bus b] master_address: 7777 is TWCManager's fixed master ID; should it "
     "ever run on this bus too, the two masters could not tell each other apart: use auto or "
     "another ID"},
};

/* Each must pass with no error at all. */
static const char *const valid[] = {
    BASE METER("m", "eastron-sdm630", "grid"),
    BASE METER("m", "em24", "circuit:garage"),
    BASE METER("m", "sdm120", "circuit:one"),
    BASE METER("m", "sdm120", "grid") "phase_map = L2\n",
    BASE METER("m", "eastron-sdm72d-m-v2", "circuit:garage"),
    BASE METER("m", "generic", "circuit:one") "current_regs = 0x10\nfc = holding\ntype = int32\n"
        "word_order = low-first\ncurrent_scale = -3\n",
    BASE METER("m", "generic", "grid") "current_regs = 0, 2, 4\npower_regs = 6, 8, 10\n"
        "sign_current_by_power = yes\n",
    BASE EVSE_NONE("e", "m") METER("m", "heidelberg-ec", "evse:e"),
    BASE EVSE_MB("e", "16", "phoenix-ev-ser"),
    BASE EVSE_MB("e", "16", "phoenix-ev-eth"),
    BASE EVSE_MB("e", "16", "phoenix-ev-eth-wallbe") "step_a = 0.1\n",
    BASE EVSE_MB("e", "16", "heidelberg-ec") "step_a = 0.5\nmin_current_a = 6.5\n",
    BASE EVSE_MB("e", "16", "generic") "control_current_reg = 1000\ncontrol_enable_coil = 2000\n",
    BASE EVSE_MB("e", "40", "generic") "control_current_reg = 261\ncontrol_current_fc = 16\n"
        "control_current_unit = 0.1A\ncontrol_max_current_a = 40\ncontrol_zero_pauses = yes\n"
        "step_a = 0.1\n",
    BASE "[bus b]\ntransport = serial:/dev/ttyUSB0\nmaster_address = auto\n",
    BASE "[bus b]\ntransport = serial:/dev/ttyUSB0\nmaster_address = 1234\n",
};
/* clang-format on */

#define N_CASES (sizeof(cases) / sizeof(cases[0]))
#define N_VALID (sizeof(valid) / sizeof(valid[0]))

START_TEST(test_modbus_case_names_file_line_and_fault)
{
    const struct mcase *k = &cases[_i];
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    ck_assert_msg(cfg_parse_string(k->text, "t.ini", &cfg, &diag) == 0, "parse: %s",
                  diag.n ? diag.item[0].text : "?");
    int rc = cfg_validate(&cfg, &diag);
    bool found = false;
    for (size_t i = 0; i < diag.n; i++) {
        found = found || strcmp(diag.item[i].text, k->msg) == 0;
    }
    if (!found) {
        for (size_t i = 0; i < diag.n; i++) {
            fprintf(stderr, "  got: %s\n", diag.item[i].text);
        }
    }
    ck_assert_msg(found, "case %d: no message '%s'", _i, k->msg);
    ck_assert_int_eq(rc, k->warning_only ? 0 : -EINVAL);
    cfg_free(&cfg);
}

END_TEST

START_TEST(test_modbus_valid_config_has_no_error)
{
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    ck_assert_int_eq(cfg_parse_string(valid[_i], "t.ini", &cfg, &diag), 0);
    int rc = cfg_validate(&cfg, &diag);
    for (size_t i = 0; i < diag.n; i++) {
        if (!diag.item[i].warning) {
            fprintf(stderr, "  valid[%d]: %s\n", _i, diag.item[i].text);
        }
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(diag.errors, 0);
    cfg_free(&cfg);
}

END_TEST

static struct site *build(const char *text, struct config *cfg)
{
    struct cfg_diag diag;
    cfg_diag_init(&diag);
    cfg_init(cfg);
    ck_assert_int_eq(cfg_parse_string(text, "t.ini", cfg, &diag), 0);
    struct site *site = NULL;
    char err[CFG_DIAG_TEXT] = "";
    ck_assert_msg(site_new(cfg, &site, err, sizeof(err)) == 0, "%s", err);
    return site;
}

START_TEST(test_site_keeps_driver_keys_and_model_defaults)
{
    /* clang-format off */
    static const char text[] =
        BASE EVSE_MB("g", "16", "generic") "control_current_reg = 1000\ncontrol_enable_coil = 2000\n"
        EVSE_MB("p", "16", "phoenix-ev-eth")
        EVSE_MB("q", "16", "phoenix-ev-eth") "control_unit_id = 7\n"
        METER("m", "sdm630", "circuit:garage")
        METER("n", "generic", "circuit:one") "current_regs = 0x10\n";
    /* clang-format on */
    struct config cfg;
    struct site *site = build(text, &cfg);
    const struct site_evse *g = &site->evse[site_find_evse(site, "g")];
    /* the generic model's keys as mb_evse_generic_set() names them */
    ck_assert_uint_eq(g->n_control_keys, 2);
    ck_assert_str_eq(g->control_keys[0].key, "current_reg");
    ck_assert_str_eq(g->control_keys[0].value, "1000");
    ck_assert_str_eq(g->control_keys[1].key, "enable_coil");
    ck_assert_uint_eq(g->control_unit_id, 1);
    /* phoenix-ev-eth answers on unit 255 (modbus-maps.md §3.8) unless the config says */
    ck_assert_uint_eq(site->evse[site_find_evse(site, "p")].control_unit_id, 255);
    ck_assert_uint_eq(site->evse[site_find_evse(site, "q")].control_unit_id, 7);
    /* the alias is kept by its stable name; the generic map keeps its keys */
    ck_assert_str_eq(site->meter[site_find_meter(site, "m")].map, "eastron-sdm630");
    const struct site_meter *n = &site->meter[site_find_meter(site, "n")];
    ck_assert_uint_eq(n->n_map_keys, 1);
    ck_assert_str_eq(n->map_keys[0].key, "current_regs");
    ck_assert_str_eq(n->map_keys[0].value, "0x10");
    site_free(site);
    cfg_free(&cfg);
}

END_TEST

/* Literals from an independent splitmix64 (the draw twc_master_pick_id documents): seed 0
 * first gives 0xe220a8397b1dcdaf -> ID cdaf, sign 1d; seed 1 gives ID 5cc1, sign 02. */
START_TEST(test_master_id_auto_by_default_and_around_slave_ids)
{
    struct config cfg;
    uint16_t id = 0;
    uint8_t sign = 0;
    struct site *site = build(BASE "[bus b]\ntransport = serial:/dev/ttyUSB0\n", &cfg);
    ck_assert(site->bus[0].master_auto);
    ck_assert_int_eq(ctl_twc_pick_master(site, 0, 0, &id, &sign), 0);
    ck_assert_uint_eq(id, 0xcdaf);
    ck_assert_uint_eq(sign, 0x1d);
    ck_assert_int_eq(ctl_twc_pick_master(site, 1, 0, &id, &sign), -EINVAL);
    site_free(site);
    cfg_free(&cfg);

    /* a Wall Connector configured as cdaf: the draw moves on */
    site = build(BASE "[bus b]\ntransport = serial:/dev/ttyUSB0\nmaster_address = auto\n"
                      "[wallconnector w]\nbus = b\naddress = cdaf\ncircuit = garage\n"
                      "max_current_a = 32\n",
                 &cfg);
    ck_assert_int_eq(ctl_twc_pick_master(site, 0, 0, &id, &sign), 0);
    ck_assert_uint_eq(id, 0x5cc1);
    ck_assert_uint_eq(sign, 0x02);
    site_free(site);
    cfg_free(&cfg);

    /* a fixed ID is used as written, on any seed */
    site = build(BASE "[bus b]\ntransport = serial:/dev/ttyUSB0\nmaster_address = 0x1234\n", &cfg);
    ck_assert(!site->bus[0].master_auto);
    ck_assert_int_eq(ctl_twc_pick_master(site, 0, 1, &id, &sign), 0);
    ck_assert_uint_eq(id, 0x1234);
    site_free(site);
    cfg_free(&cfg);
}

END_TEST

START_TEST(test_twcmanager_id_is_a_warning_not_an_error)
{
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    const char *text = BASE "[bus b]\ntransport = serial:/dev/ttyUSB0\nmaster_address = 7777\n"
                            "[wallconnector w]\nbus = b\naddress = auto\ncircuit = garage\n"
                            "max_current_a = 32\n";
    ck_assert_int_eq(cfg_parse_string(text, "t.ini", &cfg, &diag), 0);
    ck_assert_int_eq(cfg_validate(&cfg, &diag), 0);
    ck_assert_uint_eq(diag.errors, 0);
    ck_assert_uint_eq(diag.warnings, 1);
    ck_assert_int_eq(diag.item[0].line, 12);
    struct site *site = NULL;
    char err[CFG_DIAG_TEXT];
    ck_assert_int_eq(site_new(&cfg, &site, err, sizeof(err)), 0);
    ck_assert_uint_eq(site->bus[0].master_address, 0x7777);
    site_free(site);
    cfg_free(&cfg);
}

END_TEST

static Suite *config_modbus_suite(void)
{
    Suite *s = suite_create("config_modbus");
    TCase *tc = tcase_create("modbus");
    tcase_add_loop_test(tc, test_modbus_case_names_file_line_and_fault, 0, (int)N_CASES);
    tcase_add_loop_test(tc, test_modbus_valid_config_has_no_error, 0, (int)N_VALID);
    tcase_add_test(tc, test_site_keeps_driver_keys_and_model_defaults);
    tcase_add_test(tc, test_master_id_auto_by_default_and_around_slave_ids);
    tcase_add_test(tc, test_twcmanager_id_is_a_warning_not_an_error);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(config_modbus_suite)
