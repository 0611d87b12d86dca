/* The container's root: propagation, pivot_root, masked and read-only paths, sysctls, a read-only root. */
#pragma once

#include <stdbool.h>

#include "lib/error.h"
#include "runtime/spec.h"

/* In the container's new mount namespace, before any mount: sets propagation of / (slave, or
 * linux.rootfsPropagation), makes the rootfs a private mount point of its own. Returns an O_PATH fd of it. */
int rootfs_prepare(const struct runtime_spec *spec, int *rootfd_out, berth_error *err);

/* pivot_root into root_path and detach the old root; or MS_MOVE + chroot with no_pivot. */
int rootfs_pivot(const char *root_path, bool no_pivot, berth_error *err);

/* Without a mount namespace of the container's own (runc's behaviour): chroot into root_path, nothing mounted.
 * Weaker than pivot_root: a process holding CAP_SYS_CHROOT can leave a chroot. */
int rootfs_chroot(const char *root_path, berth_error *err);

/* After pivot_root: linux.rootfsPropagation on / (when it asks for shared, this is where it applies). */
int rootfs_finish_propagation(const struct runtime_spec *spec, berth_error *err);

/* An O_PATH fd of the container's /dev/null, verified to be the null device (1:3). */
int rootfs_open_null(int *fd_out, berth_error *err);

/* After pivot_root: each existing masked path gets /dev/null (files) or an empty read-only tmpfs (dirs). */
int rootfs_mask_paths(char *const *paths, int null_fd, berth_error *err);

/* After pivot_root: each existing path becomes a read-only bind of itself. */
int rootfs_readonly_paths(char *const *paths, berth_error *err);

/* root.readonly: the root mount becomes read-only (last, after everything was mounted into it). */
int rootfs_make_readonly(berth_error *err);

/* linux.sysctl, written through the container's /proc/sys (procfs verified, no crossing of mounts). */
int rootfs_write_sysctls(const struct spec_linux *lx, berth_error *err);
