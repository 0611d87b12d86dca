/* Root filesystems of user-namespaced containers (--userns remap, --uidmap). Root in the container is an
 * unprivileged uid on the host, so the files the container sees as its own must be owned by the mapped ids.
 * The runtime has no idmapped mounts yet: like podman without idmaps, the snapshot is chowned once through
 * the overlay (a copy-up of what changes owner into the container's own layer; the image's layers stay as
 * they are). Marked done by ROOT/containers/ID/idshift. */
#pragma once

#include "engine/engine.h"

/* A no-op for containers without a user namespace or already shifted. */
int engine_idshift_rootfs(struct engine *e, const struct engine_container *c, int dirfd, const char *rootfs,
                          berth_error *err);
