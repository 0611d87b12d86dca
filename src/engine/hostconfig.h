/* docker's Config and HostConfig validated as values (hostconfig.c), before create makes anything: what the
 * command line and the API both send. The string forms of the flags ("on-failure:3", "nofile=1:2") are the
 * front end's to parse; what the values mean is checked here once, in docker's words. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "lib/error.h"

/* EINVAL with the first problem found: the working directory, memory, restart policy (and AutoRemove
 * with one), ulimits, devices, tmpfs and mount targets, namespace and network modes, user namespace,
 * the stop signal, the log driver and its options, CPU and block I/O values. */
int engine_config_validate(const json_t *config, const json_t *host_config, berth_error *err);
/* hostconfig_types.c: the fields' JSON types as dockerd's decoder holds them (run first by
 * engine_config_validate). EINVAL with Go's message for a value of another type; null is any field's zero. */
int engine_config_check_types(const json_t *config, const json_t *host_config, berth_error *err);

/* The restart policy a HostConfig asks for: docker's names ("" and "no" are none). */
enum engine_restart_policy {
        ENGINE_RESTART_NO,
        ENGINE_RESTART_ALWAYS,
        ENGINE_RESTART_UNLESS_STOPPED,
        ENGINE_RESTART_ON_FAILURE,
};
int engine_restart_policy_parse(const char *name, enum engine_restart_policy *out);

/* Whether a container that exited with exit_code, restarted restart_count times already, is restarted by
 * its policy (docker's rules: a stop by the user or a removal holds any policy back; on-failure only after
 * a non-zero exit, MaximumRetryCount times at most when > 0). */
bool engine_restart_wanted(const json_t *host_config, int exit_code, int restart_count, bool manual_stop);

/* docker's back-off before restart number restart_count (1, 2, ...): 100 ms doubled per restart, at most a
 * minute. */
long engine_restart_delay_ms(int restart_count);
