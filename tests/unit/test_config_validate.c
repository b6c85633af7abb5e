/* SPDX-License-Identifier: MIT */
/*
 * cfg_validate(), table-driven: every kind of reference, range and physical-sense error (and
 * the two warnings) on a small base site plus one defect, with the exact message and line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "controller/engine/config.h"
#include "controller/engine/site.h"
#include "tests/support/check_main.h"

/* Lines 1..6; every case's own text starts at line 7. */
#define BASE                            \
    "[site]\n"                          \
    "supply_limit_a = 63\n"             \
    "[bus b]\n"                         \
    "transport = serial:/dev/ttyUSB0\n" \
    "[circuit garage]\n"                \
    "limit_a = 40\n"

#define WC_OK(name, addr)                                                                       \
    "[wallconnector " name "]\nbus = b\naddress = " addr "\ncircuit = garage\nmax_current_a = " \
                                                         "32\n"

struct vcase {
    const char *text;
    bool warning_only;
    const char *msg; /* exactly one of the messages */
};

/* clang-format off */
static const struct vcase cases[] = {
    {"", false, "t.ini: the [site] section is missing"},
    {"[site]\n", false, "t.ini:1: [site] supply_limit_a is missing"},
    {"[site]\nsupply_limit_a = 0\n", false, "t.ini:2: [site] supply_limit_a: must be above 0 A"},
    {"[site]\nphases = 1\nsupply_limit_a = 40,40,40\n", false,
     "t.ini:3: [site] supply_limit_a: three values for a 1-phase site"},
    {"[site]\nphases = 2\nsupply_limit_a = 40\n", false,
     "t.ini:2: [site] phases: 2 is not supported (1 or 3)"},
    {"[site]\nsupply_limit_a = 40\nmin_current_a = 0.5\n", false,
     "t.ini:3: [site] min_current_a: 0.5 A is outside 1..80 A"},
    {"[site]\nsupply_limit_a = 40\ncharging_threshold_a = 7\n", false,
     "t.ini:3: [site] charging_threshold_a: 7 A must be above 0 and at most min_current_a (6 A)"},
    {"[site]\nsupply_limit_a = 40\novercommit_a = 41\n", false,
     "t.ini:3: [site] overcommit_a: above the supply limit"},
    {BASE "[circuit sub]\nparent = nope\nlimit_a = 20\n", false,
     "t.ini:8: [circuit sub] parent: no circuit 'nope'"},
    {BASE "[circuit a]\nparent = b\nlimit_a = 20\n[circuit b]\nparent = a\nlimit_a = 20\n", false,
     "t.ini:8: [circuit a] parent: the chain through 'b' never reaches the supply (a loop)"},
    {BASE "[circuit sub]\nparent = garage\n", false, "t.ini:7: [circuit sub] limit_a is missing"},
    {BASE "[circuit sub]\nparent = garage\nlimit_a = 50,40,40\n", true,
     "t.ini:9: warning: [circuit sub] limit_a: 50 A on L1 is above its parent garage's 40 A "
     "(allowed; the parent still limits)"},
    {BASE "[circuit sub]\nparent = garage\nphases = 1\nlimit_a = 20\n", false,
     "t.ini:9: [circuit sub] a 1-phase circuit under a 3-phase one needs phase = L1, L2 or L3"},
    {BASE "[circuit sub]\nparent = garage\nphases = 3\nphase = L2\nlimit_a = 20\n", false,
     "t.ini:10: [circuit sub] phase: only for a 1-phase circuit"},
    {BASE "[circuit sub]\nparent = garage\nphases = 1\nphase = L2\nlimit_a = 20,20,20\n", false,
     "t.ini:11: [circuit sub] limit_a: three values for a 1-phase circuit"},
    {BASE "[circuit sub]\nparent = garage\nphases = 1\nphase = L2\nlimit_a = 20\n"
          "[circuit subsub]\nparent = sub\nphases = 3\nlimit_a = 10\n", false,
     "t.ini:14: [circuit subsub] phases: 3 under the 1-phase sub"},
    {BASE "[circuit sub]\nparent = garage\nlimit_a = 20\novercommit_a = 21\n", false,
     "t.ini:10: [circuit sub] overcommit_a: above the circuit's limit"},
    {BASE "[wallconnector w]\nbus = b\naddress = 1111\ncircuit = garage\nmax_current_a = 48\n",
     true, "t.ini:11: warning: [wallconnector w] max_current_a 48 A is above circuit garage's "
           "40 A; clamped to 40 A"},
    {BASE "[circuit tiny]\nparent = garage\nlimit_a = 5\n"
          "[wallconnector w]\nbus = b\naddress = 1111\ncircuit = tiny\nmax_current_a = 32\n", false,
     "t.ini:14: [wallconnector w] min_current_a 6 A is above circuit tiny's 5 A: it could never "
     "charge"},
    /* issue 17: the limit above the direct circuit counts too, at every level */
    {BASE "[circuit sub]\nparent = garage\nlimit_a = 50\n"
          "[wallconnector w]\nbus = b\naddress = 1111\ncircuit = sub\nmax_current_a = 48\n"
          "min_current_a = 45\n", false,
     "t.ini:15: [wallconnector w] min_current_a 45 A is above circuit garage's 40 A: it could "
     "never charge"},
    {"[site]\nsupply_limit_a = 10\n[bus b]\ntransport = serial:/dev/ttyUSB0\n[circuit garage]\n"
     "limit_a = 40\n" WC_OK("w", "1111") "min_current_a = 16\n", false,
     "t.ini:12: [wallconnector w] min_current_a 16 A is above circuit supply's 10 A: it could "
     "never charge"},
    {"[site]\nsupply_limit_a = 10\n[circuit garage]\nlimit_a = 40\n[evse e]\ncontrol = modbus\n"
     "control_transport = tcp://127.0.0.1:502\ncircuit = garage\nmax_current_a = 16\n"
     "min_current_a = 12\n", false,
     "t.ini:10: [evse e] min_current_a 12 A is above circuit supply's 10 A: it could never "
     "charge"},
    /* issue 17: an inherited minimum gets the checks of one written in the section */
    {"[site]\nsupply_limit_a = 63\nmin_current_a = 2\n[bus b]\ntransport = serial:/dev/ttyUSB0\n"
     "[circuit garage]\nlimit_a = 40\n" WC_OK("w", "1111"), false,
     "t.ini:8: [wallconnector w] min_current_a: 2 A (from [site] line 3) is not a whole number "
     "of amps of at least 5 (twc-gen2.md §5.3)"},
    {"[site]\nsupply_limit_a = 63\nmin_current_a = 20\n[bus b]\ntransport = serial:/dev/ttyUSB0\n"
     "[circuit garage]\nlimit_a = 40\n[wallconnector w]\nbus = b\naddress = 1111\n"
     "circuit = garage\nmax_current_a = 16\n", false,
     "t.ini:12: [wallconnector w] min_current_a 20 A (from [site] line 3) is above max_current_a "
     "16 A"},
    {BASE WC_OK("w", "0000"), false, "t.ini:9: [wallconnector w] address: 0000 is reserved"},
    {BASE WC_OK("w", "FFFF"), false, "t.ini:9: [wallconnector w] address: ffff is reserved"},
    {BASE "[wallconnector w]\nbus = b\naddress = 1111\ncircuit = garage\nmax_current_a = 32.5\n",
     false, "t.ini:11: [wallconnector w] max_current_a: 32.5 A is not a whole number of amps in "
            "6..80 (twc-gen2.md §5.3)"},
    {BASE WC_OK("w", "1111") "min_current_a = 4\n", false,
     "t.ini:12: [wallconnector w] min_current_a: 4 A is not a whole number of amps of at least 5 "
     "(twc-gen2.md §5.3)"},
    {BASE "[wallconnector w]\nbus = b\naddress = 1111\ncircuit = garage\nmax_current_a = 16\n"
          "min_current_a = 20\n", false,
     "t.ini:12: [wallconnector w] min_current_a 20 A is above max_current_a 16 A"},
    {BASE WC_OK("w1", "1111") WC_OK("w2", "2222") WC_OK("w3", "3333") WC_OK("w4", "4444"), false,
     "t.ini:23: [wallconnector w4] bus: b already has 3 Wall Connectors, the most a Gen 2 master "
     "serves (twc-gen2.md §6.3)"},
    {BASE WC_OK("w1", "1111") WC_OK("w2", "1111"), false,
     "t.ini:14: [wallconnector w2] address: 1111 is also [wallconnector w1] (line 7)"},
    {BASE "[bus c]\ntransport = serial:/dev/ttyUSB1\nmaster_address = 1234\n"
          "[wallconnector w1]\nbus = c\naddress = 1234\ncircuit = garage\nmax_current_a = 32\n",
     false, "t.ini:12: [wallconnector w1] address: 1234 is the master's own"},
    {BASE "[wallconnector w]\nbus = nobus\naddress = auto\ncircuit = garage\nmax_current_a = 32\n",
     false, "t.ini:8: [wallconnector w] bus: no bus 'nobus'"},
    {BASE "[wallconnector w]\naddress = auto\ncircuit = garage\nmax_current_a = 32\n", false,
     "t.ini:7: [wallconnector w] bus is missing"},
    {BASE "[wallconnector w]\nbus = b\ncircuit = garage\nmax_current_a = 32\n", false,
     "t.ini:7: [wallconnector w] address is missing (4 hex digits or auto)"},
    {BASE "[wallconnector w]\nbus = b\naddress = auto\ncircuit = nowhere\nmax_current_a = 32\n",
     false, "t.ini:10: [wallconnector w] circuit: no circuit 'nowhere'"},
    {BASE "[circuit one]\nparent = garage\nphases = 1\nphase = L1\nlimit_a = 20\n"
          "[wallconnector w]\nbus = b\naddress = auto\ncircuit = one\nmax_current_a = 16\n"
          "phase_map = L2\n", false,
     "t.ini:17: [wallconnector w] phase_map: needs one phase per EVSE phase, all on phases one "
     "carries"},
    {BASE "[wallconnector w]\nbus = b\naddress = auto\ncircuit = garage\nmax_current_a = 16\n"
          "phases = 3\nphase_map = L1\n", false,
     "t.ini:13: [wallconnector w] phase_map: needs one phase per EVSE phase, all on phases garage "
     "carries"},
    {BASE "[bus c]\n", false, "t.ini:7: [bus c] transport is missing"},
    {BASE "[bus c]\ntransport = serial:/dev/ttyUSB1\nmaster_address = ffff\n", false,
     "t.ini:9: [bus c] master_address: ffff is reserved"},
    {BASE "[evse e]\ncircuit = garage\nmax_current_a = 16\n", false,
     "t.ini:7: [evse e] control is missing (none, modbus or ocpp)"},
    {BASE "[evse e]\ncontrol = ocpp\ncircuit = garage\nmax_current_a = 16\n", false,
     "t.ini:8: [evse e] control = ocpp needs an [ocpp] section"},
    {BASE "[evse e]\ncontrol = ocpp\ncircuit = garage\nmax_current_a = 16\n", false,
     "t.ini:7: [evse e] control = ocpp needs ocpp_id"},
    {BASE "[evse e]\ncontrol = wifi\ncircuit = garage\nmax_current_a = 16\n", false,
     "t.ini:8: [evse e] control: 'wifi' is not none, modbus or ocpp"},
    {BASE "[ocpp]\nlisten = 127.0.0.1:0\n[evse e]\ncontrol = ocpp\nocpp_id = CP1\n"
          "circuit = garage\nmax_current_a = 16\n[evse f]\ncontrol = ocpp\nocpp_id = CP1\n"
          "circuit = garage\nmax_current_a = 16\n", false,
     "t.ini:16: [evse f] ocpp_id: CP1 is already [evse e]"},
    {BASE "[ocpp]\nlisten = 127.0.0.1:0\n[evse e]\ncontrol = ocpp\nocpp_id = a/b\n"
          "circuit = garage\nmax_current_a = 16\n", false,
     "t.ini:11: [evse e] ocpp_id: 'a/b' is not 1..47 characters without / ? # : or space"},
    {BASE "[ocpp]\nlisten = localhost\ncertificate = c.pem\n", false,
     "t.ini:8: [ocpp] listen: 'localhost' is not ADDRESS:PORT with a numeric address (127.0.0.1:9000)"},
    {BASE "[ocpp]\ncertificate = c.pem\n", false,
     "t.ini:8: [ocpp] certificate and key go together (wss://)"},
    {BASE "[evse e]\ncontrol = modbus\ncontrol_transport = tcp://127.0.0.1:502\nocpp_id = X\n"
          "circuit = garage\nmax_current_a = 16\n", false,
     "t.ini:10: [evse e] ocpp_id and connector need control = ocpp"},
    {BASE "[evse e]\ncontrol = none\ncircuit = garage\nmax_current_a = 16\n", false,
     "t.ini:7: [evse e] control = none needs a meter"},
    {BASE "[evse e]\ncontrol = modbus\ncircuit = garage\nmax_current_a = 16\n", false,
     "t.ini:7: [evse e] control = modbus needs control_transport"},
    {BASE "[evse e]\ncontrol = none\ncontrol_unit_id = 3\nmeter = m\ncircuit = garage\n"
          "max_current_a = 16\n[meter m]\ntransport = tcp://127.0.0.1:502\nmap = x\n"
          "measures = evse\n", false,
     "t.ini:9: [evse e] control_* keys need control = modbus"},
    {BASE "[evse e]\ncontrol = none\nmeter = nom\ncircuit = garage\nmax_current_a = 16\n", false,
     "t.ini:9: [evse e] meter: no meter 'nom'"},
    {BASE "[evse e]\ncontrol = none\nmeter = g\ncircuit = garage\nmax_current_a = 16\n"
          "[meter g]\ntransport = tcp://127.0.0.1:502\nmap = x\nmeasures = grid\n", false,
     "t.ini:9: [evse e] meter: g does not measure an EVSE (measures = grid)"},
    {BASE "[evse a]\ncontrol = none\nmeter = m\ncircuit = garage\nmax_current_a = 16\n"
          "[evse b]\ncontrol = none\nmeter = m\ncircuit = garage\nmax_current_a = 16\n"
          "[meter m]\ntransport = tcp://127.0.0.1:502\nmap = eastron-sdm120\nmeasures = evse\n",
     false, "t.ini:14: [evse b] meter: m already measures [evse a]"},
    {BASE "[evse e]\ncontrol = modbus\ncontrol_transport = tcp://127.0.0.1:502\ncircuit = garage\n"
          "max_current_a = 16\nstep_a = 0.7\n", false,
     "t.ini:7: [evse e] min_current_a: 6 A is not a multiple of step_a"},
    {BASE WC_OK("e", "1111") "[evse e]\ncontrol = modbus\ncontrol_transport = tcp://127.0.0.1:502\n"
          "circuit = garage\nmax_current_a = 16\n", false,
     "t.ini:12: [evse e]: the name is also [wallconnector e] (line 7)"},
    {BASE "[meter m]\ntransport = tcp://127.0.0.1:502\nmap = generic\nmeasures = grid\n", false,
     "t.ini:9: [meter m] map = generic: set current_regs (1 or 3 registers), or at least "
     "power_total_reg"},
    {BASE "[meter m]\ntransport = tcp://127.0.0.1:502\nmap = eastron-sdm630\nmeasures = grid\n"
          "current_regs = 6\n", false,
     "t.ini:11: [meter m] current_regs: only for map = generic (this map is eastron-sdm630)"},
    {BASE "[meter m]\ntransport = tcp://127.0.0.1:502\nmap = x\n", false,
     "t.ini:7: [meter m] measures is missing (grid, circuit:NAME or evse)"},
    {BASE "[meter m]\nmap = x\nmeasures = grid\n", false, "t.ini:7: [meter m] transport is missing"},
    {BASE "[meter m]\ntransport = tcp://127.0.0.1:502\nmeasures = grid\n", false,
     "t.ini:7: [meter m] map is missing"},
    {BASE "[meter m]\ntransport = tcp://127.0.0.1:502\nmap = x\nmeasures = evse\n", false,
     "t.ini:10: [meter m] measures: evse, but no [evse] names this meter"},
    {BASE "[meter m]\ntransport = tcp://127.0.0.1:502\nmap = x\nmeasures = circuit:attic\n", false,
     "t.ini:10: [meter m] measures: no circuit 'attic'"},
    {BASE "[meter m]\ntransport = tcp://127.0.0.1:502\nmap = x\nmeasures = grid\n"
          "[meter n]\ntransport = tcp://127.0.0.1:502\nmap = x\nmeasures = grid\n", false,
     "t.ini:14: [meter n] measures: a grid meter is already given at line 10"},
    {BASE "[meter m]\ntransport = tcp://127.0.0.1:502\nmap = x\nmeasures = circuit:garage\n"
          "[meter n]\ntransport = tcp://127.0.0.1:502\nmap = x\nmeasures = circuit:garage\n", false,
     "t.ini:14: [meter n] measures: circuit garage is already measured by [meter m]"},
    {BASE "[meter m]\ntransport = tcp://127.0.0.1:502\nmap = x\nmeasures = grid\n"
          "poll_interval_ms = 6000\n", false,
     "t.ini:11: [meter m] stale_timeout_ms 10000 is shorter than two polls (12000 ms)"},
    {BASE "[circuit one]\nparent = garage\nphases = 1\nphase = L1\nlimit_a = 20\n"
          "[meter m]\ntransport = tcp://127.0.0.1:502\nmap = x\nmeasures = circuit:one\n"
          "phase_map = L2\n", false,
     "t.ini:16: [meter m] phase_map: L2 is not a phase of what it measures"},
    {BASE "[policy]\nname = cheapest\n", false,
     "t.ini:8: [policy] name: 'cheapest' is neither a built-in (native, equal_share, "
     "idle_reclaim, priority, fifo, round_robin, edf, llf, acn_uncontrolled, acn_fcfs, acn_edf, "
     "acn_llf, acn_rr), nor a path to a .so, nor a plugin "
     AMPSHARE_POLICY_DIR "/cheapest.so"},
    {BASE "[policy]\nprobe_ms = 1\n", false, "t.ini:7: [policy] name is missing"},
    {"[site]\nsupply_limit_a = 63\n", true,
     "t.ini:1: warning: [site] no Wall Connector or EVSE is configured"},
};
/* clang-format on */

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(test_unparsable_limit_is_reported_once_without_an_overcommit_error)
{
    static const char *const texts[] = {
        BASE "[circuit sub]\nparent = garage\nlimit_a = lots\novercommit_a = 3\n",
        "[site]\nsupply_limit_a = lots\novercommit_a = 3\n",
    };
    for (size_t t = 0; t < 2; t++) {
        struct cfg_diag diag;
        struct config cfg;
        cfg_diag_init(&diag);
        cfg_init(&cfg);
        ck_assert_int_eq(cfg_parse_string(texts[t], "t.ini", &cfg, &diag), -EINVAL);
        ck_assert_uint_eq(diag.errors, 1);
        ck_assert_ptr_nonnull(strstr(diag.item[0].text, "'lots' is not a current in amps"));
        (void)cfg_validate(&cfg, &diag);
        for (size_t i = 0; i < diag.n; i++) {
            ck_assert_msg(strstr(diag.item[i].text, "overcommit") == NULL, "%s", diag.item[i].text);
        }
        cfg_free(&cfg);
    }
}

