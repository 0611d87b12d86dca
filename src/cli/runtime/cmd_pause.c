/* `pause` and `resume` (runc's): the freezer, through the runtime library's lifecycle operations. */
#include "cli/runtime/commands.h"
#include "runtime/container.h"

static int freezer_command(struct runtime_context *ctx, int argc, char **argv,
                           int (*operation)(const struct runtime_context *, const char *, berth_error *))
{
        berth_error err = {0};

        if (argc != 2)
                return cli_usage_error(ctx, "%s: expects exactly one container id", argv[0]);
        if (operation(ctx, argv[1], &err) < 0)
                return cli_fail(ctx, &err);
        return 0;
}

int cmd_pause(struct runtime_context *ctx, int argc, char **argv)
{
        return freezer_command(ctx, argc, argv, container_pause);
}

int cmd_resume(struct runtime_context *ctx, int argc, char **argv)
{
        return freezer_command(ctx, argc, argv, container_resume);
}
