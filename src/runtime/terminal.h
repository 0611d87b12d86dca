/* process.terminal: a pty made from the container's own devpts (after pivot_root, so that the pty belongs
 * to the container), its slave as the process's stdio and controlling terminal and as /dev/console, the
 * master handed to the caller over --console-socket with SCM_RIGHTS as runc does. */
#pragma once

#include <stdbool.h>

#include "lib/error.h"
#include "runtime/spec.h"

/* Parent side: connects to the console socket before the init is made, so a bad path fails early. */
int terminal_connect_console_socket(const char *path, int *fd_out, berth_error *err);

/* Parent side, for a process with process.terminal: where its pty master will go. *child_fd is the end the
 * process sends it on: the connected --console-socket, or, when the caller proxies the terminal itself
 * (want_master), one end of a socketpair whose other end is *our_fd. Neither: an error saying what to give
 * (missing_hint). */
int terminal_open_channel(const char *console_socket, bool want_master, const char *missing_hint, int *child_fd,
                          int *our_fd, berth_error *err);

/* In the container (after pivot_root): opens /dev/ptmx, unlocks it, gets the slave with TIOCGPTPEER.
 * With bind_console, the slave is also bind-mounted on /dev/console. */
int terminal_open_pty(const struct spec_process *p, bool bind_console, int *master_out, int *slave_out,
                      berth_error *err);

/* Sends the master over the socket (payload: the slave's name, as runc sends it). */
int terminal_send_master(int socket_fd, int master, int slave, berth_error *err);

/* Makes the slave fds 0, 1 and 2 and the controlling terminal of this (new session) process. */
int terminal_make_controlling(int slave, berth_error *err);

/* Sets the window size of a pty. */
int terminal_set_size(int fd, unsigned rows, unsigned cols, berth_error *err);
