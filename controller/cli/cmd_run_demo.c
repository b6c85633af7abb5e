/* SPDX-License-Identifier: MIT */
/*
 * `ampshare run --demo`: the built-in demo site, in real time, through the same code paths as a
 * real site. The seed's case and a little more:
 *   - a 40 A circuit "garage" with a Tesla and an idle BMW i3 on two simulated Wall Connectors
 *     (sim_seed_add_slaves) on a real pty bus, served on the daemon's own loop (sim_twc_port);
 *   - a 16 A circuit "bay" with a third-party Modbus EVSE (sim_evse, Heidelberg Energy Control
 *     registers) and its meter, and a grid meter showing the whole site plus a house load, all
 *     served by the simulator on Modbus TCP loopback (port 0);
 *   - the daemon itself (controller/daemon) reading the site from INI text naming those.
 * While stdout is a terminal a compact table is printed every few seconds; otherwise one line.
 * At the end the Tesla's figure is put beside what the simulated native master gives it on the
 * same circuit (sim_seed, virtual time). Everything lives in a temporary directory (the pty
 * link, the session log), removed at the end.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_run.h"
#include "drivers/base/amp_err.h"
#include "drivers/base/log.h"
#include "drivers/transport/tp.h"
#include "sim/sim_evse.h"
#include "sim/sim_mbsrv.h"
#include "sim/sim_meter.h"
#include "sim/sim_seed.h"
#include "sim/sim_twc_port.h"

#define DEMO_SIM_MS     250   /* the Modbus simulators' tick */
#define DEMO_TABLE_MS   5000  /* the live table (a terminal) */
#define DEMO_LINE_MS    15000 /* one summary line (not a terminal) */
#define DEMO_HOUSE_MA   6000  /* the house's own load on the grid meter */
#define DEMO_EVSE_UNIT  1
#define DEMO_EVSE_METER 2
#define DEMO_GRID_UNIT  3
#define DEMO_INI_MAX    2048

struct demo {
    char dir[160];
    char twc[192];
    char db[192];
    struct tp *bus;
    struct sim_twc_slaves slaves;
    struct sim_twc_port port;
    struct sim_mbsrv *srv;
    struct sim_evse *evse;
    struct sim_meter *grid;
    struct loop *loop;
    struct loop_timer sim, show;
    struct daemon *d;
    bool tty;
    uint64_t t0;
    uint16_t tesla_ca; /* the Tesla's draw, last seen before the stop */
    char ini[DEMO_INI_MAX];
};

static const char *fmt_a(int32_t ma, char *buf, size_t cap)
{
    if (ma < 0) {
        snprintf(buf, cap, "?");
    } else {
        snprintf(buf, cap, "%" PRId32 ".%01" PRId32 " A", ma / 1000, (ma % 1000) / 100);
    }
    return buf;
}

/* The Modbus side: the EVSE follows its setpoint, the grid meter shows the whole site. */
static void on_sim(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    struct demo *m = ctx;
    struct sim_evse_view v;
    (void)sim_evse_tick(m->evse, now, &v);
    int32_t total = DEMO_HOUSE_MA + v.draw_ma;
    uint64_t snow = m->port.loop ? sim_twc_port_now(&m->port) : 0;
    for (size_t i = 0; m->port.loop && i < m->slaves.n; i++) {
        struct sim_twc_slave_view sv;
        sim_twc_slave_view(&m->slaves.slave[i], snow, &sv);
        total += (int32_t)sv.actual_ca * 10;
        if (sv.id == SIM_SEED_TESLA_ID && m->d && !daemon_stopping(m->d)) {
            m->tesla_ca = sv.actual_ca;
        }
    }
    int32_t cur[3] = {total, 0, 0};
    (void)sim_meter_set_currents(m->grid, cur);
    loop_timer_arm_in(l, t, DEMO_SIM_MS);
}

static void show(struct demo *m, uint64_t now)
{
    struct daemon_status st;
    if (!m->d || daemon_status(m->d, now, &st) != 0) {
        return;
    }
    unsigned secs = (unsigned)((now - m->t0) / 1000);
    char a[16], b[16], c[16];
    if (m->tty) {
        printf("\n  %3u s  %-8s %8s %8s  %s\n", secs, "charger", "offer", "draw", "reason");
        for (size_t e = 0; e < st.n_evse; e++) {
            const struct daemon_evse_status *s = &st.evse[e];
            printf("         %-8s %8s %8s  %s\n", s->name, fmt_a(s->offer_ma, a, sizeof(a)),
                   fmt_a(s->draw_ma[0], b, sizeof(b)), s->why);
        }
        for (size_t k = 1; k < st.n_circuit; k++) {
            printf("         circuit %-8s offered %s, counted %s, of %s\n", st.circuit[k].name,
                   fmt_a(st.circuit[k].offered_ma[0], a, sizeof(a)),
                   fmt_a(st.circuit[k].counted_ma[0], b, sizeof(b)),
                   fmt_a(st.circuit[k].limit_ma[0], c, sizeof(c)));
        }
    } else {
        printf("demo %u s:", secs);
        for (size_t e = 0; e < st.n_evse; e++) {
            const struct daemon_evse_status *s = &st.evse[e];
            printf(" %s offer %s draw %s (%s);", s->name, fmt_a(s->offer_ma, a, sizeof(a)),
                   fmt_a(s->draw_ma[0], b, sizeof(b)), s->why);
        }
        printf("\n");
    }
    fflush(stdout);
    daemon_status_free(&st);
}

