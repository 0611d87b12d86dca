/* `cp` between a container's root filesystem and the host, both ways, with docker's rules for where things
 * land (an existing directory receives the source under its own name; SRC/. copies a directory's contents).
 * Every path on the container's side is resolved inside its root (path.h); everything below it is walked
 * with O_NOFOLLOW directory fds, so a symlink in the container cannot send a write to the host. A stopped
 * container's rootfs is mounted for the copy and unmounted after. Volumes and binds mounted in the
 * container are not part of its rootfs: they are not seen (use their host paths). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "engine/engine.h"

/* archive: keep uid/gid (cp -a); otherwise the copies belong to root, as docker makes them. */
int engine_copy_from_container(struct engine *e, const char *id, const char *src, const char *dst, bool archive,
                               berth_error *err);
int engine_copy_to_container(struct engine *e, const char *id, const char *src, const char *dst, bool archive,
                             berth_error *err);

/* `cp` with "-" (copy_tar.c, in libberth-engine-registry: it needs libarchive). To: a tar stream of src (its
 * base name first, then what a directory holds; owners, modes, times and symlinks as they are) written to
 * out_fd. From: the tar stream read from in_fd is extracted into the existing directory dst; the whole stream
 * is read and checked first (complete, every entry inside dst, hard links too), so a truncated tar or one
 * that escapes dst is refused with nothing written; keep_owners: the tar's owners (cp -a), else root's, as
 * docker's cp without -a. Paths resolve inside the container's root. ENOTDIR when dst is not a directory. */
int engine_copy_tar_from_container(struct engine *e, const char *id, const char *src, int out_fd, berth_error *err);
int engine_copy_tar_to_container(struct engine *e, const char *id, int in_fd, const char *dst, bool keep_owners,
                                 berth_error *err);

/* What docker's cp and the API's archive endpoints learn of a path in a container before copying (the
 * X-Docker-Container-Path-Stat header): the path itself, not what a symlink points to. ENOENT: absent. */
struct engine_path_stat {
        char *name;        /* the last component ("/" for the root) */
        long long size;
        mode_t mode;       /* type and permission bits, as stat(2) */
        struct timespec mtime;
        char *link_target; /* a symlink's target as an absolute path in the container; NULL otherwise */
};
int engine_copy_stat(struct engine *e, const char *id, const char *path, struct engine_path_stat *out, berth_error *err);
void engine_path_stat_clear(struct engine_path_stat *st);
/* export: the container's root filesystem (its image and its changes; not its volumes or the files berth
 * mounts over /etc) as a tar stream on out_fd, as docker export writes it. REF: an id, a prefix or a name;
 * a running container too. */
int engine_container_export(struct engine *e, const char *ref, int out_fd, berth_error *err);
/* The extraction itself: the whole tar in staged (a seekable fd) checked, then written under dst (a directory
 * of the root rootfd, resolved inside it). The fuzz harness's entry point (tests/fuzz/fuzz_copy_tar.c). */
int engine_copy_tar_extract(int staged, int rootfd, const char *dst, bool keep_owners, berth_error *err);

/* The container's root filesystem for a copy (mounted when it is not running: *mounted_here); an O_DIRECTORY
 * fd in *rootfd. engine_copy_unmount_root undoes the mount when this call made it. */
int engine_copy_mount_root(struct engine *e, const char *id, bool *mounted_here, int *rootfd, berth_error *err);
void engine_copy_unmount_root(struct engine *e, const char *id, bool mounted_here);

/* docker's volume population: a new (empty) volume mounted where the image has content gets a copy of it,
 * owners and modes kept. Called at start, before the container runs; "nocopy" in the mount's mode skips it. */
int engine_populate_volumes(struct engine *e, const struct engine_container *c, const char *rootfs, berth_error *err);
