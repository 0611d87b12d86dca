/* berth-procview's supervisor: holds the FUSE connection (the engine's /dev/fuse fd) and forks the worker
 * that serves it. The worker reads each request into memory shared with the supervisor
 * (struct procview_shared) and clears it when answered, so that when it dies (killed, crashed) the
 * supervisor forks another, which replays the connection's FUSE_INIT to its own session (reply dropped: the
 * kernel has one) and answers the request left in the slot. The connection never loses its server, so
 * readers get no ENOTCONN (lxcfs#73, moby#33729), and a request costs what it costs any FUSE server: the
 * supervisor is not on its path. A worker that exits by itself saw the connection end (unmounted): the
 * supervisor ends too.
 *
 * sysinfo(2): the runtime hands each seccomp listener of the container (its init's, each exec's) to the
 * socket the engine made; the supervisor receives the notifications and passes each to the worker over a
 * SOCK_SEQPACKET socket as a request (PROCVIEW_OP_SYSINFO), kept until answered and sent again to a
 * restarted worker. With the worker's struct sysinfo it writes the caller's buffer (/proc/PID/mem, the
 * notification checked valid after the open, so a recycled pid is never written) and answers; anything
 * that fails lets the kernel's sysinfo run (SECCOMP_USER_NOTIF_FLAG_CONTINUE): the caller gets the host's
 * figures, never an error. */
#include "engine/procview/procview.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/fuse.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/sysinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"

/* The largest message from the worker: a sysinfo answer. */
#define MSG_MAX 4096
/* A request that has been in flight through this many workers is answered EIO: it kills them. */
#define MAX_TRIES 3

struct pending {
        uint64_t unique;
        unsigned tries;
        size_t len;
        char *data;
        /* a sysinfo notification: its listener, id, the caller's buffer */
        bool seccomp;
        int notify_fd;
        uint64_t notif_id, addr;
        pid_t pid;
};

#define MAX_LISTENERS 256

struct supervisor {
        const struct procview_options *o;
        int sock;
        pid_t worker;
        struct pending *pending;
        size_t n_pending, cap_pending;
        unsigned restarts;
        int listeners[MAX_LISTENERS]; /* seccomp listeners: the init's, each exec's */
        size_t n_listeners;
        uint64_t seq;                  /* uniques of sysinfo requests: bit 63 set, never the kernel's */
};

