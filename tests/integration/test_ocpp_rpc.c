/* SPDX-License-Identifier: MIT */
/*
 * The central system against a charge point no one here wrote: ocpp_peer.js on ocpp-rpc in
 * strict mode (every message ampshare sends is checked against the OCPP 1.6 schemas). This
 * side runs the real server on the loop and the real engine (equal_share) on a 32 A circuit
 * shared with a Wall Connector, simulated here: once the OCPP car charges, the Wall Connector's
 * car starts drawing and the OCPP offer must be cut. Each tick checks the circuit is never
 * over-offered, and that a dropped charge point counts at its last confirmed offer.
 *
 * Needs node and ocpp-rpc in /var/cache/ampshare-tests/npm (tests/deps.sh); exits 77 (skip)
 * without them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controller/engine/alloc.h"
#include "controller/engine/policy_loader.h"
#include "controller/loop.h"
#include "controller/ocpp/ocpp_settings.h"
#include "controller/ocpp/ocpp_srv.h"
#include <time.h>
#include "drivers/base/log.h"
#include "tests/support/amp_fleet.h"

#define NPM_DIR  "/var/cache/ampshare-tests/npm/node_modules"
#define PASSWORD "s3cret-for-CP1!"

static const char ini[] = "[site]\nsupply_limit_a = 32\nphases = 1\n"
                          "[circuit garage]\nlimit_a = 32\n"
                          "[bus b]\ntransport = serial:/dev/ttyUSB0\n"
                          "[wallconnector tesla]\nbus = b\naddress = 1111\ncircuit = garage\n"
                          "max_current_a = 32\n"
                          "[evse abb]\ncontrol = ocpp\nocpp_id = CP1\ncircuit = garage\n"
                          "max_current_a = 32\n"
                          "[policy]\nname = equal_share\n";

struct rig {
    struct loop *loop;
    struct site *site;
    struct policy_handle h;
    struct alloc *a;
    struct site_state *st;
    struct alloc_result *r;
    struct ocpp_srv *srv;
    struct loop_timer tick, child;
    pid_t pid;
    int status;
    int cp_evse, wc_evse;
    int32_t wc_offer;
    int charging_ticks;
    bool wc_on, was_online;
    int32_t last_confirmed;
    int failures, drops, cuts;
    int32_t peak_cp;
    int32_t first_drop_offer; /* killed while charging: must be its 16 A */
};

#define EXPECT(g, cond, ...)                       \
    do {                                           \
        if (!(cond)) {                             \
            fprintf(stderr, "FAIL: " __VA_ARGS__); \
            fprintf(stderr, "\n");                 \
            (g)->failures++;                       \
        }                                          \
    } while (0)

static void on_tick(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    struct rig *g = ctx;
    struct ocpp_cp *cp = ocpp_srv_cp(g->srv, 0);
    struct site_evse_input *ci = &g->st->evse[g->cp_evse], *wi = &g->st->evse[g->wc_evse];

    /* the charge point, as ctl_ocpp reads it */
    int32_t offer = ocpp_cp_offer_ma(cp);
    if (cp->online) {
        g->was_online = true;
        g->last_confirmed = ocpp_cp_confirmed_ma(cp);
    } else if (g->was_online) {
        g->was_online = false;
        g->drops++;
        if (g->drops == 1) {
            g->first_drop_offer = offer;
        }
        EXPECT(g, offer == g->last_confirmed,
               "dropped charge point counted at %d mA, not its last confirmed %d mA", (int)offer,
               (int)g->last_confirmed);
    }
    ci->connected = cp->car_connected;
    memcpy(ci->draw_ma, cp->draw_ma, sizeof(ci->draw_ma));
    ci->draw_at_ms = cp->draw_at_ms;
    ci->offer_ma = offer < 0 ? SITE_OFFER_UNKNOWN : offer;

    /* the Wall Connector: its car starts once the OCPP car has charged a while */
    if (cp->charging && offer >= 32000 && ++g->charging_ticks >= 2) {
        g->wc_on = true;
    }
    wi->connected = g->wc_on;
    int32_t wd = g->wc_on ? g->wc_offer : 0;
    wi->draw_ma[0] = wi->draw_ma[1] = wi->draw_ma[2] = wd;
    wi->draw_at_ms = now;
    wi->offer_ma = g->wc_offer;

    /* the circuit is never offered more than its rating, counting what is in force */
    EXPECT(g, (offer < 0 ? 0 : offer) + g->wc_offer <= 32000,
           "over-offered: OCPP %d mA + Wall Connector %d mA", (int)offer, (int)g->wc_offer);

    if (alloc_tick(g->a, g->st, now, g->r) == 0) {
        int32_t t_cp = g->r->evse[g->cp_evse].target_ma;
        if (g->peak_cp > t_cp && g->wc_on) {
            g->cuts++;
        }
        g->peak_cp = t_cp > g->peak_cp ? t_cp : g->peak_cp;
        ocpp_cp_set_target(cp, t_cp);
        g->wc_offer = g->r->evse[g->wc_evse].target_ma; /* a Wall Connector confirms at once */
        ocpp_srv_flush(g->srv);
    }
    loop_timer_arm(l, t, now + 500);
}

