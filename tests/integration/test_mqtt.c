/* SPDX-License-Identifier: MIT */
/*
 * MQTT against a real mosquitto broker (Debian's, on a Unix socket in a temp dir, so parallel
 * runs never share a port) and its own clients as peers: the retained states and the Home
 * Assistant discovery configs checked against HA's schema (the keys, unique_id, device,
 * state_topic, units and classes); commands that change limits only within the rules, and
 * malformed, out-of-range, retained and unauthorised ones refused with a reason on the reply
 * topic; the broker killed and restarted while the loop keeps its timers.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "controller/engine/command.h"
#include "controller/engine/site_ini.h"
#include "controller/loop.h"
#include "controller/telemetry/mqtt.h"
#include "tests/support/check_main.h"

extern char **environ;

static const char *const site_ini = "[site]\n"
                                    "name = test\n"
                                    "supply_limit_a = 40\n"
                                    "phases = 1\n"
                                    "[bus b]\n"
                                    "transport = tcp://127.0.0.1:1\n"
                                    "[wallconnector tesla]\n"
                                    "bus = b\n"
                                    "address = auto\n"
                                    "circuit = supply\n"
                                    "max_current_a = 32\n"
                                    "[meter guest-meter]\n"
                                    "transport = tcp://127.0.0.1:1\n"
                                    "map = sdm120\n"
                                    "measures = evse\n"
                                    "[evse guest]\n"
                                    "control = none\n"
                                    "meter = guest-meter\n"
                                    "circuit = supply\n"
                                    "max_current_a = 16\n";

static char dir[64], sock[128];
static pid_t broker = -1;
static struct loop *l;
static struct site *site;
static struct command_table table;
static struct mqtt_client *mc;
static char policy[CFG_TEXT_MAX] = "idle_reclaim";
static unsigned ticks;

static int fill(void *ctx, struct status_snapshot *s)
{
    (void)ctx;
    snprintf(s->site, sizeof(s->site), "%s", site->name);
    snprintf(s->policy, sizeof(s->policy), "%s", policy);
    s->wall_ms = (int64_t)time(NULL) * 1000;
    for (size_t i = 0; i < site->n_evse && i < s->cap_charger; i++) {
        struct status_charger *c = &s->charger[s->n_charger++];
        const struct site_evse *e = &site->evse[i];
        snprintf(c->name, sizeof(c->name), "%s", e->name);
        snprintf(c->kind, sizeof(c->kind), "%s",
                 e->kind == SITE_EVSE_WALL_CONNECTOR ? "wallconnector" : "evse");
        snprintf(c->state, sizeof(c->state), "charging");
        c->controllable = e->controllable;
        c->min_ma = e->min_ma;
        c->max_ma = e->max_ma;
        c->phases = e->phases;
        c->offer_ma = 16000;
        c->measured_ma[0] = 15500;
        c->session_wh = 1200;
        c->paused = table.evse[i].paused;
        c->charge_now = table.evse[i].charge_until_ms != 0;
        c->command_max_ma = table.evse[i].cap_ma;
    }
    s->n_circuit = 1;
    snprintf(s->circuit[0].name, sizeof(s->circuit[0].name), "supply");
    s->circuit[0].phases = 1;
    s->circuit[0].rating_ma[0] = s->circuit[0].limit_ma[0] = 40000;
    return 0;
}

static int command(void *ctx, const struct command *c, char *why, size_t cap)
{
    (void)ctx;
    if (c->kind == COMMAND_POLICY) {
        if (strcmp(c->text, "native") != 0 && strcmp(c->text, "idle_reclaim") != 0) {
            snprintf(why, cap, "no policy '%s'", c->text);
            return -ENOENT;
        }
        snprintf(policy, sizeof(policy), "%s", c->text);
        snprintf(why, cap, "policy %s", c->text);
        return 0;
    }
    return command_set(&table, site, c, loop_now_ms(l), (int64_t)time(NULL) * 1000, why, cap);
}

static pid_t spawn(const char *const *argv, const char *out_path)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out_path) {
        posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    char *args[32];
    static char words[32][256];
    size_t n = 0;
    for (; argv[n] && n < 31; n++) {
        snprintf(words[n], sizeof(words[n]), "%s", argv[n]);
        args[n] = words[n];
    }
    args[n] = NULL;
    ck_assert_int_eq(posix_spawnp(&pid, args[0], &fa, NULL, args, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

/* Runs the loop until pid exits (at most ~15 s). */
static int pump_until_exit(pid_t pid)
{
    int st = -1;
    for (int i = 0; i < 1500; i++) {
        loop_run_once(l, LOOP_NOWAIT);
        if (waitpid(pid, &st, WNOHANG) == pid) {
            return st;
        }
        nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    ck_abort_msg("peer did not finish");
    return st;
}

static void pump_ms(int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        loop_run_once(l, LOOP_NOWAIT);
        nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    }
}

