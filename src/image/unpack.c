#include "image/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "image/fsutil.h"
#include "lib/path.h"
#include "lib/util.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define WHITEOUT_META_PREFIX ".wh..wh." /* aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): skipped */
#define NAME_IN_MESSAGE 200             /* entry names in messages are cut: a hostile name may be 5 KB */

struct dir_time {
        char *path;
        struct timespec times[2];
};

struct unpacker {
        int rootfd;
        const struct unpack_options *opts;
        struct unpack_stats *stats;
        struct archive *archive;
        struct layer_stream *stream;
        berth_error *err;

        /* One-entry cache of the last parent directory: tar members come sorted or grouped by directory,
         * so most entries reuse the parent of the previous one. Invalidated by any removal that could
         * change what a path resolves to. */
        char *cached_parent;
        int cached_fd;
        bool cache_stale; /* drop the cache at the next lookup (the current entry still uses its fd) */

        struct dir_time *dir_times; /* applied at the end: creating children changes a directory's mtime */
        size_t n_dir_times, cap_dir_times;
};

static const char *short_name(const char *name)
{
        static __thread char buf[NAME_IN_MESSAGE + 4];
        size_t n = strlen(name);

        if (n <= NAME_IN_MESSAGE)
                return name;
        memcpy(buf, name, NAME_IN_MESSAGE);
        memcpy(buf + NAME_IN_MESSAGE, "...", 4);
        return buf;
}

int unpack_clean_name(const char *name, char **out, berth_error *err)
{
        const char *rel = name;
        char *clean;

        /* Relative to the layer root: a leading "/" is the root too, so "/../x" climbs as "../x" does. */
        while (*rel == '/')
                rel++;
        clean = path_clean(rel);
        if (strcmp(clean, "..") == 0 || strncmp(clean, "../", 3) == 0) {
                free(clean);
                return berth_failf(err, EPERM, "entry %s: path climbs out of the layer root", short_name(name));
        }
        if (strcmp(clean, ".") == 0)
                clean[0] = '\0';
        *out = clean;
        return 0;
}

static void invalidate_parent(struct unpacker *u)
{
        free(u->cached_parent);
        u->cached_parent = NULL;
        if (u->cached_fd >= 0)
                close(u->cached_fd);
        u->cached_fd = -1;
}

/* -errno instead of an error: the callers name the entry themselves, and ENOENT is not always one. */
static int open_in_root(int rootfd, const char *path, int flags)
{
        berth_error ignored = {0};
        int fd = path_open_in_root(rootfd, path, flags, 0, &ignored);

        berth_error_clear(&ignored);
        return fd;
}

/* An O_PATH fd of the directory `parent` (relative, clean), created (0755, root) when missing. Symlinks
 * inside the layer are followed as if the layer root were "/" (as umoci does): the entry stays inside. */
static int parent_fd(struct unpacker *u, const char *parent, const char *entry)
{
        int fd;

        if (u->cache_stale) {
                invalidate_parent(u);
                u->cache_stale = false;
        }
        if (u->cached_parent != NULL && strcmp(u->cached_parent, parent) == 0)
                return u->cached_fd;
        invalidate_parent(u);
        fd = open_in_root(u->rootfd, parent[0] ? parent : ".", O_PATH | O_DIRECTORY);
        if (fd == -ENOENT) {
                berth_error e = {0};
                fd = path_mkdir_in_root(u->rootfd, parent, 0755, &e);
                berth_error_clear(&e);
        }
        if (fd < 0)
                return berth_fail(u->err, -fd, "entry %s: parent directory", short_name(entry));
        u->cached_parent = xstrdup(parent);
        u->cached_fd = fd;
        return fd;
}

/* Removes whatever sits at parent/name so that the entry can take its place: a later tar member replaces
 * an earlier one (a directory only by a directory, whose contents it keeps). */
static int replace_existing(struct unpacker *u, int dirfd, const char *name, const char *entry)
{
        struct stat st;
        int r;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : berth_fail(u->err, errno, "entry %s: stat", short_name(entry));
        if (S_ISDIR(st.st_mode)) {
                /* The cached parent may lie inside the tree being removed. */
                u->cache_stale = true;
                if ((r = fs_remove_tree_at(dirfd, name, u->err)) < 0)
                        return berth_error_prefix(u->err, "entry %s: ", short_name(entry));
                return 0;
        }
        if (S_ISLNK(st.st_mode))
                u->cache_stale = true;
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                return berth_fail(u->err, errno, "entry %s: remove the previous entry", short_name(entry));
        return 0;
}

