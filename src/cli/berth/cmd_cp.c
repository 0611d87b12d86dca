/* berth cp [-a] [-L] CONTAINER:SRC DEST | SRC CONTAINER:DEST (docker's rules; see src/engine/copy.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/copy.h"
#include "engine/list.h"
#include "lib/util.h"

/* "name:path" names a container path unless it starts like a local path (docker's splitCpArg). */
static bool container_part(const char *arg, char **container, const char **path)
{
        const char *colon = strchr(arg, ':');

        if (colon == NULL || arg[0] == '/' || arg[0] == '.' || colon == arg)
                return false;
        *container = xstrndup(arg, (size_t) (colon - arg));
        *path = colon + 1;
        return true;
}

int cmd_cp(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"archive", no_argument, NULL, 'a'}, {"follow-link", no_argument, NULL, 'L'},
                {"quiet", no_argument, NULL, 'q'},   {"help", no_argument, NULL, 'H'},
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_free char *src_ctr = NULL, *dst_ctr = NULL, *id = NULL;
        const char *src_path = NULL, *dst_path = NULL;
        bool archive = false, from, to, stream;
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+aLq", options, NULL)) != -1) {
                switch (c) {
                case 'a': archive = true; break;
                case 'L': return cli_flag_error(cli, "--follow-link is not supported: the source's symbolic link is copied as a link");
                case 'q': break; /* berth cp prints no progress: quiet already */
                case 'H': printf("Usage:  berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
                                 "        berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n\n"
                                 "Use '-' as the source to read a tar archive from stdin and extract it to a\n"
                                 "directory destination in a container. Use '-' as the destination to stream a\n"
                                 "tar archive of a container source to stdout.\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (argc - optind != 2)
                return cli_flag_error(cli, "\"berth cp\" requires exactly 2 arguments.");
        from = container_part(argv[optind], &src_ctr, &src_path);
        to = container_part(argv[optind + 1], &dst_ctr, &dst_path);
        if (from == to)
                return cli_flag_error(cli, from ? "copying between containers is not supported"
                                                : "must specify at least one container source");
        /* "-": a tar stream on stdout or stdin (docker's); libarchive is berth-full's. */
        stream = strcmp(from ? argv[optind + 1] : argv[optind], "-") == 0;
#ifndef BERTH_FULL
        if (stream)
                return cli_forward_to_full(cli);
#endif
        if (cli_engine_open(cli, &e, &err) < 0 || engine_container_resolve(e, from ? src_ctr : dst_ctr, &id, &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                return 1;
        }
#ifdef BERTH_FULL
        if (stream) {
                if (!from && isatty(STDIN_FILENO))
                        return cli_flag_error(cli, "the tar stream must come from a pipe or a file, not a terminal");
                r = from ? engine_copy_tar_from_container(e, id, src_path, STDOUT_FILENO, &err)
                         : engine_copy_tar_to_container(e, id, STDIN_FILENO, dst_path, archive, &err);
                if (r < 0)
                        return cli_fail(cli, &err);
                return 0;
        }
#endif
        r = from ? engine_copy_from_container(e, id, src_path, argv[optind + 1], archive, &err)
                 : engine_copy_to_container(e, id, argv[optind], dst_path, archive, &err);
        if (r < 0) {
                fprintf(stderr, "Error: %s\n", berth_error_message(&err));
                return 1;
        }
        return 0;
}
