#include "engine/attach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "engine/list.h"
#include "engine/monitor/protocol.h"
#include "lib/util.h"

/* The signals a foreground client forwards (docker's ForwardAllSignals, minus what belongs to us). */
static const int PROXIED[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGTSTP};

int engine_attach_connect(struct engine *e, const char *id, int *fd, berth_error *err)
{
        cleanup_close int dirfd = engine_container_dirfd(e, id, err);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        int s;

        if (dirfd < 0)
                return dirfd;
        snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/" MONITOR_ATTACH_SOCKET, dirfd);
        s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (s < 0)
                return berth_fail(err, errno, "socket");
        if (connect(s, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
                int e2 = errno;
                close(s);
                return berth_fail(err, e2, "attach to container %s", id);
        }
        *fd = s;
        return 0;
}

void engine_attach_block_signals(void)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGWINCH);
        for (size_t i = 0; i < ARRAY_SIZE(PROXIED); i++)
                sigaddset(&set, PROXIED[i]);
        sigprocmask(SIG_BLOCK, &set, NULL);
}

static int send_packet(int fd, char type, const void *data, size_t len)
{
        char buf[MONITOR_PACKET_MAX + 1];

        buf[0] = type;
        if (len > MONITOR_PACKET_MAX)
                len = MONITOR_PACKET_MAX;
        if (len > 0)
                memcpy(buf + 1, data, len);
        while (send(fd, buf, len + 1, MSG_NOSIGNAL) < 0)
                if (errno != EINTR)
                        return -errno;
        return 0;
}

static void send_window_size(int fd)
{
        struct winsize ws;
        unsigned char p[4];

        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
                return;
        p[0] = (unsigned char) (ws.ws_row & 0xff);
        p[1] = (unsigned char) (ws.ws_row >> 8);
        p[2] = (unsigned char) (ws.ws_col & 0xff);
        p[3] = (unsigned char) (ws.ws_col >> 8);
        send_packet(fd, ATTACH_RESIZE, p, sizeof(p));
}

int engine_container_resize(struct engine *e, const char *ref, unsigned rows, unsigned cols, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_close int fd = -1;
        unsigned char hello = 0, size[4];
        int r;

        if (rows > UINT16_MAX || cols > UINT16_MAX)
                return berth_failf(err, EINVAL, "invalid window size %ux%u", rows, cols);
        if ((r = engine_container_find(e, ref, &c, err)) < 0)
                return r;
        if (c->status != ENGINE_RUNNING && c->status != ENGINE_PAUSED)
                return berth_failf(err, EBUSY, "Container %s is not running", c->id);
        if ((r = engine_attach_connect(e, c->id, &fd, err)) < 0)
                return r;
        size[0] = (unsigned char) (rows & 0xff);
        size[1] = (unsigned char) (rows >> 8);
        size[2] = (unsigned char) (cols & 0xff);
        size[3] = (unsigned char) (cols >> 8);
        /* A client that wants no stream: the monitor reads both packets before it sees this end close. */
        if ((r = send_packet(fd, ATTACH_HELLO, &hello, 1)) < 0 || (r = send_packet(fd, ATTACH_RESIZE, size, 4)) < 0)
                return berth_fail(err, -r, "resize container %s", c->id);
        return 0;
}