/* Runs the loop until the file at path has a line starting with prefix; false after a minute. */
static bool pump_until_line(const char *path, const char *prefix)
{
    for (int i = 0; i < 6000; i++) {
        FILE *f = fopen(path, "r");
        char line[1024];
        bool found = false;
        while (f && !found && fgets(line, sizeof(line), f)) {
            found = strncmp(line, prefix, strlen(prefix)) == 0;
        }
        if (f) {
            fclose(f);
        }
        if (found) {
            return true;
        }
        pump_ms(10);
    }
    return false;
}

/* Starts a subscriber to the reply topic that writes "topic payload" lines to out, and returns
 * once it is subscribed: it also takes our retained status, and once that has come, its one
 * SUBSCRIBE (both topics) is in place, so no reply can go out before anyone listens. */
static pid_t reply_listener(const char *out)
{
    const char *sub[] = {"mosquitto_sub",
                         "--unix",
                         sock,
                         "-t",
                         "ampshare/test/status",
                         "-t",
                         "ampshare/test/reply",
                         "-v",
                         "-W",
                         "60",
                         NULL};
    pid_t s = spawn(sub, out);
    ck_assert_msg(pump_until_line(out, "ampshare/test/status "), "the subscriber never subscribed");
    return s;
}

/* The payload of the first reply line in the file at path (caller frees), after waiting for it. */
static char *reply_line(pid_t listener, const char *path)
{
    bool got = pump_until_line(path, "ampshare/test/reply ");
    kill(listener, SIGTERM);
    int st;
    waitpid(listener, &st, 0);
    ck_assert_msg(got, "no reply");
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    char *r = NULL;
    while (!r && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "ampshare/test/reply ", 20) == 0) {
            r = strdup(line + 20);
        }
    }
    fclose(f);
    ck_assert_ptr_nonnull(r);
    return r;
}

static void start_broker(void)
{
    char conf[128];
    snprintf(conf, sizeof(conf), "%s/mosquitto.conf", dir);
    FILE *f = fopen(conf, "w");
    fprintf(f, "listener 0 %s\nallow_anonymous true\npersistence false\n%s", sock,
            getuid() == 0 ? "user root\n" : "");
    fclose(f);
    unlink(sock);
    const char *argv[] = {"mosquitto", "-c", conf, NULL};
    broker = spawn(argv, NULL);
    for (int i = 0; i < 200 && access(sock, F_OK) != 0; i++) {
        nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    }
    ck_assert_msg(access(sock, F_OK) == 0, "mosquitto did not start");
}

static void stop_broker(void)
{
    if (broker > 0) {
        kill(broker, SIGTERM);
        waitpid(broker, NULL, 0);
        broker = -1;
    }
}

static void on_tick(struct loop *lp, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)now;
    (void)ctx;
    ticks++;
    loop_timer_arm_in(lp, t, 10);
}

