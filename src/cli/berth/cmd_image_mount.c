/* berth image mount IMAGE... / image unmount IMAGE...: podman's read-only image mounts. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "image/imagedb.h"
#include "image/snapshot.h"

static int parse_no_flags(struct berth_cli *cli, int argc, char **argv, const char *usage)
{
        static const struct option options[] = {CLI_HELP_OPTION, {NULL, 0, NULL, 0}};
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
                if (c == 'h') {
                        printf("%s\n", usage);
                        return 0;
                }
                return cli_usage_error(cli, "invalid option");
        }
        if (optind >= argc)
                return cli_usage_error(cli, "\"%s %s\" requires at least 1 argument.", cli->program, cli->command);
        return -1;
}

int cmd_image_mount(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_store struct image_store *s = NULL;
        int r = parse_no_flags(cli, argc, argv, "Usage:  berth image mount IMAGE [IMAGE...]");

        if (r >= 0)
                return r;
        if (cli_open_store(cli, STORE_LOCK_SHARED, &s, &err) < 0)
                return cli_fail(cli, &err);
        for (int i = optind; i < argc; i++) {
                cleanup_free char *id = NULL, *path = NULL;
                if (imagedb_resolve(s, argv[i], &id, NULL, &err) < 0 || image_mount(s, id, &path, &err) < 0)
                        return cli_fail(cli, &err);
                printf("%s\n", path);
        }
        return 0;
}

int cmd_image_unmount(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_store struct image_store *s = NULL;
        int r = parse_no_flags(cli, argc, argv, "Usage:  berth image unmount IMAGE [IMAGE...]");

        if (r >= 0)
                return r;
        if (cli_open_store(cli, STORE_LOCK_SHARED, &s, &err) < 0)
                return cli_fail(cli, &err);
        for (int i = optind; i < argc; i++) {
                cleanup_free char *id = NULL;
                if (imagedb_resolve(s, argv[i], &id, NULL, &err) < 0 || image_unmount(s, id, &err) < 0)
                        return cli_fail(cli, &err);
        }
        return 0;
}
