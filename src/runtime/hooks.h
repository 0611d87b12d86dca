/* OCI hooks: each hook gets the container state JSON on stdin, its own args and env (the runtime's env when
 * it has none, as runc and crun),
 * and is killed when its timeout passes. Which namespaces a hook runs in is decided by who calls this: the
 * runtime (prestart, createRuntime, poststart, poststop) or the init (createContainer, startContainer). */
#pragma once

#include "lib/error.h"
#include "lib/log.h"
#include "runtime/spec.h"

/* Runs every hook of `kind` in order; stops at the first failure, which becomes err ("createRuntime hook
 * /usr/bin/x exited with status 2: <its output>"). */
int hooks_run(const struct spec_hooks *hooks, enum spec_hook_kind kind, const char *state_json, berth_error *err);

/* poststart and poststop (runtime-spec lifecycle steps 9 and 13): every hook of `kind` runs even when an
 * earlier one failed; each failure is logged as a warning. */
void hooks_run_all(const struct spec_hooks *hooks, enum spec_hook_kind kind, const char *state_json,
                   const struct berth_log *log);
