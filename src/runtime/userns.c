#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

extern char **environ;

char *userns_format_map(const struct spec_id_mapping *map, size_t n)
{
        char *out = xzalloc(n * 36 + 1);
        size_t len = 0;

        for (size_t i = 0; i < n; i++)
                len += (size_t) sprintf(out + len, "%u %u %u\n", map[i].container_id, map[i].host_id, map[i].size);
        return out;
}

int64_t userns_host_id(const struct spec_id_mapping *map, size_t n, uint32_t container_id)
{
        for (size_t i = 0; i < n; i++)
                if (container_id >= map[i].container_id && container_id - map[i].container_id < map[i].size)
                        return (int64_t) map[i].host_id + (container_id - map[i].container_id);
        return -1;
}

static int write_map_file(pid_t pid, const char *file, const char *text, berth_error *err)
{
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        return write_file_at(AT_FDCWD, path, text, strlen(text), err);
}

/* newuidmap PID  cid hid size  cid hid size ... */
static int run_id_map_helper(const char *helper, pid_t pid, const struct spec_id_mapping *map, size_t n,
                             berth_error *err)
{
        char **argv = xzalloc((2 + 3 * n + 1) * sizeof(char *));
        pid_t child;
        int status = 0, r;

        argv[0] = xstrdup(helper);
        argv[1] = xasprintf("%d", (int) pid);
        for (size_t i = 0; i < n; i++) {
                argv[2 + 3 * i] = xasprintf("%u", map[i].container_id);
                argv[3 + 3 * i] = xasprintf("%u", map[i].host_id);
                argv[4 + 3 * i] = xasprintf("%u", map[i].size);
        }
        r = posix_spawnp(&child, helper, NULL, NULL, argv, environ);
        strv_free(argv);
        if (r != 0)
                return berth_fail(err, r, "run %s", helper);
        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR)
                        return berth_fail(err, errno, "wait for %s", helper);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return berth_failf(err, EPERM, "%s %d failed (status %d): are the ranges in /etc/sub%cid?", helper,
                                   (int) pid, status, helper[3] == 'u' ? 'u' : 'g');
        return 0;
}

static bool is_single_self_mapping(const struct spec_id_mapping *map, size_t n, uint32_t self)
{
        return n == 1 && map[0].size == 1 && map[0].host_id == self;
}

int userns_write_mappings(pid_t pid, const struct spec_id_mapping *uids, size_t n_uids,
                          const struct spec_id_mapping *gids, size_t n_gids, berth_error *err)
{
        cleanup_free char *uid_text = userns_format_map(uids, n_uids);
        cleanup_free char *gid_text = userns_format_map(gids, n_gids);
        int r;

        if (geteuid() == 0) {
                /* Privileged over the parent namespace: the kernel accepts any ranges. */
                r = write_map_file(pid, "uid_map", uid_text, err);
                if (r == 0)
                        r = write_map_file(pid, "gid_map", gid_text, err);
                if (r < 0)
                        return berth_error_prefix(err, "linux.uidMappings/gidMappings: ");
                return 0;
        }
        /* Unprivileged: one's own id mapped once needs no helper; gid_map then needs setgroups denied. */
        if (is_single_self_mapping(uids, n_uids, geteuid()))
                r = write_map_file(pid, "uid_map", uid_text, err);
        else
                r = run_id_map_helper("newuidmap", pid, uids, n_uids, err);
        if (r < 0)
                return berth_error_prefix(err, "linux.uidMappings: ");
        if (is_single_self_mapping(gids, n_gids, getegid())) {
                r = write_map_file(pid, "setgroups", "deny", err);
                if (r == 0)
                        r = write_map_file(pid, "gid_map", gid_text, err);
        } else {
                r = run_id_map_helper("newgidmap", pid, gids, n_gids, err);
        }
        if (r < 0)
                return berth_error_prefix(err, "linux.gidMappings: ");
        return 0;
}