static struct loop_timer tick;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/ampshare-mqtt-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sock, sizeof(sock), "%s/broker.sock", dir);
    start_broker();
    char err[256];
    ck_assert_msg(site_new_from_ini(site_ini, "mqtt-test.ini", &site, err, sizeof(err)) == 0, "%s",
                  err);
    ck_assert_int_eq(command_table_init(&table, site), 0);
    ck_assert_int_eq(loop_new(NULL, &l), 0);
    loop_timer_init(&tick, on_tick, NULL);
    loop_timer_arm_in(l, &tick, 10);
    struct mqtt_options o = {.qos = 1,
                             .keepalive_s = 10,
                             .interval_ms = 30000,
                             .commands = true,
                             .caps = {.charger = 4, .circuit = 2, .bus = 1, .meter = 2},
                             .fill = fill,
                             .command = command,
                             .version = "test",
                             .policies = "native,idle_reclaim"};
    char url[160];
    snprintf(url, sizeof(url), "unix:%s", sock);
    ck_assert_int_eq(mqtt_parse_url(url, &o), 0);
    snprintf(o.prefix, sizeof(o.prefix), "ampshare/test");
    snprintf(o.discovery_prefix, sizeof(o.discovery_prefix), "homeassistant");
    snprintf(o.client_id, sizeof(o.client_id), "ampshare-test-%d", (int)getpid());
    ck_assert_msg(mqtt_open(l, &o, &mc, err, sizeof(err)) == 0, "%s", err);
    for (int i = 0; i < 500 && mqtt_get_stats(mc).connects == 0; i++) {
        pump_ms(10);
    }
    ck_assert_uint_eq(mqtt_get_stats(mc).connects, 1);
    pump_ms(200);
}

static void teardown(void)
{
    mqtt_close(mc);
    loop_timer_disarm(l, &tick);
    loop_free(l);
    command_table_fini(&table);
    site_free(site);
    stop_broker();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Every retained message below the two prefixes, as "topic payload" lines in a file. */
static json_t *retained(void)
{
    char out[128];
    snprintf(out, sizeof(out), "%s/retained.txt", dir);
    const char *argv[] = {"mosquitto_sub",   "--unix", sock,         "-t",
                          "homeassistant/#", "-t",     "ampshare/#", "-v",
                          "--retained-only", "-W",     "2",          NULL};
    pump_until_exit(spawn(argv, out));
    FILE *f = fopen(out, "r");
    ck_assert_ptr_nonnull(f);
    json_t *all = json_object();
    char line[8192];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *sp = strchr(line, ' ');
        if (!sp) {
            continue;
        }
        *sp = '\0';
        json_t *v = json_loads(sp + 1, JSON_DECODE_ANY, NULL);
        json_object_set_new(all, line, v ? v : json_string(sp + 1));
    }
    fclose(f);
    return all;
}

