"""The container boundary, tested from inside a traced program.

GIVEN a program run by tracer's docker runtime WHEN it looks around and pushes
THEN it sees only loopback, cannot write the root filesystem, runs as an
unprivileged user with no capabilities, and a fork bomb stops at the pids
limit without harming the host.
"""

from __future__ import annotations

import json
import os
import textwrap

import pytest

from tracer.model import Trace
from tracer.runtime.base import Program, Run
from tracer.runtime.docker import LIMITS, DockerRuntime

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def runtime() -> DockerRuntime:
    return DockerRuntime.connect()


def run_inside(runtime: DockerRuntime, code: str, timeout: float = 60) -> tuple[dict[str, object], Trace]:
    """Run a Python snippet as a traced command in the container; it prints one JSON line."""
    program = Program("probe", "main", "command", command=("python3", "-c", textwrap.dedent(code)))
    (trace,) = runtime.run(Run("boundary", ((program,),), timeout), lambda _: None)
    assert trace.exit_code == 0, trace.stderr
    return json.loads(trace.stdout.strip().splitlines()[-1]), trace


def test_only_loopback_is_there(runtime: DockerRuntime) -> None:
    seen, _ = run_inside(
        runtime,
        """
        import json, socket
        routes = open("/proc/net/route").read().splitlines()[1:]
        print(json.dumps({"interfaces": [name for _, name in socket.if_nameindex()], "routes": routes}))
        """,
    )
    assert seen == {"interfaces": ["lo"], "routes": []}


def test_the_root_filesystem_is_read_only(runtime: DockerRuntime) -> None:
    seen, trace = run_inside(
        runtime,
        """
        import json
        result = {}
        for path in ("/etc/tracer-test", "/opt/tracer/x", "/usr/bin/x"):
            try:
                open(path, "w").close()
                result[path] = "written"
            except OSError as exc:
                result[path] = exc.strerror
        open("/tmp/scratch", "w").write("ok")  # the tmpfs is the one writable place
        result["/tmp"] = open("/tmp/scratch").read()
        print(json.dumps(result))
        """,
    )
    assert seen == {
        "/etc/tracer-test": "Read-only file system",
        "/opt/tracer/x": "Read-only file system",
        "/usr/bin/x": "Read-only file system",
        "/tmp": "ok",
    }
    # strace saw the kernel refuse them
    assert any(c.name == "openat" and c.errno == "EROFS" for c in trace.syscalls)


def test_the_program_is_unprivileged_with_no_capabilities(runtime: DockerRuntime) -> None:
    seen, _ = run_inside(
        runtime,
        """
        import json, os
        status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
        print(json.dumps({
            "uid": os.getuid(), "gid": os.getgid(),
            "caps": [status[k].strip() for k in ("CapEff", "CapPrm", "CapBnd")],
            "no_new_privs": status["NoNewPrivs"].strip(),
        }))
        """,
    )
    assert seen == {"uid": 10001, "gid": 10001, "caps": ["0" * 16] * 3, "no_new_privs": "1"}


def test_a_fork_bomb_stops_at_the_pids_limit(runtime: DockerRuntime) -> None:
    seen, _ = run_inside(
        runtime,
        """
        import json, os
        read_end, write_end = os.pipe()
        children, error = [], None
        while len(children) < 1000:   # bounded, in case the limit were not enforced
            try:
                pid = os.fork()
            except OSError as exc:
                error = exc.strerror
                break
            if pid == 0:
                os.close(write_end)
                os.read(read_end, 1)   # wait until the parent lets go
                os._exit(0)
            children.append(pid)
        os.close(write_end)            # every child returns at once
        for pid in children:
            os.waitpid(pid, 0)
        print(json.dumps({"forked": len(children), "error": error}))
        """,
        timeout=120,
    )
    assert seen["error"] == "Resource temporarily unavailable"
    assert 0 < int(seen["forked"]) < LIMITS["pids_limit"]  # type: ignore[call-overload]
    # AND the host can still start processes
    assert os.system("true") == 0
