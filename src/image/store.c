#include "image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "image/fsutil.h"
#include "image/snapshot.h"
#include "lib/util.h"

/* Version 1 of the schema. The containers table belongs to the engine: rmi refuses an image that a row
 * there references (ON DELETE RESTRICT makes the database enforce it even against a buggy caller). */
static const char SCHEMA[] =
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS layers("
        "  diff_id TEXT PRIMARY KEY,"
        "  link TEXT NOT NULL UNIQUE,"      /* ROOT/l/<link> */
        "  size INTEGER NOT NULL,"          /* bytes of regular files */
        "  created INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS images("
        "  id TEXT PRIMARY KEY,"            /* config digest */
        "  manifest_digest TEXT NOT NULL,"
        "  manifest_media_type TEXT NOT NULL,"
        "  created TEXT NOT NULL,"          /* config.created, RFC 3339 */
        "  size INTEGER NOT NULL,"
        "  architecture TEXT NOT NULL,"
        "  os TEXT NOT NULL,"
        "  loaded INTEGER NOT NULL);"       /* unix time it entered the store */
        "CREATE TABLE IF NOT EXISTS image_layers("
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
        "  idx INTEGER NOT NULL,"
        "  diff_id TEXT NOT NULL REFERENCES layers(diff_id) ON DELETE RESTRICT,"
        "  chain_id TEXT NOT NULL,"
        "  blob_digest TEXT NOT NULL,"
        "  media_type TEXT NOT NULL,"
        "  blob_size INTEGER NOT NULL,"
        "  PRIMARY KEY(image_id, idx));"
        "CREATE INDEX IF NOT EXISTS image_layers_diff ON image_layers(diff_id);"
        "CREATE TABLE IF NOT EXISTS names("
        "  name TEXT PRIMARY KEY,"          /* docker.io/library/busybox:latest */
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
        "  created INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS names_image ON names(image_id);"
        "CREATE TABLE IF NOT EXISTS containers("
        "  id TEXT PRIMARY KEY,"
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE RESTRICT,"
        "  name TEXT,"
        "  created INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS containers_image ON containers(image_id);"
        "CREATE TABLE IF NOT EXISTS snapshots("
        "  id TEXT PRIMARY KEY,"            /* container id, or 'image-<hex>' for image mount */
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE RESTRICT,"
        "  kind TEXT NOT NULL,"             /* container | image */
        "  driver TEXT NOT NULL,"
        "  created INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS snapshots_image ON snapshots(image_id);";

static const char *const SUBDIRS[] = {"blobs", "blobs/sha256", "layers", "l", "snapshots", "tmp"};

int store_sql_fail(struct image_store *s, const char *what, berth_error *err)
{
        int code = sqlite3_errcode(s->db);
        int e = code == SQLITE_BUSY || code == SQLITE_LOCKED ? EBUSY : code == SQLITE_CONSTRAINT ? EEXIST : EIO;
        return berth_failf(err, e, "image database: %s: %s", what, sqlite3_errmsg(s->db));
}

int store_exec(struct image_store *s, const char *sql, berth_error *err)
{
        char *msg = NULL;

        if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
                int r = berth_failf(err, sqlite3_errcode(s->db) == SQLITE_BUSY ? EBUSY : EIO, "image database: %s",
                                    msg ? msg : sqlite3_errmsg(s->db));
                sqlite3_free(msg);
                return r;
        }
        return 0;
}

int store_prepare(struct image_store *s, const char *sql, sqlite3_stmt **stmt, berth_error *err)
{
        if (sqlite3_prepare_v2(s->db, sql, -1, stmt, NULL) != SQLITE_OK)
                return store_sql_fail(s, "prepare", err);
        return 0;
}

