/* The mounts of config.json: option parsing and one function per kind of mount. Every destination is
 * resolved inside the rootfs (path.h) to an O_PATH fd and the mount is made on that fd, never on a path
 * string, so a symlink in the image cannot redirect a mount to the host (CVE-2021-30465). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"
#include "runtime/spec.h"

struct cgroup_manager;

struct mount_options {
        unsigned long flags;       /* MS_* set at mount time (MS_RDONLY, MS_NOSUID, ...) */
        unsigned long cleared;     /* MS_* named by their negation (rw, suid, dev, exec, ...) */
        unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, | MS_REC */
        uint64_t recursive_set;    /* MOUNT_ATTR_* from "rro", "rnosuid", ... (mount_setattr AT_RECURSIVE) */
        uint64_t recursive_clear;
        bool bind, recursive_bind;
        bool remount;
        bool tmpcopyup;
        bool idmap, recursive_idmap;
        char *data; /* everything else, comma-joined, for the filesystem ("size=64m,mode=755") */
};

int mount_options_parse(char *const *options, struct mount_options *out, berth_error *err);
void mount_options_clear(struct mount_options *o);

struct mount_context {
        const struct runtime_spec *spec;
        const char *bundle;
        int rootfd;                    /* O_PATH|O_DIRECTORY of the rootfs (already a mount point) */
        bool in_user_namespace;        /* new or joined: mknod and some filesystems are not ours to make */
        bool own_cgroup_namespace;
        bool own_network_namespace;
        bool own_ipc_namespace;
        struct cgroup_manager *cgroup; /* for "cgroup" mounts; may be NULL */
        const int *idmapped_trees;     /* idmap.h: per mount, a detached idmapped tree or -1; may be NULL */
};

/* Makes every mount of config.json, in order. */
int mounts_apply(const struct mount_context *mc, berth_error *err);

/* Bind-mounts the file or directory open as source_fd onto the target fd (both any kind of fd). */
int mount_bind_fd(int source_fd, int target_fd, bool recursive, const char *what, berth_error *err);

/* Makes the mount at target_fd read-only (the mount itself, not its submounts), keeping its other flags. */
int mount_make_readonly(int target_fd, const char *what, berth_error *err);

/* Mounts a fresh filesystem of `type` on the directory target_fd. */
int mount_filesystem(const char *source, const char *type, unsigned long flags, const char *data, int target_fd,
                     const char *what, berth_error *err);

/* Sets the propagation of the mount at target_fd (MS_SHARED... | MS_REC). */
int mount_set_propagation(int target_fd, unsigned long propagation, const char *what, berth_error *err);

/* Every option name mounts_apply understands, for `features`. New reference. */
#include <jansson.h>
json_t *mount_option_names(void);
