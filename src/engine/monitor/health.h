/* The monitor's side of health checks: when to probe. At each interval it starts one probe process, the
 * exit command's program with `container healthcheck ID` (engine/health.h runs the check through exec
 * into the container, records the result and the status), and waits for it before counting the next
 * interval, as docker's daemon does. Nothing is allocated; no timer or process exists between probes. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#define MONITOR_HEALTH_ARGV_MAX 16

struct monitor_health {
        bool enabled;
        long interval_ms, start_period_ms, start_interval_ms;
        struct timespec started, next; /* CLOCK_MONOTONIC */
        pid_t probe;                   /* running, or 0 */
        char *argv[MONITOR_HEALTH_ARGV_MAX];
};

/* spec: "INTERVAL_MS:START_PERIOD_MS:START_INTERVAL_MS" (the monitor's health= argument) or NULL; exit_command:
 * `berth [--root R] container cleanup ID`, whose `cleanup` becomes `healthcheck`. */
void monitor_health_init(struct monitor_health *h, const char *spec, char **exit_command);
/* Milliseconds until the next probe is due (0: now), -1 when none is to come. */
int monitor_health_timeout(const struct monitor_health *h);
/* Starts the probe when it is due and none is running. */
void monitor_health_tick(struct monitor_health *h);
/* A reaped child: true when it was the probe (the next interval starts now). */
bool monitor_health_reaped(struct monitor_health *h, pid_t pid);
