#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/runtime/commands.h"
#include "runtime/container.h"

int cmd_delete(struct runtime_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"force", no_argument, NULL, 'f'},
                {NULL, 0, NULL, 0},
        };
        berth_error err = {0};
        bool force = false;
        int opt;

        while ((opt = getopt_long(argc, argv, "+f", options, NULL)) != -1) {
                if (opt == 'f')
                        force = true;
                else
                        return 1;
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
