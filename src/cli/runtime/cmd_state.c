#include <stdio.h>
#include <stdlib.h>

#include "lib/cleanup.h"
#include "cli/runtime/commands.h"
#include "lib/json.h"

int cmd_state(struct runtime_context *ctx, int argc, char **argv)
{
        cleanup_container struct container *c = NULL;
        enum container_status status;
        berth_error err = {0};
        json_t *state;
        char *text;

        if (argc != 2)
                return cli_usage_error(ctx, "state: expects exactly one container id");
        if (container_load(ctx, argv[1], &c, &err) < 0 || container_status(c, &status, &err) < 0)
                return cli_fail(ctx, &err);
        state = container_state_json(c, status);
        text = json_dumps(state, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(state);
        puts(text);
        free(text);
        return 0;
}
