/* The monitor: one small process per container, as conmon is for podman. berth forks a process that
 * becomes a child subreaper and creates the container with the runtime library (berth-launch; the init is
 * its child). That process then becomes the monitor, which only holds file descriptors:
 *   - copies the container's stdout/stderr (pipes, or the pty master) to the json-file log and to the
 *     attached clients, and their stdin to the container;
 *   - reaps every process reparented to it, and when the init exits writes ROOT/containers/ID/exit
 *     ("CODE FINISHED_AT\n", atomically) and sends the code to its clients;
 *   - then execve()s the exit command (`berth container cleanup ID`: records, restart policy, --rm), unless
 *     a client that cleans up itself (a foreground run) is still connected.
 * A detached container's monitor is the static berth-monitor binary (main.c), exec'd by berth-launch: no
 * SQLite, no JSON library, no allocation in the steady state, as its RSS is a cost per container. A
 * foreground container's monitor runs in berth-launch itself (monitor.h says why).
 *
 * Arguments: KEY=VALUE... -- EXIT COMMAND...
 *   dir=FD pid=INIT log=FD logname=NAME max-size=N max-file=N out=FD err=FD in=FD pty=FD listen=FD client=FD
 * (an fd of -1 or a missing key: not used). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "engine/monitor/health.h"
#include "engine/monitor/logfile.h"
#include "engine/monitor/monitor.h"
#include "engine/monitor/protocol.h"

#define MAX_CLIENTS 32
#define CLIENT_QUEUE_MAX (256 * 1024) /* past this a client holds back the container's output */
#define LINE_MAX_BYTES 16384          /* docker splits log entries at 16 KiB */

struct client {
        int fd;
        unsigned flags;
        bool hello;
        char *queue; /* packets waiting for the socket: [u16 length][packet]... */
        size_t queued, cap, sent_off;
};

struct stream {
        int fd;
        const char *name; /* "stdout" / "stderr" */
        char type;        /* ATTACH_STDOUT / ATTACH_STDERR */
        char line[LINE_MAX_BYTES];
        size_t len;
};

struct monitor {
        int dirfd;
        pid_t init;
        bool exited;
        int exit_code;
        struct stream out, err;
        int in_fd;
        bool tty;
        int listen_fd;
        struct client clients[MAX_CLIENTS];
        struct logfile log;
        char **exit_command;
        char stdin_buf[MONITOR_PACKET_MAX];
        size_t stdin_len;
        /* A client said it cleans up after the exit (foreground run) and was still there at the end. */
        bool client_cleans_up;
        bool exit_sent;
        struct monitor_health health;
};

static long arg_number(int argc, char **argv, const char *key, long fallback)
{
        size_t n = strlen(key);

        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
                if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=')
                        return strtol(argv[i] + n + 1, NULL, 10);
        return fallback;
}

static const char *arg_string(int argc, char **argv, const char *key)
{
        size_t n = strlen(key);

        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
                if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=')
                        return argv[i] + n + 1;
        return NULL;
}

