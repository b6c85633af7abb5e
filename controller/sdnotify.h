/* SPDX-License-Identifier: MIT */
/*
 * The service manager's side of `ampshare run` (Type=notify, WatchdogSec=): what sd_notify(3) and
 * sd_watchdog_enabled(3) do, without libsystemd (sdnotify.c says why). Outside systemd (no
 * NOTIFY_SOCKET) every call does nothing and returns 0, so the daemon calls them unconditionally.
 *
 * All calls return 1 when the message was sent, 0 when there is no service manager to tell, or a
 * negative errno (the socket named by NOTIFY_SOCKET is gone, ...). The daemon logs a failure
 * once and carries on: a lost notification must never stop charging.
 */
#ifndef SDNOTIFY_H
#define SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* "READY=1" with an optional STATUS= line (status may be NULL). After start-up and reloads. */
int sdnotify_ready(const char *status);

/* "RELOADING=1" (SIGHUP accepted; sdnotify_ready follows when the new config is applied). */
int sdnotify_reloading(const char *status);

/* "STOPPING=1" with an optional STATUS= line: the safe stop has begun. */
int sdnotify_stopping(const char *status);

/* "STATUS=..." (printf-style; one line, shown by systemctl status). */
int sdnotify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "WATCHDOG=1": the loop is alive. Send it from a loop timer, never from a thread. */
int sdnotify_watchdog(void);

/*
 * When systemd expects WATCHDOG=1 (WatchdogSec= for this process): sets *timeout_ms and returns
 * 1; returns 0 when no watchdog is asked for (or it is meant for another PID), or a negative
 * errno for a malformed WATCHDOG_USEC.
 */
int sdnotify_watchdog_timeout_ms(uint64_t *timeout_ms);

/* How often to send WATCHDOG=1 for a timeout: half of it, as sd_watchdog_enabled(3) advises. */
uint64_t sdnotify_watchdog_period_ms(uint64_t timeout_ms);

#endif
