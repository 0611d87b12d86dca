/* After a host reboot: the containers whose restart policy says they come back (docker's daemon does it
 * when it starts; berth has no daemon, so `berth system boot`, run by contrib/berth-boot.service, does,
 * as podman-restart.service does for podman). */
#pragma once

#include <stdbool.h>

#include "engine/engine.h"

/* Each container's record is first folded with what the kernel shows (the reboot ended them: exited, 255).
 * Then those with `--restart always`, or `unless-stopped` and not stopped by the user, are started;
 * on-failure and no stay as they are (podman-restart's choice; docker's daemon would also restart an
 * on-failure container that a crash ended). started(): each container started; failed(): each that could
 * not be (the others are still started). Returns 0, or -EIO when one failed. */
struct engine_boot_report {
        void (*started)(const struct engine_container *c, void *data);
        void (*failed)(const struct engine_container *c, const berth_error *err, void *data);
        void *data;
};
int engine_system_boot(struct engine *e, const struct engine_boot_report *report, berth_error *err);

/* Whether the container is one boot starts (its policy, and whether the user stopped it). */
bool engine_boot_wanted(const struct engine_container *c);