static bool xattr_is_forbidden(const char *name)
{
        return str_has_prefix(name, OVERLAY_XATTR_PREFIX) || str_has_prefix(name, OVERLAY_USER_XATTR_PREFIX);
}

/* fd: an open file or directory, or -1 to set them on dirfd/name without following it. */
static int apply_xattrs(struct unpacker *u, struct archive_entry *e, int fd, int dirfd, const char *name,
                        const char *entry)
{
        const char *xname;
        const void *value;
        size_t size;

        if (archive_entry_xattr_reset(e) == 0)
                return 0;
        while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
                int r;
                if (xattr_is_forbidden(xname))
                        continue;
                if (fd >= 0) {
                        r = fsetxattr(fd, xname, value, size, 0);
                } else {
                        char path[PROC_FD_PATH_MAX + 256];
                        char fdp[PROC_FD_PATH_MAX];
                        proc_fd_path(dirfd, fdp);
                        if ((size_t) snprintf(path, sizeof(path), "%s/%s", fdp, name) >= sizeof(path))
                                return berth_fail(u->err, ENAMETOOLONG, "entry %s: xattr %s", short_name(entry), xname);
                        /* lsetxattr: the magic link resolves the parent; the final name is not followed. */
                        r = lsetxattr(path, xname, value, size, 0);
                }
                if (r < 0) {
                        /* user.* xattrs cannot be set on symlinks and devices (EPERM): skip as tar does. */
                        if (fd < 0 && errno == EPERM && str_has_prefix(xname, "user."))
                                continue;
                        return berth_fail(u->err, errno, "entry %s: set xattr %s", short_name(entry), xname);
                }
        }
        return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
        ts[1].tv_sec = archive_entry_mtime(e);
        ts[1].tv_nsec = archive_entry_mtime_nsec(e);
        if (archive_entry_atime_is_set(e)) {
                ts[0].tv_sec = archive_entry_atime(e);
                ts[0].tv_nsec = archive_entry_atime_nsec(e);
        } else {
                ts[0] = ts[1];
        }
}

/* Owner, mode, xattrs and times on an open fd, in this order: chown clears setuid/setgid and
 * security.capability, and writing the data clears them too (file_remove_privs), so they come last. */
static int finish_fd(struct unpacker *u, struct archive_entry *e, int fd, const char *entry, bool times)
{
        struct timespec ts[2];
        int r;

        if (fchown(fd, (uid_t) archive_entry_uid(e), (gid_t) archive_entry_gid(e)) < 0)
                return berth_fail(u->err, errno, "entry %s: chown", short_name(entry));
        if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
                return berth_fail(u->err, errno, "entry %s: chmod", short_name(entry));
        if ((r = apply_xattrs(u, e, fd, -1, NULL, entry)) < 0)
                return r;
        if (times) {
                entry_times(e, ts);
                if (futimens(fd, ts) < 0)
                        return berth_fail(u->err, errno, "entry %s: set times", short_name(entry));
        }
        return 0;
}

