/* SPDX-License-Identifier: MIT */
/* Several simulated slaves on one bus endpoint. */
#include "sim/sim_twc_slaves.h"

#include <errno.h>
#include <string.h>

#include "sim/sim_twc_frames.h"

void sim_twc_slaves_init(struct sim_twc_slaves *set)
{
    memset(set, 0, sizeof(*set));
    twc_deframer_init(&set->df);
}

int sim_twc_slaves_add(struct sim_twc_slaves *set,
                       const struct sim_twc_slave_cfg *cfg,
                       const struct sim_car_cfg *car,
                       uint64_t now_ms)
{
    if (set->n >= SIM_TWC_SLAVES_MAX) {
        return -ENOSPC;
    }
    int rc = sim_twc_slave_init(&set->slave[set->n], cfg, car, now_ms);
    if (rc < 0) {
        return rc;
    }
    return (int)set->n++;
}

void sim_twc_slaves_on_bytes(struct sim_twc_slaves *set,
                             uint64_t now_ms,
                             const uint8_t *buf,
                             size_t len)
{
    for (size_t i = 0; i < set->n; i++) {
        if (set->slave[i].df_own) {
            sim_twc_slave_on_bytes(&set->slave[i], now_ms, buf, len);
        }
    }
    struct twc_msg msg;
    uint32_t bad = 0;
    while (sim_twc_next_msg(&set->df, &buf, &len, &msg, &bad) == 1) {
        for (size_t i = 0; i < set->n; i++) {
            if (!set->slave[i].df_own) {
                sim_twc_slave_hear(&set->slave[i], now_ms, &msg, 0);
            }
        }
    }
    for (size_t i = 0; i < set->n; i++) {
        struct sim_twc_slave *s = &set->slave[i];
        if (!s->df_own) {
            sim_twc_slave_hear(s, now_ms, NULL, bad);
        } else if (twc_deframer_same(&s->df, &set->df)) {
            s->df_own = false; /* caught up: from here it hears what the others hear */
        }
    }
}

size_t sim_twc_slaves_poll(
    struct sim_twc_slaves *set, uint64_t now_ms, uint8_t *out, size_t cap, uint64_t *next_ms)
{
    size_t n = 0;
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < set->n; i++) {
        struct sim_twc_slave *s = &set->slave[i];
        uint64_t nx = s->quiet_until_ms;
        /* else nothing reached it since its last poll and nothing is due; lockstep polls every
         * slave every millisecond, so that it holds each slave's next time to account */
        if (now_ms >= nx || (set->poll_all && *set->poll_all)) {
            n += sim_twc_slave_poll(s, now_ms, out + n, cap - n, &nx);
        }
        next = nx < next ? nx : next;
    }
    if (next_ms) {
        *next_ms = next;
    }
    return n;
}

struct sim_twc_slave *sim_twc_slaves_find(struct sim_twc_slaves *set, uint16_t id)
{
    for (size_t i = 0; i < set->n; i++) {
        if (set->slave[i].id == id) {
            return &set->slave[i];
        }
    }
    return NULL;
}
