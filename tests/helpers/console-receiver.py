#!/usr/bin/env python3
"""A console socket for tests, as containerd's or conmon's: listens on a unix socket, receives the pty
master over SCM_RIGHTS (runc's protocol) and copies everything the container writes to a file until the
pty closes. Usage: console-receiver.py SOCKET OUTPUT [INPUT_TEXT]"""
import os
import socket
import sys

path, out_path = sys.argv[1], sys.argv[2]
text = sys.argv[3] if len(sys.argv) > 3 else None
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 4096, 1)
if not fds:
    sys.exit("no fd received")
master = fds[0]
with open(out_path + ".name", "w") as f:
    f.write(msg.decode(errors="replace"))
if text is not None:
    os.write(master, text.encode())
with open(out_path, "wb") as out:
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: every slave fd is closed
            break
        if not data:
            break
        out.write(data)
        out.flush()