/* For entries that cannot be opened (symlinks, devices, fifos): every call takes AT_SYMLINK_NOFOLLOW. */
static int finish_at(struct unpacker *u, struct archive_entry *e, int dirfd, const char *name, const char *entry,
                     bool chmod_it)
{
        struct timespec ts[2];
        int r;

        if (fchownat(dirfd, name, (uid_t) archive_entry_uid(e), (gid_t) archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
                return berth_fail(u->err, errno, "entry %s: chown", short_name(entry));
        /* Devices and fifos were just created by mknodat at this name: fchmodat cannot be redirected. */
        if (chmod_it && fchmodat(dirfd, name, archive_entry_perm(e) & 07777, 0) < 0)
                return berth_fail(u->err, errno, "entry %s: chmod", short_name(entry));
        if ((r = apply_xattrs(u, e, -1, dirfd, name, entry)) < 0)
                return r;
        entry_times(e, ts);
        if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_fail(u->err, errno, "entry %s: set times", short_name(entry));
        return 0;
}

static int write_data(struct unpacker *u, struct archive_entry *e, int fd, const char *entry)
{
        int64_t pos = 0, size = archive_entry_size(e);

        for (;;) {
                const void *buf;
                size_t len;
                la_int64_t offset;
                int r = archive_read_data_block(u->archive, &buf, &len, &offset);

                if (r == ARCHIVE_EOF)
                        break;
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                        return berth_failf(u->err, EIO, "entry %s: %s", short_name(entry),
                                           archive_error_string(u->archive) ? archive_error_string(u->archive) : "read error");
                /* Sparse members (GNU PAX sparse) come as blocks at offsets: seek over the holes. */
                if (offset != pos && lseek(fd, offset, SEEK_SET) < 0)
                        return berth_fail(u->err, errno, "entry %s: seek", short_name(entry));
                if ((r = write_all(fd, buf, len)) < 0)
                        return berth_fail(u->err, -r, "entry %s: write", short_name(entry));
                pos = offset + (int64_t) len;
        }
        if (pos < size && ftruncate(fd, size) < 0)
                return berth_fail(u->err, errno, "entry %s: extend to %lld bytes", short_name(entry), (long long) size);
        u->stats->size += (uint64_t) size;
        return 0;
}

static int create_regular(struct unpacker *u, struct archive_entry *e, int dirfd, const char *name, const char *entry)
{
        cleanup_close int fd = -1;
        int r;

        for (int attempt = 0; attempt < 2; attempt++) {
                fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd >= 0 || errno != EEXIST)
                        break;
                if ((r = replace_existing(u, dirfd, name, entry)) < 0)
                        return r;
        }
        if (fd < 0)
                return berth_fail(u->err, errno, "entry %s: create", short_name(entry));
        if ((r = write_data(u, e, fd, entry)) < 0)
                return r;
        return finish_fd(u, e, fd, entry, true);
}

static int remember_dir_time(struct unpacker *u, struct archive_entry *e, const char *path)
{
        struct dir_time *t;

        if (u->n_dir_times == u->cap_dir_times) {
                u->cap_dir_times = u->cap_dir_times ? 2 * u->cap_dir_times : 256;
                u->dir_times = xrealloc(u->dir_times, u->cap_dir_times * sizeof(*u->dir_times));
        }
        t = &u->dir_times[u->n_dir_times++];
        t->path = xstrdup(path);
        entry_times(e, t->times);
        return 0;
}

static int create_directory(struct unpacker *u, struct archive_entry *e, int dirfd, const char *name,
                            const char *path, const char *entry)
{
        cleanup_close int fd = -1;
        int r;

        if (path[0] == '\0') {
                fd = openat(u->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        } else {
                if (mkdirat(dirfd, name, 0700) < 0) {
                        struct stat st;
                        if (errno != EEXIST)
                                return berth_fail(u->err, errno, "entry %s: mkdir", short_name(entry));
                        /* An existing directory is kept with its contents (tar semantics); anything else
                         * (a file, or a symlink that must never be followed) is replaced. */
                        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
                                if ((r = replace_existing(u, dirfd, name, entry)) < 0)
                                        return r;
                                if (mkdirat(dirfd, name, 0700) < 0)
                                        return berth_fail(u->err, errno, "entry %s: mkdir", short_name(entry));
                        }
                }
                fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0)
                return berth_fail(u->err, errno, "entry %s: open directory", short_name(entry));
        if ((r = finish_fd(u, e, fd, entry, false)) < 0)
                return r;
        return remember_dir_time(u, e, path);
}

static int create_symlink(struct unpacker *u, struct archive_entry *e, int dirfd, const char *name, const char *entry)
{
        const char *target = archive_entry_symlink_utf8(e);
        int r;

        if (target == NULL)
                target = archive_entry_symlink(e);
        if (target == NULL || *target == '\0')
                return berth_failf(u->err, EINVAL, "entry %s: symlink without a target", short_name(entry));
        /* The target is stored as it is: it is data, resolved later inside the container's root. */
        for (int attempt = 0; attempt < 2; attempt++) {
                if (symlinkat(target, dirfd, name) == 0)
                        return finish_at(u, e, dirfd, name, entry, false);
                if (errno != EEXIST)
                        break;
                if ((r = replace_existing(u, dirfd, name, entry)) < 0)
                        return r;
        }
        return berth_fail(u->err, errno, "entry %s: symlink", short_name(entry));
}

static int split_parent(const char *path, char **parent, const char **name)
{
        const char *slash = strrchr(path, '/');

        if (slash == NULL) {
                *parent = xstrdup("");
                *name = path;
        } else {
                *parent = xstrndup(path, (size_t) (slash - path));
                *name = slash + 1;
        }
        return 0;
}

static int create_hardlink(struct unpacker *u, struct archive_entry *e, int dirfd, const char *name, const char *entry)
{
        const char *raw = archive_entry_hardlink_utf8(e);
        cleanup_free char *target = NULL, *tparent = NULL;
        cleanup_close int tfd = -1;
        const char *tname;
        int r;

        if (raw == NULL)
                raw = archive_entry_hardlink(e);
        if ((r = unpack_clean_name(raw, &target, u->err)) < 0)
                return berth_error_prefix(u->err, "hardlink %s: ", short_name(entry));
        if (target[0] == '\0')
                return berth_failf(u->err, EPERM, "entry %s: hardlink to the layer root", short_name(entry));
        split_parent(target, &tparent, &tname);
        /* The target's directory resolves inside the root; the target itself is linked, not followed
         * (linkat without AT_SYMLINK_FOLLOW), so a link "to" /tmp/x finds ROOT/tmp/x or nothing. */
        tfd = open_in_root(u->rootfd, tparent[0] ? tparent : ".", O_PATH | O_DIRECTORY);
        if (tfd < 0)
                return berth_fail(u->err, -tfd, "entry %s: hardlink target %s", short_name(entry), short_name(raw));
        for (int attempt = 0; attempt < 2; attempt++) {
                if (linkat(tfd, tname, dirfd, name, 0) == 0)
                        return 0;
                if (errno != EEXIST)
                        break;
                if ((r = replace_existing(u, dirfd, name, entry)) < 0)
                        return r;
        }
        return berth_fail(u->err, errno, "entry %s: hardlink to %s", short_name(entry), short_name(raw));
}

static int create_node(struct unpacker *u, struct archive_entry *e, int dirfd, const char *name, const char *entry)
{
        mode_t type = archive_entry_filetype(e);
        dev_t dev = 0;
        int r;

        if (type == AE_IFCHR || type == AE_IFBLK) {
                dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
                /* A 0/0 character device is an overlayfs whiteout: stored as is in a layer directory it
                 * would hide the file below instead of being a device. OCI layers say .wh.NAME. */
                if (type == AE_IFCHR && dev == 0)
                        return berth_failf(u->err, EPERM,
                                           "entry %s: character device 0:0 is an overlay whiteout, not a valid layer entry",
                                           short_name(entry));
                if (!u->opts->create_devices) {
                        u->stats->skipped_devices++;
                        return 0;
                }
        }
        for (int attempt = 0; attempt < 2; attempt++) {
                if (mknodat(dirfd, name, type | 0600, dev) == 0)
                        return finish_at(u, e, dirfd, name, entry, true);
                if (errno != EEXIST)
                        break;
                if ((r = replace_existing(u, dirfd, name, entry)) < 0)
                        return r;
        }
        return berth_fail(u->err, errno, "entry %s: mknod", short_name(entry));
}

static int create_whiteout(struct unpacker *u, int dirfd, const char *name, const char *entry)
{
        int r;

        if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/') != NULL)
                return berth_failf(u->err, EINVAL, "entry %s: invalid whiteout", short_name(entry));
        for (int attempt = 0; attempt < 2; attempt++) {
                if (mknodat(dirfd, name, S_IFCHR | 0, makedev(0, 0)) == 0)
                        return 0;
                if (errno != EEXIST)
                        break;
                if ((r = replace_existing(u, dirfd, name, entry)) < 0)
                        return r;
        }
        return berth_fail(u->err, errno, "entry %s: create whiteout", short_name(entry));
}

static int mark_opaque(struct unpacker *u, int dirfd, const char *entry)
{
        cleanup_close int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return berth_fail(u->err, errno, "entry %s: open directory", short_name(entry));
        if (fsetxattr(fd, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
                return berth_fail(u->err, errno, "entry %s: set %s", short_name(entry), OVERLAY_OPAQUE_XATTR);
        return 0;
}

static const char *entry_name(struct archive_entry *e)
{
        const char *p = archive_entry_pathname_utf8(e);
        return p != NULL ? p : archive_entry_pathname(e);
}

static int unpack_entry(struct unpacker *u, struct archive_entry *e)
{
        const char *raw = entry_name(e);
        cleanup_free char *path = NULL, *parent = NULL;
        const char *name;
        int dirfd, r;

        if (raw == NULL)
                return berth_failf(u->err, EINVAL, "entry without a name");
        if ((r = unpack_clean_name(raw, &path, u->err)) < 0)
                return r;
        if (path[0] == '\0') {
                if (archive_entry_filetype(e) != AE_IFDIR)
                        return berth_failf(u->err, EINVAL, "entry %s: the layer root must be a directory", short_name(raw));
                return create_directory(u, e, -1, "", "", raw);
        }
        split_parent(path, &parent, &name);
        if (strlen(name) > 255)
                return berth_fail(u->err, ENAMETOOLONG, "entry %s", short_name(raw));
        dirfd = parent_fd(u, parent, raw);
        if (dirfd < 0)
                return dirfd;

        if (str_has_prefix(name, WHITEOUT_PREFIX)) {
                if (strcmp(name, WHITEOUT_OPAQUE) == 0)
                        return mark_opaque(u, dirfd, raw);
                if (str_has_prefix(name, WHITEOUT_META_PREFIX))
                        return 0;
                return create_whiteout(u, dirfd, name + strlen(WHITEOUT_PREFIX), raw);
        }
        if (archive_entry_hardlink(e) != NULL || archive_entry_hardlink_utf8(e) != NULL)
                return create_hardlink(u, e, dirfd, name, raw);
        switch (archive_entry_filetype(e)) {
        case AE_IFREG:
                return create_regular(u, e, dirfd, name, raw);
        case AE_IFDIR:
                return create_directory(u, e, dirfd, name, path, raw);
        case AE_IFLNK:
                return create_symlink(u, e, dirfd, name, raw);
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
                return create_node(u, e, dirfd, name, raw);
        default:
                return berth_failf(u->err, EINVAL, "entry %s: unsupported file type 0%o", short_name(raw),
                                   (unsigned) archive_entry_filetype(e));
        }
}

static int apply_dir_times(struct unpacker *u)
{
        /* Children first does not matter for times (setting a child's times leaves its parent's alone), but
         * every entry must exist: this runs after the last member. A directory replaced later is skipped. */
        for (size_t i = 0; i < u->n_dir_times; i++) {
                struct dir_time *t = &u->dir_times[i];
                cleanup_close int fd = open_in_root(u->rootfd, t->path[0] ? t->path : ".",
                                                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
                if (fd < 0) {
                        if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
                                continue;
                        return berth_fail(u->err, -fd, "set times of %s", short_name(t->path));
                }
                if (futimens(fd, t->times) < 0)
                        return berth_fail(u->err, errno, "set times of %s", short_name(t->path));
        }
        return 0;
}

static la_ssize_t stream_read_cb(struct archive *a, void *data, const void **buf)
{
        struct unpacker *u = data;
        ssize_t n = layer_stream_next(u->stream, buf, u->err);

        if (n < 0) {
                archive_set_error(a, (int) -n, "%s", berth_error_message(u->err));
                return -1;
        }
        return n;
}

static void unpacker_free(struct unpacker *u)
{
        invalidate_parent(u);
        for (size_t i = 0; i < u->n_dir_times; i++)
                free(u->dir_times[i].path);
        free(u->dir_times);
        if (u->archive != NULL)
                archive_read_free(u->archive);
}

static int archive_failure(struct unpacker *u, const char *what)
{
        /* An error from our read callback (corrupt gzip) is already in err and is the cause. */
        if (u->err->code != 0)
                return -u->err->code;
        return berth_failf(u->err, EIO, "%s: %s", what,
                           archive_error_string(u->archive) ? archive_error_string(u->archive) : "unknown error");
}

int layer_unpack(struct layer_stream *stream, int rootfd, const struct unpack_options *opts,
                 struct unpack_stats *stats, berth_error *err)
{
        struct unpacker u = {
                .rootfd = rootfd, .opts = opts, .stats = stats, .stream = stream, .err = err, .cached_fd = -1,
        };
        struct archive_entry *e;
        int r = 0;

        memset(stats, 0, sizeof(*stats));
        u.archive = archive_read_new();
        if (u.archive == NULL)
                abort();
        /* tar only (ustar, pax, GNU): the stream is already decompressed, and libarchive never touches the
         * disk: every entry is created by the code above. */
        archive_read_support_format_tar(u.archive);
        if (archive_read_open(u.archive, &u, NULL, stream_read_cb, NULL) != ARCHIVE_OK) {
                r = archive_failure(&u, "read layer");
                goto out;
        }
        for (;;) {
                int ar = archive_read_next_header(u.archive, &e);
                if (ar == ARCHIVE_EOF)
                        break;
                if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
                        r = archive_failure(&u, "read layer");
                        goto out;
                }
                stats->entries++;
                if ((r = unpack_entry(&u, e)) < 0)
                        goto out;
        }
        r = apply_dir_times(&u);
out:
        unpacker_free(&u);
        return r;
}
