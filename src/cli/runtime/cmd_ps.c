#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "runtime/container.h"
#include "cli/runtime/commands.h"
#include "lib/util.h"

static bool contains_pid(const pid_t *pids, size_t n, long pid)
{
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

/* Table: ps(1)'s output (default -ef) reduced to the container's processes, found by the PID column. */
static int print_ps_table(struct runtime_context *ctx, char **ps_args, const pid_t *pids, size_t n)
{
        cleanup_strv char **argv = NULL;
        char line[8192];
        int pid_column = -1, status = 0;
        FILE *out;

        argv = strv_append(argv, "ps");
        if (ps_args == NULL || ps_args[0] == NULL)
                argv = strv_append(argv, "-ef");
        for (size_t i = 0; ps_args && ps_args[i]; i++)
                argv = strv_append(argv, ps_args[i]);
        {
                cleanup_free char *cmd = NULL;
                size_t len = 0;
                for (size_t i = 0; argv[i]; i++)
                        len += strlen(argv[i]) * 4 + 3;
                cmd = xzalloc(len + 1);
                for (size_t i = 0; argv[i]; i++) {
                        /* single-quote each argument for sh */
                        strcat(cmd, "'");
                        for (const char *p = argv[i]; *p; p++) {
                                if (*p == '\'')
                                        strcat(cmd, "'\\''");
                                else
                                        strncat(cmd, p, 1);
                        }
                        strcat(cmd, "' ");
                }
                out = popen(cmd, "re");
        }
        if (out == NULL)
                return cli_usage_error(ctx, "ps: cannot run ps");
        for (int lineno = 0; fgets(line, sizeof(line), out) != NULL; lineno++) {
                if (lineno == 0) {
                        cleanup_free char *copy = xstrdup(line);
                        char *save = NULL;
                        int col = 0;
                        for (char *tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save), col++)
                                if (strcmp(tok, "PID") == 0)
                                        pid_column = col;
                        if (pid_column < 0) {
                                pclose(out);
                                return cli_usage_error(ctx, "ps: no PID column in ps's output");
                        }
                        fputs(line, stdout);
                        continue;
                }
                {
                        cleanup_free char *copy = xstrdup(line);
                        char *save = NULL, *tok = strtok_r(copy, " \t\n", &save);
                        for (int col = 0; tok && col < pid_column; col++)
                                tok = strtok_r(NULL, " \t\n", &save);
                        if (tok && contains_pid(pids, n, strtol(tok, NULL, 10)))
                                fputs(line, stdout);
                }
        }
        status = pclose(out);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return cli_usage_error(ctx, "ps: ps exited with status %d", status);
        return 0;
}

int cmd_ps(struct runtime_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"format", required_argument, NULL, 'f'},
                {NULL, 0, NULL, 0},
        };
        cleanup_container struct container *c = NULL;
        pid_t *pids = NULL;
        size_t n = 0;
        bool json_format = false;
        berth_error err = {0};
        int opt, r;

        while ((opt = getopt_long(argc, argv, "+f:", options, NULL)) != -1) {
                if (opt != 'f')
                        return 1;
                if (strcmp(optarg, "json") == 0)
                        json_format = true;
                else if (strcmp(optarg, "table") != 0)
                        return cli_usage_error(ctx, "ps: unknown format \"%s\" (table or json)", optarg);
        }
        if (optind >= argc)
                return cli_usage_error(ctx, "ps: usage: ps [--format table|json] CONTAINER_ID [ps options]");
        if (container_load(ctx, argv[optind], &c, &err) < 0 || container_pids(c, &pids, &n, &err) < 0)
                return cli_fail(ctx, &err);
        if (json_format) {
                printf("[");
                for (size_t i = 0; i < n; i++)
                        printf("%s%d", i ? "," : "", (int) pids[i]);
                printf("]\n");
                r = 0;
        } else {
                r = print_ps_table(ctx, argv + optind + 1, pids, n);
        }
        free(pids);
        return r;
}
