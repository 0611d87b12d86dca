/* `berth container healthcheck ID`: one health probe (engine/health.h), the command the container's monitor
 * runs at each interval (engine/monitor/health.h). */
#include <stdio.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/health.h"

int cmd_container_healthcheck(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;

        if (argc != 2)
                return cli_flag_error(cli, "usage: berth container healthcheck ID (the monitor's probe)");
        /* It makes a process in the container: from a protected copy (CVE-2019-5736), as exec. */
        if (cli_engine_protect(cli, &err) < 0 || cli_engine_open(cli, &e, &err) < 0 ||
            engine_container_health_probe(e, argv[1], &err) < 0)
                return cli_fail(cli, &err);
        return 0;
}
