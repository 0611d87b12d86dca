/* Device nodes in the container's /dev: the defaults every container gets (null, zero, full, random,
 * urandom, tty), linux.devices, and the standard links (/dev/fd, stdin/out/err, ptmx, core). Made with
 * mknod where we may, else (in a user namespace) as bind mounts of the host's nodes, as runc does. */
#pragma once

#include <stdbool.h>

#include "lib/error.h"
#include "runtime/spec.h"

int devices_create(int rootfd, const struct spec_linux *lx, bool in_user_namespace, berth_error *err);

/* /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr, /dev/core (when /proc/kcore exists) and /dev/ptmx ->
 * pts/ptmx (when a devpts is mounted at /dev/pts). Existing entries are left as they are. */
int devices_create_links(int rootfd, berth_error *err);