END_TEST

START_TEST(test_validate_case_names_file_line_and_fault)
{
    const struct vcase *k = &cases[_i];
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

START_TEST(test_validate_clean_base_site_has_no_message)
{
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    ck_assert_int_eq(cfg_parse_string(BASE WC_OK("w", "auto"), "t.ini", &cfg, &diag), 0);
    ck_assert_int_eq(cfg_validate(&cfg, &diag), 0);
    ck_assert_uint_eq(diag.n, 0);
    cfg_free(&cfg);
}

END_TEST

START_TEST(test_site_clamps_a_charger_above_its_circuit)
{
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    const char *text =
        BASE "[circuit sub]\nparent = garage\nphases = 1\nphase = L3\nlimit_a = 16.5\n"
             "[wallconnector w]\nbus = b\naddress = auto\ncircuit = sub\n"
             "max_current_a = 32\n";
    ck_assert_int_eq(cfg_parse_string(text, "t.ini", &cfg, &diag), 0);
    struct site *site = NULL;
    char err[256];
    ck_assert_int_eq(site_new(&cfg, &site, err, sizeof(err)), 0);
    ck_assert_int_eq(site->evse[0].configured_max_ma, 32000);
    ck_assert_int_eq(site->evse[0].max_ma, 16000); /* 16.5 A rounded down to whole amps */
    ck_assert_uint_eq(site->evse[0].phases, AMPSHARE_PHASE_L3);
    ck_assert_uint_eq(site->evse[0].phase_map[0], 2);
    ck_assert_int_eq(site->evse[0].min_ma, 6000);
    ck_assert_int_eq(site->circuit[2].rating_ma[2], 16500);
    ck_assert_int_eq(site->circuit[2].rating_ma[0], 0);
    site_free(site);
    cfg_free(&cfg);
}

END_TEST

START_TEST(test_site_refuses_an_invalid_config_with_its_first_error)
{
    struct cfg_diag diag;
    struct config cfg;
    cfg_diag_init(&diag);
    cfg_init(&cfg);
    ck_assert_int_eq(cfg_parse_string("[site]\n", "t.ini", &cfg, &diag), 0);
    struct site *site = (struct site *)1;
    char err[256];
    ck_assert_int_eq(site_new(&cfg, &site, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_null(site);
    ck_assert_str_eq(err, "t.ini:1: [site] supply_limit_a is missing");
    cfg_free(&cfg);
}

END_TEST

/* One EVSE too many is reported at its own section: a Wall Connector and 1024 [evse] after it. */
START_TEST(test_too_many_evses_names_the_first_one_too_many)
{
    size_t cap = 64 * 1100;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    size_t w = (size_t)snprintf(text, cap, BASE WC_OK("w", "auto"));
    for (int i = 0; i < 1024; i++) {
        w += (size_t)snprintf(text + w, cap - w,
                              "[evse e%d]\ncontrol = none\ncircuit = garage\nmax_current_a = 16\n",
                              i);
    }
    ck_assert_uint_lt(w, cap);
    struct cfg_diag *diag = calloc(1, sizeof(*diag));
    struct config cfg;
    cfg_init(&cfg);
    ck_assert_int_eq(cfg_parse_string(text, "t.ini", &cfg, diag), 0);
    ck_assert_int_eq(cfg_validate(&cfg, diag), -EINVAL);
    /* lines 1..6 BASE, 7..11 the Wall Connector, then 4 lines per [evse]: e1023 at 4104 */
    bool found = false;
    for (size_t i = 0; i < diag->n; i++) {
        found = found || strcmp(diag->item[i].text, "t.ini:4104: more than 1024 EVSEs (Wall "
                                                    "Connectors and [evse] together)") == 0;
    }
    ck_assert(found);
    cfg_free(&cfg);
    free(diag);
    free(text);
}

END_TEST

static Suite *config_validate_suite(void)
{
    Suite *s = suite_create("config_validate");
    TCase *tc = tcase_create("validate");
    tcase_add_test(tc, test_unparsable_limit_is_reported_once_without_an_overcommit_error);
    tcase_add_loop_test(tc, test_validate_case_names_file_line_and_fault, 0, (int)N_CASES);
    tcase_add_test(tc, test_validate_clean_base_site_has_no_message);
    tcase_add_test(tc, test_site_clamps_a_charger_above_its_circuit);
    tcase_add_test(tc, test_site_refuses_an_invalid_config_with_its_first_error);
    tcase_add_test(tc, test_too_many_evses_names_the_first_one_too_many);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(config_validate_suite)
