/* berth save [-o FILE] [--format docker-archive|oci-archive] IMAGE... */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "cli/berth/cmd_container.h"
#include "engine/images.h"
#include "lib/util.h"

static int save_to(struct engine *e, char *const *refs, size_t n, enum save_format format, const char *output,
                   berth_error *err)
{
        cleanup_free char *tmp = NULL;
        cleanup_close int fd = -1;
        int r;

        if (output == NULL || strcmp(output, "-") == 0) {
                if (isatty(STDOUT_FILENO))
                        return berth_failf(err, EINVAL,
                                           "cowardly refusing to save to a terminal. Use the -o flag or redirect");
                return engine_image_save(e, refs, n, format, STDOUT_FILENO, err);
        }
        /* A temporary file renamed over the target: a failed save leaves no half archive. */
        tmp = xasprintf("%s.berth-tmp-%d", output, (int) getpid());
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
                return berth_fail(err, errno, "create %s", tmp);
        r = engine_image_save(e, refs, n, format, fd, err);
        if (r == 0 && fsync(fd) < 0)
                r = berth_fail(err, errno, "fsync %s", output);
        if (r == 0 && rename(tmp, output) < 0)
                r = berth_fail(err, errno, "rename to %s", output);
        if (r < 0)
                unlink(tmp);
        return r;
}

int cmd_save(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"output", required_argument, NULL, 'o'},
                {"format", required_argument, NULL, 'F'},
                CLI_HELP_OPTION,
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        const char *output = NULL;
        enum save_format format = SAVE_DOCKER_ARCHIVE;
        int c;

        while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
                switch (c) {
                case 'o': output = optarg; break;
                case 'F':
                        if (strcmp(optarg, "docker-archive") == 0)
                                format = SAVE_DOCKER_ARCHIVE;
                        else if (strcmp(optarg, "oci-archive") == 0)
                                format = SAVE_OCI_ARCHIVE;
                        else
                                return cli_usage_error(cli, "unknown format %s (docker-archive, oci-archive)", optarg);
                        break;
                case 'h': printf("Usage:  berth save [OPTIONS] IMAGE [IMAGE...]\n\n"
                                 "  -o, --output string   Write to a file, instead of STDOUT\n"
                                 "      --format string   docker-archive (default) or oci-archive\n");
                          return 0;
                default: return cli_usage_error(cli, "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error(cli, "\"%s save\" requires at least 1 argument.", cli->program);
        if (cli_engine_open(cli, &e, &err) < 0 ||
            save_to(e, argv + optind, (size_t) (argc - optind), format, output, &err) < 0)
                return cli_fail(cli, &err);
        return 0;
}
