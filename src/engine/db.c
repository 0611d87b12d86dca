#include "engine/db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

/* Version 3 of the engine's schema (meta 'engine_schema'). Names are unique among containers; a volume in
 * use cannot be removed (RESTRICT), and a container's rows go with it (CASCADE). */
static const char ENGINE_SCHEMA[] =
        "CREATE UNIQUE INDEX IF NOT EXISTS containers_name ON containers(name);"
        "CREATE TABLE IF NOT EXISTS engine_containers("
        "  id TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,"
        "  image_ref TEXT NOT NULL,"
        "  created TEXT NOT NULL,"          /* RFC 3339 with nanoseconds */
        "  config TEXT NOT NULL,"           /* docker's Config, JSON */
        "  host_config TEXT NOT NULL,"      /* docker's HostConfig, JSON */
        "  mounts TEXT NOT NULL,"           /* docker's Mounts, JSON */
        "  status TEXT NOT NULL,"           /* created running paused restarting removing exited dead */
        "  pid INTEGER NOT NULL DEFAULT 0, pid_start INTEGER NOT NULL DEFAULT 0,"
        "  monitor_pid INTEGER NOT NULL DEFAULT 0, monitor_start INTEGER NOT NULL DEFAULT 0,"
        "  exit_code INTEGER NOT NULL DEFAULT 0, oom_killed INTEGER NOT NULL DEFAULT 0,"
        "  manual_stop INTEGER NOT NULL DEFAULT 0, restart_count INTEGER NOT NULL DEFAULT 0,"
        "  started_at TEXT NOT NULL DEFAULT '', finished_at TEXT NOT NULL DEFAULT '',"
        "  error TEXT NOT NULL DEFAULT '');"
        "CREATE TABLE IF NOT EXISTS volumes("
        "  name TEXT PRIMARY KEY, created TEXT NOT NULL, labels TEXT NOT NULL, anonymous INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS container_volumes("
        "  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,"
        "  volume TEXT NOT NULL REFERENCES volumes(name) ON DELETE RESTRICT,"
        "  destination TEXT NOT NULL, PRIMARY KEY(container_id, destination));"
        "CREATE INDEX IF NOT EXISTS container_volumes_volume ON container_volumes(volume);"
        /* Version 2: networks and their leases (engine/network.c). A lease is not deleted with its container's
         * row: releasing it removes firewall elements, which network.c does before deleting the row. */
        "CREATE TABLE IF NOT EXISTS networks("
        "  name TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, bridge TEXT NOT NULL UNIQUE,"
        "  subnet TEXT NOT NULL, gateway TEXT NOT NULL, created TEXT NOT NULL,"
        "  internal INTEGER NOT NULL DEFAULT 0, labels TEXT NOT NULL DEFAULT '{}', options TEXT NOT NULL DEFAULT '{}',"
        "  ip_range TEXT NOT NULL DEFAULT '');"
        "CREATE TABLE IF NOT EXISTS network_leases("
        "  network TEXT NOT NULL REFERENCES networks(name) ON DELETE RESTRICT,"
        "  ip TEXT NOT NULL, container_id TEXT NOT NULL, mac TEXT NOT NULL, veth TEXT NOT NULL,"
        "  ports TEXT NOT NULL DEFAULT '{}', PRIMARY KEY(network, ip), UNIQUE(network, container_id));"
        "CREATE INDEX IF NOT EXISTS network_leases_container ON network_leases(container_id);";

