/* What `berth-runtime spec` writes: runc's default config (a busybox-ready bundle: sh, terminal, the
 * usual mounts, masked and read-only paths, a deny-all device cgroup) plus Docker's default seccomp
 * profile. With rootless, a user namespace mapping the caller to root, and the mounts an unprivileged
 * user may make (runc's ToRootless). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

json_t *spec_default(bool rootless);

/* The runtime-spec "features" document (features.md) for `berth-runtime features`. */
json_t *runtime_features(void);
