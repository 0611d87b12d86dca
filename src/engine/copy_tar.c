/* `cp` with "-" (engine/copy.h): a tar stream out of a container's root, and one into it. libarchive reads
 * and writes the tar format only; every file is reached through directory fds with O_NOFOLLOW, and every
 * path of the container resolves inside its root (lib/path.h), as for `cp` of files (copy.c). */
#include "engine/copy.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/list.h"
#include "lib/cleanup.h"
#include "lib/path.h"
#include "lib/util.h"

#define TAR_BLOCK (64 * 1024)


static void write_archive_free(struct archive **a)
{
        if (*a != NULL)
                archive_write_free(*a);
}
static void read_archive_free(struct archive **a)
{
        if (*a != NULL)
                archive_read_free(*a);
}
static void entry_free(struct archive_entry **e)
{
        if (*e != NULL)
                archive_entry_free(*e);
}

static int tar_fail(struct archive *a, berth_error *err, const char *what)
{
        const char *msg = archive_error_string(a);
        int code = archive_errno(a) > 0 ? archive_errno(a) : EIO;

        return berth_failf(err, code, "%s: %s", what, msg ? msg : "tar error");
}

/* ---- out of the container -------------------------------------------------------------------------------- */

static int write_entry(struct archive *a, int dirfd, const char *name, const char *tarname, berth_error *err);

static int write_dir_contents(struct archive *a, int fd, const char *prefix, berth_error *err)
{
        cleanup_closedir DIR *d = opendir_at(fd);
        struct dirent *de;
        int r;

        if (d == NULL)
                return berth_fail(err, errno, "read directory %s", prefix);
        while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                cleanup_free char *child = *prefix ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
                if ((r = write_entry(a, fd, de->d_name, child, err)) < 0)
                        return r;
        }
        return 0;
}

static int write_file_data(struct archive *a, int fd, const char *tarname, berth_error *err)
{
        char buf[TAR_BLOCK];

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return berth_fail(err, errno, "read %s", tarname);
                if (n == 0)
                        return 0;
                if (archive_write_data(a, buf, (size_t) n) < 0)
                        return tar_fail(a, err, "write tar stream");
        }
}

static int write_entry(struct archive *a, int dirfd, const char *name, const char *tarname, berth_error *err)
{
        __attribute__((cleanup(entry_free))) struct archive_entry *entry = archive_entry_new();
        cleanup_close int fd = -1;
        struct stat st;
        int r;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_fail(err, errno, "stat %s", tarname);
        archive_entry_copy_stat(entry, &st);
        archive_entry_set_pathname(entry, tarname);
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        return berth_fail(err, errno, "readlink %s", tarname);
                target[n] = '\0';
                archive_entry_set_symlink(entry, target);
        }
        if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
                fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
                if (fd < 0)
                        return berth_fail(err, errno, "open %s", tarname);
        }
        if (!S_ISREG(st.st_mode))
                archive_entry_set_size(entry, 0);
        if (archive_write_header(a, entry) < ARCHIVE_WARN)
                return tar_fail(a, err, "write tar stream");
        if (S_ISREG(st.st_mode) && (r = write_file_data(a, fd, tarname, err)) < 0)
                return r;
        if (S_ISDIR(st.st_mode))
                return write_dir_contents(a, fd, tarname, err);
        return 0;
}

/* SRC as docker splits it: the parent to open, the name in it, the name in the tar ("." for SRC/.). */
static void split_source(const char *src, char **parent, char **base, char **tarname)
{
        cleanup_free char *abs = src[0] == '/' ? xstrdup(src) : xasprintf("/%s", src);
        cleanup_free char *clean = path_clean(abs);
        size_t n = strlen(src);
        bool contents = strcmp(src, ".") == 0 || (n >= 2 && strcmp(src + n - 2, "/.") == 0);
        char *slash = strrchr(clean, '/');

        *parent = slash == clean ? xstrdup("/") : xstrndup(clean, (size_t) (slash - clean));
        *base = xstrdup(slash[1] != '\0' ? slash + 1 : ".");
        *tarname = xstrdup(contents ? "." : *base);
}

