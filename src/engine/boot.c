/* berth system boot (boot.h): every container refreshed, then the restart policies that outlive a reboot. */
#include "engine/boot.h"

#include <errno.h>
#include <string.h>

#include "engine/launch.h"
#include "engine/list.h"
#include "lib/cleanup.h"

bool engine_boot_wanted(const struct engine_container *c)
{
        const char *policy = json_string_value(json_object_get(json_object_get(c->host_config, "RestartPolicy"), "Name"));

        if (policy == NULL || c->status == ENGINE_RUNNING || c->status == ENGINE_PAUSED || c->status == ENGINE_REMOVING)
                return false;
        /* docker: always comes back even after a stop by the user (at the daemon's start); unless-stopped only
         * when the user did not stop it. */
        return strcmp(policy, "always") == 0 || (strcmp(policy, "unless-stopped") == 0 && !c->manual_stop);
}

int engine_system_boot(struct engine *e, const struct engine_boot_report *report, berth_error *err)
{
        struct engine_list_options o = {.all = true, .last = -1};
        struct engine_container **list = NULL;
        size_t n = 0;
        bool any_failed = false;
        int r;

        /* The listing refreshes each record: a container the reboot ended is exited (255) from here on. */
        if ((r = engine_container_list(e, &o, &list, &n, err)) < 0)
                return r;
        /* Oldest first, as they were made. */
        for (size_t i = n; i-- > 0;) {
                berth_error one = {0};
                bool already = false;

                if (!engine_boot_wanted(list[i]))
                        continue;
                if (engine_container_start(e, list[i]->id, NULL, &already, &one) < 0) {
                        any_failed = true;
                        if (report && report->failed)
                                report->failed(list[i], &one, report->data);
                } else if (!already && report && report->started) {
                        report->started(list[i], report->data);
                }
                berth_error_clear(&one);
        }
        engine_container_list_free(list, n);
        if (any_failed)
                return berth_failf(err, EIO, "some containers could not be started");
        return 0;
}