static int spawn_worker(struct supervisor *s, berth_error *err)
{
        int sv[2];
        int size = MSG_MAX + 65536;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return berth_fail(err, errno, "socketpair");
        /* One message is a whole request or reply: room for the largest. */
        for (int i = 0; i < 2; i++) {
                setsockopt(sv[i], SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
                setsockopt(sv[i], SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
        }
        pid = fork();
        if (pid < 0) {
                close(sv[0]);
                close(sv[1]);
                return berth_fail(err, errno, "fork the worker");
        }
        if (pid == 0) {
                close(sv[0]);
                prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
                if (getppid() == 1)
                        _exit(0);
                prctl(PR_SET_NAME, "procview-work", 0, 0, 0);
                _exit(procview_worker_main(s->o, sv[1]) < 0 ? 1 : 0);
        }
        close(sv[1]);
        s->sock = sv[0];
        s->worker = pid;
        return 0;
}

static void send_to_worker(struct supervisor *s, const void *data, size_t len)
{
        /* A failure means the worker is gone: the request stays pending and goes to the next one. */
        if (s->sock >= 0 && send(s->sock, data, len, MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET)
                fprintf(stderr, "berth-procview: send to the worker: %s\n", strerror(errno));
}

/* Answers a sysinfo notification: with the worker's struct sysinfo written into the caller's buffer, or
 * (info NULL, or anything failing) by letting the kernel run the syscall. */
static void seccomp_answer(const struct pending *p, const void *info, size_t len)
{
        struct seccomp_notif_resp resp = {.id = p->notif_id};
        char path[64];
        int fd;

        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        if (info != NULL && len == sizeof(struct sysinfo)) {
                snprintf(path, sizeof(path), "/proc/%d/mem", (int) p->pid);
                fd = open(path, O_RDWR | O_CLOEXEC);
                /* Still the caller (the notification is valid only while it waits): not a recycled pid. */
                if (fd >= 0 && ioctl(p->notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &p->notif_id) == 0 &&
                    pwrite(fd, info, len, (off_t) p->addr) == (ssize_t) len) {
                        resp.flags = 0;
                        resp.val = 0;
                        resp.error = 0;
                }
                if (fd >= 0)
                        close(fd);
        }
        if (ioctl(p->notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
                fprintf(stderr, "berth-procview: answer sysinfo of pid %d: %s\n", (int) p->pid, strerror(errno));
}

static void drop_pending(struct supervisor *s, size_t i)
{
        free(s->pending[i].data);
        memmove(&s->pending[i], &s->pending[i + 1], (s->n_pending - i - 1) * sizeof(s->pending[0]));
        s->n_pending--;
}

/* The worker is gone: reap it; unless it ended because the connection did (returns 1), fork another and
 * send it the sysinfo calls unanswered (the FUSE request it left is in the shared slot). */
static int restart_worker(struct supervisor *s, berth_error *err)
{
        int r, status = 0;

        if (s->sock >= 0)
                close(s->sock);
        s->sock = -1;
        if (s->worker > 0)
                while (waitpid(s->worker, &status, 0) < 0 && errno == EINTR)
                        ;
        s->worker = 0;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 1;
        s->restarts++;
        /* A worker that dies at once again and again is not helped by a faster restart. */
        if (s->restarts > 3) {
                struct timespec ts = {.tv_nsec = 100 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        for (size_t i = 0; i < s->n_pending;) {
                if (++s->pending[i].tries > MAX_TRIES) {
                        seccomp_answer(&s->pending[i], NULL, 0);
                        drop_pending(s, i);
                } else {
                        i++;
                }
        }
        if ((r = spawn_worker(s, err)) < 0)
                return r;
        for (size_t i = 0; i < s->n_pending; i++)
                send_to_worker(s, s->pending[i].data, s->pending[i].len);
        return 0;
}

static void track(struct supervisor *s, const struct fuse_in_header *h, const char *data, size_t len)
{
        struct pending *p;

        if (s->n_pending == s->cap_pending) {
                s->cap_pending = s->cap_pending ? s->cap_pending * 2 : 16;
                s->pending = xrealloc(s->pending, s->cap_pending * sizeof(*s->pending));
        }
        p = &s->pending[s->n_pending++];
        memset(p, 0, sizeof(*p));
        p->unique = h->unique;
        p->len = len;
        p->data = xmalloc(len);
        memcpy(p->data, data, len);
}

/* A connection from the runtime: the container process state (JSON) and the listener fd (SCM_RIGHTS). */
static void accept_listener(struct supervisor *s)
{
        char state[8192], control[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {.iov_base = state, .iov_len = sizeof(state)};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
        struct cmsghdr *c;
        int conn = accept4(s->o->seccomp_fd, NULL, NULL, SOCK_CLOEXEC), fd = -1;

        if (conn < 0)
                return;
        if (recvmsg(conn, &m, MSG_CMSG_CLOEXEC) > 0)
                for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                                memcpy(&fd, CMSG_DATA(c), sizeof(int));
        close(conn);
        if (fd < 0)
                return;
        if (s->n_listeners == MAX_LISTENERS) {
                /* Closing it lets the kernel answer ENOSYS: not reached with 256 execs running at once. */
                fprintf(stderr, "berth-procview: more than %d seccomp listeners\n", MAX_LISTENERS);
                close(fd);
                return;
        }
        s->listeners[s->n_listeners++] = fd;
}

/* A notification: a sysinfo call, sent to the worker. Returns -1 when the listener is done (every process
 * of its filter gone). */
static int from_listener(struct supervisor *s, int fd)
{
        struct seccomp_notif req;
        struct fuse_in_header h = {.len = sizeof(h), .opcode = PROCVIEW_OP_SYSINFO};
        struct pending *p;

        memset(&req, 0, sizeof(req));
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
                return errno == ENOENT || errno == EINTR ? 0 : -1;
        h.unique = (1ULL << 63) | ++s->seq;
        h.pid = (uint32_t) req.pid;
        track(s, &h, (const char *) &h, sizeof(h));
        p = &s->pending[s->n_pending - 1];
        p->seccomp = true;
        p->notify_fd = fd;
        p->notif_id = req.id;
        p->addr = req.data.args[0];
        p->pid = (pid_t) req.pid;
        /* Another ABI's struct sysinfo (i386) is the kernel's to fill. */
        if (req.data.nr != SYS_sysinfo || req.data.arch != AUDIT_ARCH_X86_64) {
                seccomp_answer(p, NULL, 0);
                drop_pending(s, s->n_pending - 1);
                return 0;
        }
        send_to_worker(s, &h, sizeof(h));
        return 0;
}

/* The worker's answer to a sysinfo call. */
static void from_worker(struct supervisor *s, char *buf, size_t n)
{
        const struct fuse_out_header *h = (const void *) buf;

        if (n < sizeof(*h))
                return;
        for (size_t i = 0; i < s->n_pending; i++)
                if (s->pending[i].unique == h->unique) {
                        if (h->error == 0)
                                seccomp_answer(&s->pending[i], buf + sizeof(*h), n - sizeof(*h));
                        else
                                seccomp_answer(&s->pending[i], NULL, 0);
                        drop_pending(s, i);
                        s->restarts = 0;
                        return;
                }
}

int procview_supervise(const struct procview_options *o, berth_error *err)
{
        struct supervisor s = {.o = o, .sock = -1};
        cleanup_free char *buf = xmalloc(MSG_MAX);
        int r;

        signal(SIGPIPE, SIG_IGN);
        if ((r = spawn_worker(&s, err)) < 0)
                return r;
        for (;;) {
                /* The FUSE fd is the worker's to read: not polled here. */
                struct pollfd p[3 + MAX_LISTENERS] = {
                        {.fd = -1}, {.fd = s.sock, .events = POLLIN}, {.fd = o->seccomp_fd, .events = POLLIN}};
                size_t nfds = 3;
                for (size_t i = 0; i < s.n_listeners; i++)
                        p[nfds++] = (struct pollfd){.fd = s.listeners[i], .events = POLLIN};
                if (poll(p, nfds, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = berth_fail(err, errno, "poll");
                        break;
                }
                if (p[1].revents & POLLIN) {
                        ssize_t n = recv(s.sock, buf, MSG_MAX, 0);
                        if (n > 0) {
                                from_worker(&s, buf, (size_t) n);
                                continue;
                        }
                        if (n == 0 || (errno != EINTR && errno != EAGAIN))
                                p[1].revents |= POLLHUP;
                }
                if (p[1].revents & (POLLHUP | POLLERR)) {
                        if ((r = restart_worker(&s, err)) != 0) {
                                r = r < 0 ? r : 0;
                                break;
                        }
                        continue;
                }
                if (p[2].revents & POLLIN)
                        accept_listener(&s);
                for (size_t i = s.n_listeners; i-- > 0;) {
                        short ev = p[3 + i].revents;
                        if ((ev & POLLIN) && from_listener(&s, s.listeners[i]) == 0)
                                continue;
                        if (ev & (POLLHUP | POLLERR | POLLIN)) {
                                /* Its processes are gone: nothing pending on it can be answered. */
                                for (size_t k = s.n_pending; k-- > 0;)
                                        if (s.pending[k].seccomp && s.pending[k].notify_fd == s.listeners[i])
                                                drop_pending(&s, k);
                                close(s.listeners[i]);
                                s.listeners[i] = s.listeners[--s.n_listeners];
                        }
                }
        }
        if (s.worker > 0) {
                kill(s.worker, SIGKILL);
                waitpid(s.worker, NULL, 0);
        }
        if (s.sock >= 0)
                close(s.sock);
        for (size_t i = 0; i < s.n_pending; i++)
                free(s.pending[i].data);
        free(s.pending);
        return r;
}
