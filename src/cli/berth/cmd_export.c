/* berth export [-o FILE] CONTAINER: the container's filesystem as a tar archive (engine_container_export), on
 * stdout or into FILE; docker refuses a terminal as the destination. In berth-full (libarchive). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/copy.h"

int cmd_export(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'H'}, {NULL, 0, NULL, 0}};
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_close int fd = -1;
        const char *output = NULL;
        int ch;

        opterr = 0;
        while ((ch = getopt_long(argc, argv, "+o:", options, NULL)) != -1) {
                switch (ch) {
                case 'o': output = optarg; break;
                case 'H': printf("Usage:  berth export [OPTIONS] CONTAINER\n\nExport a container's filesystem as a tar archive\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (argc - optind != 1)
                return cli_flag_error(cli, "\"berth export\" requires exactly 1 argument.");
        if (output == NULL && isatty(STDOUT_FILENO))
                return cli_flag_error(cli, "cowardly refusing to save to a terminal. Use the -o flag or redirect");
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        if (output != NULL) {
                fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0) {
                        berth_fail(&err, errno, "open %s", output);
                        return cli_fail(cli, &err);
                }
        }
        if (engine_container_export(e, argv[optind], fd >= 0 ? fd : STDOUT_FILENO, &err) < 0) {
                if (output != NULL)
                        unlink(output);
                return cli_fail(cli, &err);
        }
        return 0;
}
