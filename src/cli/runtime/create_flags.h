/* The flags create and run share (runc's): --bundle, --pid-file, --console-socket, --no-pivot,
 * --no-new-keyring, --preserve-fds, and for run --detach and --keep; crun's --config, and LISTEN_FDS. */
#pragma once

#include <stdbool.h>

#include "runtime/container.h"
#include "runtime/state.h"

struct create_flags {
        struct create_options opts;
        char *bundle_abs;
        bool detach;
        bool keep;
};

/* Returns 0 to go on, 1 when --help was printed, -1 after a usage error was printed. */
int create_flags_parse(struct runtime_context *ctx, int argc, char **argv, bool is_run, struct create_flags *out);
void create_flags_free(struct create_flags *f);
