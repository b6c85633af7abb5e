/* SPDX-License-Identifier: MIT */
/*
 * The session log's cost on a site: one simulated day of 1-second ticks for N chargers (each
 * car plugs in for 2-6 h, charges, idles, leaves), written to a real SQLite file. Prints the
 * CPU time per tick, the longest single call (a commit that syncs blocks the caller's
 * loop that long), the bytes handed to write(2) per day (what wears an SD card, measured from
 * /proc/self/io), the commits, and the file sizes. Figures, never a pass/fail.
 *
 *   bench_sessions [DIR] [CHARGERS] [FLUSH_MS]   (defaults: /tmp, 6, 60000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "controller/sessions.h"

static long long proc_io(const char *key)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    long long v = -1;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            v = atoll(line + n + 1);
        }
    }
    if (f) {
        fclose(f);
    }
    return v;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    size_t n = argc > 2 ? (size_t)atoi(argv[2]) : 6;
    uint32_t flush_ms = argc > 3 ? (uint32_t)atoi(argv[3]) : 60000;
    if (n == 0 || n > 64 || flush_ms < 1000) {
        fprintf(stderr, "usage: bench_sessions [DIR] [CHARGERS 1..64] [FLUSH_MS >= 1000]\n");
        return 2;
    }
    char path[512], wal[520];
    snprintf(path, sizeof(path), "%s/bench_sessions_%d.db", dir, (int)getpid());
    snprintf(wal, sizeof(wal), "%s-wal", path);
    char names[64][16];
    const char *ptr[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof(names[i]), "bay%zu", i + 1);
        ptr[i] = names[i];
    }
    struct sess_opts o = SESS_OPTS_DEFAULT;
    o.path = path;
    o.charger = ptr;
    o.n_charger = n;
    o.flush_interval_ms = flush_ms;
    const int64_t wall0 = 1764979200;
    const uint64_t ms0 = 1000;
    struct sess_log *log = NULL;
    if (sess_log_new(&o, wall0, ms0, &log) != 0) {
        fprintf(stderr, "bench_sessions: %s\n", log ? sess_log_error(log) : "out of memory");
        sess_log_free(log);
        return 1;
    }
    long long w0 = proc_io("wchar");
    double c0 = cpu_s();
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    int64_t leave[64] = {0}, charged[64] = {0}, back[64] = {0};
    size_t sessions = 0, errors = 0, over_1ms = 0;
    double worst_us = 0;
    const int day = 86400;
    for (int t = 0; t < day; t++) {
        for (size_t i = 0; i < n; i++) {
            if (t >= back[i]) {
                /* a car arrives: stays 2-6 h, charges the first 40-90 % of it */
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                int64_t stay = 7200 + (int64_t)(rng % 14400);
                leave[i] = t + stay;
                charged[i] = t + stay * (40 + (int64_t)(rng >> 32) % 50) / 100;
                back[i] = leave[i] + 600 + (int64_t)(rng >> 40) % 3600;
                sessions++;
            }
            bool in = t < leave[i];
            bool on = in && t < charged[i];
            struct sess_sample s = {
                .connected = in,
                .charging = on,
                .current_ma = {on ? 16000 : 0, on ? 16000 : 0, on ? 16000 : 0},
                .offered_ma = in ? 16000 : -1,
                .voltage_v = {231, 229, 233},
                .counter_source = SESS_ENERGY_TWC_COUNTER,
                .counter_wh = (uint64_t)t * 11,
                .vin = in && t % 60 == 0 ? "5YJ3E1EA7KF000001" : NULL,
            };
            double a = mono_us();
            errors += sess_update(log, wall0 + t, ms0 + (uint64_t)t * 1000, i, &s) != 0;
            double us = mono_us() - a;
            worst_us = us > worst_us ? us : worst_us;
            over_1ms += us > 1000;
        }
    }
    double cpu = cpu_s() - c0;
    long long written = proc_io("wchar") - w0;
    long long wal_size = file_size(wal);
    sess_log_free(log);
    printf("bench_sessions: %zu chargers, 1 simulated day of 1 s ticks, progress every %u ms, "
           "%s\n",
           n, flush_ms, path);
    printf("  sessions started       %zu (write errors %zu)\n", sessions, errors);
    printf("  CPU per tick           %.2f us (all chargers; %.3f s for the day)\n", cpu / day * 1e6,
           cpu);
    printf("  longest call           %.1f ms (%zu calls over 1 ms: the commits that sync)\n",
           worst_us / 1000, over_1ms);
    printf("  written per day        %.2f MB through write(2) (%.0f bytes per progress commit)\n",
           written / 1e6, (double)written / (day / (flush_ms / 1000.0)));
    printf("  WAL before close       %lld bytes; database after close %lld bytes\n", wal_size,
           file_size(path));
    remove(path);
    return 0;
}
