/* SPDX-License-Identifier: MIT */
/*
 * Allocation tick cost: alloc_tick (view + policy + clamp + hold + reasons) for 10, 100 and
 * 1000 EVSEs in a 3-level circuit tree (supply -> 10 panels -> 100 leaf circuits), for every
 * built-in policy, plus the clamp alone. The site is built from generated INI text through the
 * real loader. Goal: under 50 us per tick at 1000 EVSEs. Prints figures; never a test.
 * Cars: 70 % charging (drawing up to 1.5 A under their offer, jittering every tick), 20 % idle,
 * 10 % unplugged; 1- and 3-phase; every third a Wall Connector; offers echoed as in force.
 *
 * Each figure is the median and the best of REPS batches of ticks (this VM is shared: the median
 * resists the other tenants' bursts, the best shows the cost without them), and, where the CPU
 * exposes an instruction counter to perf_event_open, the instructions per tick. Virtual machines
 * often do not; --callgrind then counts them under valgrind (repeatable to the instruction).
 *
 *   bench_alloc [TICKS]                   every figure (default 4500 ticks each)
 *   bench_alloc TICKS POLICY N_EVSE       one figure, with the fastest single tick too
 *   bench_alloc --callgrind [TICKS]       instructions per tick, each figure run under
 *                                         valgrind --tool=callgrind --toggle-collect=alloc_tick
 */
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "controller/engine/alloc.h"
#include "controller/engine/config.h"
#include "controller/engine/policy_loader.h"
#include "controller/engine/site.h"

#define PER_LEAF  10 /* EVSEs per leaf circuit */
#define PER_PANEL 10 /* leaf circuits per panel */
#define REPS      9  /* timed batches per figure */
#define WARMUP    50 /* untimed ticks first: settle the hold and the caches */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * A 3-level tree sized to n: n/10 leaves of 100 A, grouped 10 to a metered 400 A panel, under a
 * 1000 A supply. Every third EVSE is a Wall Connector (3 per bus), the rest Modbus EVSEs;
 * every fourth is 3-phase, the others spread over L1, L2, L3.
 */
static char *site_text(size_t n, const char *policy)
{
    int leaves = n / PER_LEAF > 0 ? (int)(n / PER_LEAF) : 1;
    int panels = (leaves + PER_PANEL - 1) / PER_PANEL;
    size_t cap = 4096 + n * 256 + (size_t)leaves * 128 + (size_t)panels * 256;
    char *t = malloc(cap);
    size_t w = 0;
#define OUT(...) (w += (size_t)snprintf(t + w, cap - w, __VA_ARGS__))
    OUT("[site]\nsupply_limit_a = 1000\n");
    for (int p = 0; p < panels; p++) {
        OUT("[circuit p%d]\nlimit_a = 400\n", p);
        OUT("[meter pm%d]\ntransport = tcp://127.0.0.1:502\nunit_id = %d\nmap = eastron-sdm630\n"
            "measures = circuit:p%d\n",
            p, p % 247 + 1, p);
    }
    for (int l = 0; l < leaves; l++) {
        OUT("[circuit l%d]\nparent = p%d\nlimit_a = 100\n", l, l / PER_PANEL);
    }
    for (size_t i = 0; i < n; i++) {
        int leaf = (int)(i % (size_t)leaves);
        bool three = i % 4 == 0;
        if (i % 3 == 0) {
            size_t wc = i / 3;
            if (wc % 3 == 0) {
                OUT("[bus b%zu]\ntransport = serial:/dev/ttyUSB%zu\n", wc / 3, wc / 3);
            }
            OUT("[wallconnector e%zu]\nbus = b%zu\naddress = %04zx\ncircuit = l%d\n"
                "max_current_a = 32\n",
                i, wc / 3, 0x1000 + i, leaf);
        } else {
            OUT("[evse e%zu]\ncontrol = modbus\ncontrol_transport = tcp://127.0.0.1:502\n"
                "circuit = l%d\nmax_current_a = 16\n",
                i, leaf);
        }
        OUT("phases = %d\n", three ? 3 : 1);
        if (!three) {
            OUT("phase_map = L%zu\n", 1 + i % 3);
        }
    }
    OUT("[policy]\nname = %s\n", policy);
#undef OUT
    return t;
}