START_TEST(test_states_and_discovery_follow_the_ha_schema)
{
    json_t *all = retained();
    ck_assert_str_eq(json_string_value(json_object_get(all, "ampshare/test/status")), "online");
    json_t *st = json_object_get(all, "ampshare/test/charger/tesla/state");
    ck_assert_msg(json_is_object(st), "no tesla state");
    ck_assert_double_eq_tol(json_real_value(json_object_get(st, "offer_a")), 16.0, 1e-9);
    ck_assert_str_eq(json_string_value(json_object_get(st, "enabled")), "ON");
    ck_assert(json_is_object(json_object_get(all, "ampshare/test/site/state")));
    ck_assert(json_is_object(json_object_get(all, "ampshare/test/circuit/supply/state")));
    const char *topic;
    json_t *cfg;
    json_t *uids = json_object();
    int configs = 0, numbers = 0, switches = 0, energy = 0;
    json_object_foreach(all, topic, cfg)
    {
        if (strncmp(topic, "homeassistant/", 14) != 0) {
            continue;
        }
        configs++;
        char component[32];
        ck_assert_int_eq(sscanf(topic, "homeassistant/%31[^/]/", component), 1);
        ck_assert_msg(strlen(topic) > 7 && strcmp(topic + strlen(topic) - 7, "/config") == 0, "%s",
                      topic);
        const char *uid = json_string_value(json_object_get(cfg, "unique_id"));
        ck_assert_msg(uid != NULL, "%s: no unique_id", topic);
        ck_assert_msg(!json_object_get(uids, uid), "unique_id %s twice", uid);
        json_object_set_new(uids, uid, json_true());
        ck_assert_msg(strstr(topic, uid) != NULL, "%s: object id is not the unique_id", topic);
        for (const char *p = uid; *p; p++) { /* HA wants [a-zA-Z0-9_-] in ids */
            ck_assert_msg(
                strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *p),
                "%s", uid);
        }
        json_t *dev = json_object_get(cfg, "device");
        ck_assert_msg(json_is_array(json_object_get(dev, "identifiers")), "%s: device", topic);
        ck_assert(json_is_string(json_object_get(dev, "name")));
        ck_assert(json_is_string(json_object_get(json_object_get(cfg, "origin"), "name")));
        const char *stt = json_string_value(json_object_get(cfg, "state_topic"));
        ck_assert_msg(stt && json_object_get(all, stt), "%s: state_topic %s not published", topic,
                      stt ? stt : "-");
        ck_assert_str_eq(json_string_value(json_object_get(cfg, "availability_topic")),
                         "ampshare/test/status");
        const char *dc = json_string_value(json_object_get(cfg, "device_class"));
        const char *unit = json_string_value(json_object_get(cfg, "unit_of_measurement"));
        const char *sc = json_string_value(json_object_get(cfg, "state_class"));
        if (dc && strcmp(dc, "current") == 0) {
            ck_assert_msg(unit && strcmp(unit, "A") == 0, "%s: current not in A", topic);
            ck_assert_msg(!sc || strcmp(sc, "measurement") == 0, "%s", topic);
        }
        if (dc && strcmp(dc, "energy") == 0) {
            energy++;
            ck_assert_msg(unit && strcmp(unit, "kWh") == 0, "%s", topic);
            ck_assert_msg(sc && (strcmp(sc, "total_increasing") == 0 || strcmp(sc, "total") == 0),
                          "%s", topic);
        }
        if (strcmp(component, "number") == 0 || strcmp(component, "switch") == 0 ||
            strcmp(component, "select") == 0) {
            const char *cmd = json_string_value(json_object_get(cfg, "command_topic"));
            ck_assert_msg(cmd && strncmp(cmd, "ampshare/test/", 14) == 0, "%s", topic);
            ck_assert_msg(!json_object_get(cfg, "expire_after"), "%s", topic);
        }
        if (strcmp(component, "number") == 0) {
            numbers++;
            ck_assert_double_eq_tol(json_number_value(json_object_get(cfg, "max")), 32.0, 1e-9);
            ck_assert_double_eq_tol(json_number_value(json_object_get(cfg, "min")), 6.0, 1e-9);
        }
        switches += strcmp(component, "switch") == 0;
    }
    ck_assert_int_ge(configs, 15);
    ck_assert_int_eq(numbers, 1);  /* only the controllable charger has a max current */
    ck_assert_int_eq(switches, 2); /* enabled and charge now, for it alone */
    ck_assert_int_eq(energy, 4);   /* session and total, per charger */
    json_decref(uids);
    json_decref(all);
}

END_TEST

/* Publishes payload on topic (retained when asked) and returns the reply the daemon sent. */
static json_t *ask(const char *topic, const char *payload, bool retain)
{
    char out[128];
    snprintf(out, sizeof(out), "%s/reply.txt", dir);
    pid_t s = reply_listener(out);
    const char *pub[] = {
        "mosquitto_pub",      "--unix", sock, "-t", topic, "-m", payload, "-q", "1",
        retain ? "-r" : NULL, NULL};
    pump_until_exit(spawn(pub, NULL));
    char *line = reply_line(s, out);
    json_t *r = json_loads(line, 0, NULL);
    ck_assert_msg(r != NULL, "reply not JSON: %s", line);
    free(line);
    ck_assert_str_eq(json_string_value(json_object_get(r, "topic")), topic);
    return r;
}