static void on_show(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    struct demo *m = ctx;
    show(m, now);
    loop_timer_arm_in(l, t, m->tty ? DEMO_TABLE_MS : DEMO_LINE_MS);
}

static int demo_ini(struct demo *m)
{
    uint16_t port = sim_mbsrv_port(m->srv);
    int n = snprintf(m->ini, sizeof(m->ini),
                     "# the built-in demo site (ampshare run --demo)\n"
                     "[site]\nname = demo\nsupply_limit_a = 63\nphases = 1\n"
                     "[sessions]\ndb = %s\n"
                     "[circuit garage]\nlimit_a = 40\n"
                     "[circuit bay]\nlimit_a = 16\n"
                     "[bus rs485]\ntransport = serial:%s\n"
                     "[wallconnector tesla]\nbus = rs485\naddress = %04X\ncircuit = garage\n"
                     "max_current_a = 40\n"
                     "[wallconnector i3]\nbus = rs485\naddress = %04X\ncircuit = garage\n"
                     "max_current_a = 40\n"
                     "[meter grid]\ntransport = tcp://127.0.0.1:%u\nunit_id = %d\n"
                     "map = eastron-sdm630\nmeasures = grid\n"
                     "[meter zoe-meter]\ntransport = tcp://127.0.0.1:%u\nunit_id = %d\n"
                     "map = eastron-sdm630\nmeasures = evse:zoe\n"
                     "[evse zoe]\nmeter = zoe-meter\ncontrol = modbus\n"
                     "control_transport = tcp://127.0.0.1:%u\ncontrol_map = heidelberg-ec\n"
                     "control_unit_id = %d\ncircuit = bay\nmax_current_a = 16\n",
                     m->db, m->twc, SIM_SEED_TESLA_ID, SIM_SEED_I3_ID, port, DEMO_GRID_UNIT, port,
                     DEMO_EVSE_METER, port, DEMO_EVSE_UNIT);
    return n > 0 && (size_t)n < sizeof(m->ini) ? 0 : -EMSGSIZE;
}

static int demo_start(void *ctx, struct loop *l)
{
    struct demo *m = ctx;
    m->loop = l;
    m->t0 = loop_now_ms(l);
    /* $TMPDIR as mktemp(1) honours it: tests give each run its own */
    const char *tmp = getenv("TMPDIR");
    tmp = tmp && tmp[0] == '/' ? tmp : "/tmp";
    int n = snprintf(m->dir, sizeof(m->dir), "%s/ampshare-demo-XXXXXX", tmp);
    if (n < 0 || (size_t)n >= sizeof(m->dir) || !mkdtemp(m->dir)) {
        int e = n < 0 || (size_t)n >= sizeof(m->dir) ? ENAMETOOLONG : errno;
        fprintf(stderr, "ampshare run --demo: cannot make a temporary directory in %s: %s\n", tmp,
                strerror(e));
        m->dir[0] = '\0';
        return -e;
    }
    snprintf(m->twc, sizeof(m->twc), "%s/twc", m->dir);
    snprintf(m->db, sizeof(m->db), "%s/sessions.db", m->dir);
    char err[256], text[200];
    /* the Wall Connectors' bus: a real pty, the slaves on its far end */
    snprintf(text, sizeof(text), "pty:%s", m->twc);
    int rc = tp_new_from_text(text, TP_ROLE_LISTEN, &m->bus, err, sizeof(err));
    rc = rc < 0 ? rc : tp_open(m->bus);
    struct sim_seed_cfg seed;
    sim_seed_cfg_default(&seed);
    rc = rc < 0 ? rc : sim_seed_add_slaves(&m->slaves, &seed);
    if (rc < 0) {
        fprintf(stderr, "ampshare run --demo: the Wall Connector bus: %s\n", amp_strerror(rc));
        return rc;
    }
    /* the Modbus side on loopback, port 0 */
    struct tp_addr addr = {.kind = TP_ADDR_TCP};
    snprintf(addr.host, sizeof(addr.host), "127.0.0.1");
    rc = sim_mbsrv_new(&addr, &m->srv, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "ampshare run --demo: Modbus simulator: %s\n", err);
        return rc;
    }
    struct sim_evse_cfg ec = {
        .model = mb_evse_find("heidelberg-ec"),
        .unit = DEMO_EVSE_UNIT,
        .meter_map = mb_map_find("eastron-sdm630"),
        .meter_unit = DEMO_EVSE_METER,
        .car = true,
        .car_max_ma = 16000, /* a Renault Zoe on a 16 A single-phase box */
        .phases = 1,
    };
    rc = sim_evse_new(m->srv, &ec, &m->evse);
    rc = rc < 0 ? rc
                : sim_meter_new(m->srv, DEMO_GRID_UNIT, mb_map_find("eastron-sdm630"), &m->grid);
    rc = rc < 0 ? rc : sim_mbsrv_start(m->srv);
    rc = rc < 0 ? rc : demo_ini(m);
    if (rc < 0) {
        fprintf(stderr, "ampshare run --demo: Modbus simulator: %s\n", amp_strerror(rc));
        return rc;
    }
    loop_timer_init(&m->sim, on_sim, m);
    loop_timer_init(&m->show, on_show, m);
    fprintf(stderr,
            "ampshare run --demo: a Tesla and an idle BMW i3 on two simulated Wall Connectors "
            "(40 A circuit, pty %s), a Zoe on a simulated Modbus EVSE (16 A circuit) and a "
            "grid meter on %s; session log %s\n",
            m->twc, sim_mbsrv_client_addr(m->srv), m->db);
    return 0;
}