static void on_child(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    struct rig *g = ctx;
    if (waitpid(g->pid, &g->status, WNOHANG) == g->pid) {
        loop_stop(l);
        return;
    }
    loop_timer_arm(l, t, now + 100);
}

static pid_t spawn_peer(int port)
{
    char url[128], script[512];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ocpp", port);
    snprintf(script, sizeof(script), "%s/tests/integration/ocpp_peer.js", AMP_TEST_SRC_DIR);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("NODE_PATH", NPM_DIR, 1);
        execlp("node", "node", script, url, PASSWORD, (char *)NULL);
        _exit(127);
    }
    return pid;
}

int main(void)
{
    if (access(NPM_DIR "/ocpp-rpc", R_OK) != 0 || system("node --version >/dev/null 2>&1")) {
        fprintf(stderr, "skip: node or ocpp-rpc missing (tests/deps.sh installs them)\n");
        return 77;
    }
    signal(SIGPIPE, SIG_IGN);
    if (getenv("OCPP_PEER_DEBUG")) {
        log_set_sink(NULL, NULL, LOG_LEVEL_DEBUG);
    }
    struct rig g;
    memset(&g, 0, sizeof(g));
    char err[256], creds[] = "/tmp/ampshare-ocpp-creds-XXXXXX";
    int fd = mkstemp(creds);
    if (fd < 0 || dprintf(fd, "# test\nCP1:%s\n", PASSWORD) < 0) {
        return 1;
    }
    close(fd);

    /* the site and the server's settings from one config, as the daemon makes them */
    char text[sizeof(ini) + 256];
    snprintf(text, sizeof(text),
             "%s[ocpp]\nlisten = 127.0.0.1:0\ncredentials_file = %s\nmeter_interval_s = 1\n",
             ini, creds);
    static struct config cfg;
    static struct cfg_diag diag;
    cfg_init(&cfg);
    if (cfg_parse_string(text, "t.ini", &cfg, &diag) != 0 || cfg_validate(&cfg, &diag) != 0) {
        fprintf(stderr, "config: %s\n", diag.n ? diag.item[0].text : "?");
        return 1;
    }
    g.site = amp_test_site(text);
    g.cp_evse = site_find_evse(g.site, "abb");
    g.wc_evse = site_find_evse(g.site, "tesla");
    if (policy_open(g.site->policy, &g.h, err, sizeof(err)) != 0 ||
        alloc_new(g.site, g.h.policy, &g.a, err, sizeof(err)) != 0 ||
        site_state_new(g.site, &g.st) != 0 || alloc_result_new(g.site, &g.r) != 0 ||
        loop_new(NULL, &g.loop) != 0) {
        fprintf(stderr, "setup: %s\n", err);
        return 1;
    }
    struct ocpp_settings set;
    if (ocpp_settings_init(&set, &cfg.ocpp, g.site, time(NULL)) != 0 || set.n_points != 1 ||
        set.evse[0] != g.cp_evse || set.conf.cp.meter_interval_s != 1) {
        fprintf(stderr, "ocpp_settings_init\n");
        return 1;
    }
    set.conf.cp.call_timeout_ms = 10000;
    if (ocpp_srv_new(g.loop, &set.conf, set.points, set.n_points, &g.srv, err, sizeof(err)) !=
        0) {
        fprintf(stderr, "ocpp_srv_new: %s\n", err);
        return 1;
    }
    int port = ocpp_srv_port(g.srv);
    EXPECT(&g, port > 0, "no bound port");
    g.pid = spawn_peer(port);
    loop_timer_init(&g.tick, on_tick, &g);
    loop_timer_init(&g.child, on_child, &g);
    loop_timer_arm_in(g.loop, &g.tick, 0);
    loop_timer_arm_in(g.loop, &g.child, 100);
    loop_run(g.loop);

    EXPECT(&g, WIFEXITED(g.status) && WEXITSTATUS(g.status) == 0, "ocpp_peer.js failed (%d)",
           g.status);
    EXPECT(&g, ocpp_srv_refused(g.srv) >= 3, "%u refused, expected 3", ocpp_srv_refused(g.srv));
    EXPECT(&g, g.drops >= 1, "the killed connection was not seen");
    EXPECT(&g, g.first_drop_offer == 16000, "killed while charging at 16 A, counted at %d mA",
           (int)g.first_drop_offer);
    EXPECT(&g, g.cuts >= 1, "the Wall Connector never cut the OCPP offer");
    EXPECT(&g, ocpp_srv_cp(g.srv, 0)->n_tx == 1, "transactions: %u", ocpp_srv_cp(g.srv, 0)->n_tx);

    loop_timer_disarm(g.loop, &g.tick);
    loop_timer_disarm(g.loop, &g.child);
    ocpp_srv_free(g.srv);
    loop_free(g.loop);
    alloc_result_free(g.r);
    site_state_free(g.st);
    alloc_free(g.a);
    policy_close(&g.h);
    site_free(g.site);
    ocpp_settings_free(&set);
    cfg_free(&cfg);
    unlink(creds);
    printf("%s: %d failure(s)\n", g.failures ? "FAIL" : "PASS", g.failures);
    return g.failures ? 1 : 0;
}
