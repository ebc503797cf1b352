"""What a user sees for every bad input and fault we know of, run for real.

Each case of ``CASES`` is a row of the README's table "When something is
wrong" (a test checks the README holds it word for word), and a run of the
real entry point: one clear sentence on stderr, the exit code the table says,
no traceback, and nothing half-written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_tracer

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    """what: the situation; args: the command; code: its exit; says: what stderr says (in the README too)."""

    what: str
    args: Callable[[Path], list[str]]
    code: int
    says: str
    env: Callable[[Path], dict[str, str]] = lambda _: {}
    quotes_tool: bool = False  # the error quotes a tool's own output (the compiler's) after its sentence


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def fake_strace(d: Path) -> dict[str, str]:
    """A strace that behaves as the real one does where the kernel refuses ptrace (seccomp, yama)."""
    bin_dir = d / "bin"
    write(
        bin_dir / "strace",
        "#!/bin/sh\necho 'strace: test_ptrace_get_syscall_info: PTRACE_TRACEME: Operation not permitted' >&2\n"
        "echo 'strace: ptrace(PTRACE_TRACEME, ...): Operation not permitted' >&2\nexit 1\n",
    ).chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}"}


def old_strace(d: Path) -> dict[str, str]:
    """A strace from before --seccomp-bpf (Ubuntu 18.04's)."""
    bin_dir = d / "old-bin"
    write(bin_dir / "strace", "#!/bin/sh\necho 'strace -- version 4.21'\n").chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}"}


CASES = [
    Case("an unknown scenario", lambda d: ["compare", "tcp-ecko"], 2, "Did you mean 'tcp-echo'?"),
    Case("an unknown --format", lambda d: ["compare", "--format", "xml"], 2, "Unknown format 'xml'"),
    Case("an unknown --runtime", lambda d: ["compare", "--runtime", "podman"], 2, "Unknown runtime 'podman'"),
    Case(
        "Go source that does not compile",
        lambda d: ["trace", str(write(d / "bad" / "main.go", "package main\n\nfunc main() { oops() }\n").parent)],
        4,
        "undefined: oops",
        quotes_tool=True,
    ),
    Case(
        "a Python program with a syntax error",
        lambda d: ["trace", str(write(d / "bad.py", "import socket\ndef broken(:\n"))],
        4,
        "does not compile: invalid syntax (line 2)",
    ),
    Case(
        "a directory with no main package",
        lambda d: ["trace", str(write(d / "lib" / "lib.go", "package lib\n").parent)],
        2,
        "has no main package",
    ),
    Case("a program that does not exist", lambda d: ["trace", str(d / "nowhere.py")], 2, "is neither a scenario"),
    Case(
        "two programs of the same language to compare",
        lambda d: ["compare", str(write(d / "a.py", "pass\n")), str(write(d / "b.py", "pass\n"))],
        2,
        "lines a Go program up with a Python one; both are python",
    ),
    Case(
        "a --ready that is not a regular expression",
        lambda d: ["trace", str(write(d / "s.py", "pass\n")), "--client", "true", "--ready", "(unclosed"],
        2,
        "is not a regular expression",
    ),
    Case("an empty log", lambda d: ["parse", str(write(d / "empty.strace", b""))], 6, "is empty"),
    Case(
        "a log of binary garbage",
        lambda d: ["parse", str(write(d / "garbage.strace", bytes(range(256)) * 64))],
        6,
        "is not a strace log",
    ),
    Case(
        "a log that is one 10 MB line",
        lambda d: ["parse", str(write(d / "huge.strace", "x" * 10_000_000 + "\n"))],
        6,
        "is not a strace log",
    ),
    Case(
        "YAML that is not YAML",
        lambda d: ["show", str(write(d / "not.yaml", "schema: [unclosed\n"))],
        6,
        "is not valid YAML",
    ),
    Case(
        "YAML of the wrong shape",
        lambda d: ["show", str(write(d / "shape.yaml", "schema: tracer/v1\nscenario: 3\n"))],
        6,
        "the top level: 'runtime' is missing",
    ),
    Case(
        "YAML of another schema version",
        lambda d: ["show", str(write(d / "v9.yaml", "schema: tracer/v9\n"))],
        6,
        "is schema 'tracer/v9'; this tracer reads tracer/v1 only",
    ),
    Case(
        "an output directory that does not exist",
        lambda d: ["export", "--dir", str(d / "missing" / "traces")],
        7,
        "does not exist",
    ),
    Case(
        "an output directory that cannot be written",
        lambda d: ["export", "--dir", str(write(d / "a-file", "x") / "traces")],
        7,
        "is a file, not a directory",
    ),
    Case(
        "no Docker engine",
        lambda d: ["compare", "--runtime", "docker"],
        3,
        "No Docker engine answers at unix:///nonexistent/docker.sock (no socket there)",
        env=lambda d: {"DOCKER_HOST": "unix:///nonexistent/docker.sock"},
    ),
    Case(
        "strace missing (local runtime)",
        lambda d: ["compare", "--runtime", "local"],
        3,
        "strace is not installed",
        env=lambda d: {"PATH": str(write(d / "empty" / ".keep", "").parent)},
    ),
    Case(
        "strace too old (local runtime)",
        lambda d: ["compare", "--runtime", "local"],
        3,
        "strace 4.21 is too old: tracer needs 5.3 or later (for --seccomp-bpf); or use --runtime docker.",
        env=old_strace,
    ),
    Case(
        "ptrace refused (local runtime)",
        lambda d: ["compare", "--runtime", "local"],
        5,
        "Operation not permitted). Is ptrace allowed here?",
        env=fake_strace,
    ),
]


