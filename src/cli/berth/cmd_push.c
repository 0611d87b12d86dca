/* berth push [OPTIONS] NAME[:TAG] (docs/registry.md) */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "cli/berth/cmd_container.h"
#include "cli/berth/registry_cli.h"
#include "engine/images.h"
#include "lib/util.h"

static void usage(void)
{
        printf("Usage:  berth push [OPTIONS] NAME[:TAG]\n\nUpload an image to a registry\n\nOptions:\n"
               "  -a, --all-tags            Push all tags of an image to the repository\n"
               "  -q, --quiet               Suppress verbose output\n" REGISTRY_CLI_HELP);
}

int cmd_push(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"all-tags", no_argument, NULL, 'a'},
                {"quiet", no_argument, NULL, 'q'},
                REGISTRY_CLI_OPTIONS,
                CLI_HELP_OPTION,
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        struct engine *e = NULL;
        struct registry_options o;
        struct registry_push_result *res = NULL;
        struct progress_display *display = NULL;
        bool quiet = false;
        size_t n = 0;
        int c, r;

        registry_cli_init(&o);
        while ((c = getopt_long(argc, argv, "aqh", options, NULL)) != -1) {
                if ((r = registry_cli_option(cli, c, optarg, &o)) != 0) {
                        if (r < 0)
                                return CLI_EXIT_ERROR;
                        continue;
                }
                switch (c) {
                case 'a': o.all_tags = true; break;
                case 'q': quiet = true; break;
                case 'h': usage(); return 0;
                default: return cli_usage_error(cli, "invalid option");
                }
        }
        if (argc - optind != 1)
                return cli_usage_error(cli, "\"%s push\" requires exactly 1 argument.", cli->program);
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail_status(cli, &err, CLI_EXIT_FAILURE);
        o.cancel = registry_cli_catch_signals();
        display = registry_cli_progress(&o, quiet);
        r = engine_image_push(e, argv[optind], &o, &res, &n, &err);
        progress_display_free(display);
        engine_close(e);
        for (size_t i = 0; i < n; i++)
                registry_push_result_clear(&res[i]);
        free(res);
        if (r == -ECANCELED && registry_cli_caught_signal())
                registry_cli_exit_signal();
        if (r < 0)
                return cli_fail_status(cli, &err, CLI_EXIT_FAILURE);
        return 0;
}
