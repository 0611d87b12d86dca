/* Running a container process in the foreground (`run`, `exec` without --detach): wait for it, forward
 * the signals we get to it, and when it has a terminal, proxy our stdin/stdout to the pty master in raw
 * mode and pass on window size changes. The caller blocks signals (foreground_block_signals) before it
 * makes the process, so none is lost or kills us in between. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/error.h"

int foreground_block_signals(berth_error *err);

/* Returns the exit code a shell would show: the status, or 128+N after signal N. */
int foreground_wait(pid_t pid, int terminal_master, int *exit_code, berth_error *err);

/* foreground_wait with a detach sequence (docker's --detach-keys, already parsed into bytes): with a terminal,
 * the bytes of our stdin that begin the sequence are held until it completes or breaks (then they go on to
 * the process). On the whole sequence, the terminal is restored and it returns with *detached set, the
 * process still running and terminal_master left open for the caller. n_keys 0: never detaches. */
int foreground_wait_detachable(pid_t pid, int terminal_master, const unsigned char *keys, size_t n_keys,
                               int *exit_code, bool *detached, berth_error *err);
