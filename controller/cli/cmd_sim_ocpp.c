/* SPDX-License-Identifier: MIT */
/*
 * `ampshare sim ocpp`: a simulated OCPP 1.6J charge point with a car behind it (sim/sim_ocpp.h)
 * on libwebsockets' client side, for the demo site and for tests of the central system. A
 * standalone process: lws's own service loop drives it, with one lws timer for the car.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/cli/cmd.h"
#include "drivers/base/amp_clock.h"
#include "drivers/ocpp/lws_dl.h"
#include "sim/sim_ocpp.h"

#define TICK_US (200 * LWS_US_PER_MS)

struct simcp {
    struct sim_ocpp sim;
    struct lws_context *ctx;
    struct lws *wsi;
    lws_sorted_usec_list_t sul;
    char url[512], id[64], password[128];
    char *q[16];
    size_t qn;
    bool insecure;
    uint64_t retry_at_ms;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void push(struct simcp *c, char *frame)
{
    if (!frame) {
        return;
    }
    if (c->qn == sizeof(c->q) / sizeof(c->q[0])) {
        free(frame);
        return;
    }
    c->q[c->qn++] = frame;
    if (c->wsi) {
        lws_callback_on_writable(c->wsi);
    }
}

static void drop_queue(struct simcp *c)
{
    while (c->qn) {
        free(c->q[--c->qn]);
    }
}

static void connect_now(struct simcp *c)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", c->url);
    const char *prot, *addr, *path;
    int port;
    if (lws_parse_uri(buf, &prot, &addr, &port, &path) != 0) {
        fprintf(stderr, "ampshare sim ocpp: bad --url %s\n", c->url);
        stop_flag = 1;
        return;
    }
    char full[600];
    snprintf(full, sizeof(full), "/%s%s%s", path,
             path[0] && path[strlen(path) - 1] == '/' ? "" : "/", c->id);
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = c->ctx;
    ci.address = addr;
    ci.port = port;
    ci.path = full;
    ci.host = addr;
    ci.origin = addr;
    ci.protocol = "ocpp1.6";
    ci.userdata = c;
    ci.pwsi = &c->wsi;
    if (strcmp(prot, "wss") == 0) {
        ci.ssl_connection = LCCSCF_USE_SSL;
        if (c->insecure) {
            ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
        }
    }
    if (!lws_client_connect_via_info(&ci)) {
        c->wsi = NULL;
        c->retry_at_ms = now_ms() + 2000;
    }
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    struct simcp *c = lws_container_of(sul, struct simcp, sul);
    uint64_t now = now_ms();
    if (!c->wsi && c->retry_at_ms && now >= c->retry_at_ms && !stop_flag) {
        c->retry_at_ms = 0;
        connect_now(c);
    }
    if (c->wsi && c->qn == 0) {
        push(c, sim_ocpp_poll(&c->sim, now, time(NULL)));
    }
    lws_sul_schedule(c->ctx, 0, &c->sul, on_tick, TICK_US);
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    struct simcp *c = lws_get_opaque_user_data(wsi);
    if (!c) {
        c = lws_context_user(lws_get_context(wsi));
    }
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        if (!c->password[0]) {
            return 0;
        }
        char plain[256], b64[400];
        int n = snprintf(plain, sizeof(plain), "%s:%s", c->id, c->password);
        char hdr[420] = "Basic ";
        if (lws_b64_encode_string(plain, n, b64, sizeof(b64)) < 0) {
            return -1;
        }
        strncat(hdr, b64, sizeof(hdr) - strlen(hdr) - 1);
        unsigned char **p = in, *end = *p + len;
        return lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, (unsigned char *)hdr,
                                            (int)strlen(hdr), p, end)
                   ? -1
                   : 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        printf("connected to %s as %s\n", c->url, c->id);
        fflush(stdout);
        sim_ocpp_connected(&c->sim, now_ms());
        push(c, sim_ocpp_poll(&c->sim, now_ms(), time(NULL)));
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        /* CSMS frames are small; a fragmented one is refused by the parser as not JSON */
        push(c, sim_ocpp_on_frame(&c->sim, in, len, now_ms()));
        if (c->qn == 0) {
            push(c, sim_ocpp_poll(&c->sim, now_ms(), time(NULL)));
        }
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (!c->qn) {
            return 0;
        }
        char *f = c->q[0];
        memmove(c->q, c->q + 1, (--c->qn) * sizeof(c->q[0]));
        size_t n = strlen(f);
        unsigned char *buf = malloc(LWS_PRE + n);
        int rc = -1;
        if (buf) {
            memcpy(buf + LWS_PRE, f, n);
            rc = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n ? -1 : 0;
            free(buf);
        }
        free(f);
        if (c->qn) {
            lws_callback_on_writable(wsi);
        }
        return rc;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (reason == LWS_CALLBACK_CLIENT_CLOSED) {
            printf("disconnected\n");
            fflush(stdout);
        } else {
            fprintf(stderr, "ampshare sim ocpp: cannot connect to %s: %s\n", c->url,
                    in ? (const char *)in : "refused");
        }
        c->wsi = NULL;
        drop_queue(c);
        c->retry_at_ms = now_ms() + 2000;
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"ocpp1.6", callback, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare sim ocpp --id ID --url ws[s]://HOST:PORT/PATH [--password P]\n"
            "                         [--car-a A] [--phases 1|3] [--id-tag TAG] [--insecure]\n"
            "\n"
            "A simulated OCPP 1.6J charge point with a car behind it. Connects to\n"
            "URL/ID with the ocpp1.6 subprotocol (HTTP Basic with --password), boots,\n"
            "reports its connector, starts a transaction for TAG and sends meter values;\n"
            "the car draws min(--car-a, the charging profile's limit) on each phase, and\n"
            "nothing below 6 A. Reconnects when the link drops. Runs until SIGINT or SIGTERM.\n"
            "  --car-a A     what the car takes when let (default 16)\n"
            "  --phases N    1 or 3 (default 3)\n"
            "  --id-tag TAG  the RFID tag it starts with (default SIMTAG)\n"
            "  --insecure    wss:// with a self-signed certificate\n"
            "Prints one line per event: connected, transaction N, profile L A (purpose).\n");
}

