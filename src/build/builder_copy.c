/* COPY and ADD (builder_internal.h): the sources, from the build context (never outside it: ".." and
 * symlinks that leave it are refused; .dockerignore'd paths are not sent) or from another stage's image or
 * an image (--from), copied into a step container's root filesystem (every path resolved inside that root),
 * then committed as one layer. As docker: a directory source copies its contents; files from the context
 * belong to root unless --chown, those of --from keep their owners; --chmod sets the mode; modes and
 * modification times are kept otherwise. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "build/builder_internal.h"
#include "build/cache.h"
#include "build/words.h"
#include "engine/containerdiff.h"
#include "engine/copy.h"
#include "engine/user.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/path.h"
#include "lib/util.h"

struct copier {
        long uid, gid;        /* -1: the source's */
        bool has_chmod;
        mode_t chmod;
        const struct dockerignore *ignore; /* context copies only */
        const struct dockerignore *exclude; /* --exclude, matched on the path below the source */
        size_t source_prefix;               /* the length of the source's own path and "/" in rel */
        berth_error *err;
};

static int copy_data(int in, int out, const char *name, berth_error *err)
{
        for (;;) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
                if (n == 0)
                        return 0;
                if (n > 0)
                        continue;
                if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)
                        break;
                return berth_fail(err, errno, "copy %s", name);
        }
        for (;;) {
                char buf[65536];
                ssize_t n = read(in, buf, sizeof(buf));
                if (n == 0)
                        return 0;
                if (n < 0)
                        return berth_fail(err, errno, "read %s", name);
                if (write_all(out, buf, (size_t) n) < 0)
                        return berth_fail(err, errno, "write %s", name);
        }
}

