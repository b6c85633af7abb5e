/* SPDX-License-Identifier: MIT */
/* The simulated car: draw as a piecewise-linear ramp that follows the offer (twc-gen2.md §7.2). */
#include "sim/sim_car.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MW_MS_PER_WH 3600000000ULL

/* splitmix64: small, seedable, good enough for jitter. */
static uint64_t car_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void preset_common(struct sim_car_cfg *cfg)
{
    cfg->min_ma = 5000;   /* §5.3: below 5 A cars stop (Tesla UI floor) */
    cfg->offset_ma = 800; /* §5.3: limit - 0.80 A (40 A -> 38.76, 6 A -> 5.2, 5 A -> 4.2) */
    cfg->voltage_v = 230;
    cfg->phases = 1;
    cfg->start_delay_ms = 2000;  /* §7.1: an awake car starts within about 10 s, all told */
    cfg->wake_ms = 30000;        /* §7.1: energy-saver cars up to about 15 min */
    cfg->start_ramp_ms = 3000;   /* §7.2: state 08, 0 -> 1.3 A over a few seconds */
    cfg->start_draw_ma = 1300;   /* §5.2 */
    cfg->follow_delay_ms = 1000; /* §7.2: a raise shows after 5-10 s in all */
    cfg->raise_ms = 5000;        /* §7.2: ngardiner #644, 6.64 -> 18.89 A within about 6 s */
    cfg->cut_ms = 1000;          /* §7.2: a cut is followed faster */
    /* A zero limit repeated for 3 s (three heartbeats, §6.3) is a stop; one zero is not. */
    cfg->stop_confirm_ms = 3000;
    cfg->awake_ms = 60000;
    cfg->sleep_after_ms = 600000;
    cfg->lock_clear_ma = 16000; /* §7.1: the spike TWCManager sends to all but 80 A units */
    cfg->lock_clear_ms = 5000;  /* §7.1: >= 5 s */
    cfg->seed = 1;
}

int sim_car_cfg_preset(struct sim_car_cfg *cfg, const char *name)
{
    memset(cfg, 0, sizeof(*cfg));
    if (strcmp(name, "none") == 0) {
        return 0;
    }
    preset_common(cfg);
    if (strcmp(name, "tesla") == 0 || strcmp(name, "tesla-idle") == 0) {
        cfg->kind = SIM_CAR_TESLA;
        /* A Model X/S with the 48 A on-board charger: wants more than a 40 A circuit gives. */
        cfg->max_ma = 48000;
        /* A valid VIN (ISO 3779: no I, O or Q; check digit 6 in position 9): masters check it
         * (TWCManager re-asks for an invalid one every 76 ms, starving its heartbeats). */
        memcpy(cfg->vin, "5YJXCAE26LF000001", SIM_CAR_VIN_LEN + 1);
        cfg->max_comm_drops = 3; /* §6.4: a Tesla gives up after about the 3rd drop */
    } else if (strcmp(name, "bmw-i3") == 0 || strcmp(name, "bmw-i3-idle") == 0) {
        cfg->kind = SIM_CAR_OTHER; /* on a J1772 adapter: no CAN, no VIN (§4.2, §7.3) */
        cfg->max_ma = 32000;       /* 7.4 kW single-phase on-board charger */
        cfg->max_comm_drops = 0;
    } else {
        memset(cfg, 0, sizeof(*cfg));
        return -ENOENT;
    }
    snprintf(cfg->name, sizeof(cfg->name), "%s", name);
    /* "-idle": plugged in, not charging, as the seed's i3 (§7.3): full, draws nothing. */
    cfg->energy_wanted_wh = strstr(name, "-idle") ? 0 : -1;
    return 0;
}

static int32_t ramp_value(const struct sim_car *car, uint64_t t)
{
    if (t >= car->ramp_t1) {
        return car->ramp_to_ma;
    }
    if (t <= car->ramp_t0) {
        return car->ramp_from_ma;
    }
    int64_t span = (int64_t)(car->ramp_t1 - car->ramp_t0);
    int64_t d = (int64_t)car->ramp_to_ma - car->ramp_from_ma;
    return car->ramp_from_ma + (int32_t)(d * (int64_t)(t - car->ramp_t0) / span);
}

