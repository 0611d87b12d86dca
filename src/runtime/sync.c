#include "runtime/sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/util.h"

static ssize_t receive_with_fd(int sock, void *buf, size_t len, int *fd_out);

int sync_send(int fd, enum sync_message_type type, int32_t value, const char *text, berth_error *err)
{
        struct sync_message msg = {.type = type, .value = value};
        size_t len = offsetof(struct sync_message, text);
        ssize_t n;

        if (text != NULL) {
                snprintf(msg.text, sizeof(msg.text), "%s", text);
                len += strlen(msg.text) + 1;
        }
        do
                n = send(fd, &msg, len, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return berth_fail(err, errno, "send to the %s", type >= SYNC_USERNS_READY ? "runtime" : "init");
        return 0;
}

int sync_send_fd(int fd, enum sync_message_type type, int passed_fd, berth_error *err)
{
        struct sync_message msg = {.type = type};

        return fd_send(fd, passed_fd, &msg, offsetof(struct sync_message, text), err);
}

int sync_receive(int fd, struct sync_message *msg, berth_error *err)
{
        ssize_t n;

        memset(msg, 0, sizeof(*msg));
        n = receive_with_fd(fd, msg, offsetof(struct sync_message, fd), &msg->fd);
        if (n < 0)
                return berth_fail(err, (int) -n, "receive from the container's init");
        if (n == 0)
                return -EPIPE;
        msg->text[sizeof(msg->text) - 1] = '\0';
        if ((size_t) n < offsetof(struct sync_message, text)) {
                if (msg->fd >= 0)
                        close(msg->fd);
                return berth_failf(err, EPROTO, "short message (%zd bytes) from the container's init", n);
        }
        return 0;
}

int sync_expect(int fd, enum sync_message_type expected, int32_t *value, berth_error *err)
{
        struct sync_message msg;
        int r = sync_receive(fd, &msg, err);

        if (r == -EPIPE)
                return berth_failf(err, EPIPE, "the container's init exited before it was ready");
        if (r < 0)
                return r;
        if (msg.fd >= 0)
                close(msg.fd); /* nobody asked for one here */
        if (msg.type == SYNC_ERROR)
                return berth_failf(err, msg.value > 0 ? msg.value : EIO, "%s", msg.text);
        if (msg.type != expected)
                return berth_failf(err, EPROTO, "unexpected message %u from the container's init (wanted %d)",
                                   msg.type, expected);
        if (value != NULL)
                *value = msg.value;
        return 0;
}

void sync_fail_and_exit(int fd, const berth_error *err)
{
        (void) sync_send(fd, SYNC_ERROR, err->code, berth_error_message(err), NULL);
        _exit(EXIT_FAILURE);
}

/* The fd rides on the first sendmsg; a stream socket may take the payload in parts, the rest goes with
 * plain sends (SCM_RIGHTS must be sent with the first part only). */
int fd_send(int sock, int fd, const void *payload, size_t payload_len, berth_error *err)
{
        char dummy = '\0';
        struct iovec iov = {
                .iov_base = payload_len ? (void *) payload : &dummy,
                .iov_len = payload_len ? payload_len : 1,
        };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct msghdr msg = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf),
        };
        struct cmsghdr *cmsg;
        ssize_t n;
        int r;

        memset(&control, 0, sizeof(control));
        cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
        do
                n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return berth_fail(err, errno, "send fd over unix socket");
        if ((size_t) n < iov.iov_len && (r = write_all(sock, (const char *) iov.iov_base + n, iov.iov_len - (size_t) n)) < 0)
                return berth_fail(err, -r, "send the rest of the message over unix socket");
        return 0;
}

/* recvmsg of up to len bytes and at most one fd (*fd_out, -1 when none came). Returns bytes or -errno. */
static ssize_t receive_with_fd(int sock, void *buf, size_t len, int *fd_out)
{
        struct iovec iov = {.iov_base = buf, .iov_len = len};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf),
        };
        struct cmsghdr *cmsg;
        ssize_t n;

        *fd_out = -1;
        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        cmsg = CMSG_FIRSTHDR(&mh);
        if (cmsg != NULL && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
            cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
                memcpy(fd_out, CMSG_DATA(cmsg), sizeof(int));
        return n;
}

int fd_receive(int sock, int *fd_out, berth_error *err)
{
        char buf[4096];
        ssize_t n = receive_with_fd(sock, buf, sizeof(buf), fd_out);

        if (n < 0)
                return berth_fail(err, (int) -n, "receive fd over unix socket");
        if (n == 0 && *fd_out < 0)
                return berth_failf(err, EPIPE, "receive fd over unix socket: peer closed the connection");
        if (*fd_out < 0)
                return berth_failf(err, EPROTO, "receive fd over unix socket: no fd in the message");
        return 0;
}
