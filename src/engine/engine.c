#include "engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "engine/db.h"
#include "lib/util.h"

/* Where the helper binaries are: next to berth (an installed tree keeps them in libexec), or in the build
 * tree (meson passes both paths). BERTH_MONITOR / BERTH_INIT override. */
static char *find_helper(const char *self, const char *name, const char *env, const char *build_path)
{
        const char *over = getenv(env);
        char *dir, *candidate;

        if (over != NULL && *over != '\0')
                return xstrdup(over);
        dir = xstrdup(self);
        if (strrchr(dir, '/') != NULL)
                *strrchr(dir, '/') = '\0';
        candidate = xasprintf("%s/%s", dir, name);
        free(dir);
        if (access(candidate, X_OK) == 0)
                return candidate;
        free(candidate);
        candidate = xasprintf("%s/berth/%s", BERTH_LIBEXECDIR, name);
        if (access(candidate, X_OK) == 0)
                return candidate;
        free(candidate);
        return xstrdup(build_path);
}

/* The path berth was started from. After the CVE-2019-5736 re-execution /proc/self/exe names a file on a
 * detached mount, so main() passes the original in BERTH_EXE. */
static char *self_path(void)
{
        const char *env = getenv("BERTH_EXE");
        char buf[PATH_MAX];
        ssize_t n;

        if (env != NULL && *env == '/')
                return xstrdup(env);
        n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n < 0)
                return xstrdup("berth");
        buf[n] = '\0';
        return xstrdup(buf);
}

int engine_open(const char *root, const char *driver, struct engine **out, berth_error *err)
{
        struct engine *e = xzalloc(sizeof(*e));
        int r;

        e->containers_fd = -1;
        e->log = (struct berth_log){.fd = -1, .format = LOG_FORMAT_TEXT, .level = LOG_LEVEL_ERROR, .program = "berth"};
        e->root_arg = root ? xstrdup(root) : NULL;
        if ((r = store_open(root ? root : STORE_DEFAULT_ROOT, driver, STORE_LOCK_NONE, &e->store, err)) < 0)
                goto fail;
        {
                const char *legacy = getenv("BERTH_OVERLAY_MOUNT");
                if (legacy != NULL && strcmp(legacy, "legacy") == 0)
                        e->store->overlay_legacy_mount = true;
        }
        /* Container records need no fsync per change: WAL with synchronous=NORMAL never corrupts the
         * database, and what a power loss could forget (the last state changes) describes containers that
         * did not survive it either. Image records keep the store's FULL. */
        if ((r = store_exec(e->store, "PRAGMA synchronous=NORMAL", err)) < 0 || (r = engine_db_init(e, err)) < 0)
                goto fail;
        /* The last connection to close would checkpoint the WAL (two fsyncs) and the next commit would sync the
         * restarted WAL's header: on every berth command. SQLite's automatic checkpoints keep the WAL bounded
         * instead, every 256 pages rather than 1000: every command's first connection reads and checksums
         * the whole WAL to rebuild its index (~1 ms at 1000 pages), while the database itself is a few dozen
         * pages (a checkpoint copies those, and a run --rm writes ~20 frames). */
        sqlite3_db_config(e->store->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *) NULL);
        if ((r = store_exec(e->store, "PRAGMA wal_autocheckpoint=256", err)) < 0)
                goto fail;
        if ((mkdirat(e->store->rootfd, "containers", 0700) < 0 && errno != EEXIST) ||
            (mkdirat(e->store->rootfd, "volumes", 0700) < 0 && errno != EEXIST)) {
                r = berth_fail(err, errno, "create %s/containers", e->store->root);
                goto fail;
        }
        e->containers_fd = openat(e->store->rootfd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (e->containers_fd < 0) {
                r = berth_fail(err, errno, "open %s/containers", e->store->root);
                goto fail;
        }
        /* A store of its own (tests, several engines on one host) keeps its runtime state beside it. */
        e->state_root = root ? xasprintf("%s/runtime", e->store->root) : xstrdup(ENGINE_DEFAULT_STATE_ROOT);
        e->rt = (struct runtime_context){.state_root = e->state_root, .log = &e->log, .rootless = geteuid() != 0};
        e->self_exe = self_path();
        e->monitor_exe = find_helper(e->self_exe, "berth-monitor", "BERTH_MONITOR", BERTH_MONITOR_BUILD_PATH);
        e->init_exe = find_helper(e->self_exe, "berth-init", "BERTH_INIT", BERTH_INIT_BUILD_PATH);
        e->net_exe = find_helper(e->self_exe, "berth-net", "BERTH_NET", BERTH_NET_BUILD_PATH);
        e->launch_exe = find_helper(e->self_exe, "berth-launch", "BERTH_LAUNCH", BERTH_LAUNCH_BUILD_PATH);
        e->procview_exe = find_helper(e->self_exe, "berth-procview", "BERTH_PROCVIEW", BERTH_PROCVIEW_BUILD_PATH);
        *out = e;
        return 0;
fail:
        engine_close(e);
        return r;
}

