#include "sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

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
        struct iovec iov = {.iov_base = msg, .iov_len = offsetof(struct sync_message, fd)};
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

        memset(msg, 0, sizeof(*msg));
        msg->fd = -1;
        do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return berth_fail(err, errno, "receive from the container's init");
        if (n == 0)
                return -EPIPE;
        cmsg = CMSG_FIRSTHDR(&mh);
        if (cmsg != NULL && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
            cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
                memcpy(&msg->fd, CMSG_DATA(cmsg), sizeof(int));
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
        return 0;
}

int fd_receive(int sock, int *fd_out, berth_error *err)
{
        char buf[4096];
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
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

        do
                n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return berth_fail(err, errno, "receive fd over unix socket");
        if (n == 0)
                return berth_failf(err, EPIPE, "receive fd over unix socket: peer closed the connection");
        cmsg = CMSG_FIRSTHDR(&msg);
        if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
            cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
                return berth_failf(err, EPROTO, "receive fd over unix socket: no fd in the message");
        memcpy(fd_out, CMSG_DATA(cmsg), sizeof(int));
        return 0;
}
