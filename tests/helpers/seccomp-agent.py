#!/usr/bin/env python3
"""A minimal seccomp agent for the SCMP_ACT_NOTIFY tests.

    seccomp-agent.py SOCKET REPORT

Listens on the unix stream socket SOCKET (linux.seccomp.listenerPath), takes one connection and checks what
the runtime-spec says arrives on it: the container process state as JSON payload, exactly one fd in
SCM_RIGHTS, named in "fds". The fd must be a seccomp notify fd (/proc/self/fd/N). It then answers every
notification (SECCOMP_IOCTL_NOTIF_RECV/SEND) with ENOMEDIUM ("No medium found"), an errno no real mkdir
gives, until the container's processes are gone. REPORT receives one line per fact:

    payload <the JSON text>
    fds <number of fds received>
    fd <readlink of the fd>
    notified <syscall number>
    closed          (the runtime closed the connection)
    done            (the filter has no task left)
    error <what went wrong>
"""
import errno
import fcntl
import json
import os
import select
import socket
import struct
import sys

# include/uapi/linux/seccomp.h: struct seccomp_notif is 80 bytes, struct seccomp_notif_resp 24.
NOTIF_SIZE = 80
RESP_SIZE = 24
IOCTL_NOTIF_RECV = 0xC0000000 | (NOTIF_SIZE << 16) | (ord("!") << 8) | 0
IOCTL_NOTIF_SEND = 0xC0000000 | (RESP_SIZE << 16) | (ord("!") << 8) | 1


def main():
    path, report_path = sys.argv[1], sys.argv[2]
    with open(report_path, "w", buffering=1) as report:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(1)
        server.settimeout(60)
        report.write("listening\n")
        try:
            conn, _ = server.accept()
        except socket.timeout:
            report.write("error no connection\n")
            return 1
        conn.settimeout(10)
        msg, fds, _, _ = socket.recv_fds(conn, 65536, 4)
        # The state may come in several sends (the fd only with the first): read until it parses.
        state = None
        while state is None:
            try:
                state = json.loads(msg)
            except ValueError:
                more = conn.recv(65536)
                if not more:
                    report.write("error the connection closed before a whole JSON state\n")
                    return 1
                msg += more
        report.write("payload %s\n" % msg.decode())
        report.write("fds %d\n" % len(fds))
        if len(fds) != 1:
            report.write("error expected one fd\n")
            return 1
        fd = fds[0]
        report.write("fd %s\n" % os.readlink("/proc/self/fd/%d" % fd))
        return serve(fd, conn, report)


def serve(fd, conn, report):
    """Answers notifications until every task of the filter is gone; meanwhile notes when the runtime closes
    the connection ("closed": the spec says it MUST, after one state)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    poller.register(conn.fileno(), select.POLLIN)
    while True:
        events = dict(poller.poll(30000))
        if not events:
            report.write("error timeout waiting for notifications\n")
            return 1
        if conn.fileno() in events:
            if conn.recv(65536) == b"":
                report.write("closed\n")
                poller.unregister(conn.fileno())
            else:
                report.write("error more data after the state\n")
        ev = events.get(fd, 0)
        if ev & select.POLLIN:
            buf = bytearray(NOTIF_SIZE)  # must be zeroed
            try:
                fcntl.ioctl(fd, IOCTL_NOTIF_RECV, buf, True)
            except OSError as e:
                if e.errno == errno.ENOENT:  # the task went away meanwhile
                    continue
                raise
            notif_id, pid, flags, nr = struct.unpack_from("=QIIi", buf, 0)
            report.write("notified %d\n" % nr)
            resp = bytearray(struct.pack("=QqiI", notif_id, 0, -errno.ENOMEDIUM, 0))
            try:
                fcntl.ioctl(fd, IOCTL_NOTIF_SEND, resp, True)
            except OSError as e:
                if e.errno != errno.ENOENT:
                    raise
        elif ev & (select.POLLHUP | select.POLLERR):
            report.write("done\n")  # every task of the filter has exited
            return 0


if __name__ == "__main__":
    sys.exit(main())