void engine_close(struct engine *e)
{
        if (e == NULL)
                return;
        if (e->store)
                store_close(e->store);
        if (e->containers_fd >= 0)
                close(e->containers_fd);
        free(e->state_root);
        free(e->self_exe);
        free(e->monitor_exe);
        free(e->init_exe);
        free(e->net_exe);
        free(e->launch_exe);
        free(e->procview_exe);
        free(e->root_arg);
        free(e);
}

char *engine_container_dir(struct engine *e, const char *id)
{
        return xasprintf("%s/containers/%s", e->store->root, id);
}

int engine_container_dirfd(struct engine *e, const char *id, berth_error *err)
{
        int fd = openat(e->containers_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return berth_fail(err, errno, "open %s/containers/%s", e->store->root, id);
        return fd;
}

bool engine_labels_match(const json_t *labels, const char *want)
{
        const char *eq = strchr(want, '=');
        cleanup_free char *key = eq ? xstrndup(want, (size_t) (eq - want)) : xstrdup(want);
        json_t *v = json_object_get(labels, key);

        return v != NULL && (eq == NULL || strcmp(json_string_value(v) ?: "", eq + 1) == 0);
}

int engine_prune_filter_parse(char *const *filters, bool allow_until, struct engine_prune_filter *out, berth_error *err)
{
        *out = (struct engine_prune_filter){.labels = xzalloc(sizeof(char *)), .not_labels = xzalloc(sizeof(char *))};
        for (char *const *f = filters; f && *f; f++) {
                const char *eq = strchr(*f, '=');
                size_t klen = eq ? (size_t) (eq - *f) : strlen(*f);
                if (eq != NULL && klen == 5 && strncmp(*f, "until", 5) == 0 && allow_until) {
                        if (time_parse_arg(eq + 1, &out->until) < 0) {
                                engine_prune_filter_clear(out);
                                return berth_failf(err, EINVAL, "failed to parse value \"%s\" of filter 'until'", eq + 1);
                        }
                        out->has_until = true;
                } else if (eq != NULL && klen == 5 && strncmp(*f, "label", 5) == 0) {
                        out->labels = strv_append(out->labels, eq + 1);
                } else if (eq != NULL && klen == 6 && strncmp(*f, "label!", 6) == 0) {
                        out->not_labels = strv_append(out->not_labels, eq + 1);
                } else {
                        engine_prune_filter_clear(out);
                        return berth_failf(err, EINVAL, "invalid filter '%.*s'", (int) klen, *f);
                }
        }
        return 0;
}

void engine_prune_filter_clear(struct engine_prune_filter *f)
{
        strv_free(f->labels);
        strv_free(f->not_labels);
        *f = (struct engine_prune_filter){0};
}

bool engine_prune_filter_match(const struct engine_prune_filter *f, const json_t *labels, const char *created)
{
        if (f == NULL)
                return true;
        if (f->has_until) {
                int64_t t = time_parse_rfc3339(created);
                if (t < 0 || (double) t >= f->until)
                        return false;
        }
        for (char **l = f->labels; l && *l; l++)
                if (!engine_labels_match(labels, *l))
                        return false;
        for (char **l = f->not_labels; l && *l; l++)
                if (engine_labels_match(labels, *l))
                        return false;
        return true;
}

int engine_tmpfile(struct engine *e, berth_error *err)
{
        int fd = openat(e->store->rootfd, "tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

        if (fd < 0)
                return berth_fail(err, errno, "create a temporary file in %s/tmp", e->store->root);
        return fd;
}

char *engine_now_rfc3339(void)
{
        struct timespec now;
        char buf[64];

        clock_gettime(CLOCK_REALTIME, &now);
        format_rfc3339_nano(&now, buf, sizeof(buf));
        return xstrdup(buf);
}

int engine_exit_code_for_error(const berth_error *err)
{
        const char *m = berth_error_message(err);

        /* The runtime reports a missing executable as runc does ("executable file not found", ENOENT) and an
         * unexecutable one with EACCES (permission denied, a directory, ...). */
        if (err->code == ENOENT && strstr(m, "exec: ") != NULL)
                return 127;
        if (strstr(m, "exec: ") != NULL && (err->code == EACCES || err->code == ENOEXEC || err->code == EISDIR))
                return 126;
        return 125;
}
