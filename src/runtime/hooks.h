/* OCI hooks: each hook gets the container state JSON on stdin, its own args and env (nothing inherited),
 * and is killed when its timeout passes. Which namespaces a hook runs in is decided by who calls this: the
 * runtime (prestart, createRuntime, poststart, poststop) or the init (createContainer, startContainer). */
#pragma once

#include "lib/error.h"
#include "runtime/spec.h"

/* Runs every hook of `kind` in order; stops at the first failure, which becomes err ("createRuntime hook
 * /usr/bin/x exited with status 2: <its output>"). */
int hooks_run(const struct spec_hooks *hooks, enum spec_hook_kind kind, const char *state_json, berth_error *err);