/* Ramps from the present draw to to_ma, holding until now + hold_ms and arriving span_ms later. */
static void
ramp_to(struct sim_car *car, uint64_t now, int32_t to_ma, uint32_t hold_ms, uint32_t span_ms)
{
    car->ramp_from_ma = ramp_value(car, now);
    car->ramp_to_ma = to_ma;
    car->ramp_t0 = now + hold_ms;
    car->ramp_t1 = car->ramp_t0 + span_ms;
}

static void ramp_stop_now(struct sim_car *car, uint64_t now)
{
    car->ramp_from_ma = 0;
    car->ramp_to_ma = 0;
    car->ramp_t0 = now;
    car->ramp_t1 = now;
    car->draw_ma = 0;
}

/* What the car draws for its present offer once settled: offer - offset, within [0, max]. */
static int32_t settled_draw(const struct sim_car *car)
{
    if (car->offer_ma < car->cfg.min_ma) {
        return 0;
    }
    int32_t d = car->offer_ma - car->cfg.offset_ma;
    if (d > car->cfg.max_ma) {
        d = car->cfg.max_ma;
    }
    if (d > car->taper_ma) {
        d = car->taper_ma; /* its battery takes no more at this state of charge */
    }
    if (car->locked && d > 6000 - car->cfg.offset_ma) {
        d = 6000 - car->cfg.offset_ma; /* §7.1: its 6 A step, 5.14-5.23 A actual */
    }
    return d < 0 ? 0 : d;
}

int sim_car_init(struct sim_car *car, const struct sim_car_cfg *cfg, uint64_t now_ms)
{
    if (cfg->kind != SIM_CAR_TESLA && cfg->kind != SIM_CAR_OTHER) {
        return -EINVAL;
    }
    if (cfg->max_ma <= 0 || cfg->min_ma < 0 || cfg->offset_ma < 0 || cfg->noise_ma < 0 ||
        cfg->phases < 1 || cfg->phases > 3 || cfg->start_draw_ma < 0) {
        return -EINVAL;
    }
    if (!(cfg->battery_kwh >= 0) ||
        (cfg->battery_kwh > 0 &&
         (!(cfg->soc0 >= 0 && cfg->soc0 <= 1) || !(cfg->taper_soc >= 0 && cfg->taper_soc < 1) ||
          cfg->taper_end_ma < 0))) {
        return -EINVAL;
    }
    memset(car, 0, sizeof(*car));
    car->cfg = *cfg;
    car->cfg.name[sizeof(car->cfg.name) - 1] = '\0';
    car->cfg.vin[SIM_CAR_VIN_LEN] = '\0';
    car->rng = cfg->seed;
    car->last_ms = now_ms;
    car->settled_ms = SIM_CAR_UNSETTLED;
    car->phase = SIM_CAR_UNPLUGGED;
    sim_car_plug(car, now_ms);
    return 0;
}

/* Energy over [a, b] where the ramp is linear (no kink inside), in mW*ms. */
static uint64_t segment_energy(const struct sim_car *car, uint64_t a, uint64_t b)
{
    uint64_t sum_ma = (uint64_t)ramp_value(car, a) + (uint64_t)ramp_value(car, b);
    return sum_ma * car->cfg.voltage_v * car->cfg.phases * (b - a) / 2;
}

static void integrate(struct sim_car *car, uint64_t a, uint64_t b)
{
    uint64_t cuts[2] = {car->ramp_t0, car->ramp_t1};
    for (size_t i = 0; i < 2; i++) {
        if (cuts[i] > a && cuts[i] < b) {
            car->delivered_mw_ms += segment_energy(car, a, cuts[i]);
            a = cuts[i];
        }
    }
    car->delivered_mw_ms += segment_energy(car, a, b);
}

static bool wants_more(const struct sim_car *car)
{
    if (car->cfg.energy_wanted_wh < 0) {
        return true;
    }
    return sim_car_delivered_wh(car) < car->cfg.energy_wanted_wh;
}

