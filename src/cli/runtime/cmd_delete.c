#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/runtime/commands.h"
#include "lib/cleanup.h"
#include "runtime/container.h"

/* crun's delete --regex: every container whose id matches (POSIX extended, unanchored, as crun). Each is
 * deleted as a plain delete would; a failure is reported and the others are still deleted. */
static int delete_matching(struct runtime_context *ctx, const char *pattern, bool force)
{
        cleanup_strv char **ids = NULL;
        berth_error err = {0};
        regex_t re;
        int failed = 0, r;

        if ((r = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB)) != 0) {
                char msg[256];
                regerror(r, &re, msg, sizeof(msg));
                return cli_usage_error(ctx, "delete --regex: \"%s\": %s", pattern, msg);
        }
        if (container_list_ids(ctx, &ids, &err) < 0) {
                regfree(&re);
                return cli_fail(ctx, &err);
        }
        for (size_t i = 0; ids[i] != NULL; i++) {
                if (regexec(&re, ids[i], 0, NULL, 0) != 0)
                        continue;
                if (container_delete(ctx, ids[i], force, &err) < 0) {
                        if (!(force && err.code == ENOENT)) {
                                cli_fail(ctx, &err);
                                failed = 1;
                        }
                        berth_error_clear(&err);
                }
        }
        regfree(&re);
        return failed;
}

int cmd_delete(struct runtime_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"force", no_argument, NULL, 'f'},
                {"regex", required_argument, NULL, 'r'},
                {NULL, 0, NULL, 0},
        };
        berth_error err = {0};
        const char *regex = NULL;
        bool force = false;
        int opt;

        while ((opt = getopt_long(argc, argv, "+fr:", options, NULL)) != -1) {
                if (opt == 'f')
                        force = true;
                else if (opt == 'r')
                        regex = optarg;
                else
                        return 1;
        }
        /* crun: delete --regex REGEX takes no container id. */
        if (regex != NULL) {
                if (argc != optind)
                        return cli_usage_error(ctx, "delete --regex: takes no container id");
                return delete_matching(ctx, regex, force);
        }
        if (argc - optind != 1)
                return cli_usage_error(ctx, "delete: expects exactly one container id");
        if (container_delete(ctx, argv[optind], force, &err) < 0) {
                /* As runc: deleting what is already gone is no error with --force. */
                if (force && err.code == ENOENT) {
                        berth_error_clear(&err);
                        return 0;
                }
                return cli_fail(ctx, &err);
        }
        return 0;
}
