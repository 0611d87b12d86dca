#include "runtime/exe_protect.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"

extern char **environ;

bool exe_is_protected(void)
{
        cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        struct statvfs s;
        int seals;

        if (fd < 0)
                return false;
        seals = fcntl(fd, F_GET_SEALS);
        if (seals >= 0 && (seals & F_SEAL_WRITE))
                return true;
        return fstatvfs(fd, &s) == 0 && (s.f_flag & ST_RDONLY);
}

/* An fd of the binary reached through a detached read-only bind mount of its directory. */
static int open_through_readonly_mount(const char *exe_path)
{
        cleanup_free char *dir = xstrdup(exe_path);
        char *slash = strrchr(dir, '/');
        const char *base = exe_path + (slash - dir) + 1;
        cleanup_close int tree = -1;
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID};

        if (slash == NULL)
                return -EINVAL;
        *slash = '\0';
        tree = open_tree(AT_FDCWD, dir[0] ? dir : "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (tree < 0)
                return -errno;
        if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return -errno;
        {
                int fd = openat(tree, base, O_PATH | O_CLOEXEC);
                return fd < 0 ? -errno : fd;
        }
}

static int sealed_memfd_copy_of(const char *path, berth_error *err)
{
        cleanup_close int src = open(path, O_RDONLY | O_CLOEXEC);
        cleanup_close int mem = -1;
        struct stat st;
        off_t offset = 0;

        if (src < 0)
                return berth_fail(err, errno, "open %s", path);
        if (fstat(src, &st) < 0)
                return berth_fail(err, errno, "stat %s", path);
        mem = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mem < 0)
                return berth_fail(err, errno, "memfd_create");
        while (offset < st.st_size) {
                ssize_t n = sendfile(mem, src, &offset, (size_t) (st.st_size - offset));
                if (n < 0)
                        return berth_fail(err, errno, "copy the runtime into a memfd");
                if (n == 0)
                        break;
        }
        if (fcntl(mem, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
                return berth_fail(err, errno, "seal the runtime's memfd copy");
        return steal_fd(&mem);
}

static int exec_from_protected_copy(const char *exe_path, const char *memfd_source, char **argv, char **envp,
                                    berth_error *err)
{
        cleanup_close int fd = open_through_readonly_mount(exe_path);

        if (fd < 0) {
                fd = sealed_memfd_copy_of(memfd_source, err);
                if (fd < 0)
                        return fd;
        }
        execveat(fd, "", argv, envp, AT_EMPTY_PATH);
        return berth_fail(err, errno, "re-execute %s from a protected copy", exe_path);
}

int exe_reexec_protected(char **argv, berth_error *err)
{
        char exe_path[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);

        if (n < 0)
                return berth_fail(err, errno, "readlink /proc/self/exe");
        exe_path[n] = '\0';
        return exec_from_protected_copy(exe_path, "/proc/self/exe", argv, environ, err);
}

int exe_exec_protected(const char *path, char **argv, char **envp, berth_error *err)
{
        if (path[0] != '/')
                return berth_failf(err, EINVAL, "exec %s: an absolute path is needed", path);
        return exec_from_protected_copy(path, path, argv, envp, err);
}