int32_t sim_car_taper_ma(int32_t max_ma, double taper_soc, int32_t end_ma, double soc)
{
    if (soc <= taper_soc) {
        return max_ma;
    }
    double f = (soc - taper_soc) / (1 - taper_soc);
    return (int32_t)(max_ma - f * (max_ma - end_ma));
}

double sim_car_soc(const struct sim_car *car)
{
    if (car->cfg.battery_kwh <= 0) {
        return car->cfg.soc0;
    }
    double soc =
        car->cfg.soc0 + (double)car->delivered_mw_ms / MW_MS_PER_WH / (car->cfg.battery_kwh * 1000);
    return soc < 1 ? soc : 1;
}

/* A car with a battery, drawing or about to: its taper is re-read on the SIM_CAR_TAPER_STEP_MS
 * grid. */
static bool tapers(const struct sim_car *car)
{
    return car->cfg.battery_kwh > 0 &&
           (car->phase == SIM_CAR_CHARGING || car->phase == SIM_CAR_STARTING);
}

static uint64_t next_taper_ms(uint64_t t)
{
    return (t / SIM_CAR_TAPER_STEP_MS + 1) * SIM_CAR_TAPER_STEP_MS;
}

static void taper_reset(struct sim_car *car)
{
    car->taper_ma = car->cfg.battery_kwh > 0
                        ? sim_car_taper_ma(car->cfg.max_ma, car->cfg.taper_soc,
                                           car->cfg.taper_end_ma, car->cfg.soc0)
                        : INT32_MAX;
}

/* A taper step at t: the limit at the state of charge now; a charging car above it comes down as
 * it follows a cut (the limit only falls as the battery fills). */
static void taper_step(struct sim_car *car, uint64_t t)
{
    car->taper_ma = sim_car_taper_ma(car->cfg.max_ma, car->cfg.taper_soc, car->cfg.taper_end_ma,
                                     sim_car_soc(car));
    if (car->phase == SIM_CAR_CHARGING && !car->pausing) {
        int32_t to = settled_draw(car);
        if (to < car->ramp_to_ma) {
            ramp_to(car, t, to, 0, car->cfg.cut_ms);
        }
    }
}

/* Runs the timed transition that falls due at t (WAKING -> STARTING -> CHARGING). */
static void run_transition(struct sim_car *car, uint64_t t)
{
    if (car->phase == SIM_CAR_WAKING) {
        car->phase = SIM_CAR_STARTING;
        car->asleep = false;
        int32_t first = settled_draw(car);
        if (first > car->cfg.start_draw_ma) {
            first = car->cfg.start_draw_ma;
        }
        ramp_to(car, t, first, 0, car->cfg.start_ramp_ms);
        car->phase_until_ms = t + car->cfg.start_ramp_ms;
    } else if (car->phase == SIM_CAR_STARTING) {
        car->phase = SIM_CAR_CHARGING;
        ramp_to(car, t, settled_draw(car), 0, car->cfg.raise_ms);
    }
}

static bool has_timer(const struct sim_car *car)
{
    return car->phase == SIM_CAR_WAKING || car->phase == SIM_CAR_STARTING;
}

/* What a full car draws in its scheduled wake-up at its present offer (0 outside it). */
static int32_t wake_draw(const struct sim_car *car)
{
    if (!car->woke || car->woke_until_ms == 0 || car->phase != SIM_CAR_FULL ||
        car->offer_ma < car->cfg.min_ma) {
        return 0;
    }
    int32_t d = car->offer_ma - car->cfg.offset_ma;
    d = d < car->cfg.full_wake_ma ? d : car->cfg.full_wake_ma;
    return d > 0 ? d : 0;
}

/* The next start or end of the scheduled wake-up at or after t, or UINT64_MAX. A car that is
 * full only after the time set wakes as soon as it is full (as fast mode's). */
static uint64_t wake_event_ms(const struct sim_car *car, uint64_t t)
{
    if (car->phase != SIM_CAR_FULL || !car->cfg.full_wake_at_ms || !car->cfg.full_wake_for_ms) {
        return UINT64_MAX; /* none set, or one of no length: nothing to draw (as fast mode) */
    }
    if (!car->woke) {
        return car->cfg.full_wake_at_ms > t ? car->cfg.full_wake_at_ms : t;
    }
    return car->woke_until_ms >= t ? car->woke_until_ms : UINT64_MAX;
}