static void expect(const char *topic, const char *payload, bool retain, bool ok, const char *word)
{
    json_t *r = ask(topic, payload, retain);
    const char *msg = json_string_value(json_object_get(r, "message"));
    ck_assert_msg(json_is_true(json_object_get(r, "ok")) == ok, "%s %s: %s", topic, payload, msg);
    ck_assert_msg(msg && strstr(msg, word), "%s %s: '%s' lacks '%s'", topic, payload, msg, word);
    json_decref(r);
}

START_TEST(test_commands_within_the_rules)
{
    const char *max = "ampshare/test/charger/tesla/max_current/set";
    expect(max, "16", false, true, "max current 16.000 A");
    ck_assert_int_eq(table.evse[0].cap_ma, 16000);
    expect(max, "45", false, false, "not within 6.000..32.000 A"); /* out of range */
    expect(max, "abc", false, false, "takes amps");                /* malformed */
    expect(max, "1e3", false, false, "takes amps");
    ck_assert_int_eq(table.evse[0].cap_ma, 16000);         /* unchanged by refusals */
    expect(max, "20", true, true, "max current 20.000 A"); /* live, then cleared */
    ck_assert_int_eq(table.evse[0].cap_ma, 20000);
    expect("ampshare/test/charger/guest/max_current/set", "10", false, false, "metered only");
    expect("ampshare/test/charger/nobody/enabled/set", "OFF", false, false, "no charger");
    expect("ampshare/test/charger/tesla/reboot/set", "1", false, false, "unknown command");
    expect("ampshare/test/charger/tesla/enabled/set", "OFF", false, true, "paused");
    ck_assert(table.evse[0].paused);
    expect("ampshare/test/charger/tesla/charge_now/set", "ON", false, true, "charge now");
    ck_assert_uint_ne(table.evse[0].charge_until_ms, 0);
    expect("ampshare/test/charger/tesla/energy_wanted/set", "30.5", false, true, "30.500 kWh");
    ck_assert_int_eq(table.evse[0].energy_wanted_wh, 30500);
    expect("ampshare/test/site/policy/set", "native", false, true, "native");
    expect("ampshare/test/site/policy/set", "yolo", false, false, "no policy");
    /* a reply quoting a payload that is not UTF-8 is still sent, under amp_text's rule */
    expect("ampshare/test/site/policy/set", "yo\xffyo", false, false,
           "no policy 'yo\xEF\xBF\xBD"
           "yo'");
    /* The state shows what is in force; no command stays retained on the broker. */
    json_t *all = retained();
    ck_assert_ptr_null(json_object_get(all, max));
    json_t *st = json_object_get(all, "ampshare/test/charger/tesla/state");
    ck_assert_str_eq(json_string_value(json_object_get(st, "enabled")), "OFF");
    ck_assert_double_eq_tol(json_real_value(json_object_get(st, "max_current_a")), 20.0, 1e-9);
    ck_assert_uint_eq(mqtt_get_stats(mc).refused, 8);
    json_decref(all);
    /* The engine sees them as inputs the clamp bounds: a pause caps the offer at 0. */
    struct site_state *ss;
    ck_assert_int_eq(site_state_new(site, &ss), 0);
    command_apply(&table, ss, loop_now_ms(l), (int64_t)time(NULL) * 1000);
    ck_assert(ss->evse[0].command_paused);
    ck_assert(!ss->evse[0].charge_now); /* paused wins over charge now */
    ck_assert_int_eq(ss->evse[0].energy_wanted_wh, 30500);
    site_state_free(ss);
}

