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
 *   berth-launch STATE_ROOT ID BUNDLE TTY(0|1) STATUS_FD [net BERTH_NET ARG...] -- MONITOR|- [ARG...]
 * In the monitor's arguments "pid=@" becomes the init's pid and "pty=@" the pty master's fd. With "net",
 * `BERTH_NET up PID ARG...` runs between create and start (a bridge network: docs/networking.md): the init
 * exists with its network namespace, and nothing of the container's runs before its network is there. The
 * status line is then "0 PID rebuilt" when berth-net had to rebuild berth's nftables table. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* Runs `berth-net up PID ARG...` (args: the net section, BERTH_NET first) with its stderr on a pipe: its
 * one line is the error. */
static int run_net(char **args, int nargs, pid_t pid, bool *rebuilt, berth_error *err)
{
        char *argv[nargs + 4], pidbuf[32], msg[1024];
        int pipefd[2], status = 0;
        ssize_t len = 0, n;
        pid_t child;

        snprintf(pidbuf, sizeof(pidbuf), "%d", (int) pid);
        argv[0] = "berth-net";
        argv[1] = "up";
        argv[2] = pidbuf;
        for (int i = 1; i < nargs; i++)
                argv[2 + i] = args[i];
        argv[nargs + 2] = NULL;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return berth_fail(err, errno, "pipe");
        child = fork();
        if (child < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                return berth_fail(err, errno, "fork");
        }
        if (child == 0) {
                dup2(pipefd[1], STDERR_FILENO);
                execv(args[0], argv);
                dprintf(STDERR_FILENO, "exec %s: %s\n", args[0], strerror(errno));
                _exit(127);
        }
        close(pipefd[1]);
        while ((n = read(pipefd[0], msg + len, sizeof(msg) - 1 - (size_t) len)) > 0 || (n < 0 && errno == EINTR))
                if (n > 0)
                        len += n;
        close(pipefd[0]);
        msg[len] = '\0';
        while (len > 0 && msg[len - 1] == '\n')
                msg[--len] = '\0';
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
                ;
        /* 10: done, and berth's table had to be rebuilt (the engine then restores the other elements). */
        *rebuilt = WIFEXITED(status) && WEXITSTATUS(status) == 10;
        if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && !*rebuilt))
                return berth_failf(err, EIO, "%s", len > 0 ? msg : "berth-net failed");
        return 0;
}

/* Undoes `up` when the start fails after it (the container killed meanwhile by an rm that already released
 * its lease): `berth-net down VETH PORT...`, so that no published port's element outlives the container. */
static void run_net_down(char **args, int nargs)
{
        char *argv[nargs + 2];
        pid_t child;
        int n = 0;

        if (nargs < 6)
                return;
        argv[n++] = "berth-net";
        argv[n++] = "down";
        argv[n++] = args[3]; /* BERTH_NET BRIDGE GW/PREFIX VETH IP MAC PORT... */
        for (int i = 6; i < nargs; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        child = fork();
        if (child == 0) {
                execv(args[0], argv);
                _exit(127);
        }
        if (child > 0)
                while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
                        ;
}

int main(int argc, char **argv)
{
        struct berth_log log = {.fd = -1, .format = LOG_FORMAT_TEXT, .level = LOG_LEVEL_ERROR, .program = "berth-launch"};
        struct runtime_context ctx = {.log = &log, .rootless = geteuid() != 0};
        struct create_options opts = {0};
        struct created_container created = {.terminal_master = -1};
        cleanup_error berth_error err = {0}; /* a failed create returns with it set */
        char pid_arg[32], pty_arg[32];
        int status_fd, null_fd, first, net = 0, nnet = 0;
        bool rebuilt = false;
        int lock_fd = -1;

        if (argc >= 9 && strcmp(argv[6], "net") == 0) {
                net = 7;
                while (net + nnet < argc && strcmp(argv[net + nnet], "--") != 0)
                        nnet++;
        }
        if (argc < 8 + (net ? nnet + 1 : 0) || strcmp(argv[net ? net + nnet : 6], "--") != 0) {
                fprintf(stderr, "berth-launch: started by berth only\n");
                return 2;
        }
        ctx.state_root = argv[1];
        opts.id = argv[2];
        opts.bundle = argv[3];
        opts.want_terminal_master = strcmp(argv[4], "1") == 0;
        status_fd = atoi(argv[5]);
        fcntl(status_fd, F_SETFD, FD_CLOEXEC);
        /* The container's lock (launch.c), held until the container has started or failed to. */
        if (getenv("BERTH_LAUNCH_LOCK_FD") != NULL) {
                lock_fd = atoi(getenv("BERTH_LAUNCH_LOCK_FD"));
                fcntl(lock_fd, F_SETFD, FD_CLOEXEC);
                unsetenv("BERTH_LAUNCH_LOCK_FD");
        }
        first = net ? net + nnet + 1 : 7;
        if (container_create(&ctx, &opts, &created, &err) < 0) {
                report(status_fd, err.code, berth_error_message(&err));
                return 1;
        }
        if (net && run_net(argv + net, nnet, created.pid, &rebuilt, &err) < 0) {
                berth_error ignored = {0};
                container_delete(&ctx, opts.id, true, &ignored);
                report(status_fd, err.code, berth_error_message(&err));
                return 1;
        }
        if (container_start(&ctx, opts.id, &err) < 0) {
                berth_error ignored = {0};
                if (net)
                        run_net_down(argv + net, nnet);
                container_delete(&ctx, opts.id, true, &ignored);
                report(status_fd, err.code, berth_error_message(&err));
                return 1;
        }
        if (lock_fd >= 0)
                close(lock_fd);
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
                snprintf(pid, sizeof(pid), "%d%s", (int) created.pid, rebuilt ? " rebuilt" : "");
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