/* Runs the wake-up's start or end that falls due at t. */
static void run_wake(struct sim_car *car, uint64_t t)
{
    if (!car->woke) {
        car->woke = true;
        car->woke_until_ms = t + car->cfg.full_wake_for_ms;
        ramp_to(car, t, wake_draw(car), car->cfg.follow_delay_ms, car->cfg.raise_ms);
    } else {
        car->woke_until_ms = 0; /* over: the car sleeps again until re-plugged */
        ramp_to(car, t, 0, 0, car->cfg.cut_ms);
    }
}

void sim_car_step(struct sim_car *car, uint64_t now_ms)
{
    if (now_ms < car->last_ms) {
        now_ms = car->last_ms;
    }
    if (now_ms == car->settled_ms) {
        return; /* stepped to this very time, and nothing changed since: all is as it was */
    }
    while (car->last_ms < now_ms) {
        uint64_t until = now_ms;
        if (has_timer(car) && car->phase_until_ms > car->last_ms && car->phase_until_ms < until) {
            until = car->phase_until_ms;
        }
        bool grid = tapers(car) && next_taper_ms(car->last_ms) <= until;
        if (grid) {
            until = next_taper_ms(car->last_ms);
        }
        uint64_t wake = wake_event_ms(car, car->last_ms + 1);
        if (wake <= until) {
            until = wake;
            grid = grid && next_taper_ms(car->last_ms) == until;
        }
        integrate(car, car->last_ms, until);
        car->last_ms = until;
        if (grid) {
            taper_step(car, until);
        }
        if (wake == until) {
            run_wake(car, until);
        }
        if (has_timer(car) && car->phase_until_ms <= until) {
            run_transition(car, until);
        }
    }
    while (has_timer(car) && car->phase_until_ms <= now_ms) {
        run_transition(car, now_ms);
    }
    if (car->locked && car->clear_since_ms &&
        now_ms >= car->clear_since_ms + car->cfg.lock_clear_ms) {
        car->locked = false; /* offered the spike long enough: follows its offer again */
        car->clear_since_ms = 0;
        if (car->phase == SIM_CAR_CHARGING && !car->pausing) {
            ramp_to(car, now_ms, settled_draw(car), car->cfg.follow_delay_ms, car->cfg.raise_ms);
        }
    }
    if (car->pausing && now_ms >= car->pause_until_ms) {
        car->pausing = false;
        car->phase = SIM_CAR_STOPPED;
        car->idle_since_ms = car->pause_until_ms;
    }
    if ((car->phase == SIM_CAR_CHARGING || car->phase == SIM_CAR_STARTING) && !wants_more(car)) {
        car->pausing = false;
        car->phase = SIM_CAR_FULL;
        car->phase_until_ms = 0;
        car->idle_since_ms = now_ms;
        ramp_to(car, now_ms, 0, 0, car->cfg.cut_ms);
    }
    bool idle = car->phase == SIM_CAR_WAITING || car->phase == SIM_CAR_FULL ||
                car->phase == SIM_CAR_STOPPED;
    if (idle && car->cfg.sleep_after_ms && !sim_car_is_awake_full(car, now_ms) &&
        now_ms - car->idle_since_ms >= car->cfg.sleep_after_ms) {
        car->asleep = true;
    }
    int32_t d = ramp_value(car, now_ms);
    if (d > 0 && car->cfg.noise_ma > 0) {
        uint64_t r = car_rand(&car->rng) % (2 * (uint64_t)car->cfg.noise_ma + 1);
        d += (int32_t)r - car->cfg.noise_ma;
        d = d < 0 ? 0 : d;
    }
    car->draw_ma = d;
    car->settled_ms = now_ms;
}

/* A change unsettles the car: its next step, even at the same millisecond, runs. Every change
 * from outside (sim_car_set_offer ... sim_car_contactor_opened) first steps the car to its time,
 * then unsettles it: what it changes after that is seen by the next step. */
