/* docker's container inspect JSON (inspect.h): Id, Created, Path, Args, State, Image, the managed files'
 * paths, Name, RestartCount, Driver, HostConfig, GraphDriver, Mounts, Config, NetworkSettings. What the CLI
 * prints and the API's GET /containers/ID/json returns. */
#include <stdio.h>
#include <string.h>

#include "engine/inspect.h"

#include "engine/health.h"
#include "engine/list.h"
#include "lib/cleanup.h"
#include "engine/network.h"
#include "lib/json.h"
#include "lib/util.h"

#define GO_ZERO_TIME "0001-01-01T00:00:00Z"

static json_t *state_json(struct engine *e, const struct engine_container *c)
{
        bool running = c->status == ENGINE_RUNNING || c->status == ENGINE_PAUSED || c->status == ENGINE_RESTARTING;
        json_t *health = engine_container_health(e, c);
        json_t *state = json_pack("{s:s,s:b,s:b,s:b,s:b,s:b,s:i,s:i,s:s,s:s,s:s}", "Status", engine_status_name(c->status),
                         "Running", running, "Paused", c->status == ENGINE_PAUSED, "Restarting",
                         c->status == ENGINE_RESTARTING, "OOMKilled", c->oom_killed, "Dead", c->status == ENGINE_DEAD, "Pid",
                         running ? (int) c->pid : 0, "ExitCode", c->exit_code, "Error", c->error ? c->error : "",
                         "StartedAt", c->started_at && *c->started_at ? c->started_at : GO_ZERO_TIME, "FinishedAt",
                         c->finished_at && *c->finished_at ? c->finished_at : GO_ZERO_TIME);

        /* docker: State.Health only for a container with a health check. */
        if (health != NULL)
                json_object_set_new(state, "Health", health);
        return state;
}

static json_t *graph_driver(struct engine *e, const struct engine_container *c)
{
        bool overlay = strcmp(e->store->driver, "overlay") == 0;
        cleanup_free char *dir = xasprintf("%s/snapshots/%s", e->store->root, c->id);
        cleanup_free char *upper = xasprintf("%s/%s", dir, overlay ? "upper" : "rootfs");
        cleanup_free char *work = xasprintf("%s/work", dir), *merged = xasprintf("%s/merged", dir);
        json_t *data = json_pack("{s:s,s:s}", "MergedDir", merged, "UpperDir", upper);

        if (overlay)
                json_object_set_new(data, "WorkDir", json_string(work));
        return json_pack("{s:o,s:s}", "Data", data, "Name", overlay ? "overlay2" : "vfs");
}

static json_t *inspect_mounts(const struct engine_container *c)
{
        json_t *out = json_array(), *v;
        size_t i;

        json_array_foreach(c->mounts, i, v) {
                json_t *m = json_deep_copy(v);
                json_object_del(m, "Options");
                json_array_append_new(out, m);
        }
        return out;
}

json_t *engine_container_inspect_json(struct engine *e, const struct engine_container *c)
{
        cleanup_free char *dir = engine_container_dir(e, c->id);
        cleanup_free char *resolv = xasprintf("%s/resolv.conf", dir), *hostname = xasprintf("%s/hostname", dir);
        cleanup_free char *hosts = xasprintf("%s/hosts", dir), *log = xasprintf("%s/%s-json.log", dir, c->id);
        cleanup_free char *name = xasprintf("/%s", c->name);
        json_t *args = json_array(), *v, *hc = json_deep_copy(c->host_config), *config = json_deep_copy(c->config);
        const char *path = "";
        size_t i;
        bool first = true;

        /* Path and Args: the process's argv[0] and the rest, as docker splits them. */
        for (int k = 0; k < 2; k++)
                json_array_foreach(json_object_get(c->config, k ? "Cmd" : "Entrypoint"), i, v) {
                        if (first)
                                path = json_string_value(v);
                        else
                                json_array_append(args, v);
                        first = false;
                }
        if (json_object_get(hc, "Binds") == NULL)
                json_object_set_new(hc, "Binds", json_null());
        /* The log driver in force, as dockerd always shows it (the SDKs read it to know whether logs can be read
         * back): json-file unless --log-driver said none. */
        {
                json_t *lc = json_object_get(hc, "LogConfig");
                const char *type = json_string_value(json_object_get(lc, "Type"));
                if (!json_is_object(lc))
                        json_object_set_new(hc, "LogConfig", lc = json_object());
                if (type == NULL || *type == '\0')
                        json_object_set_new(lc, "Type", json_string("json-file"));
                if (!json_is_object(json_object_get(lc, "Config")))
                        json_object_set_new(lc, "Config", json_object());
        }
        return json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:n,s:o,s:o,s:o,s:o,s:o}",
                         "Id", c->id, "Created", c->created, "Path", path ? path : "", "Args", args, "State", state_json(e, c),
                         "Image", c->image_id, "ResolvConfPath", resolv, "HostnamePath", hostname, "HostsPath", hosts,
                         "LogPath", log, "Name", name, "RestartCount", c->restart_count, "Driver",
                         strcmp(e->store->driver, "overlay") == 0 ? "overlay2" : "vfs", "Platform", "linux", "MountLabel",
                         "", "ProcessLabel", "", "AppArmorProfile", "", "ExecIDs", "HostConfig", hc, "GraphDriver",
                         graph_driver(e, c), "Mounts", inspect_mounts(c), "Config", config, "NetworkSettings",
                         engine_network_settings(e, c));
}

int engine_container_inspect(struct engine *e, const char *ref, json_t **out, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        int r;

        if ((r = engine_container_find(e, ref, &c, err)) < 0)
                return r;
        *out = engine_container_inspect_json(e, c);
        return 0;
}
