/* `--user user[:group]` resolved as docker does (moby/sys/user): names through the container's own
 * /etc/passwd and /etc/group (read inside the rootfs, never the host's), numbers as they are, the
 * supplementary groups that list the user, and HOME. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

struct engine_user {
        uint32_t uid, gid;
        uint32_t *groups; /* supplementary */
        size_t n_groups;
        char *home;       /* "/" when unknown */
};
void engine_user_clear(struct engine_user *u);

/* spec: "" (root), "name", "1000", "name:group", "1000:1000". rootfd: the container's root directory. */
int engine_user_resolve(int rootfd, const char *spec, struct engine_user *out, berth_error *err);