static void unsettle(struct sim_car *car)
{
    car->settled_ms = SIM_CAR_UNSETTLED;
}

void sim_car_set_offer(struct sim_car *car, uint64_t now_ms, int32_t offer_ma)
{
    sim_car_step(car, now_ms);
    unsettle(car); /* what follows changes it */
    int32_t prev = car->offer_ma;
    car->offer_ma = offer_ma < 0 ? 0 : offer_ma;
    bool usable = car->offer_ma >= car->cfg.min_ma;
    switch (car->phase) {
    case SIM_CAR_WAITING:
    case SIM_CAR_STOPPED:
        if (usable) {
            car->phase = SIM_CAR_WAKING;
            car->phase_until_ms =
                now_ms + (car->asleep ? car->cfg.wake_ms : car->cfg.start_delay_ms);
        }
        break;
    case SIM_CAR_WAKING:
        if (!usable) {
            car->phase = SIM_CAR_WAITING;
            car->idle_since_ms = now_ms;
        }
        break;
    case SIM_CAR_STARTING:
    case SIM_CAR_CHARGING:
        if (!usable) {
            /* §7.1 P1: a zero limit, repeated on every heartbeat, stops the car cleanly. A single
             * zero must not (twcmanager-peer.md: TWCManager sends one 09 00 00 right after its
             * first offer), so the car stops drawing and only stops for good if it lasts. */
            ramp_to(car, now_ms, 0, 0, car->cfg.cut_ms);
            if (!car->pausing) {
                car->pausing = true;
                car->pause_until_ms = now_ms + car->cfg.stop_confirm_ms;
            }
        } else if (car->pausing) {
            car->pausing = false;
            ramp_to(car, now_ms, settled_draw(car), car->cfg.follow_delay_ms, car->cfg.raise_ms);
        } else if (car->phase == SIM_CAR_STARTING) {
            int32_t first = settled_draw(car);
            if (first < car->ramp_to_ma) {
                ramp_to(car, now_ms, first, 0, car->cfg.cut_ms);
            }
        } else if (car->offer_ma == prev && car->ramp_to_ma == settled_draw(car)) {
            /* the same limit again (a master repeats it on every heartbeat): the ramp under way
             * goes on; restarting it kept a Tesla near 1.5 A for 40 s on a repeated 09 06 40 */
        } else {
            if (car->cfg.lock_6a && car->offer_ma > prev) {
                car->locked = true; /* §7.1: any raise may drop the car to its 6 A step */
                car->clear_since_ms = 0;
            }
            if (car->locked) {
                bool spike = car->offer_ma >= car->cfg.lock_clear_ma;
                car->clear_since_ms = !spike                ? 0
                                      : car->clear_since_ms ? car->clear_since_ms
                                                            : now_ms;
            }
            int32_t to = settled_draw(car);
            int32_t at = ramp_value(car, now_ms);
            if (to > at) {
                ramp_to(car, now_ms, to, car->cfg.follow_delay_ms, car->cfg.raise_ms);
            } else {
                ramp_to(car, now_ms, to, 0, car->cfg.cut_ms);
            }
        }
        break;
    case SIM_CAR_FULL:
        if (usable && prev < car->cfg.min_ma) {
            /* §5.2: a full car flips 03 -> 00 when woken. */
            car->asleep = false;
            car->phase_until_ms = now_ms + car->cfg.awake_ms;
            car->idle_since_ms = now_ms;
        }
        if (car->woke && car->woke_until_ms && car->offer_ma != prev) {
            /* in its scheduled wake-up: it follows the offer as a charging car does */
            int32_t to = wake_draw(car);
            bool raise = to > ramp_value(car, now_ms);
            ramp_to(car, now_ms, to, raise ? car->cfg.follow_delay_ms : 0,
                    raise ? car->cfg.raise_ms : car->cfg.cut_ms);
        }
        break;
    case SIM_CAR_UNPLUGGED:
    case SIM_CAR_FAULTED:
        break;
    }
    sim_car_step(car, now_ms);
}

