#include "cli/runtime/commands.h"
#include "runtime/container.h"

int cmd_start(struct runtime_context *ctx, int argc, char **argv)
{
        berth_error err = {0};

        if (argc != 2)
                return cli_usage_error(ctx, "start: expects exactly one container id");
        if (container_start(ctx, argv[1], &err) < 0)
                return cli_fail(ctx, &err);
        return 0;
}
