/* berth commit [-a AUTHOR] [-m MESSAGE] [-c CHANGE]... [-p=false] CONTAINER [REPOSITORY[:TAG]]: the
 * container's layer becomes the top layer of a new image. Prints its ID (sha256:...). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/containerdiff.h"
#include "engine/list.h"
#include "lib/util.h"

int cmd_commit(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"author", required_argument, NULL, 'a'}, {"message", required_argument, NULL, 'm'},
                {"change", required_argument, NULL, 'c'}, {"pause", optional_argument, NULL, 'p'},
                {"help", no_argument, NULL, 'H'},         {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_free char *id = NULL, *image = NULL;
        cleanup_strv char **changes = xzalloc(sizeof(char *));
        struct engine_commit_request req = {.pause = true};
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+a:m:c:p", options, NULL)) != -1) {
                switch (c) {
                case 'a': req.author = optarg; break;
                case 'm': req.message = optarg; break;
                case 'c': changes = strv_append(changes, optarg); break;
                case 'p': req.pause = optarg == NULL || strcmp(optarg, "true") == 0; break;
                case 'H': printf("Usage:  berth commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (argc - optind < 1 || argc - optind > 2)
                return cli_flag_error(cli, "\"berth commit\" requires at least 1 and at most 2 arguments.");
        req.changes = changes;
        req.reference = argc - optind == 2 ? argv[optind + 1] : NULL;
        if (cli_engine_open(cli, &e, &err) < 0 || engine_container_resolve(e, argv[optind], &id, &err) < 0 ||
            engine_container_commit(e, id, &req, &image, &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                return 1;
        }
        printf("%s\n", image);
        return 0;
}
