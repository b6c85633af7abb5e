/* SPDX-License-Identifier: MIT */
/*
 * `ampshare sim ocpp` against the real central system on loopback: the simulated charger
 * authenticates, boots, starts a transaction, and its car follows the charging profiles the
 * server sends (10 A, then 6 A), as its meter values show; a second one with a wrong password
 * is refused at the handshake. Once over ws://, then over wss:// with a self-signed certificate
 * made by openssl (skipped when openssl is missing).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controller/loop.h"
#include "controller/ocpp/ocpp_srv.h"
#include "drivers/base/log.h"

struct rig {
    struct ocpp_srv *srv;
    struct loop_timer tick;
    pid_t pid, bad;
    int phase;
    uint64_t deadline;
    bool timed_out;
};

static pid_t spawn(int port, const char *password, bool tls)
{
    char url[128];
    snprintf(url, sizeof(url), "%s://127.0.0.1:%d/ocpp", tls ? "wss" : "ws", port);
    pid_t pid = fork();
    if (pid == 0) {
        const char *bin = getenv("AMPSHARE_BIN");
        execl(bin, bin, "sim", "ocpp", "--id", "SIM1", "--url", url, "--password", password,
              "--car-a", "16", tls ? "--insecure" : NULL, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void on_tick(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    struct rig *g = ctx;
    struct ocpp_cp *cp = ocpp_srv_cp(g->srv, 0);
    if (now > g->deadline) {
        g->timed_out = true;
        fprintf(stderr, "FAIL: timed out in phase %d\n", g->phase);
        loop_stop(l);
        return;
    }
    switch (g->phase) {
    case 0: /* booted, transaction running, meter values coming */
        if (cp->booted && cp->in_tx && cp->draw_at_ms) {
            ocpp_cp_set_target(cp, 10000);
            g->phase = 1;
        }
        break;
    case 1:
        if (ocpp_cp_confirmed_ma(cp) == 10000 && cp->draw_ma[0] == 10000 &&
            cp->draw_ma[2] == 10000 && cp->charging) {
            ocpp_cp_set_target(cp, 6000);
            g->phase = 2;
        }
        break;
    case 2:
        if (ocpp_cp_confirmed_ma(cp) == 6000 && cp->draw_ma[1] == 6000 && cp->energy_wh > 0) {
            kill(g->pid, SIGTERM);
            g->phase = 3;
        }
        break;
    case 3:
        if (!cp->online) {
            loop_stop(l);
            return;
        }
        break;
    }
    ocpp_srv_flush(g->srv);
    loop_timer_arm(l, t, now + 100);
}

/* One run against a fresh server; cert and key NULL for ws://. Returns the failures. */
static int run(const char *creds, const char *cert, const char *key)
{
    struct loop *l;
    if (loop_new(NULL, &l) != 0) {
        return 1;
    }
    int32_t next_tx = 1;
    struct ocpp_srv_conf conf = {
        .listen = "127.0.0.1:0",
        .certificate = cert,
        .key = key,
        .credentials = creds,
        .cp = {.heartbeat_s = 300,
               .meter_interval_s = 1,
               .call_timeout_ms = 10000,
               .next_tx_id = &next_tx},
    };
    struct ocpp_srv_point pt = {"SIM1", 1};
    struct rig g = {0};
    char err[256];
    if (ocpp_srv_new(l, &conf, &pt, 1, &g.srv, err, sizeof(err)) != 0) {
        fprintf(stderr, "ocpp_srv_new: %s\n", err);
        loop_free(l);
        return 1;
    }
    bool tls = cert != NULL;
    g.bad = spawn(ocpp_srv_port(g.srv), "wrong", tls);
    g.pid = spawn(ocpp_srv_port(g.srv), "pa:ss word", tls);
    g.deadline = loop_now_ms(l) + 60000;
    loop_timer_init(&g.tick, on_tick, &g);
    loop_timer_arm_in(l, &g.tick, 100);
    loop_run(l);

    int failures = g.timed_out;
    uint32_t refused = ocpp_srv_refused(g.srv);
    if (refused < 1) {
        fprintf(stderr, "FAIL: the wrong password was let in\n");
        failures++;
    }
    kill(g.bad, SIGTERM);
    kill(g.pid, SIGTERM);
    int st;
    waitpid(g.bad, &st, 0);
    waitpid(g.pid, &st, 0);
    loop_timer_disarm(l, &g.tick);
    ocpp_srv_free(g.srv);
    loop_free(l);
    printf("%s %s: %d failure(s), %u refused\n", tls ? "wss" : "ws", failures ? "FAIL" : "PASS",
           failures, refused);
    return failures;
}

int main(void)
{
    if (!getenv("AMPSHARE_BIN")) {
        fprintf(stderr, "AMPSHARE_BIN is not set\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/ampshare-ocpp-sim-XXXXXX";
    if (!mkdtemp(dir)) {
        return 1;
    }
    char creds[128], cert[128], key[128], cmd[512];
    snprintf(creds, sizeof(creds), "%s/creds", dir);
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    FILE *f = fopen(creds, "w");
    if (!f || fprintf(f, "SIM1:pa:ss word\n") < 0 || fclose(f) != 0) {
        return 1;
    }
    int failures = run(creds, NULL, NULL);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 "
             "-subj /CN=127.0.0.1 >/dev/null 2>&1",
             key, cert);
    if (system(cmd) == 0) {
        failures += run(creds, cert, key);
    } else {
        printf("wss: skipped (no openssl)\n");
    }
    unlink(creds);
    unlink(cert);
    unlink(key);
    rmdir(dir);
    return failures ? 1 : 0;
}
