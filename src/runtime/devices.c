#include "runtime/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "runtime/mounts.h"
#include "lib/path.h"
#include "lib/util.h"

static const struct spec_device default_devices[] = {
        {.path = "/dev/null", .type = 'c', .major = 1, .minor = 3, .has_file_mode = true, .file_mode = 0666},
        {.path = "/dev/zero", .type = 'c', .major = 1, .minor = 5, .has_file_mode = true, .file_mode = 0666},
        {.path = "/dev/full", .type = 'c', .major = 1, .minor = 7, .has_file_mode = true, .file_mode = 0666},
        {.path = "/dev/random", .type = 'c', .major = 1, .minor = 8, .has_file_mode = true, .file_mode = 0666},
        {.path = "/dev/urandom", .type = 'c', .major = 1, .minor = 9, .has_file_mode = true, .file_mode = 0666},
        {.path = "/dev/tty", .type = 'c', .major = 5, .minor = 0, .has_file_mode = true, .file_mode = 0666},
};

static mode_t device_type_bits(char type)
{
        switch (type) {
        case 'b':
                return S_IFBLK;
        case 'p':
                return S_IFIFO;
        default:
                return S_IFCHR;
        }
}

/* Splits "/dev/a/b" into an O_PATH fd of "/dev/a" (created inside the root) and "b". */
static int open_parent(int rootfd, const char *path, const char **base, berth_error *err)
{
        cleanup_free char *dir = NULL;
        const char *slash = strrchr(path, '/');

        *base = slash ? slash + 1 : path;
        if (**base == '\0')
                return berth_failf(err, EINVAL, "device path %s has no name", path);
        dir = slash && slash != path ? xstrndup(path, (size_t) (slash - path)) : xstrdup("/");
        return path_mkdir_in_root(rootfd, dir, 0755, err);
}

static int bind_host_device(int rootfd, const struct spec_device *d, berth_error *err)
{
        cleanup_close int host = open(d->path, O_PATH | O_CLOEXEC);
        cleanup_close int target = -1;
        struct stat st;

        /* The host node at the same path stands in for the one we may not create. */
        if (host < 0)
                return berth_fail(err, errno, "open host device %s to bind it", d->path);
        if (fstat(host, &st) < 0)
                return berth_fail(err, errno, "stat host device %s", d->path);
        if ((st.st_mode & S_IFMT) != device_type_bits(d->type) || major(st.st_rdev) != (unsigned) d->major ||
            minor(st.st_rdev) != (unsigned) d->minor)
                return berth_failf(err, ENODEV, "host %s is not device %c %lld:%lld", d->path, d->type,
                                   (long long) d->major, (long long) d->minor);
        target = path_ensure_in_root(rootfd, d->path, false, 0644, err);
        if (target < 0)
                return target;
        return mount_bind_fd(host, target, false, d->path, err);
}

static int create_device(int rootfd, const struct spec_device *d, bool in_user_namespace, berth_error *err)
{
        cleanup_close int parent = -1;
        const char *base;
        mode_t mode = (d->has_file_mode ? d->file_mode : 0666) | device_type_bits(d->type);
        struct stat st;

        parent = open_parent(rootfd, d->path, &base, err);
        if (parent < 0)
                return parent;
        if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                /* An existing node of the right kind stays (a bind-mounted host /dev, a second entry). */
                if ((st.st_mode & S_IFMT) == device_type_bits(d->type) &&
                    (d->type == 'p' || (major(st.st_rdev) == (unsigned) d->major &&
                                        minor(st.st_rdev) == (unsigned) d->minor)))
                        return 0;
                if (S_ISDIR(st.st_mode))
                        return berth_failf(err, EEXIST, "device %s: a directory is in the way", d->path);
                if (unlinkat(parent, base, 0) < 0)
                        return berth_fail(err, errno, "replace %s", d->path);
        }
        if (in_user_namespace && d->type != 'p')
                return bind_host_device(rootfd, d, err);
        if (mknodat(parent, base, mode, makedev((unsigned) d->major, (unsigned) d->minor)) < 0) {
                if (errno == EPERM && d->type != 'p')
                        return bind_host_device(rootfd, d, err);
                return berth_fail(err, errno, "mknod %s", d->path);
        }
        /* mknod's mode passes through the umask; the spec's fileMode is meant as given. */
        if (fchmodat(parent, base, mode & 07777, 0) < 0)
                return berth_fail(err, errno, "chmod %s", d->path);
        if ((d->has_uid || d->has_gid) &&
            fchownat(parent, base, d->has_uid ? d->uid : (uid_t) -1, d->has_gid ? d->gid : (gid_t) -1,
                     AT_SYMLINK_NOFOLLOW) < 0)
                return berth_fail(err, errno, "chown %s", d->path);
        return 0;
}

int devices_create(int rootfd, const struct spec_linux *lx, bool in_user_namespace, berth_error *err)
{
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
                bool overridden = false;
                for (size_t j = 0; j < lx->n_devices && !overridden; j++)
                        overridden = strcmp(lx->devices[j].path, default_devices[i].path) == 0;
                if (overridden)
                        continue;
                if ((r = create_device(rootfd, &default_devices[i], in_user_namespace, err)) < 0)
                        return r;
        }
        for (size_t i = 0; i < lx->n_devices; i++)
                if ((r = create_device(rootfd, &lx->devices[i], in_user_namespace, err)) < 0)
                        return berth_error_prefix(err, "linux.devices[%zu]: ", i);
        return 0;
}

static int make_link(int rootfd, const char *target, const char *path, berth_error *err)
{
        cleanup_close int parent = -1;
        const char *base;

        parent = open_parent(rootfd, path, &base, err);
        if (parent < 0)
                return parent;
        if (symlinkat(target, parent, base) < 0 && errno != EEXIST)
                return berth_fail(err, errno, "symlink %s -> %s", path, target);
        return 0;
}

int devices_create_links(int rootfd, berth_error *err)
{
        static const struct {
                const char *target, *path;
        } links[] = {
                {"/proc/self/fd", "/dev/fd"},
                {"/proc/self/fd/0", "/dev/stdin"},
                {"/proc/self/fd/1", "/dev/stdout"},
                {"/proc/self/fd/2", "/dev/stderr"},
        };
        struct stat st;
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(links); i++)
                if ((r = make_link(rootfd, links[i].target, links[i].path, err)) < 0)
                        return r;
        if (stat("/proc/kcore", &st) == 0 && (r = make_link(rootfd, "/proc/kcore", "/dev/core", err)) < 0)
                return r;

        /* /dev/ptmx -> pts/ptmx, so that the container's ptys come from its own devpts instance. */
        {
                cleanup_close int dev = path_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0, NULL);
                if (dev >= 0 && fstatat(dev, "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
                        if (fstatat(dev, "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode) &&
                            unlinkat(dev, "ptmx", 0) < 0)
                                return berth_fail(err, errno, "remove /dev/ptmx");
                        if (symlinkat("pts/ptmx", dev, "ptmx") < 0 && errno != EEXIST)
                                return berth_fail(err, errno, "symlink /dev/ptmx -> pts/ptmx");
                }
        }
        return 0;
}
