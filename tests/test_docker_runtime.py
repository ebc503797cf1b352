"""The docker runtime, for real: a hardened container, a timeout, no leftovers.

GIVEN a running Docker engine (CI starts one) WHEN tracer runs programs in it
THEN the container has the settings DESIGN.md promises, a program that hangs is
killed with its trace kept, and no container outlives a run.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import tracer_containers
from tracer import scenarios
from tracer.focus import TRACED, focus, steady
from tracer.model import Exit, Trace
from tracer.runtime.base import scenario_run
from tracer.runtime.docker import LIMITS, USER, DockerRuntime
from tracer.scenarios import samples_dir

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def runtime() -> DockerRuntime:
    return DockerRuntime.connect()


@pytest.fixture(scope="module")
def image(runtime: DockerRuntime) -> str:
    return runtime.image(lambda _: None)


def test_container_runs_hardened(runtime: DockerRuntime, image: str, docker_client: object) -> None:
    # GIVEN a program that sleeps, run the way tracer runs every program
    worker = threading.Thread(
        target=runtime._run_container,
        args=(image, [], ["python3", "-c", "import time; time.sleep(30)"], 20.0),
    )
    worker.start()
    try:
        # WHEN we look at the live container through the Docker API
        deadline = time.monotonic() + 20
        running: list[object] = []
        while not running and time.monotonic() < deadline:
            running = [c for c in tracer_containers(docker_client, runtime.session) if c.status == "running"]  # type: ignore[attr-defined]
            time.sleep(0.1)
        assert running, "the container never showed up"
        attrs = running[0].attrs  # type: ignore[attr-defined]
        host = attrs["HostConfig"]
        # THEN every promised setting is really there
        assert attrs["Config"]["User"] == USER
        assert host["CapDrop"] == ["ALL"]
        assert not host.get("CapAdd")
        assert host["NetworkMode"] == "none"
        assert host["ReadonlyRootfs"] is True
        assert "no-new-privileges" in host["SecurityOpt"]
        assert host["PidsLimit"] == LIMITS["pids_limit"]
        assert host["Memory"] == 512 * 1024 * 1024
        assert "/tmp" in host["Tmpfs"]
        assert not host.get("Privileged")
        running[0].kill()  # type: ignore[attr-defined]
    finally:
        worker.join(timeout=30)
    # AND it is gone once the run is over
    assert tracer_containers(docker_client, runtime.session) == []


def test_container_is_killed_at_its_wall_clock_limit(runtime: DockerRuntime, image: str, docker_client: object) -> None:
    started = time.monotonic()
    runtime._run_container(image, [], ["python3", "-c", "import time; time.sleep(600)"], 2.0)
    assert time.monotonic() - started < 30
    assert tracer_containers(docker_client, runtime.session) == []


def test_a_program_that_never_exits_is_killed_and_its_trace_kept(runtime: DockerRuntime, docker_client: object) -> None:
    # GIVEN tcp-echo's servers with no client: each waits in accept forever
    tcp_echo = scenarios.get("tcp-echo")
    hang = replace(tcp_echo, name="tcp-echo-no-client", roles=tcp_echo.roles[:1], timeout=3.0)
    # WHEN it runs
    started = time.monotonic()
    traces = runtime.run(scenario_run(hang), lambda _: None)
    # THEN both servers were killed at the timeout, not later
    assert time.monotonic() - started < 30
    assert [(t.label, t.timed_out) for t in traces] == [("go", True), ("python", True)]
    for trace in traces:
        # AND what they did before the kill is kept, up to the blocked accept
        kinds = [step.kind for step in focus(trace)]
        assert kinds[-1] in ("accept", "wait"), kinds
        assert "listen" in kinds
        # AND strace saw the kill
        kills = [e for e in trace.events if isinstance(e, Exit) and e.signal == "SIGKILL"]
        assert kills, f"no kill line in the {trace.label} trace"
    assert tracer_containers(docker_client, runtime.session) == []


def test_strace_records_only_what_the_view_shows_unless_asked_for_everything(runtime: DockerRuntime) -> None:
    # GIVEN tcp-echo run twice: as compare runs it, and with every syscall recorded (--all)
    run = scenario_run(scenarios.get("tcp-echo"))
    filtered = runtime.run(run, lambda _: None)
    assert runtime.environment["traced"].startswith("socket-related syscalls only")
    complete = runtime.run(replace(run, everything=True), lambda _: None)
    assert runtime.environment["traced"] == "every syscall"
    for few, every in zip(filtered, complete, strict=True):
        names = {call.name for call in few.syscalls}
        # THEN the filtered run recorded nothing outside the view's syscalls (no signal handlers, no mmap)
        assert names <= TRACED, names - TRACED
        assert {"rt_sigaction", "mmap"} <= {call.name for call in every.syscalls}
        assert len(every.syscalls) > len(few.syscalls)

        # AND the view is the same either way: the calls every run makes, in order, with their origins
        def view(trace: Trace) -> list[tuple[str, str, str | None, int | None]]:
            return [
                (s.kind, s.call.name, s.call.origin and s.call.origin.api, s.call.origin and s.call.origin.line)
                for s in steady(focus(trace))
            ]

        assert view(few) == view(every), f"{few.label} {few.role}"


def test_an_edited_go_sample_is_rebuilt_and_the_others_are_lent_by_the_previous_image(
    runtime: DockerRuntime, image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a project image, and a copy of the samples whose Go client sends another message
    copy = tmp_path / "go_samples"
    shutil.copytree(samples_dir(), copy)
    client = copy / "tcp_echo" / "client" / "main.go"
    edited = client.read_text().replace('"hello, kernel"', '"hello again, kernel"')
    client.write_text(f"{edited}\n// {uuid.uuid4()}: an image of its own for each run of this test\n")
    monkeypatch.setenv("TRACER_SAMPLES_DIR", str(copy))
    # WHEN tcp-echo runs on it
    said: list[str] = []
    try:
        traces = runtime.run(scenario_run(scenarios.get("tcp-echo"), langs=("go",)), said.append)
    finally:
        built = runtime.environment.get("image")
        if built and built != image:
            runtime.client.images.remove(built)
    # THEN a new image was built from the samples of an earlier one
    building = next(line for line in said if line.startswith("building image"))
    assert "samples still current come from tracer-runtime:" in building
    # AND the edited program is the one that ran, not the earlier image's binary
    (sent,) = [
        c for t in traces if t.role == "client" for c in t.syscalls if c.name == "write" and "kernel" in c.args[1]
    ]
    assert "hello again, kernel" in sent.args[1]
    assert runtime.environment["image"] != image


INTERRUPT = textwrap.dedent(
    """
    import sys
    from dataclasses import replace
    from tracer import scenarios
    from tracer.runtime.base import scenario_run
    from tracer.runtime.docker import DockerRuntime
    tcp_echo = scenarios.get("tcp-echo")
    hang = replace(tcp_echo, roles=tcp_echo.roles[:1], timeout=120.0)
    runtime = DockerRuntime.connect()
    print(runtime.session, flush=True)
    try:
        runtime.run(scenario_run(hang), lambda _: None)
    except KeyboardInterrupt:
        sys.exit(130)
    """
)


def test_ctrl_c_during_a_run_leaves_no_container_and_no_temporary_directory(image: str, docker_client: object) -> None:
    before = set(Path("/tmp").glob("tracer-*"))
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPT], stdout=subprocess.PIPE, text=True)
    assert proc.stdout
    session = proc.stdout.readline().strip()
    try:
        deadline = time.monotonic() + 60
        while not [c for c in tracer_containers(docker_client, session) if c.status == "running"]:  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, "the container never started"
            assert proc.poll() is None, "the run ended before it could be interrupted"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    assert tracer_containers(docker_client, session) == []
    assert set(Path("/tmp").glob("tracer-*")) <= before


def test_no_engine_is_one_clear_sentence() -> None:
    from tests.conftest import run_tracer

    done = run_tracer("compare", "--runtime", "docker", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert "No Docker engine answers at unix:///nonexistent/docker.sock" in done.stderr
    assert done.stdout == ""