void sim_car_plug(struct sim_car *car, uint64_t now_ms)
{
    sim_car_step(car, now_ms);
    unsettle(car); /* what follows changes it */
    car->pausing = false;
    car->phase = car->cfg.energy_wanted_wh == 0 ? SIM_CAR_FULL : SIM_CAR_WAITING;
    car->asleep = car->cfg.asleep;
    car->offer_ma = 0;
    car->phase_until_ms = 0;
    car->idle_since_ms = now_ms;
    car->delivered_mw_ms = 0;
    car->comm_drops = 0;
    car->locked = false;
    car->clear_since_ms = 0;
    car->woke = false; /* a scheduled wake-up comes once per plug-in */
    car->woke_until_ms = 0;
    taper_reset(car);
    ramp_stop_now(car, now_ms);
}

void sim_car_unplug(struct sim_car *car, uint64_t now_ms)
{
    sim_car_step(car, now_ms);
    unsettle(car); /* what follows changes it */
    car->pausing = false;
    car->phase = SIM_CAR_UNPLUGGED;
    car->offer_ma = 0;
    ramp_stop_now(car, now_ms);
}

void sim_car_want(struct sim_car *car, uint64_t now_ms, int64_t energy_wh)
{
    sim_car_step(car, now_ms);
    unsettle(car); /* what follows changes it */
    if (energy_wh == 0 || car->phase == SIM_CAR_UNPLUGGED || car->phase == SIM_CAR_FAULTED) {
        return;
    }
    car->cfg.energy_wanted_wh = energy_wh < 0 ? -1 : sim_car_delivered_wh(car) + energy_wh;
    if (car->phase != SIM_CAR_FULL) {
        return; /* waiting, starting, charging or stopped: it already acts on its offer */
    }
    car->woke_until_ms = 0; /* a wake-up under way ends: the car charges again */
    car->phase = SIM_CAR_WAITING;
    car->phase_until_ms = 0;
    car->idle_since_ms = now_ms;
    /* the offer it has now is a new one for a car that wants energy */
    int32_t offer = car->offer_ma;
    car->offer_ma = 0;
    sim_car_set_offer(car, now_ms, offer);
}

void sim_car_full(struct sim_car *car, uint64_t now_ms)
{
    sim_car_step(car, now_ms);
    unsettle(car); /* what follows changes it */
    if (car->phase == SIM_CAR_UNPLUGGED || car->phase == SIM_CAR_FAULTED) {
        return;
    }
    car->cfg.energy_wanted_wh = sim_car_delivered_wh(car);
    if (car->phase != SIM_CAR_CHARGING && car->phase != SIM_CAR_STARTING) {
        car->pausing = false;
        car->phase = SIM_CAR_FULL;
        car->phase_until_ms = 0;
        car->idle_since_ms = now_ms;
    }
    sim_car_step(car, now_ms); /* a charging car ramps down (sim_car_step: !wants_more) */
}

bool sim_car_is_locked(const struct sim_car *car)
{
    return car->locked;
}

void sim_car_comm_lost(struct sim_car *car, uint64_t now_ms)
{
    sim_car_step(car, now_ms);
    unsettle(car); /* what follows changes it */
    if (car->phase == SIM_CAR_UNPLUGGED) {
        return;
    }
    car->comm_drops++;
    car->offer_ma = 0;
    car->pausing = false;
    if (car->cfg.kind == SIM_CAR_TESLA && car->cfg.max_comm_drops &&
        car->comm_drops >= car->cfg.max_comm_drops) {
        car->phase = SIM_CAR_FAULTED;
    } else if (car->phase != SIM_CAR_FULL && car->phase != SIM_CAR_FAULTED) {
        car->phase = SIM_CAR_STOPPED;
    }
    car->idle_since_ms = now_ms;
    ramp_to(car, now_ms, 0, 0, car->cfg.cut_ms);
    sim_car_step(car, now_ms);
}