int engine_detach_keys_parse(const char *spec, struct engine_attach *a, berth_error *err)
{
        static const char *const ctrl[] = {"@", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j",  "k", "l", "m", "n", "o",
                                           "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "[", "\\", "]", "^", "_"};
        cleanup_free char *copy = NULL;
        char *save = NULL;

        a->keys[0] = 0x10;
        a->keys[1] = 0x11;
        a->n_keys = 2;
        if (spec == NULL || *spec == '\0')
                return 0;
        copy = xstrdup(spec);
        a->n_keys = 0;
        for (char *k = strtok_r(copy, ",", &save); k != NULL; k = strtok_r(NULL, ",", &save)) {
                int code = -1;
                if (strlen(k) == 1) {
                        code = (unsigned char) k[0];
                } else if (str_has_prefix(k, "ctrl-")) {
                        for (size_t i = 0; i < ARRAY_SIZE(ctrl); i++)
                                if (strcmp(k + 5, ctrl[i]) == 0)
                                        code = (int) i;
                }
                if (code < 0 || a->n_keys == sizeof(a->keys))
                        return berth_failf(err, EINVAL, "Invalid detach keys (%s) provided", spec);
                a->keys[a->n_keys++] = (unsigned char) code;
        }
        if (a->n_keys == 0)
                return berth_failf(err, EINVAL, "Invalid detach keys (%s) provided", spec);
        return 0;
}

/* Input from our stdin, with the detach sequence taken out: bytes that begin it are held until it is complete
 * (detach) or broken (they go to the container). */
static int forward_stdin(const struct engine_attach *a, size_t *matched, bool *open, bool *detached)
{
        static const unsigned char fallback[2] = {0x10, 0x11};
        const unsigned char *keys = a->n_keys > 0 ? a->keys : fallback;
        size_t n_keys = a->n_keys > 0 ? a->n_keys : 2;
        char in[MONITOR_PACKET_MAX], out[MONITOR_PACKET_MAX + 16];
        ssize_t n = read(STDIN_FILENO, in, sizeof(in) - 1);
        size_t o = 0;

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0) {
                *open = false;
                return send_packet(a->fd, ATTACH_CLOSE_STDIN, NULL, 0);
        }
        for (ssize_t i = 0; i < n; i++) {
                if (!a->detach_keys) {
                        out[o++] = in[i];
                        continue;
                }
                if ((unsigned char) in[i] == keys[*matched]) {
                        if (++*matched == n_keys) {
                                *detached = true;
                                break;
                        }
                        continue;
                }
                /* Broken: what was held goes on, and this byte may begin the sequence anew. */
                for (size_t k = 0; k < *matched; k++)
                        out[o++] = (char) keys[k];
                *matched = 0;
                if ((unsigned char) in[i] == keys[0] && n_keys > 1)
                        *matched = 1;
                else if ((unsigned char) in[i] == keys[0]) {
                        *detached = true;
                        break;
                } else
                        out[o++] = in[i];
                if (o + sizeof(a->keys) + 1 > MONITOR_PACKET_MAX) {
                        if (send_packet(a->fd, ATTACH_STDIN, out, o) < 0)
                                return -1;
                        o = 0;
                }
        }
        return o > 0 ? send_packet(a->fd, ATTACH_STDIN, out, o) : 0;
}

/* One packet from the monitor. Returns 1 at the exit packet. */
static int receive(const struct engine_attach *a, int *exit_code, berth_error *err)
{
        char buf[MONITOR_PACKET_MAX + 2];
        ssize_t n = recv(a->fd, buf, sizeof(buf) - 1, 0);

        if (n < 0 && errno == EINTR)
                return 0;
        if (n <= 0)
                return berth_failf(err, EPIPE, "lost the connection to the container's monitor");
        switch (buf[0]) {
        case ATTACH_STDOUT:
                write_all(STDOUT_FILENO, buf + 1, (size_t) n - 1);
                break;
        case ATTACH_STDERR:
                write_all(STDERR_FILENO, buf + 1, (size_t) n - 1);
                break;
        case ATTACH_EXIT:
                buf[n] = '\0';
                *exit_code = atoi(buf + 1);
                return 1;
        default:
                break;
        }
        return 0;
}

int engine_attach_pair(struct engine_attach *a, int *monitor_end, berth_error *err)
{
        unsigned char hello = (unsigned char) a->flags;
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return berth_fail(err, errno, "socketpair");
        if (send_packet(sv[0], ATTACH_HELLO, &hello, 1) < 0) {
                int saved = errno;
                close(sv[0]);
                close(sv[1]);
                return berth_fail(err, saved, "attach");
        }
        a->fd = sv[0];
        a->hello_sent = true;
        *monitor_end = sv[1];
        return 0;
}

