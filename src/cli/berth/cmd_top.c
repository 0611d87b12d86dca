/* berth top CONTAINER [ps OPTIONS]: as docker does it, the host's ps (default -ef) filtered to the pids
 * of the container's cgroup. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/stats.h"
#include "lib/util.h"

int cmd_top(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_strv char **lines = NULL;

        if (argc < 2 || strcmp(argv[1], "--help") == 0) {
                printf("Usage:  berth top CONTAINER [ps OPTIONS]\n");
                return argc < 2 ? cli_flag_error(cli, "\"berth top\" requires at least 1 argument.") : 0;
        }
        if (cli_engine_open(cli, &e, &err) < 0 || engine_container_top(e, argv[1], argv + 2, &lines, &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                return 1;
        }
        for (char **l = lines; *l; l++)
                fputs(*l, stdout);
        return 0;
}