/* A source path of the container opened for a copy or a stat: its root mounted when stopped, the parent
 * directory open (pfd), the path's own stat; source_close undoes it all. ENOENT names the path. */
struct copy_source {
        char *parent, *base, *tarname;
        int rootfd, pfd;
        bool mounted;
        struct stat st;
};

static void source_close(struct engine *e, const char *id, struct copy_source *src)
{
        /* Nothing of the root stays open: the unmount must not find it busy. */
        if (src->pfd >= 0)
                close(src->pfd);
        if (src->rootfd >= 0) {
                close(src->rootfd);
                engine_copy_unmount_root(e, id, src->mounted);
        }
        free(src->parent);
        free(src->base);
        free(src->tarname);
        *src = (struct copy_source){.rootfd = -1, .pfd = -1};
}

static int source_open(struct engine *e, const char *id, const char *path, struct copy_source *src, berth_error *err)
{
        int r;

        *src = (struct copy_source){.rootfd = -1, .pfd = -1};
        split_source(path, &src->parent, &src->base, &src->tarname);
        if ((r = engine_copy_mount_root(e, id, &src->mounted, &src->rootfd, err)) < 0) {
                source_close(e, id, src);
                return r;
        }
        src->pfd = path_open_in_root(src->rootfd, src->parent, O_RDONLY | O_DIRECTORY, 0, err);
        if (src->pfd < 0 || fstatat(src->pfd, src->base, &src->st, AT_SYMLINK_NOFOLLOW) < 0) {
                berth_error_clear(err);
                source_close(e, id, src);
                return berth_failf(err, ENOENT, "Could not find the file %s in container %s", path, id);
        }
        return 0;
}

int engine_copy_tar_from_container(struct engine *e, const char *id, const char *path, int out_fd, berth_error *err)
{
        __attribute__((cleanup(write_archive_free))) struct archive *a = NULL;
        struct copy_source src;
        int r;

        if ((r = source_open(e, id, path, &src, err)) < 0)
                return r;
        a = archive_write_new();
        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK || archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
            archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
                r = tar_fail(a, err, "write tar stream");
        else if ((r = write_entry(a, src.pfd, src.base, src.tarname, err)) == 0 && archive_write_close(a) != ARCHIVE_OK)
                r = tar_fail(a, err, "write tar stream");
        source_close(e, id, &src);
        return r;
}

int engine_copy_stat(struct engine *e, const char *id, const char *path, struct engine_path_stat *out, berth_error *err)
{
        struct copy_source src;
        int r;

        *out = (struct engine_path_stat){0};
        if ((r = source_open(e, id, path, &src, err)) < 0)
                return r;
        out->name = xstrdup(strcmp(src.base, ".") == 0 && strcmp(src.parent, "/") == 0 ? "/" : src.base);
        out->size = (long long) src.st.st_size;
        out->mode = src.st.st_mode;
        out->mtime = src.st.st_mtim;
        if (S_ISLNK(src.st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(src.pfd, src.base, target, sizeof(target) - 1);
                if (n < 0) {
                        r = berth_fail(err, errno, "readlink %s", path);
                        engine_path_stat_clear(out);
                } else {
                        target[n] = '\0';
                        cleanup_free char *joined = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", src.parent, target);
                        out->link_target = path_clean(joined);
                }
        }
        source_close(e, id, &src);
        return r;
}

void engine_path_stat_clear(struct engine_path_stat *st)
{
        free(st->name);
        free(st->link_target);
        *st = (struct engine_path_stat){0};
}

int engine_container_export(struct engine *e, const char *ref, int out_fd, berth_error *err)
{
        __attribute__((cleanup(write_archive_free))) struct archive *a = NULL;
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_close int rootfd = -1;
        bool mounted = false;
        int r;

        if ((r = engine_container_find(e, ref, &c, err)) < 0)
                return r;
        if ((r = engine_copy_mount_root(e, c->id, &mounted, &rootfd, err)) < 0)
                return r;
        a = archive_write_new();
        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK || archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
            archive_write_open_fd(a, out_fd) != ARCHIVE_OK) {
                r = tar_fail(a, err, "write tar stream");
                goto out;
        }
        /* docker's export: the root's entries by their names ("bin/sh"), no "./" and no entry for the root. */
        if ((r = write_dir_contents(a, rootfd, "", err)) < 0)
                goto out;
        if (archive_write_close(a) != ARCHIVE_OK)
                r = tar_fail(a, err, "write tar stream");
out:
        close_fd(&rootfd);
        rootfd = -1;
        engine_copy_unmount_root(e, c->id, mounted);
        return r;
}