int engine_db_init(struct engine *e, berth_error *err)
{
        struct image_store *s = e->store;
        int r;

        {
                /* A store that has the engine's tables is only read here (no write lock for `ps`). */
                cleanup_stmt sqlite3_stmt *st = NULL;
                if (store_prepare(s, "SELECT 1 FROM meta WHERE key = 'engine_schema' AND value = '3'", &st, NULL) == 0 &&
                    sqlite3_step(st) == SQLITE_ROW)
                        return 0;
        }
        if ((r = store_exec(s, "BEGIN IMMEDIATE", err)) < 0)
                return r;
        if ((r = store_exec(s, ENGINE_SCHEMA, err)) < 0 ||
            /* Version 3 adds networks.ip_range: a version 2 store gets the column (an error when it is there). */
            (sqlite3_exec(s->db, "ALTER TABLE networks ADD COLUMN ip_range TEXT NOT NULL DEFAULT ''", NULL, NULL, NULL),
             (r = store_exec(s, "INSERT OR REPLACE INTO meta(key, value) VALUES('engine_schema', '3')", err)) < 0)) {
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        return store_exec(s, "COMMIT", err);
}

void engine_container_free(struct engine_container *c)
{
        if (c == NULL)
                return;
        free(c->id);
        free(c->name);
        free(c->image_id);
        free(c->image_ref);
        free(c->created);
        free(c->started_at);
        free(c->finished_at);
        free(c->error);
        if (c->config)
                json_decref(c->config);
        if (c->host_config)
                json_decref(c->host_config);
        if (c->mounts)
                json_decref(c->mounts);
        free(c);
}

void engine_container_list_free(struct engine_container **list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                engine_container_free(list[i]);
        free(list);
}

static const char *const STATUS_NAMES[] = {"created", "running", "paused", "restarting", "removing", "exited", "dead"};

const char *engine_status_name(enum engine_status s)
{
        return (size_t) s < ARRAY_SIZE(STATUS_NAMES) ? STATUS_NAMES[s] : "dead";
}

int engine_status_parse(const char *s, enum engine_status *out)
{
        for (size_t i = 0; i < ARRAY_SIZE(STATUS_NAMES); i++)
                if (strcmp(s, STATUS_NAMES[i]) == 0) {
                        *out = (enum engine_status) i;
                        return 0;
                }
        return -EINVAL;
}

static int insert_container_row(struct engine *e, const struct engine_container *c, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(e->store, "INSERT INTO containers(id, image_id, name, created) VALUES(?,?,?,?)", &st,
                               err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, c->image_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, c->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (int64_t) time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE) {
                if (sqlite3_extended_errcode(e->store->db) == SQLITE_CONSTRAINT_UNIQUE) {
                        cleanup_free char *other = NULL;
                        berth_error ignored = {0};
                        engine_db_resolve(e, c->name, &other, &ignored);
                        berth_error_clear(&ignored);
                        return berth_failf(err, EEXIST,
                                           "Conflict. The container name \"/%s\" is already in use by container \"%s\". "
                                           "You have to remove (or rename) that container to be able to reuse that name.",
                                           c->name, other ? other : "");
                }
                if (sqlite3_extended_errcode(e->store->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
                        return berth_failf(err, ENOENT, "No such image: %s", c->image_ref);
                return store_sql_fail(e->store, "add container", err);
        }
        return 0;
}

int engine_db_insert(struct engine *e, const struct engine_container *c, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_free char *config = json_to_string(c->config), *host = json_to_string(c->host_config);
        cleanup_free char *mounts = json_to_string(c->mounts);
        int r;

        if ((r = insert_container_row(e, c, err)) < 0)
                return r;
        if ((r = store_prepare(e->store,
                               "INSERT INTO engine_containers(id, image_ref, created, config, host_config, mounts, status) "
                               "VALUES(?,?,?,?,?,?,?)",
                               &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, c->image_ref, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, c->created, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, config, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, host, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, mounts, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, engine_status_name(c->status), -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_fail(e->store, "add container", err);
        return 0;
}

#define SELECT_CONTAINER                                                                                              \
        "SELECT c.id, c.name, c.image_id, e.image_ref, e.created, e.config, e.host_config, e.mounts, e.status, e.pid, " \
        "e.pid_start, e.monitor_pid, e.monitor_start, e.exit_code, e.oom_killed, e.manual_stop, e.restart_count, "     \
        "e.started_at, e.finished_at, e.error FROM containers c JOIN engine_containers e ON e.id = c.id "

static char *column_text(sqlite3_stmt *st, int i)
{
        const unsigned char *t = sqlite3_column_text(st, i);
        return xstrdup(t ? (const char *) t : "");
}

static json_t *column_json(sqlite3_stmt *st, int i, json_t *fallback)
{
        const char *t = (const char *) sqlite3_column_text(st, i);
        json_t *j = t ? json_loads(t, 0, NULL) : NULL;

        if (j == NULL)
                return fallback;
        json_decref(fallback);
        return j;
}

static struct engine_container *row_to_container(sqlite3_stmt *st)
{
        struct engine_container *c = xzalloc(sizeof(*c));
        cleanup_free char *status = NULL;

        c->id = column_text(st, 0);
        c->name = column_text(st, 1);
        c->image_id = column_text(st, 2);
        c->image_ref = column_text(st, 3);
        c->created = column_text(st, 4);
        c->config = column_json(st, 5, json_object());
        c->host_config = column_json(st, 6, json_object());
        c->mounts = column_json(st, 7, json_array());
        status = column_text(st, 8);
        if (engine_status_parse(status, &c->status) < 0)
                c->status = ENGINE_DEAD;
        c->pid = (pid_t) sqlite3_column_int64(st, 9);
        c->pid_start = (uint64_t) sqlite3_column_int64(st, 10);
        c->monitor_pid = (pid_t) sqlite3_column_int64(st, 11);
        c->monitor_start = (uint64_t) sqlite3_column_int64(st, 12);
        c->exit_code = sqlite3_column_int(st, 13);
        c->oom_killed = sqlite3_column_int(st, 14) != 0;
        c->manual_stop = sqlite3_column_int(st, 15) != 0;
        c->restart_count = sqlite3_column_int(st, 16);
        c->started_at = column_text(st, 17);
        c->finished_at = column_text(st, 18);
        c->error = column_text(st, 19);
        return c;
}

int engine_db_get(struct engine *e, const char *id, struct engine_container **out, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(e->store, SELECT_CONTAINER "WHERE c.id = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return berth_failf(err, ENOENT, "No such container: %s", id);
        if (r != SQLITE_ROW)
                return store_sql_fail(e->store, "read container", err);
        *out = row_to_container(st);
        return 0;
}

static int resolve_one(struct engine *e, const char *sql, const char *arg, char **id_out, int *matches,
                       berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        *matches = 0;
        if ((r = store_prepare(e->store, sql, &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                if ((*matches)++ == 0)
                        *id_out = column_text(st, 0);
        }
        if (r != SQLITE_DONE)
                return store_sql_fail(e->store, "find container", err);
        return 0;
}

int engine_db_resolve(struct engine *e, const char *ref, char **id_out, berth_error *err)
{
        const char *name = ref[0] == '/' ? ref + 1 : ref;
        cleanup_free char *pattern = NULL;
        int matches = 0, r;

        *id_out = NULL;
        if (*ref == '\0')
                return berth_failf(err, ENOENT, "No such container: %s", ref);
        /* docker's order: the full id, then the name, then a unique id prefix. */
        if ((r = resolve_one(e, "SELECT id FROM engine_containers WHERE id = ?", ref, id_out, &matches, err)) < 0)
                return r;
        if (matches == 1)
                return 0;
        if ((r = resolve_one(e, "SELECT id FROM containers WHERE name = ? AND id IN (SELECT id FROM engine_containers)",
                             name, id_out, &matches, err)) < 0)
                return r;
        if (matches == 1)
                return 0;
        for (const char *p = ref; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return berth_failf(err, ENOENT, "No such container: %s", ref);
        pattern = xasprintf("%s%%", ref);
        if ((r = resolve_one(e, "SELECT id FROM engine_containers WHERE id LIKE ?", pattern, id_out, &matches, err)) < 0)
                return r;
        if (matches == 1)
                return 0;
        free(*id_out);
        *id_out = NULL;
        if (matches > 1)
                return berth_failf(err, EINVAL, "multiple IDs found with provided prefix: %s", ref);
        return berth_failf(err, ENOENT, "No such container: %s", ref);
}

int engine_db_list(struct engine *e, struct engine_container ***out, size_t *n, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        struct engine_container **list = NULL;
        size_t count = 0;
        int r;

        if ((r = store_prepare(e->store, SELECT_CONTAINER "ORDER BY e.created DESC", &st, err)) < 0)
                return r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                list = xrealloc(list, (count + 1) * sizeof(*list));
                list[count++] = row_to_container(st);
        }
        if (r != SQLITE_DONE) {
                engine_container_list_free(list, count);
                return store_sql_fail(e->store, "list containers", err);
        }
        *out = list;
        *n = count;
        return 0;
}

/* One UPDATE of the state columns. With `was`, only while the row still holds the run that `was` saw
 * (status, init, monitor): a reader folding an exit it observed without the container's lock must not
 * overwrite what a writer (a restart, a start) put there meanwhile. *updated says whether the row changed. */
static int update_state(struct engine *e, const struct engine_container *c, const struct engine_run_key *was,
                        bool *updated, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        const char *sql = was == NULL
                ? "UPDATE engine_containers SET status=?, pid=?, pid_start=?, monitor_pid=?, monitor_start=?, "
                  "exit_code=?, oom_killed=?, manual_stop=?, restart_count=?, started_at=?, finished_at=?, "
                  "error=? WHERE id=?"
                : "UPDATE engine_containers SET status=?, pid=?, pid_start=?, monitor_pid=?, monitor_start=?, "
                  "exit_code=?, oom_killed=?, manual_stop=?, restart_count=?, started_at=?, finished_at=?, "
                  "error=? WHERE id=? AND status=? AND pid=? AND monitor_pid=? AND monitor_start=?";
        int r;

        if ((r = store_prepare(e->store, sql, &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, engine_status_name(c->status), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, c->pid);
        sqlite3_bind_int64(st, 3, (int64_t) c->pid_start);
        sqlite3_bind_int64(st, 4, c->monitor_pid);
        sqlite3_bind_int64(st, 5, (int64_t) c->monitor_start);
        sqlite3_bind_int(st, 6, c->exit_code);
        sqlite3_bind_int(st, 7, c->oom_killed);
        sqlite3_bind_int(st, 8, c->manual_stop);
        sqlite3_bind_int(st, 9, c->restart_count);
        sqlite3_bind_text(st, 10, c->started_at ? c->started_at : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 11, c->finished_at ? c->finished_at : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 12, c->error ? c->error : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 13, c->id, -1, SQLITE_STATIC);
        if (was != NULL) {
                sqlite3_bind_text(st, 14, engine_status_name(was->status), -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 15, was->pid);
                sqlite3_bind_int64(st, 16, was->monitor_pid);
                sqlite3_bind_int64(st, 17, (int64_t) was->monitor_start);
        }
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_fail(e->store, "update container", err);
        if (updated != NULL)
                *updated = sqlite3_changes(e->store->db) > 0;
        return 0;
}

int engine_db_update_state(struct engine *e, const struct engine_container *c, berth_error *err)
{
        return update_state(e, c, NULL, NULL, err);
}

int engine_db_update_state_if(struct engine *e, const struct engine_container *c, const struct engine_run_key *was,
                              bool *updated, berth_error *err)
{
        return update_state(e, c, was, updated, err);
}

int engine_db_delete(struct engine *e, const char *id, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        /* The engine row and the volume links go with the containers row (ON DELETE CASCADE). */
        if ((r = store_prepare(e->store, "DELETE FROM containers WHERE id = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_fail(e->store, "remove container", err);
        return 0;
}

int engine_db_rename(struct engine *e, const char *id, const char *name, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(e->store, "UPDATE containers SET name = ? WHERE id = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
                if (sqlite3_extended_errcode(e->store->db) == SQLITE_CONSTRAINT_UNIQUE) {
                        cleanup_free char *other = NULL;
                        berth_error ignored = {0};
                        engine_db_resolve(e, name, &other, &ignored);
                        berth_error_clear(&ignored);
                        return berth_failf(err, EEXIST,
                                           "Error when allocating new name: Conflict. The container name \"/%s\" is "
                                           "already in use by container \"%s\". You have to remove (or rename) that "
                                           "container to be able to reuse that name.",
                                           name, other ? other : "");
                }
                return store_sql_fail(e->store, "rename container", err);
        }
        return 0;
}

/* ---- volumes ---- */

void engine_volume_clear(struct engine_volume *v)
{
        free(v->name);
        free(v->created);
        if (v->labels)
                json_decref(v->labels);
        memset(v, 0, sizeof(*v));
}

static void row_to_volume(sqlite3_stmt *st, struct engine_volume *v)
{
        v->name = column_text(st, 0);
        v->created = column_text(st, 1);
        v->labels = column_json(st, 2, json_object());
        v->anonymous = sqlite3_column_int(st, 3) != 0;
}

int engine_db_volume_get(struct engine *e, const char *name, struct engine_volume *out, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(e->store, "SELECT name, created, labels, anonymous FROM volumes WHERE name = ?", &st,
                               err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return berth_failf(err, ENOENT, "get %s: no such volume", name);
        if (r != SQLITE_ROW)
                return store_sql_fail(e->store, "read volume", err);
        row_to_volume(st, out);
        return 0;
}

int engine_db_volume_put(struct engine *e, const struct engine_volume *v, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_free char *labels = v->labels ? json_to_string(v->labels) : xstrdup("{}");
        int r;

        if ((r = store_prepare(e->store,
                               "INSERT OR IGNORE INTO volumes(name, created, labels, anonymous) VALUES(?,?,?,?)", &st,
                               err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, v->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, v->created, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, labels, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, v->anonymous);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_fail(e->store, "add volume", err);
        return 0;
}

int engine_db_volume_list(struct engine *e, struct engine_volume **out, size_t *n, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        struct engine_volume *list = NULL;
        size_t count = 0;
        int r;

        if ((r = store_prepare(e->store, "SELECT name, created, labels, anonymous FROM volumes ORDER BY name", &st,
                               err)) < 0)
                return r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                list = xrealloc(list, (count + 1) * sizeof(*list));
                memset(&list[count], 0, sizeof(list[count]));
                row_to_volume(st, &list[count++]);
        }
        if (r != SQLITE_DONE) {
                for (size_t i = 0; i < count; i++)
                        engine_volume_clear(&list[i]);
                free(list);
                return store_sql_fail(e->store, "list volumes", err);
        }
        *out = list;
        *n = count;
        return 0;
}

int engine_db_volume_delete(struct engine *e, const char *name, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(e->store, "DELETE FROM volumes WHERE name = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
                if (sqlite3_extended_errcode(e->store->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
                        return berth_failf(err, EBUSY, "remove %s: volume is in use", name);
                return store_sql_fail(e->store, "remove volume", err);
        }
        return sqlite3_changes(e->store->db) ? 0 : berth_failf(err, ENOENT, "get %s: no such volume", name);
}

int engine_db_volume_users(struct engine *e, const char *name, char ***ids, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        char **v = xzalloc(sizeof(char *));
        int r;

        if ((r = store_prepare(e->store, "SELECT container_id FROM container_volumes WHERE volume = ?", &st, err)) < 0) {
                free(v);
                return r;
        }
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
                v = strv_append(v, (const char *) sqlite3_column_text(st, 0));
        *ids = v;
        return 0;
}

int engine_db_volume_use(struct engine *e, const char *container_id, const char *name, const char *destination,
                         berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(e->store,
                               "INSERT OR REPLACE INTO container_volumes(container_id, volume, destination) VALUES(?,?,?)",
                               &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, container_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, destination, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_fail(e->store, "link volume", err);
        return 0;
}

int engine_db_update_host_config(struct engine *e, const char *id, const json_t *host_config, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_free char *text = json_to_string(host_config);
        int r;

        if ((r = store_prepare(e->store, "UPDATE engine_containers SET host_config = ? WHERE id = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_fail(e->store, "update container", err);
        return 0;
}
