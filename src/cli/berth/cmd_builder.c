/* builder prune: the build cache's records and the intermediate images it keeps (src/build/cache.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "build/cache.h"
#include "cli/berth/cli.h"
#include "cli/berth/format.h"
#include "lib/cleanup.h"

int cmd_builder_prune(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"all", no_argument, NULL, 'a'}, {"force", no_argument, NULL, 'f'}, CLI_HELP_OPTION, {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_store struct image_store *s = NULL;
        struct build_cache_prune_report rep;
        bool force = false;
        char size[32];
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+afh", options, NULL)) != -1) {
                switch (c) {
                case 'a': break; /* every record is the cache's own: -a and the default remove the same */
                case 'f': force = true; break;
                case 'h': printf("Usage:  berth builder prune [OPTIONS]\n\nRemove build cache\n\n"
                                 "  -a, --all     Remove all build cache\n  -f, --force   Do not prompt for confirmation\n");
                          return 0;
                default: return cli_usage_error(cli, "unknown flag: %s", argv[optind - 1]);
                }
        }
        if (optind != argc)
                return cli_usage_error(cli, "\"berth builder prune\" accepts no arguments.");
        if (!force) {
                char answer[16] = "";
                fprintf(stderr, "WARNING! This will remove all dangling build cache.\nAre you sure you want to continue? [y/N] ");
                if (fgets(answer, sizeof(answer), stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y'))
                        return 0;
        }
        if (cli_open_store(cli, STORE_LOCK_SHARED, &s, &err) < 0 || build_cache_prune(s, &rep, &err) < 0)
                return cli_fail(cli, &err);
        format_human_size((double) rep.reclaimed, size, sizeof(size));
        printf("Deleted build cache objects: %llu records, %llu images\nTotal reclaimed space: %s\n",
               (unsigned long long) rep.entries, (unsigned long long) rep.images, size);
        return 0;
}
