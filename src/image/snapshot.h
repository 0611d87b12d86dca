/* Root filesystems made from images, for containers (the engine) and for `image mount`.
 *
 * overlay driver: ROOT/snapshots/ID/{upper,work,merged}; merged is an overlayfs of the image's layer
 * directories (top first) under the snapshot's own upper and work directories. The mount uses the new
 * mount API with one "lowerdir+" per layer (no limit on the number of layers, kernel >= 6.8), and falls
 * back to mount(2) with short relative paths (ROOT/l/LINK, from a child that chdir'd to ROOT) on older
 * kernels, where the option string must fit in one page.
 * copy driver (no overlayfs): ROOT/snapshots/ID/{rootfs,merged}; rootfs is the layers flattened with the
 * same whiteout/opaque meaning (flatten.h), and merged is a bind mount of it. */
#pragma once

#include <stdbool.h>

#include "image/store.h"

struct snapshot_paths {
        char *dir;    /* ROOT/snapshots/ID */
        char *upper;  /* overlay: the container's writable layer; copy: the flattened rootfs */
        char *work;   /* overlay work directory (NULL for copy) */
        char *merged; /* the mount point: the container's root filesystem once mounted */
};

void snapshot_paths_clear(struct snapshot_paths *p);

#define SNAPSHOT_KIND_CONTAINER "container"
#define SNAPSHOT_KIND_IMAGE "image"

/* Creates the snapshot's directories and record (id: a container ID; [A-Za-z0-9_.-], 1-128 chars). The
 * image cannot be removed while the snapshot exists. */
int snapshot_create(struct image_store *s, const char *id, const char *image_id, const char *kind,
                    struct snapshot_paths *out, berth_error *err);
enum snapshot_mount_flags {
        /* An image mount: no upper directory; setuid files and device nodes do not work (nosuid, nodev). */
        SNAPSHOT_MOUNT_READONLY = 1 << 0,
        /* overlayfs "volatile" (Linux 5.10+; ignored where unsupported or on the copy driver): no sync of the
         * container's writes reaches the disk, and unmounting skips the upper filesystem's sync. For a
         * container removed when it stops (run --rm, as podman does): its writes never need to survive a
         * crash. The kernel's marker against remounting such an upper dir after a crash is removed when
         * the snapshot is mounted again: whatever a crash left of a --rm container is disposable. */
        SNAPSHOT_MOUNT_VOLATILE = 1 << 1,
};

/* Mounts merged (flags: enum snapshot_mount_flags). Mounting a mounted snapshot is a no-op. */
int snapshot_mount(struct image_store *s, const char *id, unsigned flags, struct snapshot_paths *out,
                   berth_error *err);
int snapshot_unmount(struct image_store *s, const char *id, berth_error *err);
/* Unmounts if needed, deletes the directories and the record. -ENOENT when there is no such snapshot. */
int snapshot_remove(struct image_store *s, const char *id, berth_error *err);
int snapshot_paths_get(struct image_store *s, const char *id, struct snapshot_paths *out, berth_error *err);
bool snapshot_is_mounted(struct image_store *s, const char *id);

/* Image mount (podman's `image mount`): a read-only snapshot named image-HEX, mounted; prints merged. */
int image_mount(struct image_store *s, const char *image_id, char **path, berth_error *err);
int image_unmount(struct image_store *s, const char *image_id, berth_error *err);

/* Whether overlayfs can be mounted from this store's filesystem (tried once, when a store is created). */
bool snapshot_overlay_supported(struct image_store *s);
/* Whether the new mount API accepts "lowerdir+" here (shown by `berth info`). */
bool snapshot_overlay_lowerdir_plus(void);
