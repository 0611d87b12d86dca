#include "runtime/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "runtime/mounts.h"
#include "lib/path.h"
#include "lib/util.h"

static unsigned long propagation_flag(const char *name)
{
        static const struct {
                const char *name;
                unsigned long flag;
        } table[] = {
                {"shared", MS_SHARED},
                {"slave", MS_SLAVE},
                {"private", MS_PRIVATE},
                {"unbindable", MS_UNBINDABLE},
                {"rshared", MS_SHARED | MS_REC},
                {"rslave", MS_SLAVE | MS_REC},
                {"rprivate", MS_PRIVATE | MS_REC},
                {"runbindable", MS_UNBINDABLE | MS_REC},
        };

        for (size_t i = 0; name && i < ARRAY_SIZE(table); i++)
                if (strcmp(name, table[i].name) == 0)
                        return table[i].flag;
        return 0;
}

int rootfs_prepare(const struct runtime_spec *spec, int *rootfd_out, berth_error *err)
{
        unsigned long propagation = propagation_flag(spec->linux_section.rootfs_propagation);
        cleanup_close int rootfd = -1;
        struct stat st;

        /* Nothing made in this namespace may propagate back to the host: slave by default (we still see the
         * host's unmounts), or what linux.rootfsPropagation asks for, applied to the whole tree first. A
         * shared propagation is applied to / after pivot_root instead: pivot_root refuses shared parents.
         * So is an unbindable one: the rootfs could not be bind-mounted onto itself out of an unbindable tree. */
        if (propagation == 0 || (propagation & (MS_SHARED | MS_UNBINDABLE)))
                propagation = MS_SLAVE | MS_REC;
        if (mount(NULL, "/", NULL, propagation | MS_REC, NULL) < 0)
                return berth_fail(err, errno, "set propagation of / in the container's mount namespace");

        if (stat(spec->root_path, &st) < 0) {
                if (errno == EACCES)
                        return berth_fail(err, errno, "rootfs %s (in a user namespace, the container's root must be "
                                                      "able to reach it: check the modes of its parent directories)",
                                          spec->root_path);
                return berth_fail(err, errno, "rootfs %s", spec->root_path);
        }
        if (!S_ISDIR(st.st_mode))
                return berth_failf(err, ENOTDIR, "rootfs %s is not a directory", spec->root_path);
        /* pivot_root needs the new root to be a mount point; a bind of the rootfs onto itself makes it one. */
        if (mount(spec->root_path, spec->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return berth_fail(err, errno, "bind mount rootfs %s", spec->root_path);
        /* And the rootfs mount must not be shared for pivot_root (EINVAL otherwise). */
        if (mount(NULL, spec->root_path, NULL, MS_PRIVATE, NULL) < 0)
                return berth_fail(err, errno, "make rootfs %s private", spec->root_path);
        rootfd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return berth_fail(err, errno, "open rootfs %s", spec->root_path);
        *rootfd_out = steal_fd(&rootfd);
        return 0;
}

int rootfs_pivot(const char *root_path, bool no_pivot, berth_error *err)
{
        cleanup_close int oldroot = -1, newroot = -1;

        newroot = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (newroot < 0)
                return berth_fail(err, errno, "open rootfs %s", root_path);
        if (no_pivot) {
                /* --no-pivot (ramdisk roots, where pivot_root is impossible): move the rootfs over / and
                 * chroot. Weaker: the old root stays reachable to a process that escapes the chroot. */
                if (fchdir(newroot) < 0)
                        return berth_fail(err, errno, "chdir %s", root_path);
                if (mount(root_path, "/", NULL, MS_MOVE, NULL) < 0)
                        return berth_fail(err, errno, "move rootfs %s to /", root_path);
                if (chroot(".") < 0)
                        return berth_fail(err, errno, "chroot %s", root_path);
                if (chdir("/") < 0)
                        return berth_fail(err, errno, "chdir / in the container");
                return 0;
        }
        oldroot = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (oldroot < 0)
                return berth_fail(err, errno, "open /");
        if (fchdir(newroot) < 0)
                return berth_fail(err, errno, "chdir %s", root_path);
        /* pivot_root(".", "."): the old root ends up stacked under the new one, no directory needed for it
         * (the trick runc and crun use), then it is detached. */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return berth_fail(err, errno, "pivot_root to %s", root_path);
        if (fchdir(oldroot) < 0)
                return berth_fail(err, errno, "chdir to the old root");
        /* Make the old root a slave first so that detaching it does not unmount anything on the host. */
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return berth_fail(err, errno, "make the old root a slave mount");
        if (umount2(".", MNT_DETACH) < 0)
                return berth_fail(err, errno, "detach the old root");
        if (chdir("/") < 0)
                return berth_fail(err, errno, "chdir / in the container");
        return 0;
}

int rootfs_chroot(const char *root_path, berth_error *err)
{
        cleanup_close int newroot = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (newroot < 0)
                return berth_fail(err, errno, "open rootfs %s", root_path);
        if (fchdir(newroot) < 0)
                return berth_fail(err, errno, "chdir %s", root_path);
        if (chroot(".") < 0)
                return berth_fail(err, errno, "chroot %s", root_path);
        if (chdir("/") < 0)
                return berth_fail(err, errno, "chdir / in the container");
        return 0;
}

int rootfs_finish_propagation(const struct runtime_spec *spec, berth_error *err)
{
        unsigned long propagation = propagation_flag(spec->linux_section.rootfs_propagation);

        if (propagation == 0)
                return 0;
        if (mount(NULL, "/", NULL, propagation, NULL) < 0)
                return berth_fail(err, errno, "set rootfs propagation %s", spec->linux_section.rootfs_propagation);
        return 0;
}

int rootfs_open_null(int *fd_out, berth_error *err)
{
        cleanup_close int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;

        /* The container's own /dev/null is the mask's source only if it really is the null device: an image
         * (or a racing process) that made it a symlink or another file would have us bind-mount that over
         * the masked paths, for instance a writable /proc/sys file (CVE-2025-31133). */
        if (fd < 0)
                return berth_fail(err, errno, "open /dev/null in the container");
        if (fstat(fd, &st) < 0)
                return berth_fail(err, errno, "stat /dev/null in the container");
        if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
                return berth_failf(err, EPERM, "/dev/null in the container is not the null device (1:3): refusing to "
                                               "use it to mask paths");
        *fd_out = steal_fd(&fd);
        return 0;
}

static int mask_directory(int target, const char *path, berth_error *err)
{
        return mount_filesystem("tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=755",
                                target, path, err);
}

int rootfs_mask_paths(char *const *paths, int null_fd, berth_error *err)
{
        cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (root < 0)
                return berth_fail(err, errno, "open / in the container");
        for (size_t i = 0; paths != NULL && paths[i] != NULL; i++) {
                berth_error local = {0};
                cleanup_close int target = -1;
                struct stat st;
                int r;

                /* Resolved inside the container's root: a masked path the image replaced by a symlink masks
                 * what the symlink names inside the container, never a host path. */
                target = path_open_in_root(root, paths[i], O_PATH, 0, &local);
                if (target < 0) {
                        berth_error_clear(&local);
                        if (target == -ENOENT)
                                continue;
                        return berth_fail(err, -target, "maskedPaths: open %s", paths[i]);
                }
                if (fstat(target, &st) < 0)
                        return berth_fail(err, errno, "maskedPaths: stat %s", paths[i]);
                if (S_ISDIR(st.st_mode))
                        r = mask_directory(target, paths[i], err);
                else
                        r = mount_bind_fd(null_fd, target, false, paths[i], err);
                if (r < 0)
                        return berth_error_prefix(err, "maskedPaths: ");
        }
        return 0;
}

int rootfs_readonly_paths(char *const *paths, berth_error *err)
{
        cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (root < 0)
                return berth_fail(err, errno, "open / in the container");
        for (size_t i = 0; paths != NULL && paths[i] != NULL; i++) {
                berth_error local = {0};
                cleanup_close int target = -1, mounted = -1;
                int r;

                target = path_open_in_root(root, paths[i], O_PATH, 0, &local);
                if (target < 0) {
                        berth_error_clear(&local);
                        if (target == -ENOENT)
                                continue;
                        return berth_fail(err, -target, "readonlyPaths: open %s", paths[i]);
                }
                /* Bind the path onto itself so it is a mount of its own, then make that mount read-only. */
                if ((r = mount_bind_fd(target, target, true, paths[i], err)) < 0)
                        return berth_error_prefix(err, "readonlyPaths: ");
                mounted = path_open_in_root(root, paths[i], O_PATH, 0, err);
                if (mounted < 0)
                        return berth_error_prefix(err, "readonlyPaths: ");
                if ((r = mount_make_readonly(mounted, paths[i], err)) < 0)
                        return berth_error_prefix(err, "readonlyPaths: ");
        }
        return 0;
}

int rootfs_make_readonly(berth_error *err)
{
        cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (root < 0)
                return berth_fail(err, errno, "open / in the container");
        return mount_make_readonly(root, "/ (root.readonly)", err);
}

int rootfs_write_sysctls(const struct spec_linux *lx, berth_error *err)
{
        cleanup_close int procsys = -1;
        struct statfs sfs;

        if (lx->n_sysctls == 0)
                return 0;
        procsys = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (procsys < 0)
                return berth_fail(err, errno, "linux.sysctl: open /proc/sys in the container");
        /* Writes must land in procfs, not in something mounted over it (CVE-2025-52881 class). */
        if (fstatfs(procsys, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
                return berth_failf(err, EPERM, "linux.sysctl: /proc/sys in the container is not procfs");
        for (size_t i = 0; i < lx->n_sysctls; i++) {
                cleanup_free char *rel = xstrdup(lx->sysctls[i].key);
                struct open_how how = {
                        .flags = O_WRONLY | O_CLOEXEC,
                        .resolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH,
                };
                cleanup_close int fd = -1;
                size_t len = strlen(lx->sysctls[i].value);

                for (char *p = rel; *p; p++)
                        if (*p == '.')
                                *p = '/';
                fd = (int) syscall(SYS_openat2, procsys, rel, &how, sizeof(how));
                if (fd < 0)
                        return berth_fail(err, errno, "linux.sysctl: open /proc/sys/%s", rel);
                if (write(fd, lx->sysctls[i].value, len) != (ssize_t) len)
                        return berth_fail(err, errno, "linux.sysctl: write %s=%s", lx->sysctls[i].key,
                                          lx->sysctls[i].value);
        }
        return 0;
}
