/* berth port CONTAINER [PRIVATE_PORT[/PROTO]]: the running container's published ports, as docker prints
 * them ("80/tcp -> 0.0.0.0:8080"; with a port, only "0.0.0.0:8080"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/berth/cmd_container.h"
#include "engine/network.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

int cmd_port(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_json json_t *ports = NULL;
        cleanup_free char *want = NULL;
        const char *key;
        json_t *list, *b;
        size_t i;
        bool found = false;

        if (argc < 2 || argc > 3 || strcmp(argv[1], "--help") == 0) {
                printf("Usage:  berth port CONTAINER [PRIVATE_PORT[/PROTO]]\n");
                return argc < 2 || argc > 3 ? cli_flag_error(cli, "\"berth port\" requires at least 1 and at most 2 arguments.")
                                            : 0;
        }
        if (argc == 3)
                want = strchr(argv[2], '/') ? xstrdup(argv[2]) : xasprintf("%s/tcp", argv[2]);
        if (cli_engine_open(cli, &e, &err) < 0 || engine_container_port(e, argv[1], &ports, &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                return 1;
        }
        json_object_foreach(ports, key, list) {
                if (want != NULL && strcmp(key, want) != 0)
                        continue;
                json_array_foreach(list, i, b) {
                        const char *ip = json_string_value(json_object_get(b, "HostIp")) ?: "";
                        const char *port = json_string_value(json_object_get(b, "HostPort")) ?: "";
                        if (want != NULL)
                                printf("%s:%s\n", ip, port);
                        else
                                printf("%s -> %s:%s\n", key, ip, port);
                        found = true;
                }
        }
        if (want != NULL && !found) {
                fprintf(stderr, "Error: No public port '%s' published for %s\n", want, argv[1]);
                return 1;
        }
        return 0;
}
