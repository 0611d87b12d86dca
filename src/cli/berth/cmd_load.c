/* berth load [-i FILE] [-q]: docker-archive or oci-archive, from a file or standard input. */
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
#include "lib/util.h"

int cmd_load(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"input", required_argument, NULL, 'i'},
                {"quiet", no_argument, NULL, 'q'},
                {"platform", required_argument, NULL, 'P'},
                CLI_HELP_OPTION,
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_close int fd = -1;
        struct load_result res = {0};
        const char *input = NULL, *platform = NULL;
        bool quiet = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "i:qh", options, NULL)) != -1) {
                switch (c) {
                case 'i': input = optarg; break;
                case 'q': quiet = true; break;
                case 'P': platform = optarg; break;
                case 'h': printf("Usage:  berth load [OPTIONS]\n\nLoad an image from a tar archive or STDIN\n\n"
                                 "  -i, --input string   Read from tar archive file, instead of STDIN\n"
                                 "      --platform string  Load only the given platform (os/arch[/variant]) of a\n"
                                 "                         multi-platform archive\n"
                                 "  -q, --quiet          Suppress the load output\n");
                          return 0;
                default: return cli_usage_error(cli, "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(cli, "\"%s load\" accepts no arguments.", cli->program);
        if (input != NULL && strcmp(input, "-") != 0) {
                fd = open(input, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        berth_fail(&err, errno, "open %s", input);
                        return cli_fail(cli, &err);
                }
        } else {
                if (isatty(STDIN_FILENO)) {
                        berth_failf(&err, EINVAL, "requested load from stdin, but stdin is empty");
                        return cli_fail(cli, &err);
                }
                fd = dup(STDIN_FILENO);
                input = "stdin";
        }
        if ((r = cli_engine_open(cli, &e, &err)) < 0 || (r = engine_image_load(e, fd, input, platform, &res, &err)) < 0)
                return cli_fail(cli, &err);
        for (size_t i = 0; i < res.n && !quiet; i++) {
                if (res.images[i].names[0] == NULL) {
                        printf("Loaded image ID: %s\n", res.images[i].id);
                        continue;
                }
                for (char **n = res.images[i].names; *n != NULL; n++) {
                        cleanup_free char *display = cli_display_name(*n);
                        printf("Loaded image: %s\n", display);
                }
        }
        load_result_clear(&res);
        return 0;
}
