/* berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "engine/events.h"
#include "image/imagedb.h"
#include "image/reference.h"

int cmd_tag(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {CLI_HELP_OPTION, {NULL, 0, NULL, 0}};
        cleanup_error berth_error err = {0};
        cleanup_store struct image_store *s = NULL;
        cleanup_image_ref struct image_ref target = {0};
        cleanup_free char *id = NULL, *name = NULL;
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
        if (image_ref_parse(argv[optind + 1], true, &target, &err) < 0)
                return cli_fail(cli, &err);
        if (target.digest != NULL) {
                berth_failf(&err, EINVAL, "refusing to create a tag with a digest reference");
                return cli_fail(cli, &err);
        }
        name = image_ref_string(&target);
        if (cli_open_store(cli, STORE_LOCK_SHARED, &s, &err) < 0 || imagedb_resolve(s, argv[optind], &id, NULL, &err) < 0 ||
            imagedb_tag(s, name, id, &err) < 0)
                return cli_fail(cli, &err);
        engine_event_image(s->root, "tag", id, name);
        return 0;
}
