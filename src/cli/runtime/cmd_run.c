#include <unistd.h>

#include "cli/runtime/commands.h"
#include "runtime/container.h"
#include "cli/runtime/create_flags.h"
#include "runtime/foreground.h"

/* create + start; in the foreground also wait, proxy the terminal, forward signals, and delete the
 * container after it exits, returning its exit code (runc run). */
int cmd_run(struct runtime_context *ctx, int argc, char **argv)
{
        struct create_flags flags;
        struct created_container created = {.terminal_master = -1};
        berth_error err = {0};
        int exit_code = 0, r = create_flags_parse(ctx, argc, argv, true, &flags);

        if (r != 0)
                return r < 0 ? 1 : 0;
        flags.opts.want_terminal_master = !flags.detach && flags.opts.console_socket == NULL;
        flags.opts.caller_waits = !flags.detach;
        if (!flags.detach && foreground_block_signals(&err) < 0)
                goto fail;
        if (container_create(ctx, &flags.opts, &created, &err) < 0)
                goto fail;
        if (container_start(ctx, flags.opts.id, &err) < 0) {
                berth_error cleanup = {0};
                container_delete(ctx, flags.opts.id, true, &cleanup);
                berth_error_clear(&cleanup);
                goto fail;
        }
        if (flags.detach) {
                create_flags_free(&flags);
                return 0;
        }
        r = foreground_wait(created.pid, created.terminal_master, &exit_code, &err);
        if (created.terminal_master >= 0)
                close(created.terminal_master);
        if (r < 0)
                goto fail;
        if (!flags.keep && container_delete(ctx, flags.opts.id, true, &err) < 0)
                goto fail;
        create_flags_free(&flags);
        return exit_code;
fail:
        create_flags_free(&flags);
        return cli_fail(ctx, &err);
}
