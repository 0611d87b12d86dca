/* berth-init: the `--init` process (docker-init/tini's job). A program written to be PID 1 rarely is one: it
 * ignores SIGTERM (the kernel gives PID 1 no default actions) and never reaps the orphans reparented to it.
 * This static binary, bind-mounted read-only into the container at /sbin/docker-init, runs the command as
 * its child, forwards every signal it gets to it, reaps every zombie, and exits with the command's status
 * (128+N when a signal N killed it, as a shell reports it).
 *
 *   berth-init [--] COMMAND [ARG...] */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        sigset_t all, none;
        int first = 1, status = 0;
        pid_t child;

        if (first < argc && strcmp(argv[first], "--") == 0)
                first++;
        if (first >= argc) {
                fprintf(stderr, "usage: berth-init [--] COMMAND [ARG...]\n");
                return 2;
        }
        sigfillset(&all);
        sigemptyset(&none);
        sigprocmask(SIG_BLOCK, &all, NULL);
        child = fork();
        if (child < 0) {
                fprintf(stderr, "berth-init: fork: %s\n", strerror(errno));
                return 1;
        }
        if (child == 0) {
                sigprocmask(SIG_SETMASK, &none, NULL);
                execvp(argv[first], argv + first);
                fprintf(stderr, "berth-init: exec %s: %s\n", argv[first], strerror(errno));
                _exit(errno == ENOENT ? 127 : 126);
        }
        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&all, &si);

                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        /* SIGKILL and SIGSTOP never reach us; everything else is the command's. */
                        kill(child, sig);
                        continue;
                }
                for (;;) {
                        int st;
                        pid_t pid = waitpid(-1, &st, WNOHANG);
                        if (pid <= 0)
                                break;
                        if (pid == child) {
                                status = st;
                                child = -1;
                        }
                }
                if (child < 0)
                        break;
        }
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 1;
}
