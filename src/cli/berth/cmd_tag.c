/* berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "cli/berth/cmd_container.h"
#include "engine/images.h"

int cmd_tag(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {CLI_HELP_OPTION, {NULL, 0, NULL, 0}};
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
                if (c == 'h') {
                        printf("Usage:  berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n");
                        return 0;
                }
                return cli_usage_error(cli, "invalid option");
        }
        if (argc - optind != 2)
                return cli_usage_error(cli, "\"%s tag\" requires exactly 2 arguments.", cli->program);
        if (cli_engine_open(cli, &e, &err) < 0 || engine_image_tag(e, argv[optind], argv[optind + 1], NULL, &err) < 0)
                return cli_fail(cli, &err);
        return 0;
}