void sim_car_contactor_opened(struct sim_car *car, uint64_t now_ms)
{
    sim_car_step(car, now_ms);
    unsettle(car); /* what follows changes it */
    if (car->phase == SIM_CAR_UNPLUGGED) {
        return;
    }
    /* §7.1: opening under load without a CAN message leaves a Tesla refusing until re-plugged. */
    bool was_on = car->phase == SIM_CAR_STARTING || car->phase == SIM_CAR_CHARGING;
    car->pausing = false;
    if (car->cfg.kind == SIM_CAR_TESLA && was_on) {
        car->phase = SIM_CAR_FAULTED;
    } else if (car->phase != SIM_CAR_FULL && car->phase != SIM_CAR_FAULTED) {
        car->phase = SIM_CAR_STOPPED;
    }
    car->offer_ma = 0;
    car->idle_since_ms = now_ms;
    ramp_stop_now(car, now_ms);
}

int32_t sim_car_draw_ma(const struct sim_car *car)
{
    return car->draw_ma;
}

bool sim_car_is_awake_full(const struct sim_car *car, uint64_t now_ms)
{
    return car->phase == SIM_CAR_FULL && car->phase_until_ms > now_ms;
}

int64_t sim_car_delivered_wh(const struct sim_car *car)
{
    return (int64_t)(car->delivered_mw_ms / MW_MS_PER_WH);
}

/* The earliest the energy it wants can be in (a lower bound while its draw ramps: drawing at
 * most the higher end of the ramp), so that an event-time caller sees it become full when it
 * does; UINT64_MAX when it is not charging towards a goal. */
static uint64_t full_by_ms(const struct sim_car *car, uint64_t now_ms)
{
    if ((car->phase != SIM_CAR_CHARGING && car->phase != SIM_CAR_STARTING) ||
        car->cfg.energy_wanted_wh < 0) {
        return UINT64_MAX;
    }
    int32_t most = car->ramp_from_ma > car->ramp_to_ma ? car->ramp_from_ma : car->ramp_to_ma;
    uint64_t mw = (uint64_t)(most > 0 ? most : 0) * car->cfg.voltage_v * car->cfg.phases;
    uint64_t goal = (uint64_t)car->cfg.energy_wanted_wh * MW_MS_PER_WH;
    if (mw == 0 || car->delivered_mw_ms >= goal) {
        return UINT64_MAX;
    }
    return now_ms + (goal - car->delivered_mw_ms + mw - 1) / mw;
}

uint64_t sim_car_next_ms(const struct sim_car *car, uint64_t now_ms)
{
    uint64_t next = full_by_ms(car, now_ms);
    uint64_t wake = wake_event_ms(car, now_ms + 1);
    uint64_t cand[8] = {
        car->ramp_t0,
        car->ramp_t1,
        0,
        0,
        car->pausing ? car->pause_until_ms : 0,
        car->locked && car->clear_since_ms ? car->clear_since_ms + car->cfg.lock_clear_ms : 0,
        tapers(car) ? next_taper_ms(now_ms) : 0,
        wake == UINT64_MAX ? 0 : wake};
    if (has_timer(car) || car->phase == SIM_CAR_FULL) {
        cand[2] = car->phase_until_ms;
    }
    bool idle = car->phase == SIM_CAR_WAITING || car->phase == SIM_CAR_FULL ||
                car->phase == SIM_CAR_STOPPED;
    if (idle && !car->asleep && car->cfg.sleep_after_ms) {
        cand[3] = car->idle_since_ms + car->cfg.sleep_after_ms;
    }
    for (size_t i = 0; i < 8; i++) {
        if (cand[i] > now_ms && cand[i] < next) {
            next = cand[i];
        }
    }
    return next;
}

const char *sim_car_phase_name(enum sim_car_phase phase)
{
    static const char *const names[] = {
        [SIM_CAR_UNPLUGGED] = "unplugged", [SIM_CAR_WAITING] = "waiting",
        [SIM_CAR_WAKING] = "waking",       [SIM_CAR_STARTING] = "starting",
        [SIM_CAR_CHARGING] = "charging",   [SIM_CAR_FULL] = "full",
        [SIM_CAR_STOPPED] = "stopped",     [SIM_CAR_FAULTED] = "faulted",
    };
    if ((unsigned)phase < sizeof(names) / sizeof(names[0]) && names[phase]) {
        return names[phase];
    }
    return "?";
}