/* ---- into the container ------------------------------------------------------------------------------------ */

/* An entry's path relative to the destination directory ("." for itself), or NULL when it leads out of it. A
 * leading "/" is dropped, as tar does. */
static char *entry_relpath(const char *name)
{
        cleanup_free char *copy = xstrdup(name);
        cleanup_free char *out = xstrdup("");
        char *save = NULL;

        for (char *part = strtok_r(copy, "/", &save); part != NULL; part = strtok_r(NULL, "/", &save)) {
                if (strcmp(part, ".") == 0)
                        continue;
                if (strcmp(part, "..") == 0) {
                        char *slash = strrchr(out, '/');
                        if (*out == '\0')
                                return NULL;
                        if (slash == NULL)
                                *out = '\0';
                        else
                                *slash = '\0';
                        continue;
                }
                char *next = *out ? xasprintf("%s/%s", out, part) : xstrdup(part);
                free(out);
                out = next;
        }
        return *out ? steal_pointer(&out) : xstrdup(".");
}

static int open_archive(int fd, struct archive **out, berth_error *err)
{
        struct archive *a = archive_read_new();

        if (lseek(fd, 0, SEEK_SET) < 0) {
                archive_read_free(a);
                return berth_fail(err, errno, "seek the tar stream");
        }
        archive_read_support_format_tar(a);
        archive_read_support_filter_all(a);
        if (archive_read_open_fd(a, fd, TAR_BLOCK) != ARCHIVE_OK) {
                int r = tar_fail(a, err, "read tar stream");
                archive_read_free(a);
                return r;
        }
        *out = a;
        return 0;
}

/* Reads the whole stream once: every entry complete, every path (and hard or symbolic link target) inside
 * the destination. */
static int check_stream(int fd, const char *dst, berth_error *err)
{
        __attribute__((cleanup(read_archive_free))) struct archive *a = NULL;
        struct archive_entry *entry;
        int r;

        if ((r = open_archive(fd, &a, err)) < 0)
                return r;
        for (;;) {
                r = archive_read_next_header(a, &entry);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return tar_fail(a, err, "read tar stream");
                const char *name = archive_entry_pathname(entry), *hard = archive_entry_hardlink(entry);
                const char *sym = archive_entry_symlink(entry);
                cleanup_free char *rel = entry_relpath(name ? name : "");
                if (rel == NULL)
                        return berth_failf(err, EINVAL, "tar entry %s: the path leads out of %s", name, dst);
                if (hard != NULL) {
                        cleanup_free char *target = entry_relpath(hard);
                        if (target == NULL)
                                return berth_failf(err, EINVAL, "tar entry %s: the hard link to %s leads out of %s", name, hard, dst);
                }
                if (sym != NULL && sym[0] != '/') {
                        /* docker's breakout rule: a relative target is resolved from the link's directory. */
                        cleanup_free char *joined = xasprintf("%s/../%s", rel, sym);
                        cleanup_free char *target = entry_relpath(joined);
                        if (target == NULL)
                                return berth_failf(err, EINVAL, "tar entry %s: the symlink to %s leads out of %s", name, sym, dst);
                }
                /* Read block by block: archive_read_data would give a sparse member's holes back as zeros
                 * (gigabytes of them for a few KB of tar); a truncated member still fails here. */
                for (;;) {
                        const void *buf;
                        size_t len;
                        la_int64_t offset;
                        r = archive_read_data_block(a, &buf, &len, &offset);
                        if (r == ARCHIVE_EOF)
                                break;
                        if (r < ARCHIVE_WARN)
                                return tar_fail(a, err, "read tar stream");
                }
        }
}

