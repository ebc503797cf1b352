"""`tracer trace PATH`, `tracer trace -- CMD`, `tracer compare A B` and `tracer doctor`, for real.

GIVEN programs written here (not the samples) WHEN tracer traces them in the
container THEN their calls are linked to these files' lines, a second trace of
unchanged Go code reuses its build, and two of them align.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_tracer
from tracer.model import Syscall, Trace
from tracer.render.table import warnings

pytestmark = pytest.mark.docker

GO_SERVER = textwrap.dedent(
    """\
    package main

    import (
    \t"fmt"
    \t"net"
    )

    func main() {
    \tln, err := net.Listen("tcp", "127.0.0.1:7007")
    \tif err != nil {
    \t\tpanic(err)
    \t}
    \tfmt.Println("listening")
    \tconn, err := ln.Accept()
    \tif err != nil {
    \t\tpanic(err)
    \t}
    \tbuf := make([]byte, 64)
    \tn, _ := conn.Read(buf)
    \tconn.Write(buf[:n])
    \tconn.Close()
    \tln.Close()
    }
    """
)
PY_SERVER = textwrap.dedent(
    """\
    import socket

    srv = socket.create_server(("127.0.0.1", 7007))
    print("listening", flush=True)
    conn, _ = srv.accept()
    conn.sendall(conn.recv(64))
    conn.close()
    srv.close()
    """
)
CLIENT = (
    "python3 -c \"import socket; s = socket.create_connection(('127.0.0.1', 7007)); "
    "s.sendall(b'hi'); print(s.recv(2))\""
)


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A directory the container's unprivileged user can read (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="tracertest-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def line_of(source: str, needle: str) -> int:
    return next(n for n, line in enumerate(source.splitlines(), 1) if needle in line)


def steps(stdout: str) -> list[dict[str, object]]:
    (program, *_) = json.loads(stdout)["programs"]
    return program["steps"]  # type: ignore[no-any-return]


@pytest.fixture
def go_server(tmp_path: Path) -> Path:
    directory = tmp_path / "echo"
    directory.mkdir()
    # A comment unique to this run, so the first trace really compiles.
    (directory / "main.go").write_text(GO_SERVER + f"\n// {tmp_path.name} {os.getpid()} {time.time()}\n")
    return directory


@pytest.fixture
def py_server(tmp_path: Path) -> Path:
    path = tmp_path / "echo.py"
    path.write_text(PY_SERVER)
    return path


def test_a_go_program_is_built_once_and_linked_to_its_lines(go_server: Path) -> None:
    # WHEN the server is traced, driven by a client command, twice
    first = run_tracer("trace", str(go_server), "--client", CLIENT, "--role", "server", "--format", "json")
    second = run_tracer("trace", str(go_server), "--client", CLIENT, "--role", "server", "--format", "json")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    # THEN its calls name the test's own file and lines
    made_by = {(s["syscall"], s["origin"]["api"], s["origin"]["line"]) for s in steps(first.stdout) if s["origin"]}  # type: ignore[index]
    assert ("listen", "net.Listen", line_of(GO_SERVER, "net.Listen")) in made_by
    assert ("accept4", "net.(*TCPListener).Accept", line_of(GO_SERVER, "ln.Accept")) in made_by
    assert ("write", "net.(*conn).Write", line_of(GO_SERVER, "conn.Write")) in made_by
    # AND the second trace did not compile again
    assert "› compiled" in first.stderr
    assert "› reusing the build" in second.stderr
    assert "› compiled" not in second.stderr


def test_a_python_program_is_linked_to_its_lines(py_server: Path) -> None:
    done = run_tracer("trace", str(py_server), "--client", CLIENT, "--role", "server", "--format", "json")
    assert done.returncode == 0, done.stderr
    made_by = {(s["syscall"], s["origin"]["api"], s["origin"]["line"]) for s in steps(done.stdout) if s["origin"]}  # type: ignore[index]
    assert ("listen", "socket.listen", line_of(PY_SERVER, "create_server")) in made_by
    assert ("accept4", "socket.accept", line_of(PY_SERVER, "accept")) in made_by


def test_a_command_after_dashdash_is_traced(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import socket\n\nsocket.socket().close()\n")
    # A python3 command runs through the bootstrap, so it is linked as well
    done = run_tracer("trace", "--format", "json", "--", "python3", str(probe))
    assert done.returncode == 0, done.stderr
    made_by = {(s["syscall"], s["origin"]["api"], s["origin"]["line"]) for s in steps(done.stdout)}  # type: ignore[index]
    assert made_by == {("socket", "socket.socket", 3), ("close", "socket.close", 3)}
    # AND any other command runs as it is, in the image, with its syscalls counted
    done = run_tracer("trace", "--format", "json", "--", "true")
    assert done.returncode == 0, done.stderr
    (program,) = json.loads(done.stdout)["programs"]
    assert program["exit_code"] == 0 and program["syscalls"] > 0


def test_two_programs_of_the_user_align(tmp_path: Path) -> None:
    go = tmp_path / "listen_go"
    go.mkdir()
    (go / "main.go").write_text(
        'package main\n\nimport "net"\n\nfunc main() {\n\tln, _ := net.Listen("tcp", "127.0.0.1:0")\n\tln.Close()\n}\n'
    )
    py = tmp_path / "listen.py"
    py.write_text('import socket\n\ns = socket.create_server(("127.0.0.1", 0))\ns.close()\n')
    done = run_tracer("compare", str(py), str(go), "--format", "json")
    assert done.returncode == 0, done.stderr
    (role,) = json.loads(done.stdout)["roles"]
    shared = {row["kind"] for row in role["rows"] if row.get("go") and row.get("python")}
    assert {"create", "bind", "listen", "close"} <= shared
    # Go goes on the left even when it was named second
    assert role["go"]["label"] == "go"


@pytest.mark.parametrize(
    ("files", "target", "code", "message"),
    [
        ({}, "missing.py", 2, "neither a scenario"),
        ({"lib/lib.go": "package lib\n"}, "lib", 2, "has no main package"),
        ({"bad/main.go": "package main\n\nfunc main() { undefined() }\n"}, "bad", 4, "undefined: undefined"),
    ],
)
def test_bad_programs_get_one_clear_error(
    tmp_path: Path, files: dict[str, str], target: str, code: int, message: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    done = run_tracer("trace", str(tmp_path / target))
    assert done.returncode == code, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_program_that_fails_is_still_shown_with_its_status(tmp_path: Path) -> None:
    failing = tmp_path / "fails.py"
    failing.write_text('import socket\nsocket.socket().close()\nraise SystemExit("giving up")\n')
    done = run_tracer("trace", str(failing))
    assert done.returncode == 0, done.stderr
    assert "socket.socket fails.py:2" in done.stdout
    assert "exited with status 1: giving up" in " ".join(done.stdout.split())


def test_a_connection_to_another_host_is_explained() -> None:
    call = Syscall(
        1,
        "connect",
        ("3", '{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("192.0.2.1")}', "16"),
        "-1",
        errno="ENETUNREACH",
    )
    (warning,) = warnings(Trace("app.py", "main", (call,), exit_code=0))
    assert "tried to reach 192.0.2.1:80: containers have only loopback" in warning


def test_doctor_with_the_engine_present() -> None:
    done = run_tracer("doctor")
    assert done.returncode == 0, done.stdout
    said = " ".join(done.stdout.split())
    assert "✓ Docker engine (docker): Docker engine" in said
    assert "tracer compare will run in docker" in said


def test_doctor_with_the_engine_unreachable(tmp_path: Path) -> None:
    nowhere = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    done = run_tracer("doctor", env=nowhere)
    assert done.returncode == 0, done.stdout  # the local runtime still works here
    said = " ".join(done.stdout.split())
    assert (
        "✗ Docker engine (docker): No Docker engine answers at unix:///nonexistent/docker.sock (no socket there)"
        in said
    )
    assert "will run on this host" in said
    # AND with strace gone too, nothing can work: it says so and fails
    empty = tmp_path / "bin"
    empty.mkdir()
    done = run_tracer("doctor", env={**nowhere, "PATH": str(empty)})
    assert done.returncode == 3, done.stdout
    said = " ".join(done.stdout.split())
    assert "fix: apt-get install strace" in said
    assert "neither runtime can work here" in said
    assert os.environ["PATH"]  # the test's own PATH is untouched
