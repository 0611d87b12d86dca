/* berth-procview's supervisor: it holds the FUSE connection (the engine's /dev/fuse fd), the seccomp listening
 * socket and a copy of every seccomp listener the worker accepted, and is on no request's path. When the
 * worker dies (killed, crashed) it forks another from itself, which replays the connection's FUSE_INIT to its
 * own session (reply dropped: the kernel has one) and answers the FUSE request and the sysinfo call left in
 * memory they share (procview.h). The connection never loses its server, so readers get no ENOTCONN
 * (lxcfs#73, moby#33729). When the supervisor dies, the worker, which holds the same fds, forks a new
 * supervisor (worker.c): killing either process is safe; only both at once end the connection. A worker that
 * saw the connection end (unmounted: ENODEV) says so (PROCVIEW_MSG_BYE) and the supervisor ends too. */
#include "engine/procview/procview.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

struct supervisor {
        const struct procview_options *o;
        struct procview_listeners *l;
        int sock;
        pid_t worker; /* 0: the worker is not this process's child (it made this supervisor) */
        unsigned restarts;   /* workers that died within a second of their start, in a row */
        struct timespec spawned;
        bool bye;
};

static int spawn_worker(struct supervisor *s, berth_error *err)
{
        int sv[2];
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return berth_fail(err, errno, "socketpair");
        pid = fork();
        if (pid < 0) {
                close(sv[0]);
                close(sv[1]);
                return berth_fail(err, errno, "fork the worker");
        }
        if (pid == 0) {
                close(sv[0]);
                prctl(PR_SET_NAME, "procview-work", 0, 0, 0);
                _exit(procview_worker_main(s->o, s->l, sv[1]) < 0 ? 1 : 0);
        }
        close(sv[1]);
        s->sock = sv[0];
        s->worker = pid;
        clock_gettime(CLOCK_MONOTONIC, &s->spawned);
        return 0;
}

/* A message of the worker's; false when its end is closed (it is gone). */
static bool from_worker(struct supervisor *s)
{
        struct procview_msg m;
        char control[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
        struct msghdr h = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
        struct cmsghdr *c;
        int fd = -1;
        ssize_t n = recvmsg(s->sock, &h, MSG_CMSG_CLOEXEC);

        if (n < 0)
                return errno == EINTR || errno == EAGAIN;
        if (n == 0)
                return false;
        for (c = CMSG_FIRSTHDR(&h); c != NULL; c = CMSG_NXTHDR(&h, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        if ((size_t) n == sizeof(m) && m.index < PROCVIEW_MAX_LISTENERS) {
                if ((m.op == PROCVIEW_MSG_ADD || m.op == PROCVIEW_MSG_DROP) && s->l->fd[m.index] >= 0) {
                        close(s->l->fd[m.index]);
                        s->l->fd[m.index] = -1;
                }
                if (m.op == PROCVIEW_MSG_ADD && fd >= 0) {
                        s->l->fd[m.index] = fd;
                        fd = -1;
                }
                if (m.op == PROCVIEW_MSG_BYE)
                        s->bye = true;
        }
        if (fd >= 0)
                close(fd);
        return true;
}

/* The worker is gone: returns 1 if it ended because the connection did, else forks another. */
static int worker_gone(struct supervisor *s, berth_error *err)
{
        struct timespec now;
        int status = 0;

        close(s->sock);
        s->sock = -1;
        if (s->worker > 0)
                while (waitpid(s->worker, &status, 0) < 0 && errno == EINTR)
                        ;
        if (s->bye || (s->worker > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0))
                return 1;
        s->worker = 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - s->spawned.tv_sec > 1)
                s->restarts = 0;
        /* A worker that dies at once again and again is not helped by a faster restart. */
        if (++s->restarts > 3) {
                struct timespec ts = {.tv_nsec = 100 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        return spawn_worker(s, err);
}

/* Unmounted: the listener's socket goes too (no other server was started: the store's lock is still ours). */
static void remove_listener_socket(const struct procview_options *o)
{
        struct sockaddr_un addr = {0};
        socklen_t len = sizeof(addr);

        if (o->seccomp_fd >= 0 && getsockname(o->seccomp_fd, (struct sockaddr *) &addr, &len) == 0 &&
            addr.sun_family == AF_UNIX && addr.sun_path[0] == '/')
                unlink(addr.sun_path);
}

int procview_supervise(const struct procview_options *o, struct procview_listeners *l, int sock, berth_error *err)
{
        struct supervisor s = {.o = o, .l = l, .sock = sock};
        int r;

        clock_gettime(CLOCK_MONOTONIC, &s.spawned);

        signal(SIGPIPE, SIG_IGN);
        if (sock < 0 && (r = spawn_worker(&s, err)) < 0)
                return r;
        for (;;) {
                struct pollfd p = {.fd = s.sock, .events = POLLIN};
                if (poll(&p, 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return berth_fail(err, errno, "poll");
                }
                /* Whatever the worker sent before it went is read first. */
                if ((p.revents & POLLIN) && from_worker(&s))
                        continue;
                if ((r = worker_gone(&s, err)) != 0)
                        break;
        }
        if (r < 0)
                return r;
        remove_listener_socket(o);
        return 0;
}