static struct site *build(size_t n, const char *policy)
{
    char *text = site_text(n, policy);
    struct config cfg;
    struct cfg_diag *diag = calloc(1, sizeof(*diag));
    struct site *site = NULL;
    char err[256] = "";
    cfg_init(&cfg);
    if (cfg_parse_string(text, "bench.ini", &cfg, diag) != 0 ||
        site_new(&cfg, &site, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_alloc: site does not load: %s\n",
                diag->n ? diag->item[0].text : err);
        exit(1);
    }
    cfg_free(&cfg);
    free(diag);
    free(text);
    return site;
}

/* Cars: 70 % charging, 20 % idle, 10 % unplugged; draws move a little every tick. */
static void readings(const struct site *site,
                     struct site_state *st,
                     uint64_t now,
                     uint64_t *rng,
                     const struct alloc_result *r)
{
    for (size_t i = 0; i < site->n_evse; i++) {
        struct site_evse_input *in = &st->evse[i];
        uint64_t x = rng_next(rng);
        unsigned kind = (unsigned)((i * 7919) % 10);
        in->connected = kind != 9;
        int32_t offer = r ? r->evse[i].target_ma : 0;
        int32_t draw = kind < 7 ? (offer > 1500 ? offer - (int32_t)(x % 1500) : 6000) : 200;
        for (int k = 0; k < 3; k++) {
            in->draw_ma[k] = draw;
        }
        in->draw_at_ms = now;
        in->offer_ma = offer;
    }
    for (size_t m = 0; m < site->n_meter; m++) {
        st->meter[m].at_ms = now;
        for (int k = 0; k < 3; k++) {
            st->meter[m].current_ma[k] = (int32_t)(rng_next(rng) % 30000);
        }
    }
}

