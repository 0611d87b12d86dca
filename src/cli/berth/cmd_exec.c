/* berth exec [-d] [-i] [-t] [-e K=V] [--env-file F] [-u USER] [-w DIR] [--privileged] CONTAINER CMD [ARG...]:
 * the process is ours (the runtime library's container_exec from this process), so berth first re-executes
 * from a protected copy (CVE-2019-5736). Exit code: the process's; 126/127 when it cannot run; 125 (1 when
 * the container is not running, as docker) for berth's own errors. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/list.h"
#include "engine/execproc.h"
#include "lib/util.h"

int cmd_exec(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"detach", no_argument, NULL, 'd'},       {"interactive", no_argument, NULL, 'i'},
                {"tty", no_argument, NULL, 't'},          {"env", required_argument, NULL, 'e'},
                {"env-file", required_argument, NULL, 'E'}, {"user", required_argument, NULL, 'u'},
                {"workdir", required_argument, NULL, 'w'}, {"privileged", no_argument, NULL, 'P'},
                {"detach-keys", required_argument, NULL, 'K'}, {"help", no_argument, NULL, 'H'},
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_free char *id = NULL;
        cleanup_strv char **env = xzalloc(sizeof(char *));
        struct engine_exec_request req = {0};
        int c, code = 0;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+dite:u:w:", options, NULL)) != -1) {
                switch (c) {
                case 'd': req.detach = true; break;
                case 'i': req.interactive = true; break;
                case 't': req.tty = true; break;
                case 'e':
                        if (strchr(optarg, '=') != NULL)
                                env = strv_append(env, optarg);
                        else if (getenv(optarg) != NULL) {
                                cleanup_free char *kv = xasprintf("%s=%s", optarg, getenv(optarg));
                                env = strv_append(env, kv);
                        }
                        break;
                case 'E': {
                        cleanup_free char *text = NULL;
                        char *save = NULL;
                        if (read_file_at(AT_FDCWD, optarg, &text, NULL, NULL) < 0)
                                return cli_flag_error(cli, "open %s: %s", optarg, strerror(errno));
                        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                                if (*l != '#' && strchr(l, '=') != NULL)
                                        env = strv_append(env, l);
                        break;
                }
                case 'u': req.user = optarg; break;
                case 'w': req.workdir = optarg; break;
                case 'P': req.privileged = true; break;
                case 'K': req.detach_keys = optarg; break;
                case 'H': printf("Usage:  berth exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (argc - optind < 2)
                return cli_flag_error(cli, "\"berth exec\" requires at least 2 arguments.");
        /* Not ignored: without -i -t berth's exec has no input of its own to read the sequence from. */
        if (req.detach_keys != NULL && (!req.tty || !req.interactive || req.detach))
                return cli_flag_error(cli, "--detach-keys is not supported without -i -t (or with -d): only an "
                                           "interactive terminal session reads them");
        if (cli_engine_protect(cli, &err) < 0)
                return cli_fail(cli, &err);
        req.argv = argv + optind + 1;
        req.env = env;
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        if (engine_container_resolve(e, argv[optind], &id, &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                return 1;
        }
        if (engine_container_exec(e, id, &req, &code, &err) < 0) {
                int status = engine_exit_code_for_error(&err);
                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                return status == CLI_EXIT_ERROR ? 1 : status;
        }
        return code;
}
