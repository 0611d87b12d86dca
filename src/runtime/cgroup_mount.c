/* The container's view of the cgroup filesystem (a mount of type "cgroup" in config.json, usually
 * /sys/fs/cgroup). With its own cgroup namespace the container gets fresh cgroup mounts, rooted at its own
 * cgroup by the kernel; without one, its cgroup directories are bind-mounted, so that it never sees the
 * host's tree above it. On v1 and hybrid hosts a tmpfs holds one directory per hierarchy (as the host's
 * /sys/fs/cgroup does, with the "cpu" -> "cpu,cpuacct" style symlinks), plus "unified" on hybrid hosts.
 *
 * Mounts are made with the new mount API (open_tree/fsmount + move_mount): the target is an O_PATH fd
 * inside the rootfs, and a mount made through /proc/self/fd/N could not be reached again for the
 * read-only remount (the magic link names the directory under the new mount, not the mount). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup_internal.h"
#include "lib/cleanup.h"
#include "lib/path.h"
#include "lib/util.h"

/* The MOUNT_ATTR_* of the mount's MS_* flags (propagation and MS_BIND/MS_REC are not attributes). */
static uint64_t mount_attrs(unsigned long flags)
{
        uint64_t attr = 0;

        if (flags & MS_RDONLY)
                attr |= MOUNT_ATTR_RDONLY;
        if (flags & MS_NOSUID)
                attr |= MOUNT_ATTR_NOSUID;
        if (flags & MS_NODEV)
                attr |= MOUNT_ATTR_NODEV;
        if (flags & MS_NOEXEC)
                attr |= MOUNT_ATTR_NOEXEC;
        if (flags & MS_NOATIME)
                attr |= MOUNT_ATTR_NOATIME;
        else if (flags & MS_STRICTATIME)
                attr |= MOUNT_ATTR_STRICTATIME;
        return attr;
}

static int attach(int tree, int target_fd, const char *what, const char *destination, berth_error *err)
{
        if (move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return berth_fail(err, errno, "mount %s on %s", what, destination);
        return 0;
}

/* Bind mount of the container's own cgroup directory, with the mount's flags applied to the whole tree. */
static int bind_cgroup_dir(const char *dir, int target_fd, unsigned long flags, const char *destination,
                           berth_error *err)
{
        cleanup_close int tree = open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        struct mount_attr attr = {.attr_set = mount_attrs(flags)};

        if (tree < 0)
                return berth_fail(err, errno, "bind mount %s on %s", dir, destination);
        if (attr.attr_set != 0 && mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                return berth_fail(err, errno, "set the flags of the bind mount of %s on %s", dir, destination);
        return attach(tree, target_fd, dir, destination, err);
}

/* A fresh cgroup (v1, `options` naming the hierarchy) or cgroup2 filesystem: inside the container's cgroup
 * namespace its root is the container's cgroup. Returns 0, a reported -errno, or a positive errno left
 * unreported when the kernel refused the new filesystem itself (the caller may fall back to a bind mount). */
static int fresh_cgroup_mount(const char *options, int target_fd, unsigned long flags, const char *destination,
                              berth_error *err)
{
        cleanup_close int fs = fsopen(options != NULL ? "cgroup" : "cgroup2", FSOPEN_CLOEXEC);
        cleanup_close int mnt = -1;
        cleanup_free char *copy = NULL;
        char *save = NULL;

        if (fs < 0)
                return errno;
        /* v1: each controller ("cpu"), "none" and "name=systemd" is one fsconfig parameter. */
        if (options != NULL) {
                copy = xstrdup(options);
                for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
                        char *eq = strchr(tok, '=');
                        int r;
                        if (eq != NULL) {
                                *eq = '\0';
                                r = fsconfig(fs, FSCONFIG_SET_STRING, tok, eq + 1, 0);
                        } else {
                                r = fsconfig(fs, FSCONFIG_SET_FLAG, tok, NULL, 0);
                        }
                        if (r < 0)
                                return berth_fail(err, errno, "cgroup mount option %s for %s", tok, destination);
                }
        }
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return errno;
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned int) mount_attrs(flags));
        if (mnt < 0)
                return errno;
        return attach(mnt, target_fd, options != NULL ? "cgroup" : "cgroup2", destination, err);
}

