#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/util.h"

#define HOOK_OUTPUT_KEPT 1024

static void __attribute__((noreturn)) exec_hook(const struct spec_hook *h, int stdin_fd, int output_fd)
{
        char *default_argv[] = {h->path, NULL};

        if (dup2(stdin_fd, STDIN_FILENO) < 0 || dup2(output_fd, STDOUT_FILENO) < 0 ||
            dup2(output_fd, STDERR_FILENO) < 0)
                _exit(126);
        close_range(3, ~0u, 0);
        /* runtime-spec: a hook without env gets the runtime's environment (as runc and crun do). */
        execve(h->path, h->args && h->args[0] ? h->args : default_argv, h->env ? h->env : environ);
        dprintf(STDERR_FILENO, "exec %s: %s", h->path, strerror(errno));
        _exit(127);
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Collects the hook's output (first HOOK_OUTPUT_KEPT bytes) until it exits or the deadline passes. */
static int wait_hook(pid_t pid, int pidfd, int output_fd, int timeout_s, char *output, size_t *output_len,
                     int *status, bool *timed_out)
{
        long long deadline = timeout_s > 0 ? now_ms() + (long long) timeout_s * 1000 : -1;
        bool exited = false, output_open = true;

        *timed_out = false;
        while (!exited || output_open) {
                struct pollfd fds[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = output_open ? output_fd : -1, .events = POLLIN}};
                int wait_ms = -1, r;

                if (deadline >= 0) {
                        long long left = deadline - now_ms();
                        if (left <= 0 && !exited) {
                                *timed_out = true;
                                kill(pid, SIGKILL);
                                deadline = -1;
                                continue;
                        }
                        wait_ms = left > 0 ? (int) left : 0;
                }
                if (exited)
                        wait_ms = 100; /* the hook is gone; don't wait forever for a grandchild holding the pipe */
                r = poll(fds, 2, wait_ms);
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r == 0 && exited)
                        break;
                if (fds[1].revents) {
                        char buf[4096];
                        ssize_t n = read(output_fd, buf, sizeof(buf));
                        if (n <= 0) {
                                output_open = false;
                        } else if (*output_len < HOOK_OUTPUT_KEPT) {
                                size_t take = (size_t) n;
                                if (take > HOOK_OUTPUT_KEPT - *output_len)
                                        take = HOOK_OUTPUT_KEPT - *output_len;
                                memcpy(output + *output_len, buf, take);
                                *output_len += take;
                        }
                }
                if (!exited && (fds[0].revents & POLLIN)) {
                        if (waitpid(pid, status, 0) == pid)
                                exited = true;
                }
        }
        return 0;
}

static void one_line(char *s)
{
        size_t len = strlen(s);
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
                s[--len] = '\0';
        for (char *p = s; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
}

static int run_one(const struct spec_hook *h, const char *kind, const char *state_json, berth_error *err)
{
        int in[2] = {-1, -1}, out[2] = {-1, -1};
        cleanup_close int pidfd = -1;
        char output[HOOK_OUTPUT_KEPT + 1] = {0};
        size_t output_len = 0;
        int status = 0, r;
        bool timed_out = false;
        pid_t pid;

        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
                r = errno;
                close(in[0]);
                close(in[1]);
                return berth_fail(err, r, "%s hook %s: pipe", kind, h->path);
        }
        pid = fork();
        if (pid < 0) {
                r = errno;
                close(in[0]), close(in[1]), close(out[0]), close(out[1]);
                return berth_fail(err, r, "%s hook %s: fork", kind, h->path);
        }
        if (pid == 0)
                exec_hook(h, in[0], out[1]);
        close(in[0]);
        close(out[1]);
        pidfd = pidfd_open(pid, 0);
        /* The state is a few KB, well under a pipe's buffer: the write cannot block on a hook that doesn't
         * read. A hook that exits without reading gives EPIPE, which is its business. */
        (void) write_all(in[1], state_json, strlen(state_json));
        close(in[1]);
        if (pidfd < 0) {
                r = errno;
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                close(out[0]);
                return berth_fail(err, r, "%s hook %s: pidfd_open", kind, h->path);
        }
        r = wait_hook(pid, pidfd, out[0], h->has_timeout ? h->timeout : 0, output, &output_len, &status, &timed_out);
        close(out[0]);
        if (r < 0)
                return berth_fail(err, -r, "%s hook %s: wait", kind, h->path);
        output[output_len] = '\0';
        one_line(output);
        if (timed_out)
                return berth_failf(err, ETIMEDOUT, "%s hook %s: timed out after %d s", kind, h->path, h->timeout);
        if (WIFSIGNALED(status))
                return berth_failf(err, ECHILD, "%s hook %s: killed by signal %d%s%s", kind, h->path, WTERMSIG(status),
                                   output[0] ? ": " : "", output);
        if (WEXITSTATUS(status) != 0)
                return berth_failf(err, ECHILD, "%s hook %s: exited with status %d%s%s", kind, h->path,
                                   WEXITSTATUS(status), output[0] ? ": " : "", output);
        return 0;
}

int hooks_run(const struct spec_hooks *hooks, enum spec_hook_kind kind, const char *state_json, berth_error *err)
{
        for (size_t i = 0; i < hooks->count[kind]; i++) {
                int r = run_one(&hooks->list[kind][i], spec_hook_kind_name(kind), state_json, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void hooks_run_all(const struct spec_hooks *hooks, enum spec_hook_kind kind, const char *state_json,
                   const struct berth_log *log)
{
        for (size_t i = 0; i < hooks->count[kind]; i++) {
                berth_error err = {0};
                if (run_one(&hooks->list[kind][i], spec_hook_kind_name(kind), state_json, &err) < 0)
                        log_warning(log, "%s", berth_error_message(&err));
                berth_error_clear(&err);
        }
}