@pytest.fixture
def folder() -> Iterator[Path]:
    """Readable by the container's user, unlike pytest's own temporary directories."""
    path = Path(tempfile.mkdtemp(prefix="tracertest-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("case", CASES, ids=[case.what for case in CASES])
def test_bad_input_is_one_clear_sentence(case: Case, folder: Path) -> None:
    args, env = case.args(folder), case.env(folder)  # these write the case's own input files
    before = sorted(folder.rglob("*"))
    done = run_tracer(*args, env=env)
    assert done.returncode == case.code, done.stderr
    errors = [line for line in done.stderr.splitlines() if not line.startswith("›")]
    assert errors and errors[0].startswith("error: "), done.stderr
    assert len(errors) == 1 or case.quotes_tool, done.stderr
    assert case.says in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    # nothing half-written: no file appeared that the case did not make itself
    made = sorted(folder.rglob("*"))
    assert not [p for p in made if p not in before and p.suffix in (".yaml", ".md", ".json", ".tmp")]


def test_the_readme_table_says_what_the_tests_check() -> None:
    readme = (ROOT / "README.md").read_text()
    for case in CASES:
        row = f"| {case.what} | `{case.says}` | {case.code} |"
        assert row in readme, f"README.md lacks the row: {row}"
    for fault in FAULTS:
        assert f"| {fault} |" in readme, f"README.md lacks the fault: {fault}"


# -- faults -----------------------------------------------------------------

FAULTS = [
    "a program that hangs",
    "a Go program that panics",
    "a program killed by SIGSEGV",
    "the engine stops in the middle of a run",
    "Ctrl-C during the image build",
    "two `tracer compare` at once",
]


def test_a_program_that_hangs_is_killed_at_the_timeout_and_shown(folder: Path) -> None:
    program = write(
        folder / "hang.py", "import socket, time\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ntime.sleep(600)\n"
    )
    done = run_tracer("trace", str(program), "--timeout", "3")
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())
    assert "socket.bind hang.py:3" in said
    assert "was killed at the timeout; its trace stops there" in said


def test_a_go_program_that_panics_is_shown_with_its_status(folder: Path) -> None:
    source = 'package main\n\nimport "net"\n\nfunc main() {\n\tnet.Listen("tcp", "127.0.0.1:0")\n\tpanic("boom")\n}\n'
    program = write(folder / "panics" / "main.go", source).parent
    done = run_tracer("trace", str(program))
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())
    assert "net.Listen main.go:6" in said
    assert "exited with status 2: panic: boom" in said


