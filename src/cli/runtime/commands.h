/* berth-runtime's commands, one file each (cmd_NAME.c). Each parses its own flags (getopt_long, runc's
 * names) and returns the process exit status: 0, or 1 after printing one error line, as runc does. */
#pragma once

#include "runtime/state.h"

typedef int (*runtime_command_fn)(struct runtime_context *ctx, int argc, char **argv);

int cmd_create(struct runtime_context *ctx, int argc, char **argv);
int cmd_start(struct runtime_context *ctx, int argc, char **argv);
int cmd_run(struct runtime_context *ctx, int argc, char **argv);
int cmd_state(struct runtime_context *ctx, int argc, char **argv);
int cmd_kill(struct runtime_context *ctx, int argc, char **argv);
int cmd_delete(struct runtime_context *ctx, int argc, char **argv);
int cmd_list(struct runtime_context *ctx, int argc, char **argv);
int cmd_exec(struct runtime_context *ctx, int argc, char **argv);
int cmd_ps(struct runtime_context *ctx, int argc, char **argv);
int cmd_spec(struct runtime_context *ctx, int argc, char **argv);
int cmd_features(struct runtime_context *ctx, int argc, char **argv);
int cmd_update(struct runtime_context *ctx, int argc, char **argv);
int cmd_pause(struct runtime_context *ctx, int argc, char **argv);
int cmd_resume(struct runtime_context *ctx, int argc, char **argv);
int cmd_events(struct runtime_context *ctx, int argc, char **argv);

/* Prints "berth-runtime: MESSAGE" on stderr (and into --log), frees the message and returns 1. */
int cli_fail(struct runtime_context *ctx, berth_error *err);
/* For usage errors: prints the message and returns 1 (runc exits 1 on bad usage too). */
int cli_usage_error(struct runtime_context *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
