/* berth system boot: after a host reboot, start the containers whose restart policy is always, or
 * unless-stopped and not stopped by the user (engine/boot.h). contrib/berth-boot.service runs it at boot.
 * Prints each container started (its name); one that cannot be started is an error line, the others are
 * still started, and the exit status is 1. */
#include <getopt.h>
#include <stdio.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/boot.h"

static void started(const struct engine_container *c, void *data)
{
        (void) data;
        printf("%s\n", c->name);
        fflush(stdout);
}

static void failed(const struct engine_container *c, const berth_error *err, void *data)
{
        (void) data;
        fprintf(stderr, "Error: start %s: %s\n", c->name, berth_error_message(err));
}

int cmd_system_boot(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
        struct engine_boot_report report = {.started = started, .failed = failed};
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        int ch;

        opterr = 0;
        while ((ch = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
                if (ch == 'h') {
                        printf("Usage:  berth system boot\n\nStart the containers whose restart policy is always, or "
                               "unless-stopped and not stopped by the user (after a reboot)\n");
                        return 0;
                }
                return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
        }
        if (argc != optind)
                return cli_flag_error(cli, "\"berth system boot\" accepts no arguments.");
        /* It starts containers: from a protected copy (CVE-2019-5736), as start does. */
        if (cli_engine_protect(cli, &err) < 0 || cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        if (engine_system_boot(e, &report, &err) < 0)
                return 1;
        return 0;
}
