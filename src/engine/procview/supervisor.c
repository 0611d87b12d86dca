/* berth-procview's supervisor: reads the kernel's FUSE requests, passes each to the worker over a
 * SOCK_SEQPACKET socket and writes the worker's reply back. It keeps every request until its reply is
 * written, and the connection's FUSE_INIT: when the worker dies (killed, crashed), a new one is forked, sent
 * that INIT (its reply is dropped: the kernel has had one) and then every request still unanswered. The
 * kernel never sees the server go, so readers get no ENOTCONN (lxcfs#73, moby#33729). It parses nothing but
 * the headers: the code that could crash runs in the worker. */
#include "engine/procview/procview.h"

#include <errno.h>
#include <linux/fuse.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"

/* The largest request or reply: the kernel's largest read (FUSE_MAX_MAX_PAGES) and a header. */
#define MSG_MAX ((256 * 4096) + 4096)
/* A request that has been in flight through this many workers is answered EIO: it kills them. */
#define MAX_TRIES 3

struct pending {
        uint64_t unique;
        unsigned tries;
        size_t len;
        char *data;
};

struct supervisor {
        const struct procview_options *o;
        int sock;
        pid_t worker;
        char *init;          /* the connection's FUSE_INIT, as the kernel sent it */
        size_t init_len;
        uint64_t init_unique;
        struct pending *pending;
        size_t n_pending, cap_pending;
        unsigned restarts;
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
                close(s->o->fuse_fd);
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

static void reply_error(struct supervisor *s, uint64_t unique, int error)
{
        struct fuse_out_header h = {.len = sizeof(h), .error = -error, .unique = unique};

        if (write(s->o->fuse_fd, &h, sizeof(h)) < 0 && errno != ENOENT)
                fprintf(stderr, "berth-procview: write the reply to %s: %s\n", s->o->dir, strerror(errno));
}

static void drop_pending(struct supervisor *s, size_t i)
{
        free(s->pending[i].data);
        memmove(&s->pending[i], &s->pending[i + 1], (s->n_pending - i - 1) * sizeof(s->pending[0]));
        s->n_pending--;
}

/* The worker is gone: reap it, fork another, send it the INIT and what is unanswered. */
static int restart_worker(struct supervisor *s, berth_error *err)
{
        int r;

        if (s->sock >= 0)
                close(s->sock);
        s->sock = -1;
        if (s->worker > 0)
                waitpid(s->worker, NULL, 0);
        s->worker = 0;
        s->restarts++;
        /* A worker that dies at once again and again is not helped by a faster restart. */
        if (s->restarts > 3) {
                struct timespec ts = {.tv_nsec = 100 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        for (size_t i = 0; i < s->n_pending;) {
                if (++s->pending[i].tries > MAX_TRIES) {
                        reply_error(s, s->pending[i].unique, EIO);
                        drop_pending(s, i);
                } else {
                        i++;
                }
        }
        if ((r = spawn_worker(s, err)) < 0)
                return r;
        /* A new worker answers nothing before its INIT; one still pending goes with the others. */
        if (s->init != NULL && (s->n_pending == 0 || s->pending[0].unique != s->init_unique))
                send_to_worker(s, s->init, s->init_len);
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
        p->unique = h->unique;
        p->tries = 0;
        p->len = len;
        if (h->opcode == FUSE_INIT) {
                free(s->init);
                s->init = xmalloc(len);
                memcpy(s->init, data, len);
                s->init_len = len;
                s->init_unique = h->unique;
                p->data = xmalloc(len);
                memcpy(p->data, data, len);
                return;
        }
        p->data = xmalloc(len);
        memcpy(p->data, data, len);
}

/* One request from the kernel. Returns 1 when the connection is gone. */
static int from_kernel(struct supervisor *s, char *buf, berth_error *err)
{
        ssize_t n = read(s->o->fuse_fd, buf, MSG_MAX);
        const struct fuse_in_header *h = (const void *) buf;

        if (n < 0) {
                if (errno == ENODEV)
                        return 1;
                if (errno == EINTR || errno == EAGAIN || errno == ENOENT)
                        return 0;
                return berth_fail(err, errno, "read the FUSE device of %s", s->o->dir);
        }
        if ((size_t) n < sizeof(*h))
                return 0;
        switch (h->opcode) {
        case FUSE_INTERRUPT:
                /* Answers take microseconds: nothing to interrupt. */
                return 0;
        case FUSE_FORGET:
        case FUSE_BATCH_FORGET:
                /* No reply. */
                send_to_worker(s, buf, (size_t) n);
                return 0;
        case FUSE_DESTROY:
                reply_error(s, h->unique, 0);
                return 1;
        default:
                track(s, h, buf, (size_t) n);
                send_to_worker(s, buf, (size_t) n);
                return 0;
        }
}

/* One reply from the worker: written to the kernel if its request is still pending. */
static void from_worker(struct supervisor *s, char *buf, size_t n)
{
        const struct fuse_out_header *h = (const void *) buf;

        if (n < sizeof(*h))
                return;
        /* A notification (unique 0: the worker's size hint) goes to the kernel as it is, in order. */
        if (h->unique == 0) {
                if (write(s->o->fuse_fd, buf, n) < 0 && errno != ENOENT)
                        fprintf(stderr, "berth-procview: write a notification to %s: %s\n", s->o->dir, strerror(errno));
                return;
        }
        for (size_t i = 0; i < s->n_pending; i++)
                if (s->pending[i].unique == h->unique) {
                        if (write(s->o->fuse_fd, buf, n) < 0 && errno != ENOENT)
                                fprintf(stderr, "berth-procview: write the reply to %s: %s\n", s->o->dir, strerror(errno));
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
                struct pollfd p[2] = {{.fd = o->fuse_fd, .events = POLLIN}, {.fd = s.sock, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
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
                        if ((r = restart_worker(&s, err)) < 0)
                                break;
                        continue;
                }
                if (p[0].revents & (POLLERR | POLLHUP)) {
                        r = 0;
                        break;
                }
                if (p[0].revents & POLLIN) {
                        r = from_kernel(&s, buf, err);
                        if (r != 0) {
                                r = r < 0 ? r : 0;
                                break;
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
        free(s.init);
        return r;
}
