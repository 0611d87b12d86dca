/* update (update.h): the new HostConfig checked, written to the running container's cgroup by the runtime,
 * then recorded. */
#include "engine/update.h"

#include <errno.h>
#include <string.h>

#include "engine/db.h"
#include "engine/events.h"
#include "engine/hostconfig.h"
#include "engine/list.h"
#include "engine/spec_build.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"

static const char *const KEYS[] = {"Memory",   "MemorySwap", "MemoryReservation", "NanoCpus",  "CpuShares",    "CpuPeriod",
                                   "CpuQuota", "CpusetCpus", "CpusetMems",        "PidsLimit", "RestartPolicy",
                                   "BlkioWeight"};

static void resources_free(struct cgroup_resources **r)
{
        if (*r != NULL)
                cgroup_resources_free(*r);
}

static int apply_to_cgroup(struct engine *e, const char *id, const json_t *host_config, berth_error *err)
{
        __attribute__((cleanup(resources_free))) struct cgroup_resources *res = NULL;
        cleanup_container struct container *rc = NULL;
        json_t *linux_obj = json_object();
        json_t *resources;
        int r;

        if ((r = engine_spec_resources(host_config, linux_obj, err)) < 0)
                goto out;
        resources = json_object_get(linux_obj, "resources");
        /* The device rules are not update's (runc's neither). */
        json_object_del(resources, "devices");
        if ((r = cgroup_resources_parse(resources, &res, err)) < 0 || (r = container_load(&e->rt, id, &rc, err)) < 0)
                goto out;
        r = container_update(rc, res, err);
out:
        json_decref(linux_obj);
        return r;
}

int engine_container_update(struct engine *e, const char *ref, const json_t *changes, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_json json_t *hc = NULL;
        const char *k;
        json_t *v;
        int r;

        json_object_foreach((json_t *) changes, k, v) {
                bool known = false;
                for (size_t i = 0; i < ARRAY_SIZE(KEYS); i++)
                        known |= strcmp(k, KEYS[i]) == 0;
                if (!known)
                        return berth_failf(err, EINVAL, "update: %s cannot be updated", k);
        }
        if ((r = engine_container_find(e, ref, &c, err)) < 0)
                return r;
        hc = json_deep_copy(c->host_config);
        json_object_update(hc, (json_t *) changes);
        /* docker: a new memory limit above the old swap limit takes the swap limit with it (unset: 2x). */
        if (json_object_get(changes, "Memory") != NULL && json_object_get(changes, "MemorySwap") == NULL) {
                json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
                json_int_t swap = json_integer_value(json_object_get(hc, "MemorySwap"));
                if (swap > 0 && mem > swap)
                        json_object_set_new(hc, "MemorySwap", json_integer(mem * 2));
        }
        if (c->status == ENGINE_REMOVING)
                return berth_failf(err, EINVAL, "Cannot update container %s: container is marked for removal", c->id);
        if ((r = engine_config_validate(c->config, hc, err)) < 0)
                return berth_error_prefix(err, "Cannot update container %s: ", c->id);
        if (c->status == ENGINE_RUNNING || c->status == ENGINE_PAUSED) {
                if ((r = apply_to_cgroup(e, c->id, hc, err)) < 0)
                        return berth_error_prefix(err, "Cannot update container %s: ", c->id);
        }
        if ((r = engine_db_update_host_config(e, c->id, hc, err)) < 0)
                return r;
        engine_event_container(e, c, "update", NULL);
        return 0;
}
