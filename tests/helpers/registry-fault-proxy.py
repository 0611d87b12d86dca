#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of a registry, for berth's registry tests (127.0.0.1 only).

    registry-fault-proxy.py --upstream 127.0.0.1:PORT --port-file FILE --log FILE [--fault SPEC]...

Listens on a free port of 127.0.0.1 (written to --port-file once listening) and forwards every request to the
upstream registry, rewriting Location headers so that clients stay on the proxy. Faults (blob means
GET /v2/NAME/blobs/sha256:..., the first N matching requests; N=0: every one):

    cut:N              send the headers and half of the body, then close the connection
    norange            strip Range headers (a registry that cannot resume: it answers 200 again)
    status:CODE:N[:RE] answer CODE (with a registry error body) instead of forwarding, for requests whose
                       "METHOD PATH" matches the regular expression RE (default: blob GETs)
    corrupt            flip one byte in the middle of every blob body
    slow:BYTES         send blob bodies at BYTES per second
    redirect           answer blob GETs with 307 to http://localhost:PORT/_storage/... (another host name
                       for the client), which serves the blob; the log says whether Authorization came along
                       (--storage-auth USER:PW: the storage side's own credentials for the upstream)
    manifest:FILE:TYPE answer GET of manifests by tag with FILE's bytes and Content-Type TYPE
    holdput:SECONDS    hold each blob upload's closing PUT that long before forwarding it; the log's
                       uploads=N says how many such PUTs were held at once (a client's parallel uploads)

The log has one line per request: METHOD PATH STATUS [range=...] [auth=yes|no] [fault=...].
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BLOB_RE = re.compile(r"^GET /v2/.+/blobs/sha256:[0-9a-f]{64}$")
MANIFEST_TAG_RE = re.compile(r"^GET /v2/.+/manifests/(?!sha256:)[^/]+$")
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "trailer", "upgrade"}


class Faults:
    def __init__(self, specs):
        self.lock = threading.Lock()
        self.cut = None
        self.norange = False
        self.status = []
        self.corrupt = False
        self.slow = 0
        self.redirect = False
        self.manifest = None
        self.holdput = 0.0
        for spec in specs:
            parts = spec.split(":")
            kind = parts[0]
            if kind == "cut":
                self.cut = [int(parts[1]) if len(parts) > 1 else 1]
            elif kind == "norange":
                self.norange = True
            elif kind == "status":
                rx = re.compile(":".join(parts[3:])) if len(parts) > 3 else BLOB_RE
                self.status.append({"code": int(parts[1]), "left": [int(parts[2])], "re": rx})
            elif kind == "corrupt":
                self.corrupt = True
            elif kind == "slow":
                self.slow = int(parts[1])
            elif kind == "redirect":
                self.redirect = True
            elif kind == "holdput":
                self.holdput = float(parts[1])
            elif kind == "manifest":
                with open(parts[1], "rb") as f:
                    self.manifest = (f.read(), ":".join(parts[2:]))
            else:
                raise SystemExit("unknown fault " + spec)

    def take(self, counter):
        """Consumes one use of a counted fault: [N] with N=0 meaning always."""
        with self.lock:
            if counter[0] == 0:
                return True
            if counter[0] > 0:
                counter[0] -= 1
                if counter[0] == 0:
                    counter[0] = -1
                return True
            return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fault", action="append", default=[])
    ap.add_argument("--storage-auth", help="USER:PW the storage side uses upstream (as a pre-signed URL would)")
    args = ap.parse_args()
    faults = Faults(args.fault)
    inflight = [0]  # blob GETs being answered right now
    uploads = [0]   # blob upload PUTs being held right now (holdput)
    up_host, up_port = args.upstream.rsplit(":", 1)
    log_lock = threading.Lock()
    logf = open(args.log, "a", buffering=1)

    def log(line):
        with log_lock:
            logf.write(line + "\n")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def do_GET(self):
            self.handle_any()

        def do_HEAD(self):
            self.handle_any()

        def do_POST(self):
            self.handle_any()

        def do_PUT(self):
            self.handle_any()

        def do_PATCH(self):
            self.handle_any()

        def do_DELETE(self):
            self.handle_any()

        def proxy_base(self):
            return "http://127.0.0.1:%d" % self.server.server_address[1]

        def read_body(self):
            n = int(self.headers.get("Content-Length", "0") or "0")
            return self.rfile.read(n) if n > 0 else None

        def note(self, status, extra=""):
            path = self.path.split("?")[0]
            rng = self.headers.get("Range")
            auth = "yes" if self.headers.get("Authorization") else "no"
            log("%s %s %d%s auth=%s%s" % (self.command, path, status, " range=" + rng if rng else "", auth, extra))

        def send_error_body(self, code, msg):
            # What a load balancer in front of a registry answers: a page, not the registry's JSON errors.
            body = ("<html><body><h1>%d</h1>%s</body></html>\n" % (code, msg)).encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def handle_any(self):
            path = self.path.split("?")[0]
            line = "%s %s" % (self.command, path)
            body = self.read_body()
            for st in faults.status:
                if st["re"].search(line) and faults.take(st["left"]):
                    self.note(st["code"], " fault=status")
                    return self.send_error_body(st["code"], "injected failure")
            if path.startswith("/_storage/"):
                return self.forward(path[len("/_storage"):] + self.query(), body, storage=True)
            if faults.manifest is not None and MANIFEST_TAG_RE.match(line):
                data, ctype = faults.manifest
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Docker-Content-Digest", "sha256:" + hashlib.sha256(data).hexdigest())
                self.end_headers()
                self.wfile.write(data)
                self.note(200, " fault=manifest")
                return
            if faults.redirect and BLOB_RE.match(line):
                loc = "http://localhost:%d/_storage%s" % (self.server.server_address[1], self.path)
                self.send_response(307)
                self.send_header("Location", loc)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.note(307, " fault=redirect")
                return
            self.forward(self.path, body)

        def query(self):
            return "?" + self.path.split("?", 1)[1] if "?" in self.path else ""

        def forward(self, target, body, storage=False):
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "host"}
            if faults.norange:
                headers.pop("Range", None)
            if storage:
                # Blob storage is another service: it has no use for the client's credentials (the log says
                # whether they came along); it reaches the registry with its own, like a pre-signed URL.
                headers.pop("Authorization", None)
                if args.storage_auth:
                    headers["Authorization"] = "Basic " + base64.b64encode(args.storage_auth.encode()).decode()
            self.uploads = 0
            held = faults.holdput > 0 and self.command == "PUT" and "/blobs/uploads/" in target
            if held:
                with faults.lock:
                    uploads[0] += 1
                    self.uploads = uploads[0]
                time.sleep(faults.holdput)
                with faults.lock:
                    uploads[0] -= 1
            conn = http.client.HTTPConnection(up_host, int(up_port), timeout=60)
            try:
                conn.request(self.command, target, body=body, headers=headers)
                resp = conn.getresponse()
            except OSError as e:
                self.note(502, " upstream-error=%s" % e)
                return self.send_error_body(502, "upstream: %s" % e)
            self.inflight = 0
            is_blob = bool(self.command == "GET" and (storage or BLOB_RE.match("GET " + target.split("?")[0])))
            if is_blob:
                with faults.lock:
                    inflight[0] += 1
                    self.inflight = inflight[0]
            try:
                return self.relay(conn, resp, is_blob, storage)
            finally:
                if is_blob:
                    with faults.lock:
                        inflight[0] -= 1

        def relay(self, conn, resp, is_blob, storage):
            extra_base = " inflight=%d" % self.inflight if is_blob else ""
            if getattr(self, "uploads", 0):
                extra_base += " uploads=%d" % self.uploads
            self.send_response(resp.status, resp.reason)
            length = resp.getheader("Content-Length")
            data = None
            if length is None and self.command != "HEAD" and resp.status not in (204, 304):
                data = resp.read()
                length = str(len(data))
            for k, v in resp.getheaders():
                kl = k.lower()
                if kl in HOP or kl == "content-length":
                    continue
                if kl == "location":
                    v = v.replace("http://%s" % args.upstream, self.proxy_base())
                self.send_header(k, v)
            if length is not None:
                self.send_header("Content-Length", length)
            self.end_headers()
            if self.command == "HEAD":
                self.note(resp.status, " storage=yes" if storage else "")
                conn.close()
                return
            total = int(length) if length is not None else 0
            cut = is_blob and resp.status in (200, 206) and total > 1 and faults.cut is not None and faults.take(faults.cut)
            sent = 0
            flip_at = total // 2 if (is_blob and faults.corrupt and resp.status == 200) else -1
            start = time.monotonic()
            try:
                while sent < total:
                    chunk = data[sent:sent + 65536] if data is not None else resp.read(min(65536, total - sent))
                    if not chunk:
                        break
                    if cut and sent + len(chunk) >= total // 2:
                        chunk = chunk[: total // 2 - sent]
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        sent += len(chunk)
                        self.note(resp.status, extra_base + " fault=cut sent=%d" % sent)
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    if 0 <= flip_at - sent < len(chunk):
                        b = bytearray(chunk)
                        b[flip_at - sent] ^= 0xFF
                        chunk = bytes(b)
                    if is_blob and faults.slow > 0:
                        for i in range(0, len(chunk), 4096):
                            piece = chunk[i:i + 4096]
                            self.wfile.write(piece)
                            self.wfile.flush()
                            sent += len(piece)
                            wait = start + sent / faults.slow - time.monotonic()
                            if wait > 0:
                                time.sleep(wait)
                        continue
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                self.note(resp.status, extra_base + " client-gone sent=%d" % sent)
                return
            finally:
                conn.close()
            self.note(resp.status, extra_base + (" storage=yes" if storage else "") + (" fault=corrupt" if flip_at >= 0 else ""))

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