int cmd_sim_ocpp(int argc, char **argv)
{
    static struct simcp c;
    memset(&c, 0, sizeof(c));
    sim_ocpp_init(&c.sim);
    static const struct option opts[] = {
        {"id", required_argument, NULL, 'i'},
        {"url", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'p'},
        {"car-a", required_argument, NULL, 'a'},
        {"phases", required_argument, NULL, 'n'},
        {"id-tag", required_argument, NULL, 't'},
        {"insecure", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end = NULL;
        switch (o) {
        case 'i':
            snprintf(c.id, sizeof(c.id), "%s", optarg);
            break;
        case 'u':
            snprintf(c.url, sizeof(c.url), "%s", optarg);
            break;
        case 'p':
            snprintf(c.password, sizeof(c.password), "%s", optarg);
            break;
        case 'a': {
            double a = strtod(optarg, &end);
            if (*end || !(a >= 0 && a <= 80)) {
                fprintf(stderr, "ampshare sim ocpp: --car-a %s is not 0..80\n", optarg);
                return CMD_EXIT_USAGE;
            }
            c.sim.car_ma = (int32_t)(a * 1000.0 + 0.5);
            break;
        }
        case 'n':
            if (strcmp(optarg, "1") != 0 && strcmp(optarg, "3") != 0) {
                fprintf(stderr, "ampshare sim ocpp: --phases is 1 or 3\n");
                return CMD_EXIT_USAGE;
            }
            c.sim.phases = (uint8_t)atoi(optarg);
            break;
        case 't':
            snprintf(c.sim.id_tag, sizeof(c.sim.id_tag), "%.20s", optarg);
            break;
        case 'k':
            c.insecure = true;
            break;
        case 'h':
            usage(stdout);
            return CMD_EXIT_OK;
        default:
            usage(stderr);
            return CMD_EXIT_USAGE;
        }
    }
    if (!c.id[0] || !c.url[0] || optind != argc) {
        usage(stderr);
        return CMD_EXIT_USAGE;
    }
    char why[300];
    if (amp_dl_load(&lws_dl, "ampshare sim ocpp", why, sizeof(why)) != 0) {
        fprintf(stderr, "ampshare sim ocpp: %s\n", why);
        return CMD_EXIT_FAIL;
    }
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = &c;
    info.gid = (gid_t)-1;
    info.uid = (uid_t)-1;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    c.ctx = lws_create_context(&info);
    if (!c.ctx) {
        fprintf(stderr, "ampshare sim ocpp: cannot start libwebsockets\n");
        return CMD_EXIT_FAIL;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    connect_now(&c);
    lws_sul_schedule(c.ctx, 0, &c.sul, on_tick, TICK_US);
    while (!stop_flag && lws_service(c.ctx, 0) >= 0) {
    }
    drop_queue(&c);
    lws_context_destroy(c.ctx);
    return CMD_EXIT_OK;
}