/* relpath's parent directory, resolved inside the container's root; its last component in *base. */
static int open_parent(int rootfd, const char *dst, const char *relpath, bool create, const char **base,
                       berth_error *err)
{
        const char *slash = strrchr(relpath, '/');
        cleanup_free char *dir = slash ? xasprintf("%s/%.*s", dst, (int) (slash - relpath), relpath) : xstrdup(dst);
        int fd;

        *base = slash ? slash + 1 : relpath;
        fd = path_open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY, 0, err);
        if (fd >= 0 || !create || err->code != ENOENT)
                return fd;
        /* A tar may name a/b/c without a/ and a/b/ (tar -cf - a/b): the missing parents are made, 0755 and the
         * container root's, as docker's extraction makes them. */
        berth_error_clear(err);
        cleanup_close int made = path_mkdir_in_root(rootfd, dir, 0755, err);
        if (made < 0)
                return made;
        return path_open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY, 0, err);
}

/* Makes room for a new entry of that kind: a directory stays for a directory; anything else is replaced,
 * except a directory by a non-directory (docker refuses that too). */
static int make_room(int pfd, const char *base, bool is_dir, const char *name, bool *exists_dir, berth_error *err)
{
        struct stat st;

        *exists_dir = false;
        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : berth_fail(err, errno, "stat %s", name);
        if (S_ISDIR(st.st_mode)) {
                if (!is_dir)
                        return berth_failf(err, EISDIR, "cannot overwrite directory %s with non-directory", name);
                *exists_dir = true;
                return 0;
        }
        if (unlinkat(pfd, base, 0) < 0)
                return berth_fail(err, errno, "replace %s", name);
        return 0;
}

static int extract_entry(struct archive *a, struct archive_entry *entry, int rootfd, const char *dst, bool keep_owners,
                         berth_error *err)
{
        const char *name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "", *base;
        const char *hard = archive_entry_hardlink(entry);
        cleanup_free char *rel = entry_relpath(name);
        cleanup_close int pfd = -1;
        mode_t type = archive_entry_filetype(entry), perm = archive_entry_perm(entry) & 07777;
        bool exists_dir;
        struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = archive_entry_mtime(entry), .tv_nsec = archive_entry_mtime_nsec(entry)}};
        int r;

        if (strcmp(rel, ".") == 0)
                return 0; /* the destination itself: it exists and keeps its owner and mode */
        if ((pfd = open_parent(rootfd, dst, rel, true, &base, err)) < 0)
                return berth_error_prefix(err, "tar entry %s: ", name);
        if ((r = make_room(pfd, base, type == AE_IFDIR && hard == NULL, name, &exists_dir, err)) < 0)
                return r;
        if (hard != NULL) {
                cleanup_free char *trel = entry_relpath(hard);
                const char *tbase;
                cleanup_close int tfd = open_parent(rootfd, dst, trel, false, &tbase, err);
                if (tfd < 0)
                        return berth_error_prefix(err, "tar entry %s: ", name);
                if (linkat(tfd, tbase, pfd, base, 0) < 0)
                        return berth_fail(err, errno, "link %s to %s", name, hard);
                return 0;
        }
        switch (type) {
        case AE_IFDIR:
                if (!exists_dir && mkdirat(pfd, base, 0700) < 0)
                        return berth_fail(err, errno, "mkdir %s", name);
                break;
        case AE_IFREG: {
                cleanup_close int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                int64_t pos = 0, size = archive_entry_size(entry);
                if (fd < 0)
                        return berth_fail(err, errno, "create %s", name);
                /* Block by block at their offsets: a sparse member (GNU PAX sparse) keeps its holes. */
                for (;;) {
                        const void *buf;
                        size_t len;
                        la_int64_t offset;
                        int rr = archive_read_data_block(a, &buf, &len, &offset);
                        if (rr == ARCHIVE_EOF)
                                break;
                        if (rr < ARCHIVE_WARN)
                                return tar_fail(a, err, "read tar stream");
                        if (offset != pos && lseek(fd, offset, SEEK_SET) < 0)
                                return berth_fail(err, errno, "seek in %s", name);
                        if (write_all(fd, buf, len) < 0)
                                return berth_fail(err, errno, "write %s", name);
                        pos = offset + (int64_t) len;
                }
                if (pos < size && ftruncate(fd, size) < 0)
                        return berth_fail(err, errno, "extend %s to %lld bytes", name, (long long) size);
                break;
        }
        case AE_IFLNK: {
                /* A symlink entry may come without a target (an empty linkname, or one only in a PAX
                 * header libarchive could not convert): refused, as the layer unpacker refuses it. */
                const char *target = archive_entry_symlink(entry);
                if (target == NULL || *target == '\0')
                        return berth_failf(err, EINVAL, "tar entry %s: symlink without a target", name);
                if (symlinkat(target, pfd, base) < 0)
                        return berth_fail(err, errno, "symlink %s", name);
                break;
        }
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
                if (mknodat(pfd, base, type | perm, archive_entry_rdev(entry)) < 0)
                        return berth_fail(err, errno, "mknod %s", name);
                break;
        default:
                return berth_failf(err, EINVAL, "tar entry %s: unsupported type", name);
        }
        /* Owners as the tar has them (cp -a, ADD) or the container's root (docker's cp without -a), modes as
         * the tar has them; then the modification time. */
        uid_t uid = keep_owners ? (uid_t) archive_entry_uid(entry) : 0;
        gid_t gid = keep_owners ? (gid_t) archive_entry_gid(entry) : 0;
        if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM)
                return berth_fail(err, errno, "chown %s", name);
        if (type != AE_IFLNK && fchmodat(pfd, base, perm, 0) < 0)
                return berth_fail(err, errno, "chmod %s", name);
        utimensat(pfd, base, times, AT_SYMLINK_NOFOLLOW);
        return 0;
}

