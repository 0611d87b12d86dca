#!/usr/bin/python3
"""docker-py (Debian's python3-docker), the Docker SDK for Python, against berth's API service: the calls an
SDK user makes (containers, networks, volumes, exec, logs streaming, events), each checked against what the
service reports back and what the test then checks in the
kernel (network.bats "docker-py: ..."). Usage: docker_py.py SOCKET; prints one line per step, exits 1 on the
first failure."""
import sys
import time
import traceback

import docker

sock = sys.argv[1]
client = docker.DockerClient(base_url="unix://" + sock, version="auto", timeout=60)


last_step = "start"


def step(name, ok, detail=""):
    global last_step
    last_step = name
    print(("ok " if ok else "FAIL ") + name + ((": " + str(detail)) if detail else ""), flush=True)
    if not ok:
        sys.exit(1)



def main():
    step("ping", client.ping() is True)
    version = client.version()
    step("version", version.get("ApiVersion") == "1.50", version.get("ApiVersion"))
    step("images.get", "busybox:latest" in client.images.get("busybox").tags)

    out = client.containers.run("busybox", ["sh", "-c", "echo out; echo err >&2"], remove=True, stdout=True, stderr=True)
    step("containers.run --rm", out == b"out\nerr\n", out)

    net = client.networks.create("pynet", driver="bridge", labels={"sdk": "py"},
                                 ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="10.77.0.0/24")]))
    step("networks.create", client.networks.get("pynet").attrs["IPAM"]["Config"][0]["Subnet"] == "10.77.0.0/24")
    step("networks.list filters", [n.name for n in client.networks.list(filters={"label": "sdk=py"})] == ["pynet"])

    vol = client.volumes.create("pyvol", labels={"sdk": "py"})
    server = client.containers.run("busybox", ["httpd", "-f", "-p", "80", "-h", "/data"], name="pyserver", detach=True,
                                   network="pynet", volumes={"pyvol": {"bind": "/data", "mode": "rw"}},
                                   labels={"sdk": "py"}, mem_limit="64m")
    server.reload()
    step("containers.run -d", server.status == "running", server.status)
    step("container on the network", server.attrs["NetworkSettings"]["Networks"]["pynet"]["IPAddress"].startswith("10.77.0."))
    step("mem_limit", server.attrs["HostConfig"]["Memory"] == 64 * 1024 * 1024)
    step("containers.list filters", [c.name for c in client.containers.list(filters={"label": "sdk=py"})] == ["pyserver"])

    client_c = client.containers.run("busybox", ["sh", "-c", "echo hello > /data/index.html; wget -q -O - http://pyserver/"],
                                     network="pynet", volumes={"pyvol": {"bind": "/data", "mode": "rw"}}, detach=True)
    result = client_c.wait(timeout=60)
    logs = client_c.logs()
    step("wait and logs", result["StatusCode"] == 0 and logs == b"hello\n", (result, logs))
    client_c.remove()

    step("top", any("httpd" in " ".join(p) for p in server.top()["Processes"]))
    code, out = server.exec_run(["sh", "-c", "echo exec-out; id -u"], user="1000")
    step("exec_run", code == 0 and out == b"exec-out\n1000\n", (code, out))
    code, out = server.exec_run(["sh", "-c", "exit 4"])
    step("exec_run exit code", code == 4, code)
    talker = client.containers.run("busybox", ["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done"], detach=True)
    streamed = b"".join(talker.logs(stream=True, follow=True))
    step("logs streaming", streamed == b"line1\nline2\nline3\n", streamed)
    talker.remove()
    events = client.events(since=0, until=int(time.time()) + 1, decode=True,
                           filters={"type": "container", "container": "pyserver"})
    actions = [ev["Action"].split(":")[0] for ev in events]
    step("events", actions[:2] == ["create", "start"] and "exec_die" in actions, actions)
    stats = server.stats(stream=False)
    step("stats", stats["memory_stats"]["limit"] == 64 * 1024 * 1024, stats["memory_stats"].get("limit"))
    server.stop(timeout=1)
    server.reload()
    step("stop", server.status == "exited", server.status)
    server.remove()
    vol.remove()
    net.remove()
    step("removed", not client.containers.list(all=True, filters={"label": "sdk=py"}) and
         not client.networks.list(names=["pynet"]) and not client.volumes.list(filters={"name": "pyvol"}))


try:
    main()
except Exception as error:  # one line first: CI shows a failure's first lines only
    print("FAIL after %s: %s: %s" % (last_step, type(error).__name__, error), flush=True)
    traceback.print_exc(limit=-3)
    sys.exit(1)
