/* process.capabilities: the five sets, applied around the switch to the container's user so that the
 * process keeps exactly what the spec grants (capabilities(7), "Effect of user ID changes"). */
#pragma once

#include "lib/error.h"
#include "runtime/spec.h"

/* Step 1, while still privileged: drop from the bounding set what the spec's bounding set lacks, and set
 * PR_SET_KEEPCAPS so that the permitted set survives setuid() to a non-root uid. */
int capabilities_prepare(const struct spec_capabilities *caps, berth_error *err);

/* Between the steps, for a seccomp filter installed without no_new_privs (it needs CAP_SYS_ADMIN): keep
 * the permitted set across the switch of user (keep_caps before it), then make CAP_SYS_ADMIN effective again
 * after it. capabilities_drop_all empties every set when the spec gives none and the user is not root. */
int capabilities_keep_across_setuid(berth_error *err);
int capabilities_raise_sys_admin(berth_error *err);
int capabilities_drop_all(berth_error *err);

/* Step 2, after setresuid/setresgid: set effective, permitted, inheritable, then raise the ambient ones. */
int capabilities_apply(const struct spec_capabilities *caps, berth_error *err);
