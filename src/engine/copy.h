/* `cp` between a container's root filesystem and the host, both ways, with docker's rules for where things
 * land (an existing directory receives the source under its own name; SRC/. copies a directory's contents).
 * Every path on the container's side is resolved inside its root (path.h); everything below it is walked
 * with O_NOFOLLOW directory fds, so a symlink in the container cannot send a write to the host. A stopped
 * container's rootfs is mounted for the copy and unmounted after. Volumes and binds mounted in the
 * container are not part of its rootfs: they are not seen (use their host paths). */
#pragma once

#include <stdbool.h>

#include "engine/engine.h"

/* archive: keep uid/gid (cp -a); otherwise the copies belong to root, as docker makes them. */
int engine_copy_from_container(struct engine *e, const char *id, const char *src, const char *dst, bool archive,
                               berth_error *err);
int engine_copy_to_container(struct engine *e, const char *id, const char *src, const char *dst, bool archive,
                             berth_error *err);

/* docker's volume population: a new (empty) volume mounted where the image has content gets a copy of it,
 * owners and modes kept. Called at start, before the container runs; "nocopy" in the mount's mode skips it. */
int engine_populate_volumes(struct engine *e, const struct engine_container *c, const char *rootfs, berth_error *err);
