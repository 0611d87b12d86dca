#include "runtime/mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "lib/cleanup.h"
#include "lib/path.h"
#include "lib/util.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* ---- options ---- */

enum option_kind { OPT_FLAG, OPT_CLEAR, OPT_PROPAGATION, OPT_RECURSIVE_SET, OPT_RECURSIVE_CLEAR, OPT_SPECIAL };

static const struct {
        const char *name;
        enum option_kind kind;
        uint64_t value;
} option_table[] = {
        {"ro", OPT_FLAG, MS_RDONLY},
        {"rw", OPT_CLEAR, MS_RDONLY},
        {"nosuid", OPT_FLAG, MS_NOSUID},
        {"suid", OPT_CLEAR, MS_NOSUID},
        {"nodev", OPT_FLAG, MS_NODEV},
        {"dev", OPT_CLEAR, MS_NODEV},
        {"noexec", OPT_FLAG, MS_NOEXEC},
        {"exec", OPT_CLEAR, MS_NOEXEC},
        {"sync", OPT_FLAG, MS_SYNCHRONOUS},
        {"async", OPT_CLEAR, MS_SYNCHRONOUS},
        {"dirsync", OPT_FLAG, MS_DIRSYNC},
        {"mand", OPT_FLAG, MS_MANDLOCK},
        {"nomand", OPT_CLEAR, MS_MANDLOCK},
        {"noatime", OPT_FLAG, MS_NOATIME},
        {"atime", OPT_CLEAR, MS_NOATIME},
        {"nodiratime", OPT_FLAG, MS_NODIRATIME},
        {"diratime", OPT_CLEAR, MS_NODIRATIME},
        {"relatime", OPT_FLAG, MS_RELATIME},
        {"norelatime", OPT_CLEAR, MS_RELATIME},
        {"strictatime", OPT_FLAG, MS_STRICTATIME},
        {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
        {"silent", OPT_FLAG, MS_SILENT},
        {"loud", OPT_CLEAR, MS_SILENT},
        {"lazytime", OPT_FLAG, MS_LAZYTIME},
        {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
        {"iversion", OPT_FLAG, MS_I_VERSION},
        {"noiversion", OPT_CLEAR, MS_I_VERSION},
        {"nosymfollow", OPT_FLAG, MS_NOSYMFOLLOW},
        {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
        {"shared", OPT_PROPAGATION, MS_SHARED},
        {"rshared", OPT_PROPAGATION, MS_SHARED | MS_REC},
        {"slave", OPT_PROPAGATION, MS_SLAVE},
        {"rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC},
        {"private", OPT_PROPAGATION, MS_PRIVATE},
        {"rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC},
        {"unbindable", OPT_PROPAGATION, MS_UNBINDABLE},
        {"runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
        /* Recursive mount attributes (runtime-spec 1.1): applied to the whole tree with mount_setattr. */
        {"rro", OPT_RECURSIVE_SET, MOUNT_ATTR_RDONLY},
        {"rrw", OPT_RECURSIVE_CLEAR, MOUNT_ATTR_RDONLY},
        {"rnosuid", OPT_RECURSIVE_SET, MOUNT_ATTR_NOSUID},
        {"rsuid", OPT_RECURSIVE_CLEAR, MOUNT_ATTR_NOSUID},
        {"rnodev", OPT_RECURSIVE_SET, MOUNT_ATTR_NODEV},
        {"rdev", OPT_RECURSIVE_CLEAR, MOUNT_ATTR_NODEV},
        {"rnoexec", OPT_RECURSIVE_SET, MOUNT_ATTR_NOEXEC},
        {"rexec", OPT_RECURSIVE_CLEAR, MOUNT_ATTR_NOEXEC},
        {"rnodiratime", OPT_RECURSIVE_SET, MOUNT_ATTR_NODIRATIME},
        {"rdiratime", OPT_RECURSIVE_CLEAR, MOUNT_ATTR_NODIRATIME},
        {"rnosymfollow", OPT_RECURSIVE_SET, MOUNT_ATTR_NOSYMFOLLOW},
        {"rsymfollow", OPT_RECURSIVE_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
        {"rrelatime", OPT_RECURSIVE_SET, MOUNT_ATTR_RELATIME},
        {"rnoatime", OPT_RECURSIVE_SET, MOUNT_ATTR_NOATIME},
        {"rstrictatime", OPT_RECURSIVE_SET, MOUNT_ATTR_STRICTATIME},
        {"bind", OPT_SPECIAL, 1},
        {"rbind", OPT_SPECIAL, 2},
        {"remount", OPT_SPECIAL, 3},
        {"tmpcopyup", OPT_SPECIAL, 4},
        {"idmap", OPT_SPECIAL, 5},
        {"ridmap", OPT_SPECIAL, 6},
        {"notmpcopyup", OPT_SPECIAL, 7},
        {"defaults", OPT_SPECIAL, 8},
};

int mount_options_parse(char *const *options, struct mount_options *o, berth_error *err)
{
        size_t data_len = 0;

        memset(o, 0, sizeof(*o));
        for (size_t i = 0; options != NULL && options[i] != NULL; i++) {
                const char *name = options[i];
                bool known = false;

                for (size_t k = 0; k < ARRAY_SIZE(option_table) && !known; k++) {
                        if (strcmp(name, option_table[k].name) != 0)
                                continue;
                        known = true;
                        switch (option_table[k].kind) {
                        case OPT_FLAG:
                                o->flags |= option_table[k].value;
                                o->cleared &= ~option_table[k].value;
                                break;
                        case OPT_CLEAR:
                                o->flags &= ~option_table[k].value;
                                o->cleared |= option_table[k].value;
                                break;
                        case OPT_PROPAGATION:
                                o->propagation = option_table[k].value;
                                break;
                        case OPT_RECURSIVE_SET:
                                o->recursive_set |= option_table[k].value;
                                o->recursive_clear &= ~option_table[k].value;
                                break;
                        case OPT_RECURSIVE_CLEAR:
                                o->recursive_clear |= option_table[k].value;
                                o->recursive_set &= ~option_table[k].value;
                                break;
                        case OPT_SPECIAL:
                                switch (option_table[k].value) {
                                case 1: o->bind = true; break;
                                case 2: o->bind = o->recursive_bind = true; break;
                                case 3: o->remount = true; break;
                                case 4: o->tmpcopyup = true; break;
                                case 5: o->idmap = true; break;
                                case 6: o->idmap = o->recursive_idmap = true; break;
                                case 7: o->tmpcopyup = false; break;
                                default: break;
                                }
                                break;
                        }
                }
                if (known)
                        continue;
                if (name[0] == '\0')
                        return berth_failf(err, EINVAL, "empty mount option");
                /* Anything else belongs to the filesystem: "size=64m", "mode=755", "newinstance"... */
                o->data = xrealloc(o->data, data_len + strlen(name) + 2);
                if (data_len > 0)
                        o->data[data_len++] = ',';
                strcpy(o->data + data_len, name);
                data_len += strlen(name);
        }
        return 0;
}

void mount_options_clear(struct mount_options *o)
{
        free(o->data);
        o->data = NULL;
}

/* ---- primitives ---- */

/* The MOUNT_ATTR_* equivalent of MS_* flags, for mount_setattr. */
static uint64_t attr_from_flags(unsigned long flags)
{
        uint64_t a = 0;

        if (flags & MS_RDONLY)
                a |= MOUNT_ATTR_RDONLY;
        if (flags & MS_NOSUID)
                a |= MOUNT_ATTR_NOSUID;
        if (flags & MS_NODEV)
                a |= MOUNT_ATTR_NODEV;
        if (flags & MS_NOEXEC)
                a |= MOUNT_ATTR_NOEXEC;
        if (flags & MS_NODIRATIME)
                a |= MOUNT_ATTR_NODIRATIME;
        if (flags & MS_NOSYMFOLLOW)
                a |= MOUNT_ATTR_NOSYMFOLLOW;
        return a;
}

static uint64_t atime_attr_from_flags(unsigned long flags, bool *set)
{
        *set = true;
        if (flags & MS_NOATIME)
                return MOUNT_ATTR_NOATIME;
        if (flags & MS_STRICTATIME)
                return MOUNT_ATTR_STRICTATIME;
        if (flags & MS_RELATIME)
                return MOUNT_ATTR_RELATIME;
        *set = false;
        return 0;
}

int mount_set_propagation(int target_fd, unsigned long propagation, const char *what, berth_error *err)
{
        char fdpath[PROC_FD_PATH_MAX];

        if (propagation == 0)
                return 0;
        proc_fd_path(target_fd, fdpath);
        if (mount(NULL, fdpath, NULL, propagation, NULL) < 0)
                return berth_fail(err, errno, "set propagation of %s", what);
        return 0;
}

/* The flags the kernel locks on a mount made in a less privileged user namespace: a remount must repeat
 * them or fail with EPERM (mount_namespaces(7), "locked mounts"). */
static unsigned long locked_flags(int fd)
{
        struct statvfs s;
        unsigned long f = 0;

        if (fstatvfs(fd, &s) < 0)
                return 0;
        if (s.f_flag & ST_NOSUID)
                f |= MS_NOSUID;
        if (s.f_flag & ST_NODEV)
                f |= MS_NODEV;
        if (s.f_flag & ST_NOEXEC)
                f |= MS_NOEXEC;
        if (s.f_flag & ST_RDONLY)
                f |= MS_RDONLY;
        if (s.f_flag & ST_NOATIME)
                f |= MS_NOATIME;
        if (s.f_flag & ST_NODIRATIME)
                f |= MS_NODIRATIME;
        if (s.f_flag & ST_RELATIME)
                f |= MS_RELATIME;
        return f;
}

int mount_make_readonly(int target_fd, const char *what, berth_error *err)
{
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
        char fdpath[PROC_FD_PATH_MAX];

        if (mount_setattr(target_fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0)
                return 0;
        if (errno != ENOSYS)
                return berth_fail(err, errno, "make %s read-only", what);
        proc_fd_path(target_fd, fdpath);
        if (mount(NULL, fdpath, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(target_fd), NULL) < 0)
                return berth_fail(err, errno, "make %s read-only", what);
        return 0;
}

int mount_bind_fd(int source_fd, int target_fd, bool recursive, const char *what, berth_error *err)
{
        cleanup_close int tree = open_tree(source_fd, "",
                                           OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
                                                   (recursive ? AT_RECURSIVE : 0));
        char src[PROC_FD_PATH_MAX], dst[PROC_FD_PATH_MAX];

        if (tree >= 0) {
                if (move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return berth_fail(err, errno, "bind mount onto %s", what);
                return 0;
        }
        if (errno != ENOSYS)
                return berth_fail(err, errno, "clone mount for %s", what);
        proc_fd_path(source_fd, src);
        proc_fd_path(target_fd, dst);
        if (mount(src, dst, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
                return berth_fail(err, errno, "bind mount onto %s", what);
        return 0;
}

int mount_filesystem(const char *source, const char *type, unsigned long flags, const char *data, int target_fd,
                     const char *what, berth_error *err)
{
        char fdpath[PROC_FD_PATH_MAX];

        proc_fd_path(target_fd, fdpath);
        if (mount(source ? source : type, fdpath, type, flags, data) < 0)
                return berth_fail(err, errno, "mount %s on %s%s%s", type, what, data ? " with " : "", data ? data : "");
        return 0;
}

/* ---- tmpcopyup: a tmpfs that starts with the contents of the directory it covers ---- */

static int copy_tree(int from, int to, const char *what, berth_error *err);

static int copy_entry(int from, int to, const char *name, const struct stat *st, const char *what, berth_error *err)
{
        int r = 0;

        if (S_ISDIR(st->st_mode)) {
                cleanup_close int src = -1, dst = -1;
                if (mkdirat(to, name, st->st_mode & 07777) < 0 && errno != EEXIST)
                        return berth_fail(err, errno, "tmpcopyup: mkdir %s/%s", what, name);
                src = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                dst = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (src < 0 || dst < 0)
                        return berth_fail(err, errno, "tmpcopyup: open %s/%s", what, name);
                if ((r = copy_tree(src, dst, what, err)) < 0)
                        return r;
        } else if (S_ISREG(st->st_mode)) {
                cleanup_close int src = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                cleanup_close int dst = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                               st->st_mode & 07777);
                char buf[65536];
                ssize_t n;
                if (src < 0 || dst < 0)
                        return berth_fail(err, errno, "tmpcopyup: copy %s/%s", what, name);
                while ((n = read(src, buf, sizeof(buf))) > 0)
                        if ((r = write_all(dst, buf, (size_t) n)) < 0)
                                return berth_fail(err, -r, "tmpcopyup: write %s/%s", what, name);
                if (n < 0)
                        return berth_fail(err, errno, "tmpcopyup: read %s/%s", what, name);
        } else if (S_ISLNK(st->st_mode)) {
                char target[4096];
                ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);
                if (n < 0)
                        return berth_fail(err, errno, "tmpcopyup: readlink %s/%s", what, name);
                target[n] = '\0';
                if (symlinkat(target, to, name) < 0)
                        return berth_fail(err, errno, "tmpcopyup: symlink %s/%s", what, name);
        } else {
                if (mknodat(to, name, st->st_mode, st->st_rdev) < 0)
                        return berth_fail(err, errno, "tmpcopyup: mknod %s/%s", what, name);
        }
        if (fchownat(to, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM && errno != EINVAL)
                return berth_fail(err, errno, "tmpcopyup: chown %s/%s", what, name);
        return 0;
}

static int copy_tree(int from, int to, const char *what, berth_error *err)
{
        cleanup_closedir DIR *d = opendir_at(from);
        struct dirent *e;
        int r;

        if (d == NULL)
                return berth_fail(err, errno, "tmpcopyup: read %s", what);
        while ((e = readdir(d)) != NULL) {
                struct stat st;
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                if (fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_fail(err, errno, "tmpcopyup: stat %s/%s", what, e->d_name);
                if ((r = copy_entry(from, to, e->d_name, &st, what, err)) < 0)
                        return r;
        }
        return 0;
}

/* ---- one mount ---- */

static bool is_bind(const struct spec_mount *m, const struct mount_options *o)
{
        return o->bind || (m->type != NULL && strcmp(m->type, "bind") == 0);
}

static int apply_recursive_attrs(int tree_fd, const struct mount_options *o, const char *what, berth_error *err)
{
        struct mount_attr attr = {
                .attr_set = o->recursive_set,
                .attr_clr = o->recursive_clear,
        };

        if (attr.attr_set == 0 && attr.attr_clr == 0)
                return 0;
        if (attr.attr_set & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_RELATIME))
                attr.attr_clr |= MOUNT_ATTR__ATIME;
        if (mount_setattr(tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                return berth_fail(err, errno, "set recursive mount attributes on %s", what);
        return 0;
}

/* The tree was made by the runtime (idmap.c): only the attaching and the options are left to do. */
static int mount_idmapped(const struct mount_context *mc, const struct spec_mount *m, const struct mount_options *o,
                          int tree, berth_error *err)
{
        cleanup_close int target = -1;
        struct mount_attr attr = {0};
        struct stat st;

        if (fstat(tree, &st) < 0)
                return berth_fail(err, errno, "stat idmapped mount for %s", m->destination);
        target = path_ensure_in_root(mc->rootfd, m->destination, S_ISDIR(st.st_mode), S_ISDIR(st.st_mode) ? 0755 : 0644,
                                     err);
        if (target < 0)
                return target;
        attr.attr_set = attr_from_flags(o->flags);
        attr.attr_clr = attr_from_flags(o->cleared);
        if ((attr.attr_set || attr.attr_clr) && mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return berth_fail(err, errno, "set options of idmapped mount on %s", m->destination);
        if (apply_recursive_attrs(tree, o, m->destination, err) < 0)
                return -err->code;
        if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return berth_fail(err, errno, "attach idmapped mount on %s", m->destination);
        return mount_set_propagation(tree, o->propagation, m->destination, err);
}

/* prepared: the source's tree, cloned by the runtime before the init entered its user namespace (idmap.h),
 * or -1: the init clones it here. */
static int mount_bind(const struct mount_context *mc, const struct spec_mount *m, const struct mount_options *o,
                      int prepared, berth_error *err)
{
        cleanup_free char *source = NULL;
        cleanup_close int target = -1, owned_tree = -1;
        int tree = prepared;
        struct mount_attr attr = {0};
        bool atime_set;
        uint64_t atime;
        struct stat st;

        if (m->source == NULL || m->source[0] == '\0')
                return berth_failf(err, EINVAL, "bind mount on %s has no source", m->destination);
        /* runtime-spec: a relative bind source is relative to the bundle. */
        source = m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", mc->bundle, m->source);
        if (prepared >= 0 ? fstat(prepared, &st) < 0 : stat(source, &st) < 0)
                return berth_fail(err, errno, "bind mount source %s", source);
        target = path_ensure_in_root(mc->rootfd, m->destination, S_ISDIR(st.st_mode), S_ISDIR(st.st_mode) ? 0755 : 0644,
                                     err);
        if (target < 0)
                return target;

        if (prepared < 0)
                tree = owned_tree = open_tree(AT_FDCWD, source,
                                              OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                                      (o->recursive_bind ? AT_RECURSIVE : 0));
        if (tree < 0 && errno == ENOSYS) {
                /* Kernels before 5.2: mount(2) on the fd, then a remount for the flags. */
                char dst[PROC_FD_PATH_MAX];
                cleanup_close int mounted = -1;
                proc_fd_path(target, dst);
                if (mount(source, dst, NULL, MS_BIND | (o->recursive_bind ? MS_REC : 0), NULL) < 0)
                        return berth_fail(err, errno, "bind mount %s on %s", source, m->destination);
                mounted = path_open_in_root(mc->rootfd, m->destination, O_PATH, 0, err);
                if (mounted < 0)
                        return mounted;
                if (o->flags & ~(MS_REC)) {
                        proc_fd_path(mounted, dst);
                        if (mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | o->flags | locked_flags(mounted), NULL) < 0)
                                return berth_fail(err, errno, "remount %s with its options", m->destination);
                }
                return mount_set_propagation(mounted, o->propagation, m->destination, err);
        }
        if (tree < 0)
                return berth_fail(err, errno, "bind mount source %s", source);

        /* Flags of a bind mount apply to the bind itself (not its submounts), as with runc's remount. */
        attr.attr_set = attr_from_flags(o->flags);
        attr.attr_clr = attr_from_flags(o->cleared);
        atime = atime_attr_from_flags(o->flags, &atime_set);
        if (atime_set) {
                attr.attr_set |= atime;
                attr.attr_clr |= MOUNT_ATTR__ATIME;
        }
        if ((attr.attr_set || attr.attr_clr) && mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return berth_fail(err, errno, "set options of bind mount %s on %s", source, m->destination);
        if (apply_recursive_attrs(tree, o, m->destination, err) < 0)
                return -err->code;
        if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return berth_fail(err, errno, "bind mount %s on %s", source, m->destination);
        return mount_set_propagation(tree, o->propagation, m->destination, err);
}

/* When a filesystem cannot be made in this user namespace, bind the host's instance instead, as runc does
 * (sysfs needs a network namespace of our own, mqueue an IPC namespace of our own). */
static const char *host_fallback_source(const struct mount_context *mc, const char *type)
{
        if (strcmp(type, "sysfs") == 0 && (mc->in_user_namespace || !mc->own_network_namespace))
                return "/sys";
        if (strcmp(type, "mqueue") == 0 && (mc->in_user_namespace || !mc->own_ipc_namespace))
                return "/dev/mqueue";
        return NULL;
}

static char *data_without_option(const char *data, const char *prefix)
{
        cleanup_free char *copy = xstrdup(data ? data : "");
        char *out = xzalloc(strlen(copy) + 1), *save = NULL;

        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (str_has_prefix(tok, prefix))
                        continue;
                if (out[0])
                        strcat(out, ",");
                strcat(out, tok);
        }
        return out;
}

static int mount_fs(const struct mount_context *mc, const struct spec_mount *m, const struct mount_options *o,
                    berth_error *err)
{
        cleanup_close int target = -1, mounted = -1, before = -1;
        const char *type = m->type;
        unsigned long flags = o->flags;
        int r;

        if (type == NULL || type[0] == '\0')
                return berth_failf(err, EINVAL, "mount on %s has no type and is not a bind mount", m->destination);
        target = path_mkdir_in_root(mc->rootfd, m->destination, 0755, err);
        if (target < 0)
                return target;

        if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) {
                if (mc->cgroup == NULL)
                        return berth_failf(err, EINVAL, "mount of type %s on %s: the container has no cgroup", type,
                                           m->destination);
                return cgroup_mount_in_container(mc->cgroup, target, m->destination, flags, mc->own_cgroup_namespace,
                                                 err);
        }
        if (o->tmpcopyup) {
                before = openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (before < 0)
                        return berth_fail(err, errno, "tmpcopyup: open %s", m->destination);
        }

        r = mount_filesystem(m->source, type, flags, o->data, target, m->destination, err);
        if (r == -EPERM && host_fallback_source(mc, type) != NULL) {
                cleanup_close int host = open(host_fallback_source(mc, type), O_PATH | O_DIRECTORY | O_CLOEXEC);
                berth_error_clear(err);
                if (host < 0)
                        return berth_fail(err, errno, "open %s", host_fallback_source(mc, type));
                if ((r = mount_bind_fd(host, target, true, m->destination, err)) < 0)
                        return r;
                mounted = path_open_in_root(mc->rootfd, m->destination, O_PATH | O_DIRECTORY, 0, err);
                if (mounted < 0)
                        return mounted;
                if ((flags & MS_RDONLY) && (r = mount_make_readonly(mounted, m->destination, err)) < 0)
                        return r;
                return mount_set_propagation(mounted, o->propagation, m->destination, err);
        }
        if (r == -EINVAL && strcmp(type, "devpts") == 0 && o->data && strstr(o->data, "gid=") != NULL) {
                /* In a user namespace the tty group (gid 5) may not be mapped: retry without it, as runc. */
                cleanup_free char *data = data_without_option(o->data, "gid=");
                berth_error_clear(err);
                r = mount_filesystem(m->source, type, flags, data, target, m->destination, err);
        }
        if (r < 0)
                return r;

        mounted = path_open_in_root(mc->rootfd, m->destination, O_PATH | O_DIRECTORY, 0, err);
        if (mounted < 0)
                return mounted;
        if (o->tmpcopyup) {
                cleanup_close int dir = openat(mounted, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dir < 0)
                        return berth_fail(err, errno, "tmpcopyup: open %s", m->destination);
                if ((r = copy_tree(before, dir, m->destination, err)) < 0)
                        return r;
        }
        if ((r = apply_recursive_attrs(mounted, o, m->destination, err)) < 0)
                return r;
        return mount_set_propagation(mounted, o->propagation, m->destination, err);
}

static int mount_remount(const struct mount_context *mc, const struct spec_mount *m, const struct mount_options *o,
                         berth_error *err)
{
        cleanup_close int target = path_open_in_root(mc->rootfd, m->destination, O_PATH, 0, err);
        char fdpath[PROC_FD_PATH_MAX];

        if (target < 0)
                return target;
        proc_fd_path(target, fdpath);
        if (mount(NULL, fdpath, NULL, MS_REMOUNT | MS_BIND | o->flags | locked_flags(target), NULL) < 0)
                return berth_fail(err, errno, "remount %s", m->destination);
        return 0;
}

int mounts_apply(const struct mount_context *mc, berth_error *err)
{
        const struct runtime_spec *spec = mc->spec;

        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct spec_mount *m = &spec->mounts[i];
                struct mount_options o;
                int r = mount_options_parse(m->options, &o, err);
                int prepared = mc->idmapped_trees != NULL ? mc->idmapped_trees[i] : -1;

                if (r < 0)
                        return berth_error_prefix(err, "mounts[%zu]: ", i);
                if (prepared >= 0 && (o.idmap || m->n_uid_mappings > 0))
                        r = mount_idmapped(mc, m, &o, prepared, err);
                else if (o.idmap || m->n_uid_mappings > 0)
                        r = berth_failf(err, EINVAL, "idmapped mount was not prepared");
                else if (o.remount)
                        r = mount_remount(mc, m, &o, err);
                else if (is_bind(m, &o))
                        r = mount_bind(mc, m, &o, prepared, err);
                else
                        r = mount_fs(mc, m, &o, err);
                mount_options_clear(&o);
                if (r < 0)
                        return berth_error_prefix(err, "mounts[%zu]: ", i);
        }
        return 0;
}

json_t *mount_option_names(void)
{
        json_t *a = json_array();

        for (size_t k = 0; k < ARRAY_SIZE(option_table); k++) {
                json_array_append_new(a, json_string(option_table[k].name));
        }
        return a;
}
