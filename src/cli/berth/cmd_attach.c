/* berth attach [--no-stdin] [--sig-proxy=false] CONTAINER: the container's stdio through its monitor's
 * socket; ctrl-p ctrl-q detaches and leaves it running. Exit code: the container's, once it exits. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "engine/run.h"
#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "lib/util.h"

int cmd_attach(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"no-stdin", no_argument, NULL, 'n'}, {"sig-proxy", optional_argument, NULL, 's'},
                {"detach-keys", required_argument, NULL, 'K'}, {"help", no_argument, NULL, 'H'},
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        struct engine_attach_options o = {.sig_proxy = true};
        struct engine_run_result res = {0};
        int ch, r;

        opterr = 0;
        while ((ch = getopt_long(argc, argv, "+", options, NULL)) != -1) {
                switch (ch) {
                case 'n': o.no_stdin = true; break;
                case 's': o.sig_proxy = optarg == NULL || strcmp(optarg, "true") == 0; break;
                case 'K': o.detach_keys = optarg; break;
                case 'H': printf("Usage:  berth attach [OPTIONS] CONTAINER\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (argc - optind != 1)
                return cli_flag_error(cli, "\"berth attach\" requires exactly 1 argument.");
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        r = engine_container_attach(e, argv[optind], &o, &res, &err);
        engine_run_result_clear(&res);
        if (r < 0) {
                /* docker: a container that cannot be found or is not running is the daemon's answer (1). */
                fprintf(stderr, "%s%s\n", res.id == NULL || err.code == EINVAL ? "Error response from daemon: " : "Error: ",
                        berth_error_message(&err));
                return res.id == NULL || err.code == EINVAL ? 1 : res.exit_code;
        }
        return res.detached ? 0 : res.exit_code;
}