/* The slaves start once the master listens on the bus, so their first linkready is heard. */
static void demo_running(void *ctx, struct daemon *d)
{
    struct demo *m = ctx;
    m->d = d;
    if (sim_twc_port_start(&m->port, m->loop, m->bus, &m->slaves, NULL, NULL) < 0) {
        log_err("demo", "the simulated Wall Connectors: %s", amp_strerror(m->port.rc));
    }
    on_sim(m->loop, &m->sim, loop_now_ms(m->loop), m);
    loop_timer_arm_in(m->loop, &m->show, m->tty ? DEMO_TABLE_MS : DEMO_LINE_MS);
}

/* The seed's comparison: the same two cars under the simulated native master. */
static void demo_finish(void *ctx, struct daemon *d, uint64_t now)
{
    struct demo *m = ctx;
    (void)d;
    printf("\nafter the safe stop:\n");
    show(m, now);
    m->d = NULL;
    struct sim_seed_cfg cfg;
    struct sim_seed_result native;
    char err[256];
    sim_seed_cfg_default(&cfg);
    printf("\nThe seed's case, a Tesla beside an idle BMW i3 on one 40 A circuit:\n");
    if (sim_seed_run(SIM_SEED_NATIVE, &cfg, &native, err, sizeof(err)) == 0) {
        printf("  native Tesla master (simulated, same cars): the Tesla draws %u.%02u A\n",
               native.tesla.actual_ca / 100u, native.tesla.actual_ca % 100u);
    }
    printf("  ampshare, this run (%u s of real time):      the Tesla drew %u.%02u A%s\n",
           (unsigned)((now - m->t0) / 1000), m->tesla_ca / 100u, m->tesla_ca % 100u,
           now - m->t0 < 120000 ? " (it climbs 1 A/s to 39 A: try --duration-s 150)" : "");
    fflush(stdout);
}

static void demo_stop(void *ctx, struct loop *l)
{
    struct demo *m = ctx;
    loop_timer_disarm(l, &m->sim);
    loop_timer_disarm(l, &m->show);
    if (m->port.loop) {
        sim_twc_port_stop(&m->port);
    }
    sim_mbsrv_free(m->srv); /* stops its thread first */
    m->srv = NULL;
    sim_evse_free(m->evse);
    sim_meter_free(m->grid);
    tp_free(m->bus);
    m->bus = NULL;
    if (m->dir[0]) {
        char path[192];
        static const char *const files[] = {"sessions.db", "sessions.db-wal", "sessions.db-shm"};
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
            snprintf(path, sizeof(path), "%s/%s", m->dir, files[i]);
            (void)unlink(path);
        }
        (void)unlink(m->twc);
        (void)rmdir(m->dir);
    }
}

int cmd_run_demo(uint64_t duration_ms)
{
    struct demo *m = calloc(1, sizeof(*m));
    if (!m) {
        return CMD_EXIT_FAIL;
    }
    m->tty = isatty(STDOUT_FILENO) == 1;
    struct cmd_run_hooks hooks = {
        .start = demo_start,
        .running = demo_running,
        .finish = demo_finish,
        .stop = demo_stop,
        .ctx = m,
    };
    /* the site text is written by demo_start, before the daemon reads it */
    struct daemon_opts o = {.path = "demo.ini", .ini_text = m->ini};
    int rc = cmd_run_site(&o, duration_ms, &hooks);
    free(m);
    return rc;
}
