#include "cli/runtime/commands.h"
#include "runtime/container.h"
#include "cli/runtime/create_flags.h"

int cmd_create(struct runtime_context *ctx, int argc, char **argv)
{
        struct create_flags flags;
        struct created_container created;
        berth_error err = {0};
        int r = create_flags_parse(ctx, argc, argv, false, &flags);

        if (r != 0)
                return r < 0 ? 1 : 0;
        r = container_create(ctx, &flags.opts, &created, &err);
        create_flags_free(&flags);
        if (r < 0)
                return cli_fail(ctx, &err);
        return 0;
}
