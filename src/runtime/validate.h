/* Checks of a parsed config.json that need more than its own syntax: what this host and this runtime can
 * do with it. All before anything is created, each failure one line naming the field. */
#pragma once

#include "lib/error.h"
#include "runtime/spec.h"
#include "runtime/state.h"

int validate_for_create(const struct runtime_spec *spec, const struct runtime_context *ctx, berth_error *err);

/* linux.sysctl: only sysctls of namespaces the container has its own of (as runc decides). */
int validate_sysctl(const struct spec_linux *lx, const char *key, berth_error *err);