static void set_nonblocking(int fd)
{
        int flags = fcntl(fd, F_GETFL);

        if (flags >= 0)
                fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* ---- clients ---- */

static void client_drop(struct monitor *m, struct client *c)
{
        if (c->fd < 0)
                return;
        /* docker's StdinOnce: the first attach that brought stdin ends it when it goes. */
        if ((c->flags & ATTACH_CLIENT_CLEANS_UP) && !m->exit_sent)
                m->client_cleans_up = false; /* gone before the end: the exit command does the work */
        if ((c->flags & ATTACH_STDIN_ONCE) && m->in_fd >= 0 && !m->tty) {
                close(m->in_fd);
                m->in_fd = -1;
        }
        close(c->fd);
        free(c->queue);
        memset(c, 0, sizeof(*c));
        c->fd = -1;
}

static void client_add(struct monitor *m, int fd)
{
        for (size_t i = 0; i < MAX_CLIENTS; i++)
                if (m->clients[i].fd < 0) {
                        set_nonblocking(fd);
                        m->clients[i].fd = fd;
                        return;
                }
        close(fd);
}

static bool client_flush(struct client *c)
{
        while (c->sent_off < c->queued) {
                uint16_t len;
                ssize_t n;

                memcpy(&len, c->queue + c->sent_off, sizeof(len));
                n = send(c->fd, c->queue + c->sent_off + sizeof(len), len, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        break;
                if (n < 0)
                        return false;
                c->sent_off += sizeof(len) + len;
        }
        if (c->sent_off == c->queued)
                c->sent_off = c->queued = 0;
        return true;
}

/* Queues one packet (type + data) for a client; sends at once when its socket has room. */
static void client_send(struct monitor *m, struct client *c, char type, const char *data, size_t len)
{
        uint16_t plen = (uint16_t) (len + 1);
        size_t need = sizeof(plen) + plen;

        if (c->queued + need > c->cap) {
                size_t cap = c->cap ? c->cap : 4096;
                while (cap < c->queued + need)
                        cap *= 2;
                char *q = realloc(c->queue, cap);
                if (q == NULL) {
                        client_drop(m, c);
                        return;
                }
                c->queue = q;
                c->cap = cap;
        }
        memcpy(c->queue + c->queued, &plen, sizeof(plen));
        c->queue[c->queued + sizeof(plen)] = type;
        memcpy(c->queue + c->queued + sizeof(plen) + 1, data, len);
        c->queued += need;
        if (!client_flush(c))
                client_drop(m, c);
}

static bool clients_backlogged(const struct monitor *m)
{
        for (size_t i = 0; i < MAX_CLIENTS; i++)
                if (m->clients[i].fd >= 0 && m->clients[i].queued - m->clients[i].sent_off > CLIENT_QUEUE_MAX)
                        return true;
        return false;
}

static void resize_pty(struct monitor *m, const unsigned char *p, size_t len)
{
        struct winsize ws = {0};
        uint16_t rows, cols;

        if (!m->tty || m->out.fd < 0 || len < 4)
                return;
        rows = (uint16_t) (p[0] | p[1] << 8);
        cols = (uint16_t) (p[2] | p[3] << 8);
        ws.ws_row = rows;
        ws.ws_col = cols;
        ioctl(m->out.fd, TIOCSWINSZ, &ws);
}

static int stdin_target(const struct monitor *m)
{
        return m->tty ? m->out.fd : m->in_fd;
}

static void stdin_flush(struct monitor *m)
{
        int fd = stdin_target(m);

        while (m->stdin_len > 0 && fd >= 0) {
                ssize_t n = write(fd, m->stdin_buf, m->stdin_len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0) {
                        m->stdin_len = 0; /* the container closed its stdin: what is left goes nowhere */
                        return;
                }
                memmove(m->stdin_buf, m->stdin_buf + n, m->stdin_len - (size_t) n);
                m->stdin_len -= (size_t) n;
        }
        if (fd < 0)
                m->stdin_len = 0;
}

static void client_read(struct monitor *m, struct client *c)
{
        unsigned char pkt[MONITOR_PACKET_MAX + 1];
        ssize_t n = recv(c->fd, pkt, sizeof(pkt), MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                client_drop(m, c);
                return;
        }
        switch (pkt[0]) {
        case ATTACH_HELLO:
                c->flags = n > 1 ? pkt[1] : 0;
                c->hello = true;
                if (c->flags & ATTACH_CLIENT_CLEANS_UP)
                        m->client_cleans_up = true;
                break;
        case ATTACH_STDIN:
                if ((c->flags & ATTACH_WANT_STDIN) && (size_t) n - 1 <= sizeof(m->stdin_buf) - m->stdin_len) {
                        memcpy(m->stdin_buf + m->stdin_len, pkt + 1, (size_t) n - 1);
                        m->stdin_len += (size_t) n - 1;
                        stdin_flush(m);
                }
                break;
        case ATTACH_CLOSE_STDIN:
                if ((c->flags & ATTACH_WANT_STDIN) && !m->tty && m->in_fd >= 0) {
                        stdin_flush(m);
                        close(m->in_fd);
                        m->in_fd = -1;
                }
                break;
        case ATTACH_RESIZE:
                resize_pty(m, pkt + 1, (size_t) n - 1);
                break;
        case ATTACH_SIGNAL:
                if (n > 1 && !m->exited && pkt[1] > 0 && pkt[1] < NSIG)
                        kill(m->init, pkt[1]);
                break;
        default:
                break;
        }
}

/* ---- output ---- */

static void broadcast(struct monitor *m, char type, const char *data, size_t len)
{
        unsigned want = type == ATTACH_STDERR ? ATTACH_WANT_STDERR : ATTACH_WANT_STDOUT;

        for (size_t i = 0; i < MAX_CLIENTS; i++) {
                struct client *c = &m->clients[i];
                if (c->fd >= 0 && c->hello && (c->flags & want))
                        client_send(m, c, type, data, len);
        }
}

static void log_lines(struct monitor *m, struct stream *s, bool flush_partial)
{
        struct timespec now;
        size_t start = 0;

        clock_gettime(CLOCK_REALTIME, &now);
        for (size_t i = 0; i < s->len; i++)
                if (s->line[i] == '\n') {
                        logfile_write(&m->log, s->name, s->line + start, i + 1 - start, &now);
                        start = i + 1;
                }
        /* A line longer than the buffer is logged in parts, as docker does at 16 KiB. */
        if (start < s->len && (flush_partial || (start == 0 && s->len == sizeof(s->line)))) {
                logfile_write(&m->log, s->name, s->line + start, s->len - start, &now);
                start = s->len;
        }
        memmove(s->line, s->line + start, s->len - start);
        s->len -= start;
}

/* Returns false at EOF (or EIO: a pty whose slaves are all closed). */
static bool stream_read(struct monitor *m, struct stream *s)
{
        ssize_t n = read(s->fd, s->line + s->len, sizeof(s->line) - s->len);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return true;
        if (n <= 0) {
                log_lines(m, s, true);
                close(s->fd);
                s->fd = -1;
                return false;
        }
        broadcast(m, s->type, s->line + s->len, (size_t) n);
        s->len += (size_t) n;
        log_lines(m, s, false);
        return true;
}

/* ---- exit ---- */

static void reap(struct monitor *m)
{
        int status;
        pid_t pid;

        /* We are a child subreaper: the container's orphans come to us and are reaped here too. */
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                if (monitor_health_reaped(&m->health, pid))
                        continue;
                if (pid != m->init || m->exited)
                        continue;
                m->exited = true;
                if (WIFEXITED(status))
                        m->exit_code = WEXITSTATUS(status);
                else if (WIFSIGNALED(status))
                        m->exit_code = 128 + WTERMSIG(status);
                else
                        m->exit_code = 255;
        }
}

static void write_exit_file(struct monitor *m)
{
        char text[96], ts[48];
        struct timespec now;
        int fd, len;

        clock_gettime(CLOCK_REALTIME, &now);
        logfile_format_time(&now, ts, sizeof(ts));
        len = snprintf(text, sizeof(text), "%d %s\n", m->exit_code, ts);
        fd = openat(m->dirfd, MONITOR_EXIT_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        if (write(fd, text, (size_t) len) == len)
                renameat(m->dirfd, MONITOR_EXIT_FILE ".tmp", m->dirfd, MONITOR_EXIT_FILE);
        close(fd);
}


/* Sends the exit code and gives slow clients up to two seconds to take what is queued. */
static void say_goodbye(struct monitor *m)
{
        char code[16];
        int len = snprintf(code, sizeof(code), "%d", m->exit_code);
        struct timespec start, now;

        /* Hellos still unread (a client that connected as the container ended) decide who hears the code. */
        for (size_t i = 0; i < MAX_CLIENTS; i++)
                for (int k = 0; k < 4 && m->clients[i].fd >= 0 && !m->clients[i].hello; k++)
                        client_read(m, &m->clients[i]);

        m->exit_sent = true;
        for (size_t i = 0; i < MAX_CLIENTS; i++)
                if (m->clients[i].fd >= 0 && m->clients[i].hello)
                        client_send(m, &m->clients[i], ATTACH_EXIT, code, (size_t) len);
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                struct pollfd fds[MAX_CLIENTS];
                nfds_t n = 0;
                for (size_t i = 0; i < MAX_CLIENTS; i++)
                        if (m->clients[i].fd >= 0 && m->clients[i].queued > m->clients[i].sent_off)
                                fds[n++] = (struct pollfd){.fd = m->clients[i].fd, .events = POLLOUT};
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (n == 0 || now.tv_sec - start.tv_sec >= 2)
                        break;
                poll(fds, n, 100);
                for (size_t i = 0; i < MAX_CLIENTS; i++)
                        if (m->clients[i].fd >= 0 && !client_flush(&m->clients[i]))
                                client_drop(m, &m->clients[i]);
        }
}

/* ---- the loop ---- */

static void run(struct monitor *m, int sigfd)
{
        struct timespec exited_at = {0};

        if (m->exited) /* reaped before the loop: the drain window starts now */
                clock_gettime(CLOCK_MONOTONIC, &exited_at);

        for (;;) {
                struct pollfd fds[4 + MAX_CLIENTS];
                struct client *owner[4 + MAX_CLIENTS] = {0};
                bool hold = clients_backlogged(m);
                nfds_t n = 0;
                int timeout = -1;

                if (m->exited) {
                        struct timespec now;
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        long ms = (now.tv_sec - exited_at.tv_sec) * 1000 + (now.tv_nsec - exited_at.tv_nsec) / 1000000;
                        /* Output still open after the init is gone belongs to a process outside its pid
                         * namespace (--pid host): do not wait for it for long. */
                        if ((m->out.fd < 0 && m->err.fd < 0) || ms >= 200)
                                return;
                        timeout = (int) (200 - ms);
                } else {
                        timeout = monitor_health_timeout(&m->health);
                }
                fds[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
                fds[n++] = (struct pollfd){.fd = hold ? -1 : m->out.fd, .events = POLLIN};
                fds[n++] = (struct pollfd){.fd = hold ? -1 : m->err.fd, .events = POLLIN};
                fds[n++] = (struct pollfd){.fd = m->listen_fd, .events = POLLIN};
                for (size_t i = 0; i < MAX_CLIENTS; i++) {
                        struct client *c = &m->clients[i];
                        if (c->fd < 0)
                                continue;
                        owner[n] = c;
                        fds[n++] = (struct pollfd){
                                .fd = c->fd,
                                .events = (short) ((m->stdin_len == 0 ? POLLIN : 0) | (c->queued > c->sent_off ? POLLOUT : 0)),
                        };
                }
                if (poll(fds, n, timeout) < 0 && errno != EINTR)
                        return;
                if (fds[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(sigfd, &si, sizeof(si)) == sizeof(si))
                                ;
                        bool was = m->exited;
                        reap(m);
                        if (!was && m->exited)
                                clock_gettime(CLOCK_MONOTONIC, &exited_at);
                }
                if (fds[3].revents & POLLIN) {
                        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
                        if (fd >= 0)
                                client_add(m, fd);
                }
                for (nfds_t i = 4; i < n; i++) {
                        struct client *c = owner[i];
                        if (c->fd < 0)
                                continue;
                        if ((fds[i].revents & POLLOUT) && !client_flush(c)) {
                                client_drop(m, c);
                                continue;
                        }
                        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
                                client_read(m, c);
                }
                /* After the clients: a hello that came with the first output is applied before it. */
                if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
                        stream_read(m, &m->out);
                if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
                        stream_read(m, &m->err);
                if (m->stdin_len > 0)
                        stdin_flush(m);
                if (!m->exited)
                        monitor_health_tick(&m->health);
        }
}

int monitor_main(int argc, char **argv)
{
        static struct monitor m;
        sigset_t mask;
        int sigfd, dash = argc;
        long client;

        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--") == 0) {
                        dash = i;
                        break;
                }
        m.dirfd = (int) arg_number(argc, argv, "dir", -1);
        m.init = (pid_t) arg_number(argc, argv, "pid", 0);
        m.in_fd = (int) arg_number(argc, argv, "in", -1);
        m.listen_fd = (int) arg_number(argc, argv, "listen", -1);
        m.exit_command = dash + 1 < argc ? argv + dash + 1 : NULL;
        m.out = (struct stream){.fd = (int) arg_number(argc, argv, "out", -1), .name = "stdout", .type = ATTACH_STDOUT};
        m.err = (struct stream){.fd = (int) arg_number(argc, argv, "err", -1), .name = "stderr", .type = ATTACH_STDERR};
        if (arg_number(argc, argv, "pty", -1) >= 0) {
                m.tty = true;
                m.out.fd = (int) arg_number(argc, argv, "pty", -1);
        }
        if (m.dirfd < 0 || m.init <= 0) {
                fprintf(stderr, "berth-monitor: started by berth only (dir=FD pid=PID ... -- EXIT COMMAND)\n");
                return 2;
        }
        logfile_init(&m.log, m.dirfd, arg_string(argc, argv, "logname") ?: "container-json.log",
                     (int) arg_number(argc, argv, "log", -1), (uint64_t) arg_number(argc, argv, "max-size", 0),
                     (unsigned) arg_number(argc, argv, "max-file", 1));
        for (size_t i = 0; i < MAX_CLIENTS; i++)
                m.clients[i].fd = -1;
        monitor_health_init(&m.health, arg_string(argc, argv, "health"), m.exit_command);
        client = arg_number(argc, argv, "client", -1);
        if (client >= 0)
                client_add(&m, (int) client);
        if (m.out.fd >= 0)
                set_nonblocking(m.out.fd);
        if (m.err.fd >= 0)
                set_nonblocking(m.err.fd);
        if (m.in_fd >= 0)
                set_nonblocking(m.in_fd);

        /* Signals sent to the monitor (a terminal's hangup, a stray TERM) are not the container's business:
         * only SIGKILL ends it. SIGCHLD comes through a signalfd. */
        signal(SIGPIPE, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sigfd < 0)
                return 1;
        reap(&m); /* the init may have exited before we got here */

        run(&m, sigfd);
        while (!m.exited) { /* outputs closed early: wait for the init itself */
                struct pollfd p = {.fd = sigfd, .events = POLLIN};
                struct signalfd_siginfo si;
                poll(&p, 1, -1);
                while (read(sigfd, &si, sizeof(si)) == sizeof(si))
                        ;
                reap(&m);
        }
        if (m.out.fd >= 0)
                log_lines(&m, &m.out, true);
        if (m.err.fd >= 0)
                log_lines(&m, &m.err, true);
        write_exit_file(&m);
        say_goodbye(&m);
        if (m.client_cleans_up || m.exit_command == NULL)
                return 0;
        /* Children still reparented to us would be reaped by nobody once we are berth: reap what is gone. */
        reap(&m);
        if (m.listen_fd >= 0)
                close(m.listen_fd);
        for (size_t i = 0; i < MAX_CLIENTS; i++)
                client_drop(&m, &m.clients[i]);
        sigprocmask(SIG_UNBLOCK, &mask, NULL);
        execv(m.exit_command[0], m.exit_command);
        fprintf(stderr, "berth-monitor: exec %s: %s\n", m.exit_command[0], strerror(errno));
        return 1;
}