static int finish_metadata(struct copier *c, int dirfd, const char *name, int fd, const struct stat *st, const char *shown)
{
        uid_t uid = c->uid >= 0 ? (uid_t) c->uid : st->st_uid;
        gid_t gid = c->gid >= 0 ? (gid_t) c->gid : st->st_gid;
        mode_t mode = c->has_chmod ? c->chmod : st->st_mode & 07777;
        struct timespec times[2] = {st->st_atim, st->st_mtim};

        if (S_ISLNK(st->st_mode)) {
                if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_fail(c->err, errno, "chown %s", shown);
                if (utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_fail(c->err, errno, "set the times of %s", shown);
                return 0;
        }
        /* chown first: it clears set-id bits that the mode then sets. */
        if (fchown(fd, uid, gid) < 0)
                return berth_fail(c->err, errno, "chown %s", shown);
        if (fchmod(fd, mode) < 0)
                return berth_fail(c->err, errno, "chmod %s", shown);
        if (futimens(fd, times) < 0)
                return berth_fail(c->err, errno, "set the times of %s", shown);
        return 0;
}

/* Makes room for a non-directory NAME in DIRFD: whatever non-directory is there goes. */
static int clear_target(struct copier *c, int dirfd, const char *name, const char *shown)
{
        struct stat st;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : berth_fail(c->err, errno, "stat %s", shown);
        if (S_ISDIR(st.st_mode))
                return berth_failf(c->err, EISDIR, "cannot copy a file onto the directory %s", shown);
        if (unlinkat(dirfd, name, 0) < 0)
                return berth_fail(c->err, errno, "remove %s", shown);
        return 0;
}

/* SRC_NAME in SRC_DIRFD to DST_NAME in DST_DIRFD; REL: its path in the context (for .dockerignore). */
static int copy_node(struct copier *c, int src_dirfd, const char *src_name, const char *rel, int dst_dirfd,
                     const char *dst_name)
{
        struct stat st;
        int r;

        if (fstatat(src_dirfd, src_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_fail(c->err, errno, "stat %s", rel);
        /* An excluded file is not sent; an excluded directory neither, unless a "!" exception may take
         * something under it back (docker walks it then). */
        if (c->ignore != NULL && strcmp(rel, ".") != 0 && dockerignore_excluded(c->ignore, rel) &&
            (!S_ISDIR(st.st_mode) || !dockerignore_has_exceptions(c->ignore)))
                return 0;
        if (c->exclude != NULL && strlen(rel) > c->source_prefix && dockerignore_excluded(c->exclude, rel + c->source_prefix) &&
            (!S_ISDIR(st.st_mode) || !dockerignore_has_exceptions(c->exclude)))
                return 0;
        if (S_ISDIR(st.st_mode)) {
                cleanup_close int src = openat(src_dirfd, src_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                cleanup_close int dst = -1;
                cleanup_closedir DIR *d = NULL;
                struct dirent *de;
                if (src < 0)
                        return berth_fail(c->err, errno, "open %s", rel);
                if (mkdirat(dst_dirfd, dst_name, 0700) < 0 && errno != EEXIST)
                        return berth_fail(c->err, errno, "mkdir %s", dst_name);
                dst = openat(dst_dirfd, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dst < 0)
                        return berth_fail(c->err, errno, "open the destination %s", dst_name);
                if ((d = fdopendir(dup(src))) == NULL)
                        return berth_fail(c->err, errno, "read %s", rel);
                while ((de = readdir(d)) != NULL) {
                        cleanup_free char *child = NULL;
                        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                                continue;
                        child = strcmp(rel, ".") == 0 ? xstrdup(de->d_name) : xasprintf("%s/%s", rel, de->d_name);
                        if ((r = copy_node(c, src, de->d_name, child, dst, de->d_name)) < 0)
                                return r;
                }
                return finish_metadata(c, dst_dirfd, dst_name, dst, &st, rel);
        }
        if ((r = clear_target(c, dst_dirfd, dst_name, dst_name)) < 0)
                return r;
        if (S_ISREG(st.st_mode)) {
                cleanup_close int in = openat(src_dirfd, src_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                cleanup_close int out = -1;
                if (in < 0)
                        return berth_fail(c->err, errno, "open %s", rel);
                out = openat(dst_dirfd, dst_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (out < 0)
                        return berth_fail(c->err, errno, "create %s", dst_name);
                if ((r = copy_data(in, out, rel, c->err)) < 0)
                        return r;
                return finish_metadata(c, dst_dirfd, dst_name, out, &st, rel);
        }
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(src_dirfd, src_name, target, sizeof(target) - 1);
                if (n < 0)
                        return berth_fail(c->err, errno, "readlink %s", rel);
                target[n] = '\0';
                if (symlinkat(target, dst_dirfd, dst_name) < 0)
                        return berth_fail(c->err, errno, "symlink %s", dst_name);
                return finish_metadata(c, dst_dirfd, dst_name, -1, &st, rel);
        }
        if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                cleanup_close int fd = -1;
                if (mknodat(dst_dirfd, dst_name, st.st_mode & (S_IFMT | 07777), st.st_rdev) < 0)
                        return berth_fail(c->err, errno, "mknod %s", dst_name);
                fd = openat(dst_dirfd, dst_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return berth_fail(c->err, errno, "open %s", dst_name);
                if (fchownat(dst_dirfd, dst_name, c->uid >= 0 ? (uid_t) c->uid : st.st_uid,
                             c->gid >= 0 ? (gid_t) c->gid : st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_fail(c->err, errno, "chown %s", dst_name);
                return 0;
        }
        return 0; /* sockets are not copied */
}

/* A context path: opened beneath the context (a "..", or a symlink leading out, is refused, as docker
 * refuses "forbidden path outside the build context"). */
static int open_in_context(int context_fd, const char *path, int flags, berth_error *err)
{
        struct open_how how = {.flags = (unsigned long long) (flags | O_CLOEXEC),
                               .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
        cleanup_free char *clean = path_clean(path[0] == '/' ? path + 1 : path);
        long fd;

        if (strcmp(clean, "..") == 0 || str_has_prefix(clean, "../"))
                return berth_failf(err, EPERM, "forbidden path outside the build context: %s", path);
        fd = syscall(SYS_openat2, context_fd, clean, &how, sizeof(how));
        if (fd < 0 && errno == ENOSYS)
                return path_open_in_root(context_fd, clean, flags, 0, err);
        if (fd < 0 && errno == EXDEV)
                return berth_failf(err, EPERM, "forbidden path outside the build context: %s (a symlink leads out)", path);
        if (fd < 0)
                return berth_fail(err, errno, "%s", path);
        return (int) fd;
}

/* The cache's view of a context path: name, type, mode, owner, size, link target and content, recursively
 * (what .dockerignore excludes does not count). Errors count as what they are: the copy reports them. */
static void hash_node(struct digest_ctx *d, int fd, const char *rel, const struct dockerignore *ignore)
{
        struct stat st;
        char line[512];

        if (fstat(fd, &st) < 0) {
                snprintf(line, sizeof(line), "%s error %d\n", rel, errno);
                digest_update(d, line, strlen(line));
                return;
        }
        snprintf(line, sizeof(line), "%s %o %u:%u %lld\n", rel, (unsigned) st.st_mode, (unsigned) st.st_uid,
                 (unsigned) st.st_gid, S_ISDIR(st.st_mode) ? 0LL : (long long) st.st_size);
        digest_update(d, rel, strlen(rel) + 1);
        digest_update(d, line, strlen(line));
        if (S_ISREG(st.st_mode)) {
                char self[PROC_FD_PATH_MAX], buf[65536];
                cleanup_close int in = -1;
                ssize_t n;
                proc_fd_path(fd, self);
                if ((in = open(self, O_RDONLY | O_CLOEXEC)) < 0)
                        return;
                while ((n = read(in, buf, sizeof(buf))) > 0)
                        digest_update(d, buf, (size_t) n);
        } else if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
                if (n >= 0)
                        digest_update(d, target, (size_t) n);
        } else if (S_ISDIR(st.st_mode)) {
                char self[PROC_FD_PATH_MAX];
                struct dirent **names = NULL;
                int count;
                proc_fd_path(fd, self);
                /* Sorted: the key must not depend on the directory's order. */
                if ((count = scandir(self, &names, NULL, alphasort)) < 0)
                        return;
                for (int i = 0; i < count; i++) {
                        const char *name = names[i]->d_name;
                        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
                                cleanup_free char *child = strcmp(rel, ".") == 0 ? xstrdup(name) : xasprintf("%s/%s", rel, name);
                                cleanup_close int cfd = openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                                struct stat cst;
                                bool skip = cfd < 0 || fstat(cfd, &cst) < 0;
                                if (!skip && ignore != NULL && dockerignore_excluded(ignore, child) &&
                                    (!S_ISDIR(cst.st_mode) || !dockerignore_has_exceptions(ignore)))
                                        skip = true;
                                if (!skip)
                                        hash_node(d, cfd, child, ignore);
                        }
                        free(names[i]);
                }
                free(names);
        }
}

/* A COPY source of the context, its top-level symlink followed (inside the context) as the copy does. */
void build_hash_source(struct digest_ctx *d, struct build *b, const char *rel)
{
        cleanup_close int fd = open_in_context(b->context_fd, rel, O_PATH, NULL);

        if (fd < 0) {
                digest_update(d, rel, strlen(rel) + 1);
                return;
        }
        hash_node(d, fd, rel, b->ignore);
}

int build_open_in_context(struct build *b, const char *path, int flags, berth_error *err)
{
        return open_in_context(b->context_fd, path, flags, err);
}

struct source {
        char *rel;     /* its path in the context or the --from image ("." for the root) */
        int dirfd;     /* the directory holding it */
        char *name;    /* its name there ("." for a root) */
};

static void sources_free(struct source *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(s[i].rel);
                free(s[i].name);
                if (s[i].dirfd >= 0)
                        close(s[i].dirfd);
        }
        free(s);
}

static int open_dir_of(int root, bool context, const char *path, berth_error *err)
{
        return context ? open_in_context(root, path, O_RDONLY | O_DIRECTORY, err)
                       : path_open_in_root(root, path, O_RDONLY | O_DIRECTORY, 0, err);
}

/* A source: its directory and name (the last element may hold wildcards, matched as filepath.Match). */
static int add_source(int root, bool context, const char *src, struct source **out, size_t *n, berth_error *err)
{
        cleanup_free char *clean = path_clean(src[0] == '/' ? src + 1 : src);
        cleanup_free char *dir = NULL;
        const char *base, *slash = strrchr(clean, '/');
        int dirfd;

        if (context && (strcmp(clean, "..") == 0 || str_has_prefix(clean, "../")))
                return berth_failf(err, EPERM, "forbidden path outside the build context: %s", src);
        dir = slash ? xstrndup(clean, (size_t) (slash - clean)) : xstrdup(".");
        base = slash ? slash + 1 : clean;
        if (strpbrk(dir, "*?[") != NULL)
                return berth_failf(err, ENOTSUP, "%s: wildcards are supported in the last path element only", src);
        if ((dirfd = open_dir_of(root, context, dir, err)) < 0)
                return dirfd;
        if (strcmp(clean, ".") == 0 || strpbrk(base, "*?[") == NULL) {
                struct stat st;
                if (strcmp(clean, ".") != 0 && fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        int e = errno;
                        close(dirfd);
                        return berth_fail(err, e, "%s", src);
                }
                *out = xrealloc(*out, (*n + 1) * sizeof(**out));
                (*out)[(*n)++] = (struct source){.rel = xstrdup(clean), .dirfd = dirfd, .name = xstrdup(strcmp(clean, ".") ? base : ".")};
                return 0;
        }
        {
                cleanup_closedir DIR *d = fdopendir(dup(dirfd));
                struct dirent *de;
                size_t before = *n;
                if (d == NULL) {
                        close(dirfd);
                        return berth_fail(err, errno, "read %s", dir);
                }
                while ((de = readdir(d)) != NULL) {
                        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 || fnmatch(base, de->d_name, 0) != 0)
                                continue;
                        *out = xrealloc(*out, (*n + 1) * sizeof(**out));
                        (*out)[(*n)++] = (struct source){
                                .rel = strcmp(dir, ".") ? xasprintf("%s/%s", dir, de->d_name) : xstrdup(de->d_name),
                                .dirfd = dup(dirfd), .name = xstrdup(de->d_name)};
                }
                close(dirfd);
                if (*n == before)
                        return berth_failf(err, ENOENT, "%s: no source files were specified", src);
        }
        return 0;
}

static size_t n_urls(const int *url_fd, size_t n_args)
{
        size_t n = 0;

        for (size_t i = 0; i + 1 < n_args; i++)
                n += url_fd[i] >= 0;
        return n;
}

/* The image a --from names: an earlier stage, else an image (pulled when missing). */
static int from_image(struct build *b, struct build_state *st, const char *from, char **image_id, berth_error *err)
{
        for (size_t i = 0; i < b->n_stages; i++) {
                char index[24];
                snprintf(index, sizeof(index), "%zu", i);
                if (b->stages[i].image_id != NULL &&
                    ((b->stages[i].name && strcasecmp(b->stages[i].name, from) == 0) || strcmp(index, from) == 0)) {
                        *image_id = xstrdup(b->stages[i].image_id);
                        return 0;
                }
        }
        {
                struct engine_image_request req = {.ref = from, .pull = ENGINE_PULL_MISSING, .platform = b->o->platform};
                (void) st;
                return engine_image_ensure(b->e, &req, b->o->registry, image_id, err);
        }
}

/* A container of IMAGE (never started) whose root filesystem is mounted at *rootfd. */
static int mount_image(struct build *b, const char *image, char **id, bool *mounted, int *rootfd, berth_error *err)
{
        struct build_state tmp = {.base_id = (char *) image, .config = json_object()};
        json_t *cmd = json_pack("[s]", "true");
        int r;

        r = build_step_container(b, &tmp, cmd, NULL, NULL, NULL, id, err);
        json_decref(tmp.config);
        if (r < 0)
                return r;
        return engine_copy_mount_root(b->e, *id, mounted, rootfd, err);
}

static int parse_chown(const char *spec, int rootfd, struct copier *c, berth_error *err)
{
        struct engine_user u = {0};
        int r;

        if ((r = engine_user_resolve(rootfd, spec, &u, err)) < 0)
                return r;
        c->uid = u.uid;
        c->gid = u.gid;
        /* "--chown=user" alone: the user's primary group, as docker resolves it. */
        engine_user_clear(&u);
        return 0;
}

int build_copy(struct build *b, struct build_state *st, const struct dockerfile_instruction *ins, berth_error *err)
{
        const struct dockerfile_flag *from = dockerfile_flag(ins, "from"), *chown = dockerfile_flag(ins, "chown"),
                                     *chmod_flag = dockerfile_flag(ins, "chmod");
        cleanup_strv char **args = xzalloc(sizeof(char *));
        cleanup_strv char **env = build_state_env(st);
        cleanup_free char *id = NULL, *src_id = NULL, *src_image = NULL, *dest = NULL, *created_by = NULL;
        cleanup_close int rootfd = -1, src_root = -1, dest_fd = -1;
        struct source *sources = NULL;
        size_t n_sources = 0;
        bool mounted = false, src_mounted = false, into_dir;
        struct copier c = {.uid = from ? -1 : 0, .gid = from ? -1 : 0, .ignore = from ? NULL : b->ignore, .err = err};
        const char *workdir = json_string_value(json_object_get(st->config, "WorkingDir"));
        char key[DIGEST_STRING_LEN + 1];
        cleanup_strv char **heredoc_text = xzalloc((ins->n_heredocs + 1) * sizeof(char *));
        cleanup_free char *exclude_text = NULL;
        cleanup_dockerignore struct dockerignore *exclude = NULL;
        bool parents = false;
        cleanup_free char *source_dest = NULL;
        int *url_fd = xzalloc((ins->n_args + 1) * sizeof(int));
        char (*url_digest)[DIGEST_STRING_LEN + 1] = xzalloc((ins->n_args + 1) * sizeof(*url_digest));
        int r;

        for (size_t i = 0; i < ins->n_args; i++) {
                char *w = NULL;
                if ((r = dockerfile_expand_word(ins->args[i], b->df->escape, env, &w, err)) < 0)
                        goto out;
                args = strv_append(args, w);
                free(w);
        }
        for (size_t i = 0; i + 1 < ins->n_args; i++) {
                bool add = strcmp(ins->keyword, "ADD") == 0;
                url_fd[i] = -1;
                if (add && build_is_url(args[i])) {
                        if ((r = build_fetch_url(b, args[i], &url_fd[i], url_digest[i], err)) < 0)
                                goto out;
                } else if (strstr(args[i], "://") != NULL || str_has_prefix(args[i], "git@")) {
                        r = add ? berth_failf(err, ENOTSUP, "ADD of %s (git, or a scheme other than http and https) is "
                                                            "not supported yet", args[i])
                                : berth_failf(err, EINVAL, "source can't be a URL for COPY: %s", args[i]);
                        goto out;
                }
        }
        for (size_t i = 0; i < ins->n_flags; i++) {
                const struct dockerfile_flag *f = &ins->flags[i];
                if (strcmp(f->name, "exclude") == 0) {
                        char *next = xasprintf("%s%s\n", exclude_text ? exclude_text : "", f->value);
                        free(exclude_text);
                        exclude_text = next;
                } else if (strcmp(f->name, "parents") == 0) {
                        parents = f->value == NULL || strcmp(f->value, "true") == 0;
                } else if (strcmp(f->name, "checksum") == 0) {
                        /* Only for one source, a URL (BuildKit's rule). */
                        if (ins->n_args != 2 || url_fd[0] < 0) {
                                r = berth_failf(err, EINVAL, "ADD --checksum needs one source, a URL");
                                goto out;
                        }
                        if (strcmp(f->value, url_digest[0]) != 0) {
                                r = berth_failf(err, EINVAL, "ADD %s: the content's digest %s is not --checksum=%s",
                                                args[0], url_digest[0], f->value);
                                goto out;
                        }
                } else if (strcmp(f->name, "keep-git-dir") == 0) {
                        r = berth_failf(err, ENOTSUP, "ADD --keep-git-dir (git sources) is not supported yet");
                        goto out;
                }
                /* --link: the layer holds the same files as without it (it is not rebased onto another base:
                 * the cache key keeps its parent). */
        }
        if (exclude_text != NULL &&
            (r = dockerignore_parse(exclude_text, strlen(exclude_text), "--exclude", &exclude, err)) < 0)
                goto out;
        c.exclude = exclude;
        if (chmod_flag != NULL) {
                char *end;
                unsigned long m = strtoul(chmod_flag->value, &end, 8);
                if (*end != '\0' || end == chmod_flag->value || m > 07777)
                {
                        r = berth_failf(err, EINVAL, "invalid --chmod %s: an octal mode is expected", chmod_flag->value);
                        goto out;
                }
                c.has_chmod = true;
                c.chmod = (mode_t) m;
        }
        {
                const char *d = args[ins->n_args - 1];
                dest = d[0] == '/' ? xstrdup(d) : xasprintf("%s/%s", workdir && *workdir ? workdir : "/", d);
                into_dir = str_has_suffix(d, "/") || (strcmp(d, ".") == 0) || str_has_suffix(d, "/.");
        }
        /* The cache: the chain, the instruction with its values, and what the sources hold (the context's
         * files, read now; the --from image by its ID). */
        if (from != NULL) {
                if ((r = from_image(b, st, from->value, &src_image, err)) < 0)
                        goto out;
        } else {
                for (size_t i = 0; i + 1 < ins->n_args; i++)
                        if (build_heredoc_of(ins, ins->args[i]) == NULL && url_fd[i] < 0 &&
                            (r = add_source(b->context_fd, true, args[i], &sources, &n_sources, err)) < 0)
                                goto out;
        }
        {
                cleanup_digest struct digest_ctx *d = digest_new();
                char content[DIGEST_STRING_LEN + 1];
                cleanup_free char *text = NULL;
                for (size_t i = 0; i < ins->n_args; i++) {
                        digest_update(d, args[i], strlen(args[i]) + 1);
                }
                for (size_t i = 0; i < n_sources; i++)
                        build_hash_source(d, b, sources[i].rel);
                for (size_t i = 0; i + 1 < ins->n_args; i++)
                        if (url_fd[i] >= 0)
                                digest_update(d, url_digest[i], strlen(url_digest[i]) + 1);
                for (size_t i = 0; i < ins->n_heredocs; i++) {
                        heredoc_text[i] = build_heredoc_content(b, &ins->heredocs[i], env);
                        digest_update(d, heredoc_text[i], strlen(heredoc_text[i]) + 1);
                }
                digest_final(d, content);
                text = xasprintf("%s\n%s\n%s\n%s\n%s\n%s", ins->original, content, src_image ? src_image : "",
                                 chown ? chown->value : "", chmod_flag ? chmod_flag->value : "", workdir ? workdir : "");
                build_step_key(st, text, key);
        }
        if (build_cache_use(b, st, key)) {
                r = 0;
                goto out;
        }
        /* The step's container: from the stage so far, or an empty image for FROM scratch. */
        if (st->base_id == NULL) {
                cleanup_json json_t *empty_history = json_array();
                char base_key[DIGEST_STRING_LEN + 1];
                build_step_key(st, "the empty base image", base_key);
                if (build_cache_get(b->e->store, base_key, &st->base_id) < 0) {
                        /* Kept (hidden) by the cache like a step's image: a build killed now leaves nothing
                         * that `images` shows. */
                        if ((r = engine_image_derive(b->e, NULL, st->config, empty_history, NULL, &st->base_id, err)) < 0 ||
                            (r = build_cache_put(b->e->store, base_key, st->base_id, true, err)) < 0)
                                goto out;
                }
        }
        {
                json_t *cmd = json_pack("[s]", "true");
                if ((r = build_step_container(b, st, cmd, env, NULL, NULL, &id, err)) < 0)
                        goto out;
        }
        if ((r = engine_copy_mount_root(b->e, id, &mounted, &rootfd, err)) < 0)
                goto out;
        if (from != NULL) {
                if ((r = mount_image(b, src_image, &src_id, &src_mounted, &src_root, err)) < 0)
                        goto out;
                for (size_t i = 0; i + 1 < ins->n_args; i++)
                        if (build_heredoc_of(ins, ins->args[i]) == NULL && url_fd[i] < 0 &&
                            (r = add_source(src_root, false, args[i], &sources, &n_sources, err)) < 0)
                                goto out;
        }
        if (chown != NULL && (r = parse_chown(chown->value, rootfd, &c, err)) < 0)
                goto out;
        if (n_sources + ins->n_heredocs + n_urls(url_fd, ins->n_args) > 1 && !into_dir) {
                r = berth_failf(err, EINVAL, "When using %s with more than one source file, the destination must be a "
                                             "directory and end with a /", ins->keyword);
                goto out;
        }
        for (size_t i = 0; i < n_sources; i++) {
                struct source *s = &sources[i];
                struct stat sst;
                bool dir_source;
                cleanup_close int parent = -1;
                cleanup_free char *dest_parent = NULL, *dest_name = NULL;
                /* The source itself is followed when it is a symlink, inside its root (the context: never out). */
                cleanup_close int opened = from ? path_open_in_root(src_root, s->rel, O_PATH, 0, err)
                                                : open_in_context(b->context_fd, s->rel, O_PATH, err);
                if (opened < 0) {
                        r = opened;
                        goto out;
                }
                if (fstat(opened, &sst) < 0) {
                        r = berth_fail(err, errno, "%s", s->rel);
                        goto out;
                }
                if (c.ignore != NULL && strcmp(s->rel, ".") != 0 && dockerignore_excluded(c.ignore, s->rel)) {
                        r = berth_failf(err, ENOENT, "%s: excluded by .dockerignore", s->rel);
                        goto out;
                }
                if (strcmp(ins->keyword, "ADD") == 0 && S_ISREG(sst.st_mode)) {
                        /* ADD of a local archive: extracted into DEST (a directory), owners and modes as the
                         * archive has them; the same checks as cp - (complete, nothing outside DEST). */
                        char self[PROC_FD_PATH_MAX];
                        cleanup_close int in = -1;
                        proc_fd_path(opened, self);
                        if ((in = open(self, O_RDONLY | O_CLOEXEC)) < 0) {
                                r = berth_fail(err, errno, "open %s", s->rel);
                                goto out;
                        }
                        if (build_is_archive(in)) {
                                cleanup_close int made = -1;
                                if (chown != NULL || chmod_flag != NULL) {
                                        r = berth_failf(err, ENOTSUP, "ADD --chown/--chmod of an archive is not supported yet");
                                        goto out;
                                }
                                if ((made = path_mkdir_in_root(rootfd, dest, 0755, err)) < 0) {
                                        r = made;
                                        goto out;
                                }
                                if ((r = engine_copy_tar_extract(in, rootfd, dest, true, err)) < 0) {
                                        berth_error_prefix(err, "%s: ", s->rel);
                                        goto out;
                                }
                                continue;
                        }
                }
                dir_source = S_ISDIR(sst.st_mode);
                c.source_prefix = strcmp(s->rel, ".") == 0 ? 0 : strlen(s->rel) + 1;
                if (!dir_source && c.exclude != NULL && dockerignore_excluded(c.exclude, s->name))
                        continue;
                if (parents) {
                        /* --parents: the source's own path is kept under DEST (a directory). */
                        const char *slash = strrchr(s->rel, '/');
                        free(source_dest);
                        source_dest = dir_source ? (strcmp(s->rel, ".") ? xasprintf("%s/%s", dest, s->rel) : xstrdup(dest))
                                      : slash ? xasprintf("%s/%.*s", dest, (int) (slash - s->rel), s->rel)
                                              : xstrdup(dest);
                } else {
                        free(source_dest);
                        source_dest = xstrdup(dest);
                }
                if (dir_source) {
                        /* A directory: its contents into DEST. */
                        cleanup_close int src = open_dir_of(from ? src_root : b->context_fd, from == NULL, s->rel, err);
                        cleanup_closedir DIR *d = NULL;
                        struct dirent *de;
                        if (src < 0 || (dest_fd = path_mkdir_in_root(rootfd, source_dest, 0755, err)) < 0) {
                                r = src < 0 ? src : dest_fd;
                                goto out;
                        }
                        if ((d = fdopendir(dup(src))) == NULL) {
                                r = berth_fail(err, errno, "read %s", s->rel);
                                goto out;
                        }
                        while ((de = readdir(d)) != NULL) {
                                cleanup_free char *child = NULL;
                                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                                        continue;
                                child = strcmp(s->rel, ".") == 0 ? xstrdup(de->d_name) : xasprintf("%s/%s", s->rel, de->d_name);
                                if ((r = copy_node(&c, src, de->d_name, child, dest_fd, de->d_name)) < 0)
                                        goto out;
                        }
                        close(dest_fd);
                        dest_fd = -1;
                        continue;
                }
                /* A file: DEST/NAME when DEST is a directory (or ends in /), else DEST itself. */
                if (into_dir || parents) {
                        dest_parent = xstrdup(source_dest);
                        dest_name = xstrdup(s->name);
                } else {
                        cleanup_close int existing = path_open_in_root(rootfd, dest, O_RDONLY | O_DIRECTORY, 0, NULL);
                        if (existing >= 0) {
                                dest_parent = xstrdup(dest);
                                dest_name = xstrdup(s->name);
                        } else {
                                char *slash = strrchr(dest, '/');
                                dest_parent = slash == dest ? xstrdup("/") : xstrndup(dest, (size_t) (slash - dest));
                                dest_name = xstrdup(slash + 1);
                        }
                }
                if ((parent = path_mkdir_in_root(rootfd, dest_parent, 0755, err)) < 0) {
                        r = parent;
                        goto out;
                }
                if (S_ISREG(sst.st_mode)) {
                        /* Through the resolved source: a top-level symlink copies what it points at. */
                        char self[PROC_FD_PATH_MAX];
                        cleanup_close int in = -1, out_fd = -1;
                        proc_fd_path(opened, self);
                        in = open(self, O_RDONLY | O_CLOEXEC);
                        if (in < 0) {
                                r = berth_fail(err, errno, "open %s", s->rel);
                                goto out;
                        }
                        if ((r = clear_target(&c, parent, dest_name, dest_name)) < 0)
                                goto out;
                        out_fd = openat(parent, dest_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                        if (out_fd < 0) {
                                r = berth_fail(err, errno, "create %s", dest_name);
                                goto out;
                        }
                        if ((r = copy_data(in, out_fd, s->rel, err)) < 0 ||
                            (r = finish_metadata(&c, parent, dest_name, out_fd, &sst, s->rel)) < 0)
                                goto out;
                } else if ((r = copy_node(&c, s->dirfd, s->name, s->rel, parent, dest_name)) < 0) {
                        goto out;
                }
        }
        for (size_t i = 0; i < ins->n_heredocs; i++)
                if ((r = build_write_source_file(rootfd, dest, into_dir, ins->heredocs[i].name, -1, heredoc_text[i],
                                                 c.uid >= 0 ? (uid_t) c.uid : 0, c.gid >= 0 ? (gid_t) c.gid : 0,
                                                 c.has_chmod ? c.chmod : 0644, err)) < 0)
                        goto out;
        for (size_t i = 0; i + 1 < ins->n_args; i++) {
                const char *url = args[i], *q;
                cleanup_free char *name = NULL;
                if (url_fd[i] < 0)
                        continue;
                /* The file's name: the URL's last path element (docker's), without its query. */
                q = url + strcspn(url, "?#");
                name = xstrndup(url, (size_t) (q - url));
                {
                        char *slash = strrchr(name, '/');
                        char *base = xstrdup(slash && slash > strstr(name, "://") + 2 ? slash + 1 : "");
                        free(name);
                        name = base;
                }
                if ((r = build_write_source_file(rootfd, dest, into_dir, name, url_fd[i], NULL,
                                                 c.uid >= 0 ? (uid_t) c.uid : 0, c.gid >= 0 ? (gid_t) c.gid : 0,
                                                 c.has_chmod ? c.chmod : 0600, err)) < 0)
                        goto out;
        }
        {
                cleanup_free char *list = xstrdup("");
                for (size_t i = 0; i + 1 < ins->n_args; i++) {
                        char *next = xasprintf("%s%s ", list, args[i]);
                        free(list);
                        list = next;
                }
                created_by = xasprintf("%s %s%s # buildkit", ins->keyword, list, args[ins->n_args - 1]);
        }
        close(rootfd);
        rootfd = -1;
        engine_copy_unmount_root(b->e, id, mounted);
        mounted = false;
        r = build_step_commit(b, st, id, created_by, key, err);
out:
        for (size_t i = 0; i + 1 < ins->n_args; i++)
                if (url_fd[i] > 0)
                        close(url_fd[i]);
        free(url_fd);
        free(url_digest);
        sources_free(sources, n_sources);
        if (rootfd >= 0) {
                close(rootfd);
                rootfd = -1;
        }
        if (mounted)
                engine_copy_unmount_root(b->e, id, true);
        if (id != NULL)
                build_step_container_remove(b, id);
        if (src_id != NULL) {
                if (src_root >= 0) {
                        close(src_root);
                        src_root = -1;
                }
                engine_copy_unmount_root(b->e, src_id, src_mounted);
                build_step_container_remove(b, src_id);
        }
        return r;
}
