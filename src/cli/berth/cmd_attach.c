/* berth attach [--no-stdin] [--sig-proxy=false] CONTAINER: the container's stdio through its monitor's
 * socket; ctrl-p ctrl-q detaches and leaves it running. Exit code: the container's, once it exits. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/attach.h"
#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/list.h"
#include "engine/reconcile.h"
#include "engine/monitor/protocol.h"
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
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_free char *id = NULL;
        struct engine_attach a = {.fd = -1, .sig_proxy = true};
        bool no_stdin = false, detached = false;
        int ch, code = 0;

        opterr = 0;
        while ((ch = getopt_long(argc, argv, "+", options, NULL)) != -1) {
                switch (ch) {
                case 'n': no_stdin = true; break;
                case 's': a.sig_proxy = optarg == NULL || strcmp(optarg, "true") == 0; break;
                case 'K': break;
                case 'H': printf("Usage:  berth attach [OPTIONS] CONTAINER\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (argc - optind != 1)
                return cli_flag_error(cli, "\"berth attach\" requires exactly 1 argument.");
        if (cli_engine_open(cli, &e, &err) < 0 || engine_container_resolve(e, argv[optind], &id, &err) < 0 ||
            engine_container_load(e, id, &c, &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                return 1;
        }
        if (c->status != ENGINE_RUNNING && c->status != ENGINE_PAUSED) {
                fprintf(stderr, "Error: You cannot attach to a stopped container, start it first\n");
                return 1;
        }
        a.tty = json_is_true(json_object_get(c->config, "Tty"));
        a.detach_keys = !no_stdin && json_is_true(json_object_get(c->config, "OpenStdin"));
        a.flags = ATTACH_WANT_STDOUT | ATTACH_WANT_STDERR | (a.detach_keys ? ATTACH_WANT_STDIN : 0) |
                  (a.detach_keys && json_is_true(json_object_get(c->config, "StdinOnce")) ? ATTACH_STDIN_ONCE : 0);
        if (engine_attach_connect(e, id, &a.fd, &err) < 0)
                return cli_fail(cli, &err);
        if (!a.tty && a.sig_proxy)
                engine_attach_block_signals();
        if (engine_attach_run(&a, &code, &detached, &err) < 0) {
                close(a.fd);
                return cli_fail(cli, &err);
        }
        close(a.fd);
        return detached ? 0 : code;
}
