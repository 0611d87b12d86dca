#include <stdio.h>
#include <stdlib.h>

#include "cli/runtime/commands.h"
#include "runtime/spec_default.h"

int cmd_features(struct runtime_context *ctx, int argc, char **argv)
{
        json_t *f;
        char *text;

        (void) argv;
        if (argc != 1)
                return cli_usage_error(ctx, "features: takes no arguments");
        f = runtime_features();
        text = json_dumps(f, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        json_decref(f);
        puts(text);
        free(text);
        return 0;
}
