/* sysinfo(2) through seccomp user notification (docs/proc.md), answered by berth-procview's worker. The runtime
 * hands each seccomp listener of a container (its init's, each exec's) to the store's listening socket; the
 * worker accepts it, keeps it at an index of the listener table and sends a copy to the supervisor, which
 * holds it while workers come and go. Each notification is recorded in shared memory (procview.h) from its
 * receipt to its answer, so that a worker killed meanwhile leaves it to the next. The answer: the container's
 * struct sysinfo written into the caller's buffer (/proc/PID/mem, the notification checked valid after the
 * open, so a recycled pid is never written); anything that fails lets the kernel's sysinfo run
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE): the caller gets the host's figures, never an error. */
#include "engine/procview/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

/* A call that was in flight through this many workers gets the kernel's sysinfo: it kills them. */
#define MAX_TRIES 3

static void tell_supervisor(int sock, uint32_t op, uint32_t index, int fd)
{
        struct procview_msg m = {.op = op, .index = index};
        char control[CMSG_SPACE(sizeof(int))] = {0};
        struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
        struct msghdr h = {.msg_iov = &iov, .msg_iovlen = 1};
        struct cmsghdr *c;

        if (fd >= 0) {
                h.msg_control = control;
                h.msg_controllen = sizeof(control);
                c = CMSG_FIRSTHDR(&h);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        /* A supervisor that is gone is replaced by a fork of this worker, which has the table as it is. */
        sendmsg(sock, &h, MSG_NOSIGNAL);
}

void procview_notify_accept(const struct procview_options *o, struct procview_listeners *l, int sup)
{
        char state[8192], control[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {.iov_base = state, .iov_len = sizeof(state)};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
        struct cmsghdr *c;
        struct timeval timeout = {.tv_sec = 1};
        int conn = accept4(o->seccomp_fd, NULL, NULL, SOCK_CLOEXEC), fd = -1;

        if (conn < 0)
                return;
        /* The runtime sends at once after connecting: a client that does not is not waited for long. */
        setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        /* The runtime sends the container process state (JSON) with the listener (SCM_RIGHTS). */
        if (recvmsg(conn, &m, MSG_CMSG_CLOEXEC) > 0)
                for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                                memcpy(&fd, CMSG_DATA(c), sizeof(int));
        close(conn);
        if (fd < 0)
                return;
        for (uint32_t i = 0; i < PROCVIEW_MAX_LISTENERS; i++)
                if (l->fd[i] < 0) {
                        l->fd[i] = fd;
                        tell_supervisor(sup, PROCVIEW_MSG_ADD, i, fd);
                        return;
                }
        /* Closing it lets the kernel answer ENOSYS: not reached with fewer processes than that at once. */
        fprintf(stderr, "berth-procview: more than %d seccomp listeners\n", PROCVIEW_MAX_LISTENERS);
        close(fd);
}

/* Tests: hold each sysinfo call this long, so that a test can kill the worker while it is answered. */
static void test_delay(const struct procview_options *o)
{
        if (o->delay_ms) {
                struct timespec ts = {.tv_sec = o->delay_ms / 1000, .tv_nsec = (long) (o->delay_ms % 1000) * 1000000};
                nanosleep(&ts, NULL);
        }
}

/* Answers the call recorded in shared memory and clears it. */
static void answer(const struct procview_options *o, const struct procview_listeners *l, const struct procview_mounts *m,
                   struct procview_context *ctx, bool compute)
{
        struct procview_notif *n = &o->shared->notif;
        struct seccomp_notif_resp resp = {.id = n->id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
        int listener = n->listener < PROCVIEW_MAX_LISTENERS ? l->fd[n->listener] : -1;
        struct sysinfo si;
        berth_error err = {0};
        char path[64];
        int fd;

        if (listener < 0) {
                n->busy = 0;
                return;
        }
        if (compute) {
                test_delay(o);
                if (procview_sysinfo(m, ctx, (pid_t) n->pid, &si, &err) < 0) {
                        berth_error_clear(&err);
                } else {
                        snprintf(path, sizeof(path), "/proc/%d/mem", (int) n->pid);
                        fd = open(path, O_RDWR | O_CLOEXEC);
                        /* Still the caller (a notification is valid only while it waits): not a recycled pid. */
                        if (fd >= 0 && ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n->id) == 0 &&
                            pwrite(fd, &si, sizeof(si), (off_t) n->addr) == (ssize_t) sizeof(si)) {
                                resp.flags = 0;
                                resp.val = 0;
                                resp.error = 0;
                        }
                        if (fd >= 0)
                                close(fd);
                }
        }
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
                fprintf(stderr, "berth-procview: answer sysinfo of pid %d: %s\n", (int) n->pid, strerror(errno));
        n->busy = 0;
}

bool procview_notify_handle(const struct procview_options *o, struct procview_listeners *l, uint32_t index, short revents,
                            int sup, const struct procview_mounts *m, struct procview_context *ctx)
{
        struct procview_notif *n = &o->shared->notif;
        struct seccomp_notif req;

        if (revents & POLLIN) {
                memset(&req, 0, sizeof(req));
                if (ioctl(l->fd[index], SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
                        *n = (struct procview_notif){.listener = index, .id = req.id, .addr = req.data.args[0],
                                                     .pid = (int32_t) req.pid};
                        __atomic_store_n(&n->busy, 1, __ATOMIC_RELEASE);
                        /* Another ABI's struct sysinfo (i386) is the kernel's to fill. */
                        answer(o, l, m, ctx, req.data.nr == SYS_sysinfo && req.data.arch == AUDIT_ARCH_X86_64);
                        return true;
                }
                if (errno == ENOENT || errno == EINTR)
                        return true;
        } else if (!(revents & (POLLHUP | POLLERR))) {
                return true;
        }
        /* Every process of its filter is gone. */
        close(l->fd[index]);
        l->fd[index] = -1;
        tell_supervisor(sup, PROCVIEW_MSG_DROP, index, -1);
        return false;
}

void procview_notify_resume(const struct procview_options *o, const struct procview_listeners *l,
                            const struct procview_mounts *m, struct procview_context *ctx)
{
        struct procview_notif *n = &o->shared->notif;

        if (!n->busy)
                return;
        answer(o, l, m, ctx, ++n->tries <= MAX_TRIES);
}
