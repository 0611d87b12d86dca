/* berth diff CONTAINER: A (added), C (changed), D (deleted) per path of the container's layer. */
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/containerdiff.h"
#include "engine/list.h"

int cmd_diff(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_free char *id = NULL;
        struct engine_change *list = NULL;
        size_t n = 0;

        if (argc == 2 && strcmp(argv[1], "--help") == 0) {
                printf("Usage:  berth diff CONTAINER\n");
                return 0;
        }
        if (argc != 2)
                return cli_flag_error(cli, "\"berth diff\" requires exactly 1 argument.");
        if (cli_engine_open(cli, &e, &err) < 0 || engine_container_resolve(e, argv[1], &id, &err) < 0 ||
            engine_container_changes(e, id, &list, &n, &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                return 1;
        }
        for (size_t i = 0; i < n; i++)
                printf("%c %s\n", list[i].kind, list[i].path);
        engine_changes_free(list, n);
        return 0;
}
