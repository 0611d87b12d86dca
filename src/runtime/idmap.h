/* Idmapped bind mounts (runtime-spec 1.2: mounts[].uidMappings/gidMappings, options "idmap"/"ridmap").
 * The runtime, privileged in the host's user namespace, makes each one as a detached mount tree before the
 * init exists: a clone of the source with MOUNT_ATTR_IDMAP set from a user namespace that carries the
 * mappings. The init only attaches the tree at its destination inside the rootfs (as runc 1.2 does): an
 * init inside a user namespace could not idmap a host mount itself. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"
#include "runtime/spec.h"

bool idmap_mount_wanted(const struct spec_mount *m);

/* With a user namespace, plain bind mounts are cloned here too (before the init enters it), so that a source
 * the container's root cannot reach still mounts, as with runc and crun.
 * One fd per mount (indexed like spec->mounts): a detached (idmapped) tree, or -1. *trees_out is NULL when
 * no mount is idmapped. */
int idmap_prepare_mounts(const struct runtime_spec *spec, const char *bundle, int **trees_out, berth_error *err);
void idmap_close_mounts(int *trees, size_t n);
