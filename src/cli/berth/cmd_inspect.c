/* berth inspect / image inspect: docker's image JSON (Id, RepoTags, RepoDigests, Config, RootFS,
 * GraphDriver, ...), or a --format template rendered against it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "cli/berth/cmd_container.h"
#include "engine/imageinfo.h"
#include "engine/inspect.h"
#include "image/commit.h"
#include "cli/berth/format.h"
#include "image/imagedb.h"
#include "lib/json.h"
#include "image/layer.h"
#include "lib/util.h"

int cmd_inspect(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"format", required_argument, NULL, 'f'},
                {"type", required_argument, NULL, 't'},
                {"size", no_argument, NULL, 's'},
                CLI_HELP_OPTION,
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        struct image_store *s = NULL; /* the engine's */
        cleanup_json json_t *all = json_array();
        const char *format = NULL, *type = NULL;
        cleanup_engine struct engine *engine = NULL;
        int c, r = 0, status = 0;

        while ((c = getopt_long(argc, argv, "f:sh", options, NULL)) != -1) {
                switch (c) {
                case 'f': format = optarg; break;
                case 't':
                        if (strcmp(optarg, "image") != 0 && strcmp(optarg, "container") != 0)
                                return cli_usage_error(cli, "unsupported --type %s (image or container)", optarg);
                        type = optarg;
                        break;
                case 's':
                        /* Not ignored: one line, as the other refused flags. */
                        fputs("Error: --size is not supported: berth does not compute SizeRw and SizeRootFs\n", stderr);
                        return CLI_EXIT_ERROR;
                case 'h': printf("Usage:  berth inspect [OPTIONS] IMAGE [IMAGE...]\n\n"
                                 "  -f, --format string   Format output using a custom template\n"
                                 "      --type string     Return JSON for specified type (image)\n");
                          return 0;
                default: return cli_usage_error(cli, "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error(cli, "\"%s inspect\" requires at least 1 argument.", cli->program);
        if (strcmp(cli->command, "image inspect") == 0)
                type = "image";
        /* Containers first, then images, as docker looks them up without --type. */
        if ((r = cli_engine_open(cli, &engine, &err)) < 0)
                return cli_fail(cli, &err);
        s = engine->store;
        for (int i = optind; i < argc; i++) {
                cleanup_free char *id = NULL;
                berth_error e = {0};
                json_t *j;
                if (type == NULL || strcmp(type, "container") == 0) {
                        if (engine_container_inspect(engine, argv[i], &j, &e) == 0) {
                                json_array_append_new(all, j);
                                continue;
                        }
                        if (type != NULL) {
                                fprintf(stderr, "Error: %s\n", berth_error_message(&e));
                                berth_error_clear(&e);
                                status = CLI_EXIT_ERROR;
                                continue;
                        }
                        berth_error_clear(&e);
                }
                if (imagedb_resolve(s, argv[i], &id, NULL, &e) < 0 || (j = engine_image_inspect_id(s, id, &e)) == NULL) {
                        /* docker prints what it found and an error line for each object it did not find. */
                        fprintf(stderr, "Error: %s\n", berth_error_message(&e));
                        berth_error_clear(&e);
                        status = CLI_EXIT_ERROR;
                        continue;
                }
                json_array_append_new(all, j);
        }
        if (format != NULL && *format != '\0' && strcmp(format, "json") != 0) {
                struct output_format f;
                output_format_parse(format, &f, &err);
                for (size_t i = 0; i < json_array_size(all); i++) {
                        cleanup_free char *line = NULL;
                        if (template_render(f.template, json_array_get(all, i), &line, &err) < 0) {
                                output_format_clear(&f);
                                return cli_fail(cli, &err);
                        }
                        printf("%s\n", line);
                }
                output_format_clear(&f);
        } else if (json_array_size(all) > 0 || status == 0) {
                char *text = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
                printf("%s\n", text);
                free(text);
        } else {
                printf("[]\n");
        }
        return status;
}
