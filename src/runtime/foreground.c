#include "runtime/foreground.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"

int foreground_block_signals(berth_error *err)
{
        sigset_t all;

        /* A caller that ignores SIGCHLD (some shells' background jobs do) would have our children reaped
         * behind our back and no SIGCHLD queued: we could never learn the exit code. */
        if (signal(SIGCHLD, SIG_DFL) == SIG_ERR)
                return berth_fail(err, errno, "reset SIGCHLD");
        sigfillset(&all);
        if (sigprocmask(SIG_BLOCK, &all, NULL) < 0)
                return berth_fail(err, errno, "block signals");
        return 0;
}

static void copy_window_size(int from, int to)
{
        struct winsize ws;

        if (ioctl(from, TIOCGWINSZ, &ws) == 0)
                (void) ioctl(to, TIOCSWINSZ, &ws);
}

enum pump_result { PUMP_MOVED, PUMP_AGAIN, PUMP_CLOSED };

/* Moves what is readable from `from` to `to`. A pty master reads EIO once every slave fd is closed. */
static enum pump_result pump(int from, int to)
{
        char buf[16384];
        ssize_t n = read(from, buf, sizeof(buf));

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return PUMP_AGAIN;
        if (n <= 0)
                return PUMP_CLOSED;
        return write_all(to, buf, (size_t) n) == 0 ? PUMP_MOVED : PUMP_CLOSED;
}

/* Our stdin to the master with the detach sequence taken out: *matched bytes of it are held. */
static enum pump_result pump_stdin(int master, const unsigned char *keys, size_t n_keys, size_t *matched,
                                   bool *detached)
{
        unsigned char in[4096], out[4096 + 64];
        ssize_t n;
        size_t o = 0;

        if (n_keys == 0)
                return pump(STDIN_FILENO, master);
        n = read(STDIN_FILENO, in, sizeof(in));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return PUMP_AGAIN;
        if (n <= 0)
                return PUMP_CLOSED;
        for (ssize_t i = 0; i < n && !*detached; i++) {
                if (in[i] == keys[*matched]) {
                        if (++*matched == n_keys)
                                *detached = true;
                        continue;
                }
                /* Broken: what was held goes on, and this byte may begin the sequence anew. */
                memcpy(out + o, keys, *matched);
                o += *matched;
                *matched = 0;
                if (in[i] == keys[0]) {
                        if (++*matched == n_keys)
                                *detached = true;
                } else {
                        out[o++] = in[i];
                }
        }
        if (o > 0 && write_all(master, out, o) != 0)
                return PUMP_CLOSED;
        return PUMP_MOVED;
}

static void drain(int master)
{
        int flags = fcntl(master, F_GETFL);

        if (flags >= 0)
                fcntl(master, F_SETFL, flags | O_NONBLOCK);
        while (pump(master, STDOUT_FILENO) == PUMP_MOVED)
                ;
}

int foreground_wait(pid_t pid, int master, int *exit_code, berth_error *err)
{
        bool detached = false;

        return foreground_wait_detachable(pid, master, NULL, 0, exit_code, &detached, err);
}

int foreground_wait_detachable(pid_t pid, int master, const unsigned char *keys, size_t n_keys, int *exit_code,
                               bool *detached, berth_error *err)
{
        cleanup_close int sfd = -1;
        size_t matched = 0;
        struct termios saved;
        bool raw = false, stdin_open = master >= 0, master_open = master >= 0, exited = false;
        sigset_t all;
        int status = 0;

        *detached = false;
        if (master < 0)
                n_keys = 0;
        sigfillset(&all);
        sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
                return berth_fail(err, errno, "signalfd");
        if (master >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
                struct termios t = saved;
                /* Raw both ways, output too, as docker's CLI: the container's own terminal already made its
                 * \r\n; a second ONLCR here would send \r\r\n. Nothing of ours is printed while raw. */
                cfmakeraw(&t);
                raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
                copy_window_size(STDIN_FILENO, master);
        }
        while (!exited || master_open) {
                struct pollfd fds[3] = {
                        {.fd = sfd, .events = POLLIN},
                        {.fd = master_open ? master : -1, .events = POLLIN},
                        {.fd = stdin_open && !exited ? STDIN_FILENO : -1, .events = POLLIN},
                };
                int r = poll(fds, 3, exited ? 200 : -1);

                if (r < 0 && errno != EINTR)
                        break;
                if (r == 0 && exited)
                        break; /* the process is gone; a grandchild keeping the pty open does not hold us */
                if (fds[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo == SIGCHLD) {
                                        pid_t w;
                                        int st;
                                        /* We may be a subreaper: reap orphans too, keep the one we wait for. */
                                        while ((w = waitpid(-1, &st, WNOHANG)) > 0)
                                                if (w == pid) {
                                                        status = st;
                                                        exited = true;
                                                }
                                } else if (si.ssi_signo == SIGWINCH) {
                                        if (master >= 0)
                                                copy_window_size(STDIN_FILENO, master);
                                } else if (si.ssi_signo != SIGURG && !exited) {
                                        kill(pid, (int) si.ssi_signo);
                                }
                        }
                }
                if (master_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
                    pump(master, STDOUT_FILENO) == PUMP_CLOSED)
                        master_open = false;
                if (stdin_open && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) &&
                    pump_stdin(master, keys, n_keys, &matched, detached) == PUMP_CLOSED)
                        stdin_open = false;
                if (*detached)
                        break;
                if (!exited) {
                        /* A SIGCHLD may have been merged with one already handled. */
                        int st;
                        if (waitpid(pid, &st, WNOHANG) == pid) {
                                status = st;
                                exited = true;
                        }
                }
        }
        if (master >= 0 && !*detached)
                drain(master);
        if (raw)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        *exit_code = *detached ? 0 : exit_code_of_wait_status(status);
        return 0;
}
