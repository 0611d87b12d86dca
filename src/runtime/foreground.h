/* Running a container process in the foreground (`run`, `exec` without --detach): wait for it, forward
 * the signals we get to it, and when it has a terminal, proxy our stdin/stdout to the pty master in raw
 * mode and pass on window size changes. The caller blocks signals (foreground_block_signals) before it
 * makes the process, so none is lost or kills us in between. */
#pragma once

#include <sys/types.h>

#include "lib/error.h"

int foreground_block_signals(berth_error *err);

/* Returns the exit code a shell would show: the status, or 128+N after signal N. */
int foreground_wait(pid_t pid, int terminal_master, int *exit_code, berth_error *err);
