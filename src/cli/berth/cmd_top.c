/* berth top CONTAINER [ps OPTIONS]: as docker does it, the host's ps (default -ef) filtered to the pids
 * of the container's cgroup. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/list.h"
#include "engine/reconcile.h"
#include "engine/stats.h"
#include "lib/util.h"

static bool pid_listed(const pid_t *pids, size_t n, long pid)
{
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

int cmd_top(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_free char *id = NULL, *cmd = NULL;
        cleanup_free pid_t *pids = NULL;
        char line[4096];
        size_t n = 0;
        int pid_column = -1, first = 1;
        FILE *ps;

        if (argc < 2 || strcmp(argv[1], "--help") == 0) {
                printf("Usage:  berth top CONTAINER [ps OPTIONS]\n");
                return argc < 2 ? cli_flag_error(cli, "\"berth top\" requires at least 1 argument.") : 0;
        }
        if (cli_engine_open(cli, &e, &err) < 0 || engine_container_resolve(e, argv[1], &id, &err) < 0 ||
            engine_container_load(e, id, &c, &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                return 1;
        }
        if (c->status != ENGINE_RUNNING && c->status != ENGINE_PAUSED) {
                fprintf(stderr, "Error response from daemon: container %s is not running\n", id);
                return 1;
        }
        if (engine_container_pids(e, id, &pids, &n, &err) < 0)
                return cli_fail(cli, &err);
        /* ps options pass through as docker passes them (one word each; no shell). */
        cmd = xstrdup("ps");
        for (int i = 2; i < argc; i++) {
                for (const char *p = argv[i]; *p; p++)
                        if (!(*p == '-' || *p == ',' || *p == '=' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                              (*p >= '0' && *p <= '9')))
                                return cli_flag_error(cli, "invalid ps option: %s", argv[i]);
                char *next = xasprintf("%s %s", cmd, argv[i]);
                free(cmd);
                cmd = next;
        }
        if (argc == 2) {
                free(cmd);
                cmd = xstrdup("ps -ef");
        }
        ps = popen(cmd, "r");
        if (ps == NULL)
                return cli_flag_error(cli, "run ps: %s", strerror(errno));
        while (fgets(line, sizeof(line), ps) != NULL) {
                if (first) {
                        /* The PID column of the header. */
                        char copy[4096], *save = NULL;
                        int col = 0;
                        snprintf(copy, sizeof(copy), "%s", line);
                        for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++)
                                if (strcmp(t, "PID") == 0)
                                        pid_column = col;
                        fputs(line, stdout);
                        first = 0;
                        if (pid_column < 0) {
                                pclose(ps);
                                return cli_flag_error(cli, "Couldn't find PID field in ps output");
                        }
                        continue;
                }
                char copy[4096], *save = NULL, *t;
                int col = 0;
                snprintf(copy, sizeof(copy), "%s", line);
                for (t = strtok_r(copy, " \t\n", &save); t && col < pid_column; t = strtok_r(NULL, " \t\n", &save))
                        col++;
                if (t != NULL && pid_listed(pids, n, strtol(t, NULL, 10)))
                        fputs(line, stdout);
        }
        pclose(ps);
        return 0;
}