/* A counter of the instructions this thread retires in user space, or -1 where there is none. */
static int instr_counter_open(void)
{
    struct perf_event_attr pe;
    memset(&pe, 0, sizeof(pe));
    pe.type = PERF_TYPE_HARDWARE;
    pe.size = sizeof(pe);
    pe.config = PERF_COUNT_HW_INSTRUCTIONS;
    pe.disabled = 1;
    pe.exclude_kernel = 1;
    pe.exclude_hv = 1;
    return (int)syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct figure {
    double median_us, min_us;
    double tick_min_us; /* the fastest single tick: the cost when nothing else ran */
    double instr;       /* per tick, or -1 without a counter */
};

/* Runs WARMUP + batch * REPS ticks of policy on an n-EVSE site; times the last REPS batches. */
static struct figure bench_tick(size_t n, const char *policy, int batch, double *clamp_us)
{
    struct site *site = build(n, policy);
    struct policy_handle h;
    struct alloc *a = NULL;
    struct site_state *st = NULL;
    struct alloc_result *r = NULL;
    char err[256];
    if (policy_open(site->policy, &h, err, sizeof(err)) != 0 ||
        alloc_new(site, h.policy, &a, err, sizeof(err)) != 0 || site_state_new(site, &st) != 0 ||
        alloc_result_new(site, &r) != 0) {
        fprintf(stderr, "bench_alloc: %s\n", err);
        exit(1);
    }
    uint64_t rng = 42, now = 1000;
    readings(site, st, now, &rng, NULL);
    for (int i = 0; i < WARMUP; i++) {
        alloc_tick(a, st, now += 1000, r);
        readings(site, st, now, &rng, r);
    }
    int fd = instr_counter_open();
    uint64_t instr = 0;
    double us[REPS];
    uint64_t tick_min = UINT64_MAX;
    for (int b = 0; b < REPS; b++) {
        uint64_t spent = 0;
        for (int i = 0; i < batch; i++) {
            now += 1000;
            if (fd >= 0) {
                ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
            }
            uint64_t t0 = now_ns();
            alloc_tick(a, st, now, r);
            uint64_t dt = now_ns() - t0;
            spent += dt;
            tick_min = dt < tick_min ? dt : tick_min;
            if (fd >= 0) {
                ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
            }
            readings(site, st, now, &rng, r); /* not timed: the drivers' work */
        }
        us[b] = (double)spent / 1000.0 / batch;
    }
    if (fd >= 0 && read(fd, &instr, sizeof(instr)) != (ssize_t)sizeof(instr)) {
        instr = 0;
    }
    if (fd >= 0) {
        close(fd);
    }
    qsort(us, REPS, sizeof(us[0]), cmp_double);
    struct figure f = {
        .median_us = us[REPS / 2],
        .min_us = us[0],
        .tick_min_us = (double)tick_min / 1000.0,
        .instr = instr ? (double)instr / ((double)batch * REPS) : -1,
    };
    if (clamp_us) {
        const struct ampshare_policy_input *in = alloc_last_view(a);
        struct alloc_clamp_scratch sc;
        alloc_clamp_scratch_init(&sc, in->n_circuit, in->n_evse);
        int32_t *raw = calloc(in->n_evse + 1, sizeof(*raw)), *out = calloc(in->n_evse + 1, 4);
        for (size_t v = 0; v < in->n_evse; v++) {
            raw[v] = 32000; /* everyone asks for everything: the clamp's worst work */
        }
        for (int b = 0; b < REPS; b++) {
            uint64_t t0 = now_ns();
            for (int i = 0; i < batch; i++) {
                alloc_clamp(in, raw, out, NULL, NULL, &sc);
            }
            us[b] = (double)(now_ns() - t0) / 1000.0 / batch;
        }
        qsort(us, REPS, sizeof(us[0]), cmp_double);
        clamp_us[0] = us[REPS / 2];
        clamp_us[1] = us[0];
        free(raw);
        free(out);
        alloc_clamp_scratch_fini(&sc);
    }
    alloc_result_free(r);
    site_state_free(st);
    alloc_free(a);
    policy_close(&h);
    site_free(site);
    return f;
}

/* Ir of alloc_tick, per tick, for one figure run under callgrind in a child; -1 on failure. */
static double callgrind_figure(const char *self, const char *policy, size_t n, int ticks)
{
    char out[128], nbuf[24], tbuf[24], opt[160];
    snprintf(out, sizeof(out), "/tmp/bench_alloc.callgrind.%ld", (long)getpid());
    snprintf(opt, sizeof(opt), "--callgrind-out-file=%s", out);
    snprintf(nbuf, sizeof(nbuf), "%zu", n);
    snprintf(tbuf, sizeof(tbuf), "%d", ticks);
    fflush(stdout); /* or the child's freopen writes our buffer a second time */
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) {
            _exit(127);
        }
        execlp("valgrind", "valgrind", "--tool=callgrind", "--toggle-collect=alloc_tick", opt, self,
               tbuf, policy, nbuf, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        unlink(out);
        return -1;
    }
    FILE *f = fopen(out, "r");
    char line[256];
    unsigned long long ir = 0;
    while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "totals: %llu", &ir) == 1 || sscanf(line, "summary: %llu", &ir) == 1) {
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    unlink(out);
    /* the child ran WARMUP ticks, then REPS batches of ticks / REPS */
    int calls = WARMUP + ticks / REPS * REPS;
    return ir ? (double)ir / calls : -1;
}

static const size_t sizes[] = {10, 100, 1000};

