"""Focus and align on saved tcp-echo logs (recorded in the project's container).

GIVEN the four strace logs of one real tcp-echo run WHEN they are focused and
aligned THEN the rows show the shared kernel path and name what differs.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import DATA
from tracer.align import align, key
from tracer.focus import everything, focus
from tracer.model import Row, Step, Trace
from tracer.scenarios import samples_dir
from tracer.strace.parser import parse_file


def load(lang: str, role: str) -> Trace:
    events, problems = parse_file(DATA / "tcp_echo" / f"{lang}-{role}.strace")
    return Trace(lang, role, tuple(events), tuple(problems), exit_code=0)


@pytest.fixture(scope="module")
def server_rows() -> list[Row]:
    return align(focus(load("go", "server")), focus(load("python", "server")))


@pytest.fixture(scope="module")
def client_rows() -> list[Row]:
    return align(focus(load("go", "client")), focus(load("python", "client")))


def row(rows: list[Row], kind: str, status: str | None = None) -> Row:
    return next(r for r in rows if r.kind == kind and (status is None or r.status == status))


def test_saved_logs_parse_without_problems() -> None:
    for lang in ("go", "python"):
        for role in ("server", "client"):
            assert load(lang, role).problems == ()


def test_focus_keeps_only_the_socket_story() -> None:
    steps = focus(load("python", "server"))
    assert [(s.kind, s.call.name) for s in steps] == [
        ("create", "socket"),
        ("bind", "bind"),
        ("listen", "listen"),
        ("inspect", "getsockname"),  # the sample asks for its port, to announce it
        ("accept", "accept4"),
        ("inspect", "getsockname"),  # CPython's socket object learns what the new fd is
        ("receive", "recvfrom"),
        ("send", "sendto"),
        ("close", "close"),
        ("close", "close"),
    ]


def test_focus_keeps_gos_somaxconn_read_beside_its_sockets() -> None:
    steps = focus(load("go", "server"))
    assert any(s.kind == "config" and "somaxconn" in s.call.args[1] for s in steps)
    assert {s.call.name for s in steps} >= {
        "socket",
        "bind",
        "listen",
        "accept4",
        "read",
        "write",
        "close",
        "epoll_ctl",
    }


def test_everything_keeps_every_syscall() -> None:
    trace = load("go", "server")
    assert len(everything(trace)) == len(trace.syscalls) > len(focus(trace))


def test_listen_shares_a_row_and_names_the_backlog(server_rows: list[Row]) -> None:
    listen = row(server_rows, "listen")
    assert listen.status == "differs"
    assert listen.differences == ("backlog: 4096 (Go) vs 128 (Python)",)


def test_accept_names_the_extra_flag(server_rows: list[Row]) -> None:
    accept = row(server_rows, "accept", "differs")
    assert "flags: SOCK_NONBLOCK only in Go" in accept.differences


def test_receive_pairs_the_calls_that_got_data(server_rows: list[Row], client_rows: list[Row]) -> None:
    for rows in (server_rows, client_rows):
        receive = [r for r in rows if r.kind == "receive" and r.go and r.python]
        assert len(receive) == 1
        assert receive[0].go and receive[0].go.call.result == "13"
        assert receive[0].python and receive[0].python.call.result == "13"
        assert "syscall: read (Go) vs recvfrom (Python)" in receive[0].differences


def test_connect_in_progress_shares_a_row_with_a_blocking_connect(client_rows: list[Row]) -> None:
    connect = row(client_rows, "connect")
    assert connect.go and connect.go.call.errno == "EINPROGRESS"
    assert connect.python and connect.python.call.errno is None
    assert "result: -1 EINPROGRESS (Go) vs 0 (Python)" in connect.differences


def test_go_only_steps_stand_alone(client_rows: list[Row]) -> None:
    go_only = {
        r.go.call.args[2] for r in client_rows if r.status == "go-only" and r.go and r.go.call.name == "setsockopt"
    }
    assert {"TCP_NODELAY", "SO_KEEPALIVE"} <= go_only


def test_an_added_step_moves_nothing_else() -> None:
    # GIVEN the Python server with one extra setsockopt, one Go never makes
    go, python = focus(load("go", "server")), focus(load("python", "server"))
    extra = Step(
        "configure",
        replace(python[0].call, name="setsockopt", args=("3", "SOL_SOCKET", "SO_RCVBUF", "[65536]", "4"), result="0"),
    )
    before = align(go, python)
    # WHEN it is aligned again
    after = align(go, [python[0], extra, *python[1:]])
    # THEN the extra call is one Python-only row, and every other row is as it was
    added = [r for r in after if r.python is extra]
    assert [r.status for r in added] == ["python-only"]
    assert [r for r in after if r.python is not extra] == before


def test_align_is_safe_on_empty_input() -> None:
    assert align([], []) == []
    steps = focus(load("python", "client"))
    assert [r.status for r in align(steps, [])] == ["go-only"] * len(steps)


@pytest.mark.local
def test_a_changed_sample_changes_exactly_its_row(tmp_path: Path) -> None:
    """GIVEN a copy of the samples where Python listens with backlog 5 and Go sets SO_RCVBUF
    on the accepted connection WHEN both are compared THEN those two rows change, and no other."""
    from tracer import scenarios
    from tracer.compare import compare
    from tracer.focus import steady
    from tracer.runtime.local import LocalRuntime

    def rows(samples: Path | None) -> list[tuple[str, str, str, tuple[str, ...]]]:
        with pytest.MonkeyPatch.context() as patch:
            if samples is not None:
                patch.setenv("TRACER_SAMPLES_DIR", str(samples))
            comparison = compare(scenarios.get("tcp-echo"), LocalRuntime.check(), lambda _: None)
        found = []
        for role in comparison.roles:
            go, python = steady(focus(role.go)), steady(focus(role.python))
            for row in align(go, python):
                side = row.go or row.python
                assert side is not None
                found.append((role.role, row.status, key(side), row.differences))
        return found

    copy = tmp_path / "go_samples"
    shutil.copytree(samples_dir(), copy)
    py_server = copy / "tcp_echo" / "server" / "main.py"
    py_server.write_text(py_server.read_text().replace("srv.listen()", "srv.listen(5)"))
    go_server = copy / "tcp_echo" / "server" / "main.go"
    go_server.write_text(
        go_server.read_text().replace(
            "\tbuf := make([]byte, 1024)",
            "\tconn.(*net.TCPConn).SetReadBuffer(1 << 16)\n\tbuf := make([]byte, 1024)",
        )
    )
    before, after = rows(None), rows(copy)
    removed = [r for r in before if r not in after]
    added = [r for r in after if r not in before]
    assert removed == [("server", "differs", "listen", ("backlog: 4096 (Go) vs 128 (Python)",))]
    assert added == [
        ("server", "differs", "listen", ("backlog: 4096 (Go) vs 5 (Python)",)),
        ("server", "go-only", "configure SOL_SOCKET SO_RCVBUF", ()),
    ]
