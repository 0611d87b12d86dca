#include "engine/summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "engine/health.h"
#include "engine/logs.h"
#include "engine/network.h"

static char *ago(const char *rfc3339)
{
        double t = engine_log_time(rfc3339);
        char buf[64];

        if (t < 0)
                return xstrdup("");
        human_duration((int64_t) time(NULL) - (int64_t) t, buf, sizeof(buf));
        return xasprintf("%s ago", buf);
}

char *engine_container_status_text(struct engine *e, const struct engine_container *c)
{
        cleanup_free char *since = NULL;
        const char *health;
        char buf[64];

        switch (c->status) {
        case ENGINE_RUNNING:
        case ENGINE_PAUSED:
                human_duration((int64_t) time(NULL) - (int64_t) engine_log_time(c->started_at), buf, sizeof(buf));
                if (c->status == ENGINE_PAUSED)
                        return xasprintf("Up %s (Paused)", buf);
                health = engine_container_health_status(e, c);
                if (health != NULL) /* docker's Health.String() */
                        return xasprintf("Up %s (%s%s)", buf, strcmp(health, "starting") == 0 ? "health: " : "", health);
                return xasprintf("Up %s", buf);
        case ENGINE_RESTARTING:
                since = ago(c->finished_at);
                return xasprintf("Restarting (%d) %s", c->exit_code, since);
        case ENGINE_EXITED:
                since = ago(c->finished_at);
                return xasprintf("Exited (%d) %s", c->exit_code, since);
        case ENGINE_REMOVING:
                return xstrdup("Removal In Progress");
        case ENGINE_DEAD:
                return xstrdup("Dead");
        default:
                return xstrdup("Created");
        }
}

char *engine_container_command_line(const struct engine_container *c)
{
        char *s = xstrdup("");
        const char *keys[] = {"Entrypoint", "Cmd"};

        for (int k = 0; k < 2; k++) {
                size_t i;
                json_t *v;
                json_array_foreach(json_object_get(c->config, keys[k]), i, v) {
                        char *n = xasprintf("%s%s%s", s, *s ? " " : "", json_string_value(v) ?: "");
                        free(s);
                        s = n;
                }
        }
        return s;
}

/* {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]} -> [{"IP", "PrivatePort", "PublicPort", "Type"}]. */
static json_t *port_list(const json_t *ports)
{
        json_t *out = json_array();
        const char *key;
        json_t *bindings;

        json_object_foreach((json_t *) ports, key, bindings) {
                unsigned private_port = 0;
                char proto[16] = "tcp";
                size_t i;
                json_t *b;
                if (sscanf(key, "%u/%15s", &private_port, proto) < 1)
                        continue;
                if (json_array_size(bindings) == 0)
                        json_array_append_new(out, json_pack("{s:i,s:s}", "PrivatePort", (int) private_port, "Type", proto));
                json_array_foreach(bindings, i, b) {
                        const char *hp = json_string_value(json_object_get(b, "HostPort"));
                        json_array_append_new(out, json_pack("{s:s,s:i,s:i,s:s}", "IP",
                                                             json_string_value(json_object_get(b, "HostIp")) ?: "",
                                                             "PrivatePort", (int) private_port, "PublicPort",
                                                             hp ? atoi(hp) : 0, "Type", proto));
                }
        }
        return out;
}

json_t *engine_container_summary(struct engine *e, const struct engine_container *c)
{
        cleanup_free char *status = engine_container_status_text(e, c), *cmd = engine_container_command_line(c);
        cleanup_free char *name = xasprintf("/%s", c->name);
        cleanup_json json_t *ports = c->status == ENGINE_RUNNING || c->status == ENGINE_PAUSED ? engine_network_ports(e, c->id)
                                                                                               : NULL;
        cleanup_json json_t *settings = engine_network_settings(e, c);
        const char *net = json_string_value(json_object_get(c->host_config, "NetworkMode"));
        json_t *labels = json_object_get(c->config, "Labels");
        double created = engine_log_time(c->created);

        json_t *networks = json_object_get(settings, "Networks");

        return json_pack("{s:s,s:[s],s:s,s:s,s:s,s:I,s:o,s:o,s:s,s:s,s:{s:s},s:{s:o},s:o}", "Id", c->id, "Names", name,
                         "Image", c->image_ref, "ImageID", c->image_id, "Command", cmd, "Created",
                         (json_int_t) (created > 0 ? created : 0), "Ports", port_list(ports), "Labels",
                         json_is_object(labels) ? json_incref(labels) : json_object(), "State",
                         engine_status_name(c->status), "Status", status, "HostConfig", "NetworkMode", net ? net : "none",
                         "NetworkSettings", "Networks", networks ? json_incref(networks) : json_object(), "Mounts",
                         json_is_array(c->mounts) ? json_incref(c->mounts) : json_array());
}