static int callgrind_table(const char *self, int ticks)
{
    printf("bench_alloc: instructions per alloc_tick (callgrind Ir, %d ticks incl. %d warm-up)\n",
           WARMUP + ticks / REPS * REPS, WARMUP);
    printf("%-14s %10s %10s %10s\n", "policy", "10 EVSEs", "100 EVSEs", "1000 EVSEs");
    for (size_t p = 0; p < policy_builtin_count(); p++) {
        const char *name = policy_builtin_at(p)->name;
        printf("%-14s", name);
        for (size_t s = 0; s < 3; s++) {
            double ir = callgrind_figure(self, name, sizes[s], ticks);
            if (ir < 0) {
                printf(
                    "\nbench_alloc: valgrind --tool=callgrind failed (is valgrind installed?)\n");
                return 1;
            }
            printf(" %10.0f", ir);
            fflush(stdout);
        }
        printf("\n");
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--callgrind") == 0) {
        int ticks = argc > 2 ? atoi(argv[2]) : 90;
        return callgrind_table(argv[0], ticks > 0 ? ticks : 90);
    }
    int ticks = argc > 1 ? atoi(argv[1]) : 4500;
    if (ticks < REPS) {
        ticks = 4500;
    }
    int batch = ticks / REPS;
    if (argc == 4) {
        struct figure f = bench_tick((size_t)atoi(argv[3]), argv[2], batch, NULL);
        printf("%s, %s EVSEs: %.2f us per tick (median batch), %.2f (best batch), %.2f (fastest "
               "tick)",
               argv[2], argv[3], f.median_us, f.min_us, f.tick_min_us);
        if (f.instr >= 0) {
            printf(", %.0f instructions", f.instr);
        }
        printf("\n");
        return 0;
    }
    printf("bench_alloc: alloc_tick (view + policy + clamp + hold + reasons), us per tick:\n"
           "median / best of %d batches of %d ticks\n",
           REPS, batch);
    printf("tree: supply 1000 A -> metered panels of 400 A -> leaves of 100 A, %d EVSEs a leaf,\n"
           "%d leaves a panel (10 EVSEs: 1 panel, 1 leaf; 1000: 10 panels, 100 leaves)\n",
           PER_LEAF, PER_PANEL);
    printf("%-14s %15s %15s %15s\n", "policy", "10 EVSEs", "100 EVSEs", "1000 EVSEs");
    double clamp[3][2] = {{0, 0}, {0, 0}, {0, 0}}, instr[16][3];
    bool counted = true;
    size_t np = policy_builtin_count() < 16 ? policy_builtin_count() : 16;
    for (size_t p = 0; p < np; p++) {
        const char *name = policy_builtin_at(p)->name;
        printf("%-14s", name);
        for (size_t s = 0; s < 3; s++) {
            struct figure f = bench_tick(sizes[s], name, batch, p == 0 ? clamp[s] : NULL);
            printf("   %6.2f /%6.2f", f.median_us, f.min_us);
            fflush(stdout);
            instr[p][s] = f.instr;
            counted = counted && f.instr >= 0;
        }
        printf("\n");
    }
    printf("%-14s", "clamp alone*");
    for (size_t s = 0; s < 3; s++) {
        printf("   %6.2f /%6.2f", clamp[s][0], clamp[s][1]);
    }
    printf("\n* every EVSE asking for 32 A: cuts at every level of the tree\n");
    if (!counted) {
        printf("instructions per tick: perf_event_open gives no CPU instruction counter here (a\n"
               "virtual machine?); bench_alloc --callgrind counts them under valgrind\n");
        return 0;
    }
    printf("\ninstructions per tick (CPU counter, user space)\n");
    for (size_t p = 0; p < np; p++) {
        printf("%-14s", policy_builtin_at(p)->name);
        for (size_t s = 0; s < 3; s++) {
            printf(" %15.0f", instr[p][s]);
        }
        printf("\n");
    }
    return 0;
}