def test_a_program_killed_by_sigsegv_is_shown_with_its_signal(folder: Path) -> None:
    program = write(
        folder / "crash.py",
        "import os, signal, socket\nsocket.socket().close()\nos.kill(os.getpid(), signal.SIGSEGV)\n",
    )
    done = run_tracer("trace", str(program))
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())
    assert "socket.socket crash.py:2" in said
    assert "was killed by SIGSEGV" in said


class Proxy:
    """A stand-in for the Docker socket that forwards to the real one until it is stopped."""

    def __init__(self, path: Path) -> None:
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen()
        self.links: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            engine.connect("/var/run/docker.sock")
            self.links += [client, engine]
            for a, b in ((client, engine), (engine, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass

    def stop(self) -> None:
        self.server.close()
        for link in self.links:
            with contextlib.suppress(OSError):
                link.shutdown(socket.SHUT_RDWR)
            link.close()


def test_the_engine_stopping_mid_run_is_one_sentence(folder: Path, docker_client: object) -> None:
    proxy = Proxy(folder / "docker.sock")
    program = write(folder / "hang.py", "import time\ntime.sleep(600)\n")
    env = {**os.environ, "DOCKER_HOST": f"unix://{folder / 'docker.sock'}", "NO_COLOR": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tracer", "trace", str(program), "--timeout", "120", "--runtime", "docker"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert process.stderr
    running_before = {c.id for c in docker_client.containers.list()}  # type: ignore[attr-defined]
    try:
        for line in process.stderr:
            if line.startswith("› running"):
                break
        # Until the run's container is up, so that the CLI is waiting on it.
        deadline = time.monotonic() + 60
        while not {c.id for c in docker_client.containers.list()} - running_before:  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, "the run's container never started"
            time.sleep(0.1)
        time.sleep(0.3)
        proxy.stop()
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 3, err
    said = " ".join(err.split())
    assert "error: The Docker engine stopped answering during the run" in said
    assert "Traceback" not in err
    # the container it names is the one left behind; remove it as the message says
    name = said.split("docker rm -f ")[1].split()[0]
    docker_client.containers.get(name).remove(force=True)  # type: ignore[attr-defined]


def test_ctrl_c_during_the_image_build_leaves_nothing(folder: Path, docker_client: object) -> None:
    # GIVEN samples whose Go code is new, so the image must be built
    samples = folder / "go_samples"
    shutil.copytree(ROOT / "go_samples", samples)
    server = samples / "tcp_echo" / "server" / "main.go"
    server.write_text(server.read_text() + f"\n// {time.time()}\n")
    for path in [samples, *samples.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0))
    containers_before = {c.id for c in docker_client.containers.list(all=True)}  # type: ignore[attr-defined]
    env = {**os.environ, "TRACER_SAMPLES_DIR": str(samples), "NO_COLOR": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tracer", "compare", "--runtime", "docker"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert process.stderr
    tag = None
    try:
        for line in process.stderr:
            if line.startswith("› building image "):
                tag = line.split()[3]
                break
        # WHEN Ctrl-C comes in the middle of the build
        time.sleep(1)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    # THEN it stops with 130 and leaves no image of that tag and no container
    assert tag is not None, "the image was not rebuilt: the test proved nothing"
    assert process.returncode == 130, err
    assert "Interrupted" in err and "Traceback" not in err
    assert not docker_client.images.list(name=tag)  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30  # the engine removes the build's container as it stops
    while {c.id for c in docker_client.containers.list(all=True)} - containers_before:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "a build container was left behind"
        time.sleep(0.5)


def test_two_compares_at_once_do_not_clash() -> None:
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "tracer", "compare", "--runtime", "docker", "--format", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        assert '"scenario": "tcp-echo"' in out
