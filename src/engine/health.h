/* Health checks, docker's HEALTHCHECK: Config.Healthcheck (the image's, merged with --health-*), probes run
 * through exec into the container, the state docker shows (State.Health: Status, FailingStreak, the last 5
 * results) and health_status events.
 *
 * There is no daemon: the container's monitor (monitor/health.h) starts `berth container healthcheck ID`
 * at each interval, which runs one probe (engine_container_health_probe) and exits. The state lives in
 * ROOT/containers/ID/health.json, replaced atomically by each probe and removed at each start (a started
 * container is "starting" until its first result). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

#define ENGINE_HEALTH_FILE "health.json"
#define ENGINE_HEALTH_LOG_MAX 5        /* docker's maxLogEntries */
#define ENGINE_HEALTH_OUTPUT_MAX 4096  /* docker's maxOutputLen: the rest of a probe's output is read and dropped */

/* Config.Healthcheck resolved with docker's defaults. */
struct engine_healthcheck {
        char **argv;                 /* what exec runs: CMD's arguments, or /bin/sh -c for CMD-SHELL */
        int64_t interval_ns;         /* 30 s */
        int64_t timeout_ns;          /* 30 s */
        int64_t start_period_ns;     /* 0 */
        int64_t start_interval_ns;   /* 5 s */
        int retries;                 /* 3 */
};
/* false when the container has none (no Healthcheck, an empty Test, or NONE). */
bool engine_healthcheck_get(json_t *config, struct engine_healthcheck *out);
void engine_healthcheck_clear(struct engine_healthcheck *h);

/* docker's merge of the image's HEALTHCHECK into Config.Healthcheck (daemon/commit.go merge): the image's
 * test and each value the user left at 0. */
int engine_healthcheck_merge(struct engine *e, const char *image_id, json_t *config, berth_error *err);
/* docker's checks of Config.Healthcheck (daemon's verifyContainerSettings). */
int engine_healthcheck_validate(json_t *config, berth_error *err);

/* One probe of a running container: the command through exec, killed at the timeout ("Health check exceeded
 * timeout (30s)"), its output capped, the result recorded, a health_status event when the status changes. */
int engine_container_health_probe(struct engine *e, const char *id, berth_error *err);

/* State.Health ({Status, FailingStreak, Log}); NULL for a container without a health check. */
json_t *engine_container_health(struct engine *e, const struct engine_container *c);
/* "starting", "healthy", "unhealthy"; NULL without a health check or when the container is not running. */
const char *engine_container_health_status(struct engine *e, const struct engine_container *c);
