#!/usr/bin/env python3
"""Builds the seed corpora of tests/fuzz/corpus/<harness>/ (docs/fuzzing.md): the string literals of the unit
tests that feed each parser, the shared test images' hostile layers and OCI documents, and `berth-runtime
spec`'s config.json, and Docker's seccomp profile from tests/helpers/seccomp-driver. Small by design (a few hundred KB in all): the fuzzer
finds the rest. Run from the repository root:
    tests/fuzz/make-seeds.py [BERTH_IMAGES] [BERTH_RUNTIME]
Seeds are named by their content's hash, so running it again only adds what is new."""
import hashlib
import json
import os
import re
import subprocess
import sys

top = os.getcwd()
corpus = os.path.join(top, "tests/fuzz/corpus")
images = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/berth-images")
runtime = sys.argv[2] if len(sys.argv) > 2 else os.path.join(top, "build/src/cli/berth-runtime")
MAX_SEED = 16 << 10


def add(harness, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_SEED:
        return
    d = os.path.join(corpus, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def c_strings(path):
    """Adjacent C string literals joined, unescaped."""
    text = open(path, encoding="utf-8").read()
    out, cur, last_end = [], None, -1
    for m in LITERAL.finditer(text):
        between = text[last_end:m.start()] if last_end >= 0 else "x"
        piece = bytes(m.group(1), "utf-8").decode("unicode_escape")
        if cur is not None and between.strip() == "":
            cur += piece
        else:
            if cur is not None:
                out.append(cur)
            cur = piece
        last_end = m.end()
    if cur is not None:
        out.append(cur)
    return out


def json_literals(path):
    for s in c_strings(path):
        if s.startswith("{") or s.startswith("["):
            yield s


for name, harness in [("test_runtime_spec.c", "spec"), ("test_seccomp.c", "seccomp"),
                      ("test_cgroup_resources.c", "resources"), ("test_engine_spec.c", "run_flags")]:
    for s in json_literals(os.path.join(top, "tests/unit", name)):
        if harness != "run_flags":
            add(harness, s)
for s in c_strings(os.path.join(top, "tests/unit/test_image_reference.c")):
    if 0 < len(s) < 300 and "%" not in s and " " not in s:
        add("reference", s)
changes = [s for s in c_strings(os.path.join(top, "tests/unit/test_image_changes.c"))
           if re.match(r"^(CMD|ENTRYPOINT|ENV|LABEL|EXPOSE|VOLUME|WORKDIR|USER|STOPSIGNAL|RUN)( |$)", s, re.I)
           and s.split(" ")[0] in (s.split(" ")[0].upper(), s.split(" ")[0].lower()) and "%" not in s]
for i in range(0, len(changes), 4):
    add("changes", "\n".join(changes[i:i + 4]))
# The builder's language: each Dockerfile of the unit test, then a .dockerignore and a path (NUL-separated).
ignores = [s for s in c_strings(os.path.join(top, "tests/unit/test_build_dockerfile.c")) if s.startswith("# comment\n")]
for s in c_strings(os.path.join(top, "tests/unit/test_build_dockerfile.c")):
    if re.match(r"^(# [a-z]+=|FROM |# hello)", s):
        add("dockerfile", s + "\0" + (ignores[0] if ignores else "*.md\n!README.md\n") + "\0" + "docs/README.md")
for s in c_strings(os.path.join(top, "tests/unit/test_registry_parse.c")):
    if s.lower().startswith(("bearer", "basic")):
        add("registry", s + "\0" + '{"token":"t","expires_in":300,"refresh_token":"r"}' + "\0" +
            '</v2/app/tags/list?last=x&n=100>; rel="next"' + "\0" + "/v2/app/blobs/uploads/u?x=1" + "\0" +
            '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}')
    elif s.startswith("{"):
        add("registry", "\0\0\0\0" + s)

# config.json and Docker's seccomp profile from the runtime itself.
if os.access(runtime, os.X_OK):
    spec = json.loads(subprocess.run([runtime, "spec", "--bundle", "/nonexistent"], capture_output=True).stdout or b"{}") \
        if False else None
    tmp = os.path.join(top, "build/fuzz-seed-spec")
    os.makedirs(tmp, exist_ok=True)
    subprocess.run([runtime, "spec", "--bundle", tmp], check=False, capture_output=True)
    path = os.path.join(tmp, "config.json")
    if os.path.exists(path):
        doc = json.load(open(path))
        add("spec", json.dumps(doc))
        linux = doc.get("linux", {})
        if "resources" in linux:
            add("resources", json.dumps(linux["resources"]))
        if "seccomp" in linux:
            add("seccomp", json.dumps(linux["seccomp"], separators=(",", ":")))

# Docker's default seccomp profile as berth builds it (tests/helpers/seccomp-driver).
driver = os.path.join(os.path.dirname(runtime), "../../tests/unit/seccomp-driver")
if os.access(driver, os.X_OK):
    out = subprocess.run([driver, "default"], capture_output=True).stdout
    try:
        add("seccomp", json.dumps(json.loads(out), separators=(",", ":")))
    except ValueError:
        pass

# The shared images: hostile layers (tar, end-of-archive zeros dropped) and every small JSON blob (index,
# manifests, configs).
tars = os.path.join(images, "hostile/tars")
if os.path.isdir(tars):
    for name in sorted(os.listdir(tars)):
        data = open(os.path.join(tars, name), "rb").read()
        end = len(data)
        while end >= 512 and data[end - 512:end] == b"\0" * 512:
            end -= 512
        add("unpack", data[:end])
        add("copy_tar", data[:end])
for root, _, files in os.walk(images):
    for name in files:
        path = os.path.join(root, name)
        if os.path.getsize(path) > 4096:
            continue
        data = open(path, "rb").read()
        if data[:1] == b"{":
            add("manifest", data)

# Flags and templates as the system tests use them.
for argv in [["-d", "--name", "x", "busybox", "sleep", "1"],
             ["--rm", "-m", "64m", "--memory-swap", "128m", "--cpus", "1.5", "--pids-limit", "10", "busybox"],
             ["--device-read-bps", "/dev/null:1mb", "--ulimit", "nofile=10:20", "--cap-add", "ALL", "busybox"],
             ["--mount", "type=bind,src=/tmp,dst=/x,readonly", "-v", "/a:/b:ro", "--tmpfs", "/t:size=1m", "img"],
             ["--restart", "on-failure:3", "-e", "A=B", "-l", "k=v", "--shm-size", "1g", "-p", "80:8080/tcp", "i"],
             ["--privileged", "--security-opt", "seccomp=unconfined", "--userns", "host", "--init", "i", "sh"],
             ["--uidmap", "0:100000:65536", "--cpuset-cpus", "0-1", "--cpu-shares", "512", "--oom-kill-disable", "i"]]:
    add("run_flags", "\0".join(argv))
for tmpl in ["table {{.Repository}}\t{{.Tag}}\t{{.ID}}", "{{json .}}", "json", "{{.ID}}: {{.Labels.a}}",
             "{{json .Names}}", "table", "{{.Size}}\\n{{.Empty}}"]:
    add("format", tmpl + "\0" + '{"ID":"abc","Repository":"r","Tag":"t","Labels":{"a":"b"},"Names":["x"],"Size":1}')
# The API's requests (method, path, filters, create body; NUL-separated): the routes of src/api/http.c, the
# filters the docker CLI sends, and create bodies around the HostConfigs of the engine's unit test.
api_paths = [("GET", "/_ping"), ("GET", "/v1.50/containers/json"), ("POST", "/v1.47/containers/create"),
             ("GET", "/v1.50/containers/abc/json"), ("POST", "/v1.24/containers/abc/wait"),
             ("DELETE", "/containers/abc"), ("GET", "/v1.50/images/localhost:5000/a/b:1/json"),
             ("POST", "/v1.50/images/a/b/tag"), ("DELETE", "/v1.50/images/sha256:0123"), ("GET", "/v2.0/info"),
             ("GET", "/v1.12/version"), ("PUT", "/v1.50/volumes/x"), ("GET", "//v1.50//events//"),
             ("POST", "/v1.50/networks/create"), ("POST", "/v1.50/networks/n/connect"), ("GET", "/v1.50/networks")]
api_filters = ['{"label":["a=b"],"status":["running"]}', '{"dangling":{"true":true}}', '{"name":{"x":false}}',
               '[]', '{"a":[1]}', '']
hostconfigs = [s for s in c_strings(os.path.join(top, "tests/unit/test_engine_hostconfig.c"))
               if s.startswith("{")]
bodies = ['{"Image":"busybox","Cmd":["true"]}', '{}', '{"Image":""}', 'null',
          '{"Image":"busybox","NetworkingConfig":{"EndpointsConfig":{"net":{"Aliases":["a"],'
          '"IPAMConfig":{"IPv4Address":"10.0.0.2"}}}},"HostConfig":{"NetworkMode":"net"}}',
          '{"Image":"busybox","Healthcheck":{"Test":["CMD","true"],"Interval":-1}}',
          # /networks bodies: what docker network create and compose send, connect and disconnect
          '{"Name":"p_default","CheckDuplicate":true,"Driver":"bridge","IPAM":{"Driver":"","Options":null,'
          '"Config":[{"Subnet":"10.9.0.0/24","Gateway":"10.9.0.254","IPRange":"10.9.0.128/25"}]},"Internal":false,'
          '"Options":{"com.docker.network.bridge.name":"br9"},"Labels":{"com.docker.compose.project":"p"}}',
          '{"Container":"c1","EndpointConfig":{"IPAMConfig":{"IPv4Address":"10.9.0.9"},"Aliases":[]},"Force":false}']
for hc in hostconfigs:
    bodies.append('{"Image":"busybox","HostConfig":' + hc + '}')
for i, body in enumerate(bodies):
    method, path = api_paths[i % len(api_paths)]
    add("api", method + "\0" + path + "\0" + api_filters[i % len(api_filters)] + "\0" + body)
