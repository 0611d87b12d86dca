/* Filesystem helpers for the image store: removal of trees that never follows a symlink, and a sync. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

/* Removes dirfd/name and everything below it. Symlinks are removed, never followed; a mount point below
 * fails with EBUSY rather than being emptied. ENOENT is success. */
int fs_remove_tree_at(int dirfd, const char *name, berth_error *err);

/* Removes everything inside an open directory, keeping the directory. */
int fs_empty_dir(int dirfd, berth_error *err);

/* Bytes a tree holds in regular files (what docker reports as a layer's size). */
int fs_tree_size_at(int dirfd, const char *name, uint64_t *out, berth_error *err);

/* The overlayfs private xattr namespace a layer may never carry from its tar (trusted.overlay.redirect,
 * .metacopy, .origin would make overlayfs follow attacker-chosen paths). */
#define OVERLAY_XATTR_PREFIX "trusted.overlay."
#define OVERLAY_USER_XATTR_PREFIX "user.overlay."
#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"
