/* Resource usage of running containers (stats.h): the runtime's cgroup stats and pids, and top (the
 * host's ps filtered to the container's pids, as docker's daemon does it). */
#include "engine/stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/list.h"
#include "lib/cleanup.h"
#include "runtime/container.h"
#include "lib/util.h"

int engine_container_cgroup_stats(struct engine *e, const char *id, json_t **out, berth_error *err)
{
        cleanup_container struct container *rc = NULL;

        if (container_load(&e->rt, id, &rc, NULL) < 0)
                return berth_failf(err, EINVAL, "container %s is not running", id);
        return container_stats(rc, out, err);
}

int engine_container_pids(struct engine *e, const char *id, pid_t **pids, size_t *n, berth_error *err)
{
        cleanup_container struct container *rc = NULL;

        if (container_load(&e->rt, id, &rc, NULL) < 0)
                return berth_failf(err, EINVAL, "container %s is not running", id);
        return container_pids(rc, pids, n, err);
}

static bool pid_listed(const pid_t *pids, size_t n, long pid)
{
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

/* The index of the PID column in ps's header line, or -1. */
static int pid_column(const char *header)
{
        cleanup_free char *copy = xstrdup(header);
        char *save = NULL;
        int col = 0;

        for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++)
                if (strcmp(t, "PID") == 0)
                        return col;
        return -1;
}

static long pid_in_line(const char *line, int column)
{
        cleanup_free char *copy = xstrdup(line);
        char *save = NULL, *t;
        int col = 0;

        for (t = strtok_r(copy, " \t\n", &save); t && col < column; t = strtok_r(NULL, " \t\n", &save))
                col++;
        return t ? strtol(t, NULL, 10) : -1;
}

int engine_container_top(struct engine *e, const char *ref, char *const *ps_args, char ***lines_out, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_free pid_t *pids = NULL;
        cleanup_free char *cmd = NULL;
        char **lines = NULL;
        char line[4096];
        size_t n = 0;
        int column = -1, r;
        FILE *ps;

        if ((r = engine_container_find(e, ref, &c, err)) < 0)
                return r;
        if (c->status != ENGINE_RUNNING && c->status != ENGINE_PAUSED)
                return berth_failf(err, EINVAL, "container %s is not running", c->id);
        /* ps options pass through as docker passes them: words of option characters only (no shell). */
        cmd = xstrdup(ps_args && ps_args[0] ? "ps" : "ps -ef");
        for (char *const *a = ps_args; a && *a; a++) {
                char *next;
                for (const char *p = *a; *p; p++)
                        if (!(*p == '-' || *p == ',' || *p == '=' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                              (*p >= '0' && *p <= '9')))
                                return berth_failf(err, EINVAL, "invalid ps option: %s", *a);
                next = xasprintf("%s %s", cmd, *a);
                free(cmd);
                cmd = next;
        }
        if ((r = engine_container_pids(e, c->id, &pids, &n, err)) < 0)
                return r;
        ps = popen(cmd, "re");
        if (ps == NULL)
                return berth_fail(err, errno, "run %s", cmd);
        lines = xzalloc(sizeof(char *));
        while (fgets(line, sizeof(line), ps) != NULL) {
                if (column < 0) {
                        if ((column = pid_column(line)) < 0)
                                break;
                        lines = strv_append(lines, line);
                } else if (pid_listed(pids, n, pid_in_line(line, column))) {
                        lines = strv_append(lines, line);
                }
        }
        pclose(ps);
        if (column < 0) {
                strv_free(lines);
                return berth_failf(err, EINVAL, "Couldn't find PID field in ps output");
        }
        *lines_out = lines;
        return 0;
}
