"""Link: every socket syscall names the API call and the sample line behind it.

GIVEN Go's -k stacks (saved from a run in the project image, and live runs)
WHEN they are linked THEN each call carries an API and file:line, or a runtime
label with the function that made it; and moving the code moves the lines.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, run_tracer
from tracer.focus import focus
from tracer.link import link_go, link_python
from tracer.model import Trace
from tracer.scenarios import samples_dir
from tracer.strace.parser import parse_file

SAVED = DATA / "tcp_echo_k"


@pytest.fixture(scope="module")
def go_server() -> Trace:
    events, problems = parse_file(SAVED / "go-server.strace")
    lines = json.loads((SAVED / "go-server.lines.json").read_text())
    return link_go(Trace("go", "server", tuple(events), tuple(problems)), lines, "/src/tcp_echo/server")


def origins(trace: Trace) -> dict[str, set[tuple[str, str | None, int | None]]]:
    found: dict[str, set[tuple[str, str | None, int | None]]] = {}
    for step in focus(trace):
        o = step.call.origin
        assert o is not None, f"{step.call.name} at log line {step.call.line_no} has no origin"
        if step.kind != "config":  # somaxconn's read is not the connection's
            found.setdefault(step.call.name, set()).add((o.api, o.file, o.line))
    return found


def test_each_call_names_the_go_api_and_line(go_server: Trace) -> None:
    found = origins(go_server)
    assert ("net.Listen", "main.go", 11) in found["listen"]
    assert ("net.(*TCPListener).Accept", "main.go", 18) in found["accept4"]
    assert found["read"] == {("net.(*conn).Read", "main.go", 23)}
    assert found["write"] == {("net.(*conn).Write", "main.go", 27)}
    assert ("net.(*conn).Close", "main.go", 30) in found["close"]
    assert ("net.(*TCPListener).Close", "main.go", 31) in found["close"]


def test_one_time_probes_are_labelled_runtime_with_their_function(go_server: Trace) -> None:
    probes = {
        (s.call.origin.frame, s.call.origin.helper)
        for s in focus(go_server)
        if s.call.origin and s.call.origin.api == "runtime" and s.call.origin.line is not None
    }
    assert ("net.(*ipStackCapabilities).probe", "net.Listen") in probes
    assert ("net.initMPTCPavailable", "net.Listen") in probes
    assert ("net.maxListenerBacklog", "net.Listen") in probes


def test_the_netpoller_wait_is_labelled_runtime(go_server: Trace) -> None:
    waits = {s.call.origin for s in focus(go_server) if s.call.name == "epoll_pwait"}
    assert waits and all(o is not None and o.api == "runtime" and o.frame == "runtime.netpoll" for o in waits)


def test_link_is_safe_on_an_empty_trace() -> None:
    empty = Trace("go", "server", ())
    assert link_go(empty, {}) == empty


def test_without_addr2line_the_api_is_still_known(go_server: Trace) -> None:
    events, _ = parse_file(SAVED / "go-server.strace")
    bare = link_go(Trace("go", "server", tuple(events)), {})
    listen = next(s.call for s in focus(bare) if s.call.name == "listen")
    assert listen.origin is not None
    assert (listen.origin.api, listen.origin.file, listen.origin.line) == ("net.Listen", None, None)


def linked_lines(document: dict[str, object], lang: str) -> list[tuple[str, str, int]]:
    """(syscall, api, line) of every linked step of one language, in order."""
    found = []
    for role in document["roles"]:  # type: ignore[attr-defined]
        for row in role["rows"]:
            step = row.get(lang)
            if step and step.get("origin") and step["origin"].get("line") is not None:
                origin = step["origin"]
                found.append((step["syscall"], origin["api"], origin["line"]))
    return found


def shifted_copy(tmp_path: Path, by: int) -> Path:
    copy = tmp_path / "go_samples"
    shutil.copytree(samples_dir(), copy)
    for source in copy.glob("tcp_echo/*/main.*"):
        text = source.read_text()
        # Blank lines after the first line keep Go's package clause and
        # Python's docstring first, and move every statement down.
        first, rest = text.split("\n", 1)
        source.write_text(first + "\n" * (by + 1) + rest)
    return copy


@pytest.mark.local
def test_shifting_the_code_moves_every_reported_line(tmp_path: Path) -> None:
    # GIVEN the samples as they are, and a copy with every line 7 further down
    before = run_tracer("compare", "--runtime", "local", "--format", "json")
    after = run_tracer(
        "compare",
        "--runtime",
        "local",
        "--format",
        "json",
        env={"TRACER_SAMPLES_DIR": str(shifted_copy(tmp_path, 7))},
    )
    assert before.returncode == 0, before.stderr
    assert after.returncode == 0, after.stderr
    old, new = json.loads(before.stdout), json.loads(after.stdout)
    for lang in ("go", "python"):
        # THEN the same calls are linked, each 7 lines further down
        # (sets: whether a read first finds EAGAIN depends on scheduling, not on the code)
        was, now = set(linked_lines(old, lang)), set(linked_lines(new, lang))
        assert was, f"no {lang} call was linked to a line"
        assert now == {(name, api, line + 7) for name, api, line in was}


PYTHON_APIS = {
    "socket.socket",
    "socket.bind",
    "socket.listen",
    "socket.getsockname",
    "socket.accept",
    "socket.recv",
    "socket.sendall",
    "socket.close",
    "socket.connect",
}


def test_python_markers_become_origins_and_disappear() -> None:
    events, _ = parse_file(DATA / "pyboot" / "tcp_echo_server.strace")
    linked = link_python(Trace("python", "server", tuple(events)))
    assert not [e for e in linked.syscalls if e.name == "write" and e.args[:1] == ("-1",)]
    found = {(s.call.name, s.call.origin.api) for s in focus(linked) if s.call.origin}
    assert ("listen", "socket.listen") in found
    assert ("accept4", "socket.accept") in found
    assert ("getsockname", "socket.accept") in found  # made inside accept, when it wraps the new fd
    assert ("recvfrom", "socket.recv") in found
    assert ("sendto", "socket.sendall") in found


@pytest.mark.docker
@pytest.mark.parametrize("lang", ["go", "python"])
def test_every_socket_call_in_the_container_is_linked(lang: str) -> None:
    done = run_tracer("compare", "--runtime", "docker", "--format", "json")
    assert done.returncode == 0, done.stderr
    for role in json.loads(done.stdout)["roles"]:
        for row in role["rows"]:
            if not row.get(lang):
                continue
            origin = row[lang].get("origin")
            name = row[lang]["syscall"]
            assert origin, f"{role['role']}: {name} has no origin"
            if origin["api"] == "runtime":
                assert origin.get("frame"), f"{role['role']}: runtime call {name} names no function"
            elif lang == "go":
                assert origin["api"].startswith("net."), origin
                assert origin.get("file") == "main.go" and origin.get("line"), origin
            else:
                assert origin["api"] in PYTHON_APIS, origin
                assert origin.get("file") == "main.py" and origin.get("line"), origin


@pytest.mark.docker
def test_trace_shows_one_programs_socket_story_and_all_of_it_on_request() -> None:
    # GIVEN the Go tcp-echo server traced in the container
    focused = run_tracer("trace", "tcp-echo", "--lang", "go", "--role", "server", "--format", "json")
    everything = run_tracer("trace", "tcp-echo", "--lang", "go", "--role", "server", "--format", "json", "--all")
    assert focused.returncode == 0, focused.stderr
    assert everything.returncode == 0, everything.stderr
    (program,) = json.loads(focused.stdout)["programs"]
    # THEN every shown call is on a socket, or labelled as the runtime's own
    for step in program["steps"]:
        creates = step["syscall"] == "socket"  # its socket is what it returns
        on_socket = creates or (step["args"] and any(tag in step["args"][0] for tag in ("TCP", "socket:")))
        target = step["args"][2] if step["syscall"] == "epoll_ctl" else ""
        assert on_socket or "TCP" in target or step["origin"]["api"] == "runtime", step
    # AND --all shows the whole log
    (whole,) = json.loads(everything.stdout)["programs"]
    assert len(whole["steps"]) == whole["syscalls"] > len(program["steps"])


def test_trace_table_names_api_and_line() -> None:
    done = run_tracer("trace", "tcp-echo", "--lang", "python", "--role", "client")
    assert done.returncode == 0, done.stderr
    connect = next(line for line in done.stdout.splitlines() if "connect(" in line)
    assert "socket.connect main.py:" in connect
