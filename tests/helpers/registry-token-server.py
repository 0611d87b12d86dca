#!/usr/bin/env python3
"""A bearer token server for berth's registry tests (127.0.0.1 only): distribution's token auth
(docs/spec/auth/token.md) and its OAuth2 variant (oauth.md), with switches for the cases a client must handle.

    registry-token-server.py --port-file FILE --log FILE --key KEY --cert CERT --service S --issuer I
                             --user U --password P [--post-only] [--expires-in N]

GET /token?service=&scope=... with optional Basic credentials; POST /token with grant_type=password or
refresh_token (access_type=offline adds a refresh token). Anonymous clients get pull only, bad credentials 401.
--post-only: GET answers 405 (a server that only speaks OAuth2). Tokens are RS256 JWTs with the certificate in
the x5c header, which docker-registry verifies against its rootcertbundle. The log has one line per request:
METHOD STATUS who=USER|anonymous grant=... scopes=...
"""
import argparse
import base64
import json
import os
import subprocess
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def main():
    ap = argparse.ArgumentParser()
    for a in ("--port-file", "--log", "--key", "--cert", "--service", "--issuer", "--user", "--password"):
        ap.add_argument(a, required=True)
    ap.add_argument("--post-only", action="store_true")
    ap.add_argument("--expires-in", type=int, default=300)
    args = ap.parse_args()
    der = subprocess.run(["openssl", "x509", "-in", args.cert, "-outform", "DER"], check=True, capture_output=True).stdout
    x5c = [base64.b64encode(der).decode()]
    refresh = "refresh-" + uuid.uuid4().hex
    logf = open(args.log, "a", buffering=1)

    def token(sub, access):
        now = int(time.time())
        head = {"typ": "JWT", "alg": "RS256", "x5c": x5c}
        claims = {"iss": args.issuer, "sub": sub, "aud": args.service, "exp": now + args.expires_in, "nbf": now - 10,
                  "iat": now, "jti": uuid.uuid4().hex, "access": access}
        signing_input = b64u(json.dumps(head).encode()) + "." + b64u(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", args.key], input=signing_input.encode(),
                             check=True, capture_output=True).stdout
        return signing_input + "." + b64u(sig)

    def grants(scopes, authed):
        access = []
        for s in " ".join(scopes).split():
            parts = s.split(":")
            if len(parts) < 3:
                continue
            typ, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
            ok = [a for a in actions if authed or (typ == "repository" and a == "pull")]
            access.append({"type": typ, "name": name, "actions": ok})
        return access

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def reply(self, code, obj, who="-", grant="-", scopes=()):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            logf.write("%s %d who=%s grant=%s scopes=%s\n" % (self.command, code, who, grant, ",".join(scopes) or "-"))

        def issue(self, who, scopes, offline, grant):
            t = token(who or "", grants(scopes, who is not None))
            obj = {"token": t, "access_token": t, "expires_in": args.expires_in}
            if offline and who:
                obj["refresh_token"] = refresh
            self.reply(200, obj, who or "anonymous", grant, scopes)

        def do_GET(self):
            u = urlsplit(self.path)
            q = parse_qs(u.query)
            scopes = q.get("scope", [])
            if u.path != "/token":
                return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": u.path}]})
            if args.post_only:
                return self.reply(405, {"error": "unsupported", "error_description": "use POST"}, grant="get", scopes=scopes)
            who = None
            h = self.headers.get("Authorization", "")
            if h:
                try:
                    user, _, pw = base64.b64decode(h.split(" ", 1)[1]).decode().partition(":")
                except Exception:
                    user, pw = None, None
                if not h.startswith("Basic ") or (user, pw) != (args.user, args.password):
                    return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "incorrect username or password"}]},
                                      "rejected", "basic", scopes)
                who = user
            self.issue(who, scopes, q.get("offline_token", ["false"])[0] == "true", "basic" if who else "anonymous")

        def do_POST(self):
            if urlsplit(self.path).path != "/token":
                return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": self.path}]})
            n = int(self.headers.get("Content-Length", "0"))
            f = {k: v[0] for k, v in parse_qs(self.rfile.read(n).decode()).items()}
            grant = f.get("grant_type", "-")
            scopes = [f["scope"]] if f.get("scope") else []
            if grant == "password" and (f.get("username"), f.get("password")) == (args.user, args.password):
                who = args.user
            elif grant == "refresh_token" and f.get("refresh_token") == refresh:
                who = args.user
            elif grant in ("password", "refresh_token"):
                return self.reply(401, {"error": "invalid_grant", "error_description": "incorrect username or password"},
                                  "rejected", grant, scopes)
            else:
                return self.reply(400, {"error": "unsupported_grant_type"}, grant=grant, scopes=scopes)
            self.issue(who, scopes, f.get("access_type") == "offline", grant)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