/* The stream, kept whole for the check before anything is written: an unnamed file in ROOT/tmp (memory
 * when the filesystem has no O_TMPFILE). */
static int stage_stream(struct engine *e, int in_fd, int *out, berth_error *err)
{
        cleanup_close int fd = openat(e->store->rootfd, "tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        char buf[TAR_BLOCK];

        if (fd < 0)
                fd = memfd_create("berth-cp", MFD_CLOEXEC);
        if (fd < 0)
                return berth_fail(err, errno, "create a temporary file in %s/tmp", e->store->root);
        for (;;) {
                ssize_t n = read(in_fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return berth_fail(err, errno, "read the tar stream");
                if (n == 0)
                        break;
                if (write_all(fd, buf, (size_t) n) < 0)
                        return berth_fail(err, errno, "stage the tar stream");
        }
        *out = steal_fd(&fd);
        return 0;
}

int engine_copy_tar_extract(int staged, int rootfd, const char *dst, bool keep_owners, berth_error *err)
{
        __attribute__((cleanup(read_archive_free))) struct archive *a = NULL;
        struct archive_entry *entry;
        int r;

        if ((r = check_stream(staged, dst, err)) < 0 || (r = open_archive(staged, &a, err)) < 0)
                return r;
        for (;;) {
                r = archive_read_next_header(a, &entry);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return tar_fail(a, err, "read tar stream");
                if ((r = extract_entry(a, entry, rootfd, dst, keep_owners, err)) < 0)
                        return r;
        }
}

int engine_copy_tar_to_container(struct engine *e, const char *id, int in_fd, const char *dst, bool keep_owners,
                                 berth_error *err)
{
        cleanup_close int rootfd = -1, dfd = -1, staged = -1;
        bool mounted = false;
        struct stat st;
        int r;

        if ((r = engine_copy_mount_root(e, id, &mounted, &rootfd, err)) < 0)
                return r;
        dfd = path_open_in_root(rootfd, dst, O_PATH, 0, err);
        if (dfd < 0 || fstat(dfd, &st) < 0) {
                berth_error_clear(err);
                r = berth_failf(err, ENOENT, "Could not find the file %s in container %s", dst, id);
                goto out;
        }
        if (!S_ISDIR(st.st_mode)) {
                r = berth_failf(err, ENOTDIR, "extraction point is not a directory: %s", dst);
                goto out;
        }
        if ((r = stage_stream(e, in_fd, &staged, err)) < 0)
                goto out;
        r = engine_copy_tar_extract(staged, rootfd, dst, keep_owners, err);
out:
        close_fd(&dfd);
        dfd = -1;
        close_fd(&rootfd);
        rootfd = -1;
        engine_copy_unmount_root(e, id, mounted);
        return r;
}
