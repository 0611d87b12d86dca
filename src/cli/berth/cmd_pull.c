/* berth pull [OPTIONS] NAME[:TAG|@DIGEST] (docs/registry.md) */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "cli/berth/registry_cli.h"
#include "cli/berth/cmd_container.h"
#include "engine/images.h"
#include "lib/util.h"

static void usage(void)
{
        printf("Usage:  berth pull [OPTIONS] NAME[:TAG|@DIGEST]\n\nDownload an image from a registry\n\nOptions:\n"
               "  -a, --all-tags            Download all tagged images in the repository\n"
               "      --platform string     Set platform if server is multi-platform capable (os/arch[/variant])\n"
               "  -q, --quiet               Suppress verbose output\n" REGISTRY_CLI_HELP);
}

static void print_results(const struct registry_options *o, const struct registry_pull_result *res, size_t n)
{
        /* docker's last line, also with -q: the full name (the repository for -a). */
        if (o->all_tags && n > 0) {
                cleanup_free char *repo = xstrdup(res[0].name);
                char *colon = strrchr(repo, ':');
                if (colon != NULL && strchr(colon, '/') == NULL)
                        *colon = '\0';
                printf("%s\n", repo);
                return;
        }
        for (size_t i = 0; i < n; i++)
                printf("%s\n", res[i].name);
}

int cmd_pull(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"all-tags", no_argument, NULL, 'a'},
                {"quiet", no_argument, NULL, 'q'},
                {"platform", required_argument, NULL, REGISTRY_OPT_PLATFORM},
                REGISTRY_CLI_OPTIONS,
                CLI_HELP_OPTION,
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        struct engine *e = NULL;
        struct registry_options o;
        struct registry_pull_result *res = NULL;
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
                case REGISTRY_OPT_PLATFORM: o.platform = optarg; break;
                case 'h': usage(); return 0;
                default: return cli_usage_error(cli, "invalid option");
                }
        }
        if (argc - optind != 1)
                return cli_usage_error(cli, "\"%s pull\" requires exactly 1 argument.", cli->program);
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail_status(cli, &err, CLI_EXIT_FAILURE);
        o.cancel = registry_cli_catch_signals();
        display = registry_cli_progress(&o, quiet);
        r = engine_image_pull(e, argv[optind], &o, &res, &n, &err);
        progress_display_free(display);
        engine_close(e);
        if (r == -ECANCELED && registry_cli_caught_signal())
                registry_cli_exit_signal(); /* the store is already as it was */
        if (r < 0)
                return cli_fail_status(cli, &err, CLI_EXIT_FAILURE);
        print_results(&o, res, n);
        for (size_t i = 0; i < n; i++)
                registry_pull_result_clear(&res[i]);
        free(res);
        return 0;
}