int engine_attach_run(const struct engine_attach *a, int *exit_code, bool *detached, berth_error *err)
{
        unsigned char hello = (unsigned char) a->flags;
        bool stdin_open = (a->flags & ATTACH_WANT_STDIN) != 0, raw = false;
        size_t pending = 0;
        struct termios saved;
        cleanup_close int sfd = -1;
        sigset_t set;
        int r = 0;

        *detached = false;
        sigemptyset(&set);
        sigaddset(&set, SIGWINCH);
        if (a->sig_proxy && !a->tty)
                for (size_t i = 0; i < ARRAY_SIZE(PROXIED); i++)
                        sigaddset(&set, PROXIED[i]);
        sigprocmask(SIG_BLOCK, &set, NULL);
        sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (!a->hello_sent && send_packet(a->fd, ATTACH_HELLO, &hello, 1) < 0)
                return berth_fail(err, errno, "attach");
        if (a->tty) {
                send_window_size(a->fd);
                if (stdin_open && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
                        struct termios t = saved;
                        cfmakeraw(&t);
                        raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
                }
        }
        for (;;) {
                struct pollfd fds[3] = {
                        {.fd = a->fd, .events = POLLIN},
                        {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
                        {.fd = sfd, .events = POLLIN},
                };
                if (poll(fds, 3, -1) < 0 && errno != EINTR) {
                        r = berth_fail(err, errno, "poll");
                        break;
                }
                if (fds[2].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                                unsigned char sig = (unsigned char) si.ssi_signo;
                                if (si.ssi_signo == SIGWINCH)
                                        send_window_size(a->fd);
                                else
                                        send_packet(a->fd, ATTACH_SIGNAL, &sig, 1);
                        }
                }
                if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        r = receive(a, exit_code, err);
                        if (r != 0)
                                break;
                }
                if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                        if (forward_stdin(a, &pending, &stdin_open, detached) < 0) {
                                stdin_open = false;
                        }
                        if (*detached)
                                break;
                }
        }
        if (raw)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        if (*detached) {
                /* docker's words when the detach sequence was read. */
                fprintf(stderr, "\r\nread escape sequence\r\n");
                return 0;
        }
        return r < 0 ? r : 0;
}

int engine_attach_relay(const struct engine_attach *a, int in_fd, const char *first_in, size_t first_in_len,
                        engine_attach_output output, void *data, int *exit_code, berth_error *err)
{
        unsigned char hello = (unsigned char) a->flags;
        char buf[MONITOR_PACKET_MAX + 2];
        bool in_open = in_fd >= 0;

        *exit_code = -1;
        if (!a->hello_sent && send_packet(a->fd, ATTACH_HELLO, &hello, 1) < 0)
                return berth_fail(err, errno, "attach");
        if (in_open && first_in_len > 0)
                for (size_t off = 0; off < first_in_len; off += MONITOR_PACKET_MAX)
                        send_packet(a->fd, ATTACH_STDIN, first_in + off,
                                    first_in_len - off > MONITOR_PACKET_MAX ? MONITOR_PACKET_MAX : first_in_len - off);
        for (;;) {
                /* Without stdin the client's socket is still watched: its hang-up ends the session. */
                struct pollfd fds[2] = {
                        {.fd = a->fd, .events = POLLIN},
                        {.fd = in_fd, .events = in_open ? POLLIN | POLLRDHUP : 0},
                };
                ssize_t n;

                if (poll(fds, in_fd >= 0 ? 2 : 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return berth_fail(err, errno, "poll");
                }
                if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        n = recv(a->fd, buf, sizeof(buf) - 1, 0);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                return berth_failf(err, EPIPE, "lost the connection to the container's monitor");
                        if (buf[0] == ATTACH_EXIT) {
                                buf[n] = '\0';
                                *exit_code = atoi(buf + 1);
                                return 0;
                        }
                        if ((buf[0] == ATTACH_STDOUT || buf[0] == ATTACH_STDERR) &&
                            output(buf[0] == ATTACH_STDOUT ? 1 : 2, buf + 1, (size_t) n - 1, data) < 0)
                                return 0;
                }
                if (in_fd < 0)
                        continue;
                if (fds[1].revents & (POLLHUP | POLLERR))
                        return 0; /* the client is gone */
                if (in_open && (fds[1].revents & (POLLIN | POLLRDHUP))) {
                        n = read(in_fd, buf, MONITOR_PACKET_MAX);
                        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (n <= 0) {
                                in_open = false;
                                send_packet(a->fd, ATTACH_CLOSE_STDIN, NULL, 0);
                        } else if (send_packet(a->fd, ATTACH_STDIN, buf, (size_t) n) < 0) {
                                return berth_fail(err, errno, "send stdin to the container's monitor");
                        }
                }
        }
}
