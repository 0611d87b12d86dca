#include <getopt.h>
#include <signal.h>
#include <stdbool.h>

#include "cli/runtime/commands.h"
#include "runtime/container.h"
#include "lib/util.h"

int cmd_kill(struct runtime_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"all", no_argument, NULL, 'a'},
                {"pid", required_argument, NULL, 'p'},
                {NULL, 0, NULL, 0},
        };
        berth_error err = {0};
        bool all = false;
        int sig = SIGTERM, opt;

        while ((opt = getopt_long(argc, argv, "+a", options, NULL)) != -1) {
                if (opt == 'a')
                        all = true;
                else if (opt != 'p')
                        return 1;
        }
        if (argc - optind < 1 || argc - optind > 2)
                return cli_usage_error(ctx, "kill: usage: kill [--all] CONTAINER_ID [SIGNAL]");
        if (argc - optind == 2 && signal_parse(argv[optind + 1], &sig) < 0)
                return cli_usage_error(ctx, "kill: unknown signal \"%s\"", argv[optind + 1]);
        if (container_kill(ctx, argv[optind], sig, all, &err) < 0)
                return cli_fail(ctx, &err);
        return 0;
}