static int mount_hierarchy(const struct cgroup_hierarchy *h, int target_fd, unsigned long flags, bool cgroupns,
                           const char *destination, berth_error *err)
{
        if (cgroupns) {
                int r = fresh_cgroup_mount(h->v2 ? NULL : h->options, target_fd, flags, destination, err);
                if (r <= 0)
                        return r;
                /* A user namespace that does not own the cgroup (EPERM), or a v1 hierarchy already mounted with
                 * other options (EBUSY): the bind mount shows the same directory (runc falls back the same way). */
                if (r != EPERM && r != EBUSY)
                        return berth_fail(err, r, "mount %s on %s", h->v2 ? "cgroup2" : h->options, destination);
        }
        return bind_cgroup_dir(h->dir, target_fd, flags, destination, err);
}

/* v1 and hybrid: a tmpfs with one directory per hierarchy, like the host's /sys/fs/cgroup. */
static int mount_v1_tree(struct cgroup_manager *m, int target_fd, const char *destination, unsigned long flags,
                         bool cgroupns, berth_error *err)
{
        cleanup_close int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), tmp = -1;
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
        int r;

        if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "mode", "755", 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return berth_fail(err, errno, "create the tmpfs for %s", destination);
        tmp = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (tmp < 0)
                return berth_fail(err, errno, "mount the tmpfs for %s", destination);
        /* Filled while detached: nothing in the container can see a half-made tree. */
        for (size_t i = 0; i < m->n; i++) {
                const struct cgroup_hierarchy *h = &m->h[i];
                if (mkdirat(tmp, h->name, 0755) < 0 && errno != EEXIST)
                        return berth_fail(err, errno, "create %s/%s", destination, h->name);
                if (h->v2 || strchr(h->name, ',') == NULL)
                        continue;
                cleanup_free char *names = xstrdup(h->name);
                char *save = NULL;
                for (char *c = strtok_r(names, ",", &save); c != NULL; c = strtok_r(NULL, ",", &save))
                        if (symlinkat(h->name, tmp, c) < 0 && errno != EEXIST)
                                return berth_fail(err, errno, "create the symlink %s/%s", destination, c);
        }
        if ((r = attach(tmp, target_fd, "tmpfs", destination, err)) < 0)
                return r;
        for (size_t i = 0; i < m->n; i++) {
                const struct cgroup_hierarchy *h = &m->h[i];
                cleanup_free char *where = xasprintf("%s/%s", destination, h->name);
                cleanup_close int sub = openat(tmp, h->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0)
                        return berth_fail(err, errno, "open %s", where);
                if ((r = mount_hierarchy(h, sub, flags, cgroupns, where, err)) < 0)
                        return r;
        }
        if ((flags & MS_RDONLY) && mount_setattr(tmp, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
                return berth_fail(err, errno, "make the tmpfs on %s read-only", destination);
        return 0;
}

int cgroup_mount_in_container(struct cgroup_manager *m, int target_fd, const char *destination, unsigned long flags,
                              bool cgroupns, berth_error *err)
{
        struct cgroup_hierarchy *v2 = cgroup_manager_unified(m);

        if (m->layout == CG_LAYOUT_V2) {
                if (v2 == NULL)
                        return berth_failf(err, ENOENT, "mount cgroup2 on %s: the container has no cgroup2 directory",
                                           destination);
                return mount_hierarchy(v2, target_fd, flags, cgroupns, destination, err);
        }
        return mount_v1_tree(m, target_fd, destination, flags, cgroupns, err);
}
