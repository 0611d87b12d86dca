#include "registry/blobsource.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/cleanup.h"
#include "lib/util.h"

#define REGISTRY_SCHEMA_KEY "registry_schema"
#define REGISTRY_SCHEMA_VERSION "1"

/* Version 1. No foreign key: a row outlives the blob (the remote copy may still be there). */
static const char MIGRATION_1[] =
        "CREATE TABLE IF NOT EXISTS registry_blob_sources("
        "  digest TEXT NOT NULL,"
        "  registry TEXT NOT NULL,"       /* 127.0.0.1:5000, docker.io */
        "  repository TEXT NOT NULL,"     /* library/busybox */
        "  seen INTEGER NOT NULL,"        /* unix time of the last pull or push */
        "  PRIMARY KEY(digest, registry, repository));";

static int migrate(struct image_store *s, void *data, berth_error *err)
{
        cleanup_free char *version = NULL;
        int r;

        if ((r = store_meta_get(s, REGISTRY_SCHEMA_KEY, &version, err)) < 0)
                return r;
        if (version != NULL)
                return 0; /* a concurrent berth migrated first */
        if ((r = store_exec(s, MIGRATION_1, err)) < 0)
                return r;
        (void) data;
        return store_meta_set(s, REGISTRY_SCHEMA_KEY, REGISTRY_SCHEMA_VERSION, err);
}

int blob_sources_migrate(struct image_store *s, berth_error *err)
{
        cleanup_free char *version = NULL;
        int r;

        /* Read first: an up-to-date store is never write-locked for this. */
        if ((r = store_meta_get(s, REGISTRY_SCHEMA_KEY, &version, err)) < 0)
                return r;
        if (version != NULL)
                return 0;
        return store_transaction(s, migrate, NULL, err);
}

struct record_args {
        const char *registry;
        const char *repository;
        char *const *digests;
};

static int record(struct image_store *s, void *data, berth_error *err)
{
        struct record_args *a = data;
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(s, "INSERT OR REPLACE INTO registry_blob_sources(digest, registry, repository, seen) VALUES(?, ?, ?, ?)",
                               &st, err)) < 0)
                return r;
        for (char *const *d = a->digests; *d != NULL; d++) {
                sqlite3_reset(st);
                sqlite3_bind_text(st, 1, *d, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, a->registry, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, a->repository, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 4, (sqlite3_int64) time(NULL));
                if (sqlite3_step(st) != SQLITE_DONE)
                        return store_sql_fail(s, "record blob source", err);
        }
        return 0;
}

int blob_sources_record(struct image_store *s, const char *registry, const char *repository, char *const *digests,
                        berth_error *err)
{
        struct record_args a = {registry, repository, digests};
        int r;

        if ((r = blob_sources_migrate(s, err)) < 0)
                return r;
        return store_transaction(s, record, &a, err);
}

int blob_sources_find(struct image_store *s, const char *registry, const char *digest, const char *exclude,
                      char **out, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        *out = NULL;
        if ((r = blob_sources_migrate(s, err)) < 0)
                return r;
        if ((r = store_prepare(s,
                               "SELECT repository FROM registry_blob_sources WHERE digest = ? AND registry = ? AND repository != ?"
                               " ORDER BY seen DESC, repository LIMIT 1",
                               &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, registry, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, exclude ? exclude : "", -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r == SQLITE_ROW)
                *out = xstrdup((const char *) sqlite3_column_text(st, 0));
        else if (r != SQLITE_DONE)
                return store_sql_fail(s, "find blob source", err);
        return 0;
}
