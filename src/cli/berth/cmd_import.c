/* berth import [-c CHANGE]... [-m MESSAGE] FILE|- [REPOSITORY[:TAG]] */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/images.h"
#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "cli/berth/cmd_container.h"
#include "image/reference.h"
#include "lib/util.h"

int cmd_import(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"change", required_argument, NULL, 'c'},
                {"message", required_argument, NULL, 'm'},
                {"platform", required_argument, NULL, 'p'},
                CLI_HELP_OPTION,
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_strv char **changes = xzalloc(sizeof(char *));
        cleanup_strv char **names = xzalloc(sizeof(char *));
        cleanup_free char *id = NULL;
        cleanup_close int fd = -1;
        struct import_options opts = {0};
        const char *file;
        int c;

        while ((c = getopt_long(argc, argv, "c:m:h", options, NULL)) != -1) {
                switch (c) {
                case 'c': changes = strv_append(changes, optarg); break;
                case 'm': opts.message = optarg; break;
                case 'p': opts.platform = optarg; break;
                case 'h': printf("Usage:  berth import [OPTIONS] file|- [REPOSITORY[:TAG]]\n\n"
                                 "  -c, --change list       Apply Dockerfile instruction to the created image\n"
                                 "  -m, --message string    Set commit message for imported image\n");
                          return 0;
                default: return cli_usage_error(cli, "invalid option");
                }
        }
        if (argc - optind < 1 || argc - optind > 2)
                return cli_usage_error(cli, "\"%s import\" requires at least 1 and at most 2 arguments.", cli->program);
        file = argv[optind];
        if (optind + 1 < argc) {
                cleanup_image_ref struct image_ref ref = {0};
                cleanup_free char *name = NULL;
                if (image_ref_parse(argv[optind + 1], true, &ref, &err) < 0)
                        return cli_fail(cli, &err);
                if (ref.digest != NULL) {
                        berth_failf(&err, EINVAL, "refusing to create a tag with a digest reference");
                        return cli_fail(cli, &err);
                }
                name = image_ref_string(&ref);
                names = strv_append(names, name);
        }
        if (strcmp(file, "-") == 0) {
                fd = dup(STDIN_FILENO);
        } else {
                fd = open(file, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        berth_fail(&err, errno, "open %s", file);
                        return cli_fail(cli, &err);
                }
        }
        opts.changes = changes;
        opts.names = names;
        if (cli_engine_open(cli, &e, &err) < 0 || engine_image_import(e, fd, &opts, &id, &err) < 0)
                return cli_fail(cli, &err);
        printf("%s\n", id);
        return 0;
}
