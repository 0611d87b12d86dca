#include "engine/create.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "engine/db.h"
#include "engine/events.h"
#include "engine/health.h"
#include "engine/hostconfig.h"
#include "engine/network.h"
#include "image/fsutil.h"
#include "image/imagedb.h"
#include "lib/json.h"
#include "image/runconfig.h"
#include "image/snapshot.h"
#include "engine/procview_mount.h"
#include "lib/util.h"

bool engine_name_is_valid(const char *name)
{
        /* docker: ^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$, its volume names' rule after an optional slash. */
        return engine_volume_name_is_valid(name[0] == '/' ? name + 1 : name);
}

static json_t *strv_json(char **v)
{
        json_t *a = json_array();
        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

/* Env: the image's, then the user's; a user variable replaces the image's of the same name. */
static json_t *merge_env(char **image_env, json_t *user_env)
{
        json_t *env = strv_json(image_env), *v;
        size_t i;

        json_array_foreach(user_env, i, v) {
                const char *s = json_string_value(v) ?: "";
                size_t klen = strcspn(s, "="), k;
                json_t *old;
                bool replaced = false;
                json_array_foreach(env, k, old) {
                        const char *o = json_string_value(old);
                        if (strncmp(o, s, klen) == 0 && (o[klen] == '=' || o[klen] == '\0')) {
                                json_array_set(env, k, v);
                                replaced = true;
                                break;
                        }
                }
                if (!replaced)
                        json_array_append(env, v);
        }
        return env;
}

/* docker's merge of the image config into the container's Config (daemon/create.go, merge()). */
static int merge_image_config(struct engine *e, const char *image_id, const char *image_ref, const char *id,
                              json_t *config, berth_error *err)
{
        cleanup_run_config struct image_run_config ic = {0};
        json_t *entrypoint = json_object_get(config, "Entrypoint"), *cmd = json_object_get(config, "Cmd");
        json_t *labels, *volumes;
        const char *s;
        int r;

        if ((r = image_run_config_get(e->store, image_id, &ic, err)) < 0 ||
            (r = engine_healthcheck_merge(e, image_id, config, err)) < 0)
                return r;
        /* --entrypoint resets the image's Cmd too; an explicit command replaces the image's Cmd. */
        if (entrypoint == NULL || json_is_null(entrypoint)) {
                json_object_set_new(config, "Entrypoint", strv_json(ic.entrypoint));
                if (json_array_size(cmd) == 0)
                        json_object_set_new(config, "Cmd", strv_json(ic.cmd));
        } else if (cmd == NULL) {
                json_object_set_new(config, "Cmd", json_array());
        }
        json_object_set_new(config, "Env", merge_env(ic.env, json_object_get(config, "Env")));
        s = json_string_value(json_object_get(config, "WorkingDir"));
        if ((s == NULL || *s == '\0'))
                json_object_set_new(config, "WorkingDir", json_string(ic.working_dir ? ic.working_dir : ""));
        s = json_string_value(json_object_get(config, "User"));
        if (s == NULL || *s == '\0')
                json_object_set_new(config, "User", json_string(ic.user ? ic.user : ""));
        s = json_string_value(json_object_get(config, "StopSignal"));
        if ((s == NULL || *s == '\0') && ic.stop_signal && *ic.stop_signal)
                json_object_set_new(config, "StopSignal", json_string(ic.stop_signal));
        labels = json_object_get(config, "Labels");
        if (!json_is_object(labels)) {
                labels = json_object();
                json_object_set_new(config, "Labels", labels);
        }
        for (char **l = ic.labels; l && *l; l++) {
                cleanup_free char *k = xstrndup(*l, strcspn(*l, "="));
                if (json_object_get(labels, k) == NULL)
                        json_object_set_new(labels, k, json_string(strchr(*l, '=') ? strchr(*l, '=') + 1 : ""));
        }
        volumes = json_object_get(config, "Volumes");
        if (!json_is_object(volumes)) {
                volumes = json_object();
                json_object_set_new(config, "Volumes", volumes);
        }
        for (char **v = ic.volumes; v && *v; v++)
                json_object_set_new(volumes, *v, json_object());
        /* The image's EXPOSE: published with -P (docker adds them to the container's ExposedPorts). */
        for (char **p = ic.exposed_ports; p && *p; p++) {
                json_t *exposed = json_object_get(config, "ExposedPorts");
                if (!json_is_object(exposed)) {
                        exposed = json_object();
                        json_object_set_new(config, "ExposedPorts", exposed);
                }
                if (json_object_get(exposed, *p) == NULL)
                        json_object_set_new(exposed, *p, json_object());
        }
        s = json_string_value(json_object_get(config, "Hostname"));
        if (s == NULL || *s == '\0') {
                cleanup_free char *h = xstrndup(id, 12);
                json_object_set_new(config, "Hostname", json_string(h));
        }
        json_object_set_new(config, "Image", json_string(image_ref));
        if (json_array_size(json_object_get(config, "Entrypoint")) == 0 && json_array_size(json_object_get(config, "Cmd")) == 0)
                return berth_failf(err, EINVAL, "no command specified");
        return 0;
}

struct create_tx {
        struct engine *e;
        struct engine_container *c;
        bool snapshot_made;
};

static int create_records(struct image_store *s, void *data, berth_error *err)
{
        struct create_tx *tx = data;
        int r;

        (void) s;
        if ((r = engine_db_insert(tx->e, tx->c, err)) < 0 ||
            (r = engine_record_mount_volumes(tx->e, tx->c->id, tx->c->mounts, err)) < 0)
                return r;
        /* The snapshot's record joins the same transaction; its directories are made here too (overlay: three
         * mkdirs; copy: the flattened image). */
        if ((r = snapshot_create(tx->e->store, tx->c->id, tx->c->image_id, SNAPSHOT_KIND_CONTAINER, NULL, err)) < 0)
                return r;
        tx->snapshot_made = true;
        return 0;
}

static int make_container_dir(struct engine *e, const struct engine_container *c, berth_error *err)
{
        cleanup_close int dirfd = -1;

        if (mkdirat(e->containers_fd, c->id, 0710) < 0)
                return berth_fail(err, errno, "create %s/containers/%s", e->store->root, c->id);
        dirfd = engine_container_dirfd(e, c->id, err);
        if (dirfd < 0)
                return dirfd;
        return engine_write_etc_files(dirfd, c->config, c->host_config, err);
}

/* NetworkingConfig.EndpointsConfig[NetworkMode] into the HostConfig's fields (engine/create.h). */
static int fold_networking_config(const json_t *nc, json_t *hc, berth_error *err)
{
        json_t *endpoints = json_object_get(nc, "EndpointsConfig"), *ep, *aliases;
        const char *mode = json_string_value(json_object_get(hc, "NetworkMode")), *ip;

        if (endpoints == NULL || json_is_null(endpoints))
                return 0;
        if (!json_is_object(endpoints))
                return berth_failf(err, EINVAL, "NetworkingConfig.EndpointsConfig: expected an object");
        if (json_object_size(endpoints) > 1)
                return berth_failf(err, EINVAL, "Container cannot be connected to network endpoints: %zu networks given, "
                                   "connect the others after create", json_object_size(endpoints));
        ep = mode != NULL ? json_object_get(endpoints, mode) : NULL;
        if (ep == NULL && json_object_size(endpoints) == 1) {
                const char *only = json_object_iter_key(json_object_iter(endpoints));
                ep = json_object_get(endpoints, only);
                if (mode == NULL || strcmp(mode, "default") == 0 || *mode == '\0')
                        json_object_set_new(hc, "NetworkMode", json_string(only));
        }
        aliases = json_object_get(ep, "Aliases");
        if (json_array_size(aliases) > 0)
                json_object_set(hc, "BerthNetworkAliases", aliases);
        ip = json_string_value(json_object_get(json_object_get(ep, "IPAMConfig"), "IPv4Address"));
        if (ip != NULL && *ip != '\0')
                json_object_set_new(hc, "BerthIPv4Address", json_string(ip));
        return 0;
}

int engine_create_request_check(const struct engine_create_request *req, json_t **host_config, berth_error *err)
{
        cleanup_json json_t *folded = NULL;
        int r;

        *host_config = NULL;
        if (req->name != NULL && !engine_name_is_valid(req->name))
                return berth_failf(err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                                   req->name);
        if (req->networking_config != NULL && !json_is_null(req->networking_config)) {
                folded = req->host_config ? json_deep_copy(req->host_config) : json_object();
                if ((r = fold_networking_config(req->networking_config, folded, err)) < 0)
                        return r;
        } else if (req->host_config != NULL) {
                folded = json_incref(req->host_config);
        }
        if ((r = engine_config_validate(req->config, folded, err)) < 0 ||
            (r = engine_healthcheck_validate(req->config, err)) < 0)
                return r;
        *host_config = steal_pointer(&folded);
        return 0;
}

int engine_container_create(struct engine *e, const struct engine_create_request *req, char **id_out,
                            berth_error *err)
{
        cleanup_engine_container struct engine_container *c = xzalloc(sizeof(*c));
        struct create_tx tx = {.e = e, .c = c};
        cleanup_free char *image_name = NULL;
        int r;

        cleanup_json json_t *host_config = NULL;

        if ((r = engine_create_request_check(req, &host_config, err)) < 0)
                return r;
        /* The image: resolved here, or already found (or pulled) by engine_image_ensure (pull.h). */
        if (req->image_id != NULL)
                c->image_id = xstrdup(req->image_id);
        else if ((r = imagedb_resolve(e->store, req->image, &c->image_id, &image_name, err)) < 0)
                return r;
        c->id = engine_new_id();
        c->image_ref = xstrdup(req->image);
        c->created = engine_now_rfc3339();
        c->config = req->config ? json_deep_copy(req->config) : json_object();
        c->host_config = host_config ? json_deep_copy(host_config) : json_object();
        /* docker's "default" network is the bridge (or none: BERTH_DEFAULT_NETWORK=none, dockerd's --bridge=none). */
        json_object_set_new(c->host_config, "NetworkMode",
                            json_string(engine_network_mode_default(
                                    json_string_value(json_object_get(c->host_config, "NetworkMode")))));
        c->status = ENGINE_CREATED;
        if (engine_network_is_bridge(c->host_config) &&
            (r = engine_network_check(e, json_string_value(json_object_get(c->host_config, "NetworkMode")), err)) < 0)
                return r;
        if ((r = merge_image_config(e, c->image_id, req->image, c->id, c->config, err)) < 0 ||
            (r = engine_resolve_mounts(e, c->id, c->config, c->host_config, &c->mounts, err)) < 0)
                return r;
        if ((r = make_container_dir(e, c, err)) < 0)
                goto undo_dir;
        for (unsigned attempt = 0;; attempt++) {
                free(c->name);
                c->name = req->name ? xstrdup(req->name[0] == '/' ? req->name + 1 : req->name) : engine_new_name(attempt);
                r = store_transaction(e->store, create_records, &tx, err);
                /* A generated name taken meanwhile: another one, as docker retries. */
                if (r == -EEXIST && req->name == NULL && attempt < 10) {
                        berth_error_clear(err);
                        continue;
                }
                break;
        }
        if (r < 0)
                goto undo_dir;
        engine_event_container(e, c, "create", NULL);
        *id_out = steal_pointer(&c->id);
        return 0;
undo_dir:
        {
                berth_error ignored = {0};
                /* The transaction rolled back the records; the snapshot's directories are ours to remove. */
                if (tx.snapshot_made) {
                        cleanup_free char *dir = xasprintf("snapshots/%s", c->id);
                        fs_remove_tree_at(e->store->rootfd, dir, &ignored);
                }
                fs_remove_tree_at(e->containers_fd, c->id, &ignored);
                berth_error_clear(&ignored);
        }
        return r;
}

static int delete_records(struct image_store *s, void *data, berth_error *err)
{
        struct create_tx *tx = data;
        int r = snapshot_remove(s, tx->c->id, err);

        if (r < 0 && r != -ENOENT)
                return r;
        berth_error_clear(err);
        return engine_db_delete(tx->e, tx->c->id, err);
}

int engine_container_remove_files(struct engine *e, const char *id, bool volumes, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        struct create_tx tx = {.e = e};
        json_t *v;
        size_t i;
        int r;

        if ((r = engine_db_get(e, id, &c, err)) < 0)
                return r;
        tx.c = c;
        engine_procview_release(e, id);
        /* Unmount first: a busy rootfs fails here, before any record is gone. */
        if ((r = snapshot_unmount(e->store, id, err)) < 0)
                return r;
        if ((r = store_transaction(e->store, delete_records, &tx, err)) < 0)
                return r;
        engine_event_container(e, c, "destroy", NULL);
        if ((r = fs_remove_tree_at(e->containers_fd, id, err)) < 0)
                return r;
        if (!volumes)
                return 0;
        /* rm -v: the container's anonymous volumes (named ones stay, as in docker). */
        json_array_foreach(c->mounts, i, v) {
                const char *name = json_string_value(json_object_get(v, "Name"));
                berth_error ignored = {0};
                if (name != NULL && strlen(name) == 64 && strspn(name, "0123456789abcdef") == 64)
                        engine_volume_remove(e, name, false, &ignored);
                berth_error_clear(&ignored);
        }
        return 0;
}
