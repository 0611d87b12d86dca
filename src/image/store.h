/* The image store: content-addressed blobs, unpacked layers, and the image database.
 *
 *   ROOT/berth.db              SQLite (WAL): images, names, layers, image_layers, containers, snapshots, meta
 *   ROOT/lock                  flock: shared by writers that add, exclusive for removal (rmi, prune, check)
 *   ROOT/blobs/sha256/HEX      blobs, written through blob_writer (verified, fsync, atomic link)
 *   ROOT/layers/HEX/diff       one unpacked layer per diff id, overlay format, shared by every image
 *   ROOT/l/SHORT               short symlinks to ../layers/HEX/diff (overlay mount data fits in a page)
 *   ROOT/snapshots/ID/...      container and image-mount root filesystems (snapshot.h)
 *   ROOT/tmp/                  work in progress, named PID-STARTTIME-...; removed when its process is gone
 *
 * Several berth processes use one store at a time: SQLite serialises the records (busy timeout), blobs and
 * layers appear by atomic link/rename, and removal takes the exclusive lock so that a concurrent load never
 * commits an image whose layer was just deleted. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "image/digest.h"
#include "lib/error.h"

#define STORE_DEFAULT_ROOT "/var/lib/berth"

enum store_lock_mode { STORE_LOCK_NONE, STORE_LOCK_SHARED, STORE_LOCK_EXCLUSIVE };

struct image_store {
        char *root;
        int rootfd;
        int lockfd;
        sqlite3 *db;
        char *driver;     /* "overlay" or "copy" */
        bool is_root;     /* euid 0 */
        bool nodev;       /* the layers directory is on a nodev mount: device nodes may be created */
        bool overlay_legacy_mount; /* skip the new mount API (tests of the mount(2) fallback) */
};

/* Opens (creating when needed) the store at root. driver: "overlay", "copy", or NULL to keep the store's
 * own (chosen when it was created: overlay when the kernel can mount it here, else copy). */
int store_open(const char *root, const char *driver, enum store_lock_mode lock, struct image_store **out,
               berth_error *err);
void store_close(struct image_store *s);
static inline void store_close_ptr(struct image_store **s)
{
        if (*s != NULL)
                store_close(*s);
}
#define cleanup_store __attribute__((cleanup(store_close_ptr)))

/* Takes (or upgrades to) the store lock; released by store_close. */
int store_lock(struct image_store *s, enum store_lock_mode mode, berth_error *err);

/* A new empty directory under ROOT/tmp (for an unpack, an import), as an fd and its name relative to
 * rootfd ("tmp/123-456-abc"). */
int store_tmpdir(struct image_store *s, const char *what, char **relpath, berth_error *err);

/* Runs fn inside one IMMEDIATE transaction (retried on SQLITE_BUSY by the busy timeout). */
int store_transaction(struct image_store *s, int (*fn)(struct image_store *s, void *data, berth_error *err),
                      void *data, berth_error *err);

/* sqlite helpers that fill err with the statement's error. */
int store_sql_fail(struct image_store *s, const char *what, berth_error *err);
int store_exec(struct image_store *s, const char *sql, berth_error *err);
int store_prepare(struct image_store *s, const char *sql, sqlite3_stmt **stmt, berth_error *err);
static inline void sqlite_finalize_ptr(sqlite3_stmt **st)
{
        if (*st != NULL)
                sqlite3_finalize(*st);
}
#define cleanup_stmt __attribute__((cleanup(sqlite_finalize_ptr)))

int store_meta_get(struct image_store *s, const char *key, char **value, berth_error *err);
int store_meta_set(struct image_store *s, const char *key, const char *value, berth_error *err);
