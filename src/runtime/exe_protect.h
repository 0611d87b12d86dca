/* CVE-2019-5736: a container that gets the runtime to execute itself inside the container (args[0] of
 * /proc/self/exe, or a #! script naming it) can later reopen /proc/self/exe for writing and overwrite the
 * host's runtime binary. Defence: the process that enters the container runs from a file that cannot be
 * written through: a detached read-only bind mount of the binary's directory (no copy: the mount belongs
 * to the host's user namespace, so a container cannot make it writable again), or, where mount APIs are
 * not available to us (unprivileged), a sealed memfd copy. */
#pragma once

#include <stdbool.h>

#include "lib/error.h"

/* True when /proc/self/exe is already on a read-only mount or a write-sealed memfd. */
bool exe_is_protected(void);

/* Unless protected already, re-executes the current program, with the same argv and environment, from a
 * protected file. Returns only on failure. */
int exe_reexec_protected(char **argv, berth_error *err);

/* Executes another program (an absolute path) the same way: from a detached read-only mount of its
 * directory, or a sealed memfd copy. For an engine whose container-making helper is a separate binary (the
 * engine's berth-launch). Returns only on failure. */
int exe_exec_protected(const char *path, char **argv, char **envp, berth_error *err);
