/* berth-launch: the step between berth and the monitor. berth forks a process that sets up the container's
 * stdio on fds 0-2, becomes a child subreaper and execs this binary through a protected copy
 * (exe_exec_protected, CVE-2019-5736: it clones the container's init). It creates and starts the
 * container with the runtime library, reports "0 PID" (or "ERRNO message") on the status fd, and becomes
 * the monitor in the same process, which stays the init's parent: it execs berth-monitor (a detached
 * container), or runs the monitor's loop itself when MONITOR is "-" (a client is attached from the first
 * byte: monitor/monitor.h).
 *
 * A binary of its own, linked like berth-runtime (the runtime library and its static deps, nothing else):
 * starting it costs a fraction of what starting berth (image store, registry client) costs, and this is
 * the hot path of `berth run`.
 *
 *   berth-launch STATE_ROOT ID BUNDLE TTY(0|1) STATUS_FD -- MONITOR|- [ARG...]
 * In the monitor's arguments "pid=@" becomes the init's pid and "pty=@" the pty master's fd. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/container.h"
#include "lib/log.h"
#include "engine/monitor/monitor.h"
#include "lib/util.h"

static void report(int fd, int code, const char *text)
{
        char buf[4096];
        int len = snprintf(buf, sizeof(buf), "%d %s", code, text);

        if (len >= (int) sizeof(buf))
                len = (int) sizeof(buf) - 1;
        if (len > 0 && write(fd, buf, (size_t) len) < 0)
                _exit(1);
}

int main(int argc, char **argv)
{
        struct berth_log log = {.fd = -1, .format = LOG_FORMAT_TEXT, .level = LOG_LEVEL_ERROR, .program = "berth-launch"};
        struct runtime_context ctx = {.log = &log, .rootless = geteuid() != 0};
        struct create_options opts = {0};
        struct created_container created = {.terminal_master = -1};
        berth_error err = {0};
        char pid_arg[32], pty_arg[32];
        int status_fd, null_fd, first;

        if (argc < 8 || strcmp(argv[6], "--") != 0) {
                fprintf(stderr, "berth-launch: started by berth only\n");
                return 2;
        }
        ctx.state_root = argv[1];
        opts.id = argv[2];
        opts.bundle = argv[3];
        opts.want_terminal_master = strcmp(argv[4], "1") == 0;
        status_fd = atoi(argv[5]);
        fcntl(status_fd, F_SETFD, FD_CLOEXEC);
        first = 7;
        if (container_create(&ctx, &opts, &created, &err) < 0) {
                report(status_fd, err.code, berth_error_message(&err));
                return 1;
        }
        if (container_start(&ctx, opts.id, &err) < 0) {
                berth_error ignored = {0};
                container_delete(&ctx, opts.id, true, &ignored);
                report(status_fd, err.code, berth_error_message(&err));
                return 1;
        }
        snprintf(pid_arg, sizeof(pid_arg), "pid=%d", (int) created.pid);
        snprintf(pty_arg, sizeof(pty_arg), "pty=%d", created.terminal_master);
        for (int i = first; i < argc; i++) {
                if (strcmp(argv[i], "pid=@") == 0)
                        argv[i] = pid_arg;
                else if (strcmp(argv[i], "pty=@") == 0)
                        argv[i] = pty_arg;
        }
        if (created.terminal_master >= 0)
                fcntl(created.terminal_master, F_SETFD, 0);
        /* The container's stdio ends are the container's alone from here: the monitor holds the other ends. */
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd >= 0) {
                dup2(null_fd, STDIN_FILENO);
                dup2(null_fd, STDOUT_FILENO);
                dup2(null_fd, STDERR_FILENO);
                if (null_fd > STDERR_FILENO)
                        close(null_fd);
        }
        {
                char pid[32];
                snprintf(pid, sizeof(pid), "%d", (int) created.pid);
                report(status_fd, 0, pid);
        }
        if (strcmp(argv[first], MONITOR_IN_PROCESS) == 0) {
                /* What an exec would have done for us: berth reads the status fd until it closes, and the
                 * monitor owes the runtime library nothing it allocated. */
                close(status_fd);
                malloc_trim(0);
                return monitor_main(argc - first, argv + first);
        }
        execv(argv[first], argv + first);
        /* Nothing would watch the container: take it down rather than leave it unrecorded. */
        container_delete(&ctx, opts.id, true, &err);
        return 1;
}