int store_transaction(struct image_store *s, int (*fn)(struct image_store *s, void *data, berth_error *err),
                      void *data, berth_error *err)
{
        int r;

        /* IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading read locks. */
        if ((r = store_exec(s, "BEGIN IMMEDIATE", err)) < 0)
                return r;
        r = fn(s, data, err);
        if (r < 0) {
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        if ((r = store_exec(s, "COMMIT", err)) < 0)
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
}

int store_meta_get(struct image_store *s, const char *key, char **value, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        *value = NULL;
        if ((r = store_prepare(s, "SELECT value FROM meta WHERE key = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r == SQLITE_ROW)
                *value = xstrdup((const char *) sqlite3_column_text(st, 0));
        else if (r != SQLITE_DONE)
                return store_sql_fail(s, "read meta", err);
        return 0;
}

int store_meta_set(struct image_store *s, const char *key, const char *value, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(s, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_fail(s, "write meta", err);
        return 0;
}

static int open_database(struct image_store *s, berth_error *err)
{
        cleanup_free char *path = xasprintf("%s/berth.db", s->root);
        int r;

        if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK)
                return berth_failf(err, EIO, "open image database %s: %s", path,
                                   s->db ? sqlite3_errmsg(s->db) : "out of memory");
        /* Concurrent berth commands wait for each other instead of failing with "database is locked". */
        sqlite3_busy_timeout(s->db, 30000);
        if ((r = store_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", err)) < 0)
                return r;
        /* A store that has its schema is only read here: `images` never takes the write lock. */
        if (sqlite3_exec(s->db, "SELECT 1 FROM meta WHERE key = 'schema'", NULL, NULL, NULL) == SQLITE_OK)
                return 0;
        if ((r = store_exec(s, "BEGIN IMMEDIATE", err)) < 0)
                return r;
        if ((r = store_exec(s, SCHEMA, err)) < 0 ||
            (r = store_exec(s, "INSERT OR IGNORE INTO meta(key, value) VALUES('schema', '1')", err)) < 0) {
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        return store_exec(s, "COMMIT", err);
}

int store_lock(struct image_store *s, enum store_lock_mode mode, berth_error *err)
{
        if (mode == STORE_LOCK_NONE)
                return 0;
        if (flock(s->lockfd, mode == STORE_LOCK_EXCLUSIVE ? LOCK_EX : LOCK_SH) < 0)
                return berth_fail(err, errno, "lock image store %s", s->root);
        return 0;
}

/* ROOT/tmp entries are named PID-STARTTIME-...: an entry whose process is gone (killed during a load) is
 * garbage; one whose process lives belongs to a concurrent command and is left alone. */
static void remove_stale_tmp(struct image_store *s)
{
        cleanup_close int tmpfd = openat(s->rootfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_closedir DIR *d = NULL;
        struct dirent *de;

        if (tmpfd < 0)
                return;
        if ((d = opendir_at(tmpfd)) == NULL)
                return;
        while ((de = readdir(d)) != NULL) {
                unsigned long pid = 0;
                unsigned long long start = 0, now = 0;
                berth_error e = {0};

                if (de->d_name[0] == '.')
                        continue;
                if (sscanf(de->d_name, "%lu-%llu-", &pid, &start) != 2)
                        continue;
                if (process_start_time((pid_t) pid, (uint64_t *) &now) == 0 && now == start)
                        continue;
                fs_remove_tree_at(tmpfd, de->d_name, &e);
                berth_error_clear(&e);
        }
}

int store_tmpdir(struct image_store *s, const char *what, char **relpath, berth_error *err)
{
        static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        uint64_t start = 0;

        process_start_time(getpid(), &start);
        for (int attempt = 0; attempt < 100; attempt++) {
                char rnd[9];
                unsigned char bytes[8];
                int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
                if (fd < 0 || read(fd, bytes, sizeof(bytes)) != (ssize_t) sizeof(bytes)) {
                        if (fd >= 0)
                                close(fd);
                        return berth_fail(err, errno ? errno : EIO, "read /dev/urandom");
                }
                close(fd);
                for (int i = 0; i < 8; i++)
                        rnd[i] = chars[bytes[i] % (sizeof(chars) - 1)];
                rnd[8] = '\0';
                char *rel = xasprintf("tmp/%d-%llu-%s-%s", (int) getpid(), (unsigned long long) start, what, rnd);
                if (mkdirat(s->rootfd, rel, 0700) == 0) {
                        *relpath = rel;
                        return 0;
                }
                free(rel);
                if (errno != EEXIST)
                        return berth_fail(err, errno, "create a temporary directory in %s/tmp", s->root);
        }
        return berth_fail(err, EEXIST, "create a temporary directory in %s/tmp", s->root);
}

static int make_layout(struct image_store *s, berth_error *err)
{
        struct statvfs sv;

        /* Only root reaches the store: layers hold setuid files and (on nodev mounts) device nodes. */
        if (mkdir(s->root, 0700) < 0 && errno != EEXIST)
                return berth_fail(err, errno, "create image store %s", s->root);
        s->rootfd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->rootfd < 0)
                return berth_fail(err, errno, "open image store %s", s->root);
        /* Absolute from here on: mount data and the mount(2) fallback (which chdirs) use these paths. */
        {
                char *abs = realpath(s->root, NULL);
                if (abs == NULL)
                        return berth_fail(err, errno, "resolve %s", s->root);
                free(s->root);
                s->root = abs;
        }
        for (size_t i = 0; i < ARRAY_SIZE(SUBDIRS); i++)
                if (mkdirat(s->rootfd, SUBDIRS[i], 0700) < 0 && errno != EEXIST)
                        return berth_fail(err, errno, "create %s/%s", s->root, SUBDIRS[i]);
        s->lockfd = openat(s->rootfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (s->lockfd < 0)
                return berth_fail(err, errno, "open %s/lock", s->root);
        s->is_root = geteuid() == 0;
        s->nodev = fstatvfs(s->rootfd, &sv) == 0 && (sv.f_flag & ST_NODEV);
        return 0;
}

static int choose_driver(struct image_store *s, const char *wanted, berth_error *err)
{
        cleanup_free char *stored = NULL;
        int r;

        if (wanted != NULL && strcmp(wanted, "overlay") != 0 && strcmp(wanted, "copy") != 0)
                return berth_failf(err, EINVAL, "unknown storage driver %s (overlay, copy)", wanted);
        if ((r = store_meta_get(s, "driver", &stored, err)) < 0)
                return r;
        if (stored != NULL) {
                if (wanted != NULL && strcmp(wanted, stored) != 0)
                        return berth_failf(err, EINVAL, "image store %s uses the %s driver, not %s", s->root, stored,
                                           wanted);
                s->driver = steal_pointer(&stored);
                return 0;
        }
        if (wanted != NULL)
                s->driver = xstrdup(wanted);
        else
                s->driver = xstrdup(snapshot_overlay_supported(s) ? "overlay" : "copy");
        return store_meta_set(s, "driver", s->driver, err);
}

int store_open(const char *root, const char *driver, enum store_lock_mode lock, struct image_store **out,
               berth_error *err)
{
        struct image_store *s = xzalloc(sizeof(*s));
        int r;

        s->rootfd = s->lockfd = -1;
        s->root = xstrdup(root ? root : STORE_DEFAULT_ROOT);
        if ((r = make_layout(s, err)) < 0 || (r = store_lock(s, lock, err)) < 0 || (r = open_database(s, err)) < 0 ||
            (r = choose_driver(s, driver, err)) < 0) {
                store_close(s);
                return r;
        }
        remove_stale_tmp(s);
        *out = s;
        return 0;
}

void store_close(struct image_store *s)
{
        if (s == NULL)
                return;
        if (s->db != NULL)
                sqlite3_close_v2(s->db);
        if (s->lockfd >= 0)
                close(s->lockfd);
        if (s->rootfd >= 0)
                close(s->rootfd);
        free(s->driver);
        free(s->root);
        free(s);
}
