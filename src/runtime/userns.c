#include "runtime/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"

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

/* newuidmap PID  cid hid size  cid hid size ...; its complaint (stderr) becomes part of our one error line. */
static int run_id_map_helper(const char *helper, pid_t pid, const struct spec_id_mapping *map, size_t n,
                             berth_error *err)
{
        char **argv = xzalloc((2 + 3 * n + 1) * sizeof(char *));
        posix_spawn_file_actions_t actions;
        char said[512] = "";
        int out[2], status = 0, r;
        ssize_t len;
        pid_t child;

        argv[0] = xstrdup(helper);
        argv[1] = xasprintf("%d", (int) pid);
        for (size_t i = 0; i < n; i++) {
                argv[2 + 3 * i] = xasprintf("%u", map[i].container_id);
                argv[3 + 3 * i] = xasprintf("%u", map[i].host_id);
                argv[4 + 3 * i] = xasprintf("%u", map[i].size);
        }
        if (pipe2(out, O_CLOEXEC) < 0) {
                strv_free(argv);
                return berth_fail(err, errno, "pipe");
        }
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDERR_FILENO);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        r = posix_spawnp(&child, helper, &actions, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        strv_free(argv);
        close(out[1]);
        if (r != 0) {
                close(out[0]);
                return berth_fail(err, r, "run %s (package uidmap)", helper);
        }
        len = read_all(out[0], said, sizeof(said) - 1);
        close(out[0]);
        said[len > 0 ? len : 0] = '\0';
        for (char *p = said; *p; p++)
                if (*p == '\n')
                        *p = *(p + 1) ? ' ' : '\0';
        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR)
                        return berth_fail(err, errno, "wait for %s", helper);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return berth_failf(err, EPERM, "%s %d failed%s%s (are the ranges in /etc/sub%cid?)", helper, (int) pid,
                                   said[0] ? ": " : "", said, helper[3] == 'u' ? 'u' : 'g');
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