END_TEST

START_TEST(test_retained_command_replayed_on_connect_is_refused)
{
    /* A command someone left retained while ampshare was away arrives flagged as retained
     * when it subscribes: a stale order, refused and cleared. */
    mqtt_close(mc);
    mc = NULL;
    const char *max = "ampshare/test/charger/tesla/max_current/set";
    const char *pub[] = {
        "mosquitto_pub", "--unix", sock, "-t", max, "-m", "7", "-q", "1", "-r", NULL};
    pump_until_exit(spawn(pub, NULL));
    char out[128];
    snprintf(out, sizeof(out), "%s/reply.txt", dir);
    pid_t s = reply_listener(out); /* our status is retained "offline" from the close */
    struct mqtt_options o = {.qos = 1,
                             .keepalive_s = 10,
                             .interval_ms = 30000,
                             .commands = true,
                             .caps = {.charger = 4, .circuit = 2, .bus = 1, .meter = 2},
                             .fill = fill,
                             .command = command,
                             .version = "test"};
    char url[160], err[256];
    snprintf(url, sizeof(url), "unix:%s", sock);
    ck_assert_int_eq(mqtt_parse_url(url, &o), 0);
    snprintf(o.prefix, sizeof(o.prefix), "ampshare/test");
    ck_assert_msg(mqtt_open(l, &o, &mc, err, sizeof(err)) == 0, "%s", err);
    char *line = reply_line(s, out);
    ck_assert_msg(strstr(line, "\"ok\":false") && strstr(line, "retained"), "%s", line);
    free(line);
    ck_assert_int_eq(table.evse[0].cap_ma, -1);
    /* the clear follows the reply: read the retained set until it has gone (bounded) */
    json_t *all = NULL;
    for (int i = 0; i < 30; i++) {
        json_decref(all);
        all = retained();
        if (!json_object_get(all, max)) {
            break;
        }
    }
    ck_assert_ptr_null(json_object_get(all, max));
    json_decref(all);
}

END_TEST

START_TEST(test_broker_restart_resumes_publishing_loop_keeps_time)
{
    stop_broker();
    unsigned before = ticks;
    pump_ms(1500);
    ck_assert_msg(!mqtt_get_stats(mc).connected, "still connected to a dead broker");
    ck_assert_uint_gt(ticks - before, 50); /* the loop's own timers ran meanwhile */
    start_broker();
    for (int i = 0; i < 4000 && mqtt_get_stats(mc).connects < 2; i++) {
        pump_ms(10);
    }
    ck_assert_uint_eq(mqtt_get_stats(mc).connects, 2);
    /* a fresh broker: everything is published again; read until it is there (bounded) */
    json_t *all = NULL;
    for (int i = 0; i < 30; i++) {
        json_decref(all);
        all = retained();
        if (json_object_get(all, "ampshare/test/status") &&
            json_object_get(all, "ampshare/test/charger/tesla/state") &&
            json_object_get(all, "homeassistant/number/ampshare_test_tesla_max_current/config")) {
            break;
        }
    }
    ck_assert_str_eq(json_string_value(json_object_get(all, "ampshare/test/status")), "online");
    ck_assert(json_is_object(json_object_get(all, "ampshare/test/charger/tesla/state")));
    ck_assert(
        json_is_object(json_object_get(all, "homeassistant/number/ampshare_test_tesla_max_current/"
                                            "config")));
    json_decref(all);
}

END_TEST

static Suite *mqtt_suite(void)
{
    Suite *s = suite_create("mqtt");
    TCase *tc = tcase_create("broker");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_states_and_discovery_follow_the_ha_schema);
    tcase_add_test(tc, test_commands_within_the_rules);
    tcase_add_test(tc, test_retained_command_replayed_on_connect_is_refused);
    tcase_add_test(tc, test_broker_restart_resumes_publishing_loop_keeps_time);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(mqtt_suite)
