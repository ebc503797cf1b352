"""The Python bootstrap (tracer/runtime/pyboot.py) under real strace, on real programs.

Every program is run as
``strace -f -s 256 -o LOG python tracer/runtime/pyboot.py prog.py ARGS``; the
log is read here with a deliberately small reader (pid, syscall name, argument
text, result; the marker writes decoded) so these tests do not depend on the
project's parser. A socket syscall is *linked* to the innermost begin marker
open on its pid when it starts, the way the link stage reads the stream.

Saved logs (tests/data/pyboot), recorded with exactly that command on this
bootstrap, for the link stage's tests:
  tcp_echo_server.strace / tcp_echo_client.strace   go_samples/tcp_echo/{server,client}/main.py
"""

from __future__ import annotations

import ast
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import DATA
from tracer.runtime.pyboot import END, MAX_MARKER, Marker, format_begin, parse_marker

ROOT = Path(__file__).resolve().parents[1]
PYBOOT = ROOT / "tracer" / "runtime" / "pyboot.py"
ECHO = ROOT / "go_samples" / "tcp_echo"
SAVED = DATA / "pyboot"

SOCKET_SYSCALLS = {
    "socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "sendto", "recvfrom",
    "sendmsg", "recvmsg", "setsockopt", "getsockopt", "getsockname", "getpeername", "shutdown",
}  # fmt: skip


# -- reading a log -------------------------------------------------------------------


@dataclass
class Open:
    """A begin marker on a pid's stack; ``closed`` turns True when its end arrives."""

    marker: Marker
    closed: bool = False


@dataclass
class Call:
    pid: int
    name: str
    args: str
    result: str = "?"
    stack: tuple[Open, ...] = ()  # the markers open on this pid when the call started, outermost first
    on_socket: bool = False  # close() of a socket fd

    @property
    def marker(self) -> Marker | None:
        return self.stack[-1].marker if self.stack else None

    @property
    def closed(self) -> bool:
        return bool(self.stack) and self.stack[-1].closed


@dataclass
class Log:
    main_pid: int
    calls: list[Call] = field(default_factory=list)
    markers: list[tuple[int, Marker]] = field(default_factory=list)

    def socket_calls(self, pid: int | None = None) -> list[Call]:
        return [c for c in self.calls if (c.name in SOCKET_SYSCALLS or c.on_socket) and (pid is None or c.pid == pid)]

    def begins(self, pid: int | None = None) -> list[Marker]:
        return [m for p, m in self.markers if m.kind == "begin" and (pid is None or p == pid)]


LINE = re.compile(r"^(\d+)\s+(.*)$")
START = re.compile(r"^(\w+)\((.*)$")
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")
RESULT = re.compile(r"\)\s+=\s+(\S+)")
WRITE_STRING = re.compile(r'^-1, "((?:[^"\\]|\\.)*)"')


def read_log(path: Path) -> Log:
    log: Log | None = None
    stacks: dict[int, list[Open]] = {}
    unfinished: dict[int, Call] = {}
    socket_fds: set[str] = set()

    def finish(call: Call, tail: str) -> None:
        found = RESULT.search(tail)
        call.result = found.group(1) if found else "?"
        if call.name in ("socket", "accept", "accept4") and call.result.isdigit():
            socket_fds.add(call.result)

    for text in path.read_text(errors="replace").splitlines():
        line = LINE.match(text)
        if line is None:
            continue
        pid, rest = int(line.group(1)), line.group(2)
        log = log or Log(main_pid=pid)
        resumed = RESUMED.match(rest)
        if resumed:
            if pid in unfinished:
                finish(unfinished.pop(pid), resumed.group(2))
            continue
        start = START.match(rest)
        if start is None:
            continue  # signals, exits
        name, args = start.groups()
        if name == "write" and args.startswith("-1, "):
            string = WRITE_STRING.match(args)
            assert string, f"a marker write strace cut short: {text}"
            marker = parse_marker(ast.literal_eval(f'b"{string.group(1)}"').decode("ascii"))
            if marker is not None:
                log.markers.append((pid, marker))
                stack = stacks.setdefault(pid, [])
                if marker.kind == "begin":
                    stack.append(Open(marker))
                else:
                    assert stack, f"an end marker with no begin open on pid {pid}"
                    stack.pop().closed = True
                continue
        call = Call(pid, name, args, stack=tuple(stacks.get(pid, ())))
        fd = re.match(r"\d+", args)
        if name == "close" and fd is not None and fd.group() in socket_fds:
            call.on_socket = True
            socket_fds.discard(fd.group())
        log.calls.append(call)
        if rest.endswith("<unfinished ...>"):
            unfinished[pid] = call
        else:
            finish(call, args)
    assert log is not None, f"{path} is empty"
    return log


# -- running programs ----------------------------------------------------------------


def strace_command(log: Path, program: Path | str, *args: str) -> list[str]:
    return ["strace", "-f", "-s", "256", "-o", str(log), sys.executable, str(PYBOOT), str(program), *args]


def traced(
    program: Path | str,
    *args: str,
    cwd: Path,
    log: Path,
    stdin: str = "",
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        strace_command(log, program, *args),
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def plain(program: Path | str, *args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(program), *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=60
    )


def write_program(directory: Path, source: str, name: str = "prog.py") -> Path:
    path = directory / name
    path.write_text(source)
    return path


def line_of(source: str | Path, needle: str) -> int:
    text = source.read_text() if isinstance(source, Path) else source
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"{needle!r} should be on exactly one line, found {hits}"
    return hits[0]


def assert_all_linked(log: Log, pid: int | None = None) -> None:
    """Every socket syscall sits inside a begin marker that was later closed."""
    for call in log.socket_calls(pid):
        assert call.marker is not None, f"{call.name}({call.args}) on pid {call.pid} has no marker"
        assert call.closed, f"{call.name} under {call.marker} never saw its end marker"


def assert_in_order(calls: list[Call], expected: Sequence[tuple[str, str, int | None]], file: str) -> None:
    """``expected`` (syscall, api, line) appear in this order among ``calls``, each linked to
    a begin marker with that api at that line of ``file`` (any line when it is None)."""
    seen = [(c.name, c.marker.api if c.marker else None, c.marker.line if c.marker else None) for c in calls]
    position = 0
    for name, api, line in expected:
        for i in range(position, len(calls)):
            marker = calls[i].marker
            if calls[i].name == name and marker is not None and marker.api == api and line in (None, marker.line):
                assert marker.file == file and marker.line > 0, marker
                position = i + 1
                break
        else:
            raise AssertionError(f"{(name, api, line)} not found in order in {seen}")


BASIC = """\
import socket

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen()
addr = srv.getsockname()
cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # client
cli.connect(addr)
conn, peer = srv.accept()
cli.sendall(b"ping")
data = conn.recv(16)
conn.close()
cli.close()
srv.close()
print(data.decode())
"""


def basic_expectations(source: str) -> list[tuple[str, str, int]]:
    return [
        ("socket", "socket.socket", line_of(source, "srv = socket.socket(")),
        ("setsockopt", "socket.setsockopt", line_of(source, "srv.setsockopt(")),
        ("bind", "socket.bind", line_of(source, "srv.bind(")),
        ("listen", "socket.listen", line_of(source, "srv.listen(")),
        ("getsockname", "socket.getsockname", line_of(source, "srv.getsockname(")),
        ("socket", "socket.socket", line_of(source, "# client")),
        ("connect", "socket.connect", line_of(source, "cli.connect(")),
        ("accept4", "socket.accept", line_of(source, "srv.accept(")),
        ("sendto", "socket.sendall", line_of(source, "cli.sendall(")),
        ("recvfrom", "socket.recv", line_of(source, "conn.recv(")),
        ("close", "socket.close", line_of(source, "conn.close(")),
        ("close", "socket.close", line_of(source, "cli.close(")),
        ("close", "socket.close", line_of(source, "srv.close(")),
    ]


# -- the marker format ---------------------------------------------------------------


def test_begin_marker_round_trips_through_parse() -> None:
    # GIVEN a begin marker WHEN its text is parsed THEN every field comes back
    data = format_begin("socket.connect", "client/main.py", 8, "socket.create_connection")
    assert data == b"@tracer>socket.connect|client/main.py|8|socket.create_connection"
    assert parse_marker(data.decode("ascii")) == Marker(
        "begin", "socket.connect", "client/main.py", 8, "socket.create_connection"
    )


def test_end_marker_and_non_markers() -> None:
    # GIVEN the end marker and strings that are not markers WHEN parsed THEN only the end is a marker
    assert parse_marker(END.decode("ascii")) == Marker("end", "", "", 0, "")
    for text in ("hello", "@tracer>", "@tracer>socket.bind|f.py|x|", "@tracer>|f.py|1|", "@tracer<<", "@tracer>a|b"):
        assert parse_marker(text) is None, text


def test_file_with_separator_and_long_file_stay_parseable() -> None:
    # GIVEN a file name holding the separator, and one far too long for strace -s 256
    odd = format_begin("socket.bind", "a|b.py", 3, "")
    long_name = "/very" * 100 + "/prog.py"
    cut = format_begin("socket.recv", long_name, 12, "http.client.HTTPConnection.request")
    # THEN the first parses back whole, and the second fits in MAX_MARKER with its base name kept
    assert parse_marker(odd.decode("ascii")) == Marker("begin", "socket.bind", "a|b.py", 3, "")
    assert len(cut) <= MAX_MARKER < 256
    parsed = parse_marker(cut.decode("ascii"))
    assert parsed is not None and parsed.file.startswith("...") and parsed.file.endswith("/prog.py")
    assert (parsed.api, parsed.line, parsed.helper) == ("socket.recv", 12, "http.client.HTTPConnection.request")


def test_non_ascii_file_is_escaped_to_ascii() -> None:
    data = format_begin("socket.bind", "café.py", 1, "")
    assert data.isascii() and b"caf\\xe9.py" in data


def test_importing_the_module_has_no_side_effects() -> None:
    # GIVEN a fresh interpreter WHEN the module is imported THEN no profile is set and socket is not imported
    probe = (
        "import sys, threading; import tracer.runtime.pyboot as p; "
        "print(sys.getprofile(), threading._profile_hook, 'socket' in sys.modules, p.Marker.__name__)"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "None", "False", "Marker"]


# -- markers around real syscalls ----------------------------------------------------


def test_each_socket_syscall_is_wrapped_by_its_call_and_line(tmp_path: Path) -> None:
    # GIVEN a program making the common socket calls, one per line
    program = write_program(tmp_path, BASIC)
    # WHEN it runs under strace through the bootstrap
    done = traced("prog.py", cwd=tmp_path, log=tmp_path / "log")
    # THEN it behaves as usual
    assert (done.returncode, done.stdout, done.stderr) == (0, "ping\n", "")
    log = read_log(tmp_path / "log")
    # AND every socket syscall is preceded on its pid by the begin marker of the call and line that
    # made it, and followed by that call's end marker
    assert_all_linked(log)
    assert_in_order(log.socket_calls(), basic_expectations(program.read_text()), "prog.py")
    assert {pid for pid, _ in log.markers} == {log.main_pid}


def test_accept_is_one_call_however_it_is_built(tmp_path: Path) -> None:
    # GIVEN socket.accept, which calls _accept(), builds a socket object and asks for the default timeout
    write_program(tmp_path, BASIC)
    traced("prog.py", cwd=tmp_path, log=tmp_path / "log")
    log = read_log(tmp_path / "log")
    # THEN only one marker opens for it: the next marker after its begin is its own end
    markers = [m for _, m in log.markers]
    at = next(i for i, m in enumerate(markers) if m.api == "socket.accept")
    assert markers[at + 1].kind == "end"
    # AND the apis marked are the user's calls only, nothing from the socket class's insides
    assert "socket._accept" not in {m.api for m in log.begins()}
    assert {m.helper for m in log.begins()} == {""}


def test_a_call_that_fails_still_gets_its_end_marker(tmp_path: Path) -> None:
    # GIVEN a connect to a port nobody listens on (a bound socket, never listening)
    source = """\
import socket

hold = socket.socket()
hold.bind(("127.0.0.1", 0))
cli = socket.socket()
try:
    cli.connect(hold.getsockname())
except ConnectionRefusedError:
    print("refused")
"""
    write_program(tmp_path, source)
    done = traced("prog.py", cwd=tmp_path, log=tmp_path / "log")
    assert done.stdout == "refused\n"
    # THEN the failed connect is wrapped like a successful one (the C call ended by an exception)
    log = read_log(tmp_path / "log")
    (connect,) = [c for c in log.socket_calls() if c.name == "connect"]
    assert connect.result == "-1"
    assert connect.marker == Marker("begin", "socket.connect", "prog.py", line_of(source, "cli.connect("), "")
    assert connect.closed


def test_calls_inside_create_connection_name_it_as_helper(tmp_path: Path) -> None:
    # GIVEN a program that connects with socket.create_connection
    source = """\
import socket

srv = socket.create_server(("127.0.0.1", 0))
conn = socket.create_connection(srv.getsockname())
conn.close()
srv.close()
"""
    write_program(tmp_path, source)
    done = traced("prog.py", cwd=tmp_path, log=tmp_path / "log")
    assert done.returncode == 0, done.stderr
    log = read_log(tmp_path / "log")
    assert_all_linked(log)
    line = line_of(source, "create_connection(")
    # THEN its socket() and connect() carry their own markers, at the user's line, with HELPER
    # socket.create_connection, nested inside the create_connection marker
    by_name = {c.name: c for c in log.socket_calls() if c.marker and c.marker.line == line}
    assert by_name["socket"].marker == Marker("begin", "socket.socket", "prog.py", line, "socket.create_connection")
    assert by_name["connect"].marker == Marker("begin", "socket.connect", "prog.py", line, "socket.create_connection")
    outer = by_name["connect"].stack[-2].marker
    assert outer == Marker("begin", "socket.create_connection", "prog.py", line, "")
    # AND create_server's calls likewise name create_server
    server = line_of(source, "create_server(")
    helpers = {
        (c.name, c.marker.api, c.marker.helper) for c in log.socket_calls() if c.marker and c.marker.line == server
    }
    assert {
        ("socket", "socket.socket", "socket.create_server"),
        ("bind", "socket.bind", "socket.create_server"),
        ("listen", "socket.listen", "socket.create_server"),
    } <= helpers
    # AND socket.getaddrinfo, a thin wrapper of _socket.getaddrinfo, is one marker, not two
    getaddrinfo = [m for m in log.begins() if m.api == "socket.getaddrinfo"]
    assert getaddrinfo == [Marker("begin", "socket.getaddrinfo", "prog.py", line, "socket.create_connection")]


def test_a_thread_call_is_marked_on_the_thread_pid(tmp_path: Path) -> None:
    # GIVEN a program whose second thread connects and sends
    source = """\
import socket
import threading

srv = socket.create_server(("127.0.0.1", 0))

def client(addr):
    with socket.socket() as cli:
        cli.connect(addr)
        cli.sendall(b"from a thread")

worker = threading.Thread(target=client, args=(srv.getsockname(),))
worker.start()
conn, _ = srv.accept()
print(conn.recv(64).decode())
worker.join()
conn.close()
srv.close()
"""
    write_program(tmp_path, source)
    done = traced("prog.py", cwd=tmp_path, log=tmp_path / "log")
    assert (done.returncode, done.stdout) == (0, "from a thread\n"), done.stderr
    log = read_log(tmp_path / "log")
    assert_all_linked(log)
    (connect,) = [c for c in log.socket_calls() if c.name == "connect"]
    (send,) = [c for c in log.socket_calls() if c.name == "sendto"]
    (accept,) = [c for c in log.socket_calls() if c.name == "accept4"]
    # THEN the thread's syscalls and their markers are on the thread's pid, not the main one
    assert connect.pid == send.pid != log.main_pid == accept.pid
    assert connect.marker == Marker("begin", "socket.connect", "prog.py", line_of(source, "cli.connect("), "")
    assert send.marker == Marker("begin", "socket.sendall", "prog.py", line_of(source, "cli.sendall("), "")
    thread_apis = {m.api for m in log.begins(connect.pid)}
    assert thread_apis >= {"socket.socket", "socket.connect", "socket.sendall", "socket.close"}
    # AND the with-statement's close is marked at the with line, made through socket.__exit__
    (close,) = [c for c in log.socket_calls(connect.pid) if c.name == "close"]
    with_line = line_of(source, "with socket.socket()")
    assert close.marker == Marker("begin", "socket.close", "prog.py", with_line, "socket.socket.__exit__")


def test_helper_is_the_outermost_library_function_the_user_called(tmp_path: Path) -> None:
    # GIVEN a program whose sockets are made and closed by socketserver
    source = """\
import socketserver

server = socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
server.server_close()
"""
    write_program(tmp_path, source)
    done = traced("prog.py", cwd=tmp_path, log=tmp_path / "log")
    assert done.returncode == 0, done.stderr
    log = read_log(tmp_path / "log")
    assert_all_linked(log)
    made, closed = line_of(source, "TCPServer("), line_of(source, "server_close(")
    # THEN each call is marked at the user's line, naming the socketserver method the user called
    assert_in_order(
        log.socket_calls(),
        [("socket", "socket.socket", made), ("bind", "socket.bind", made), ("listen", "socket.listen", made)],
        "prog.py",
    )
    helpers = {(c.name, c.marker.helper) for c in log.socket_calls() if c.marker}
    assert {helper for _, helper in helpers} == {
        "socketserver.TCPServer.__init__",
        "socketserver.TCPServer.server_close",
    }
    assert {
        ("socket", "socketserver.TCPServer.__init__"),
        ("bind", "socketserver.TCPServer.__init__"),
        ("listen", "socketserver.TCPServer.__init__"),
        ("close", "socketserver.TCPServer.server_close"),
    } <= helpers
    (close,) = [c for c in log.socket_calls() if c.name == "close"]
    assert close.marker == Marker("begin", "socket.close", "prog.py", closed, "socketserver.TCPServer.server_close")


def test_shifting_the_code_shifts_every_line_by_the_same_amount(tmp_path: Path) -> None:
    # GIVEN the same program twice, the second with its code moved down by N blank lines
    shift = 7
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_program(tmp_path / "a", BASIC)
    write_program(tmp_path / "b", "\n" * shift + BASIC)
    # WHEN both run
    traced("prog.py", cwd=tmp_path / "a", log=tmp_path / "a.log")
    traced("prog.py", cwd=tmp_path / "b", log=tmp_path / "b.log")
    before = read_log(tmp_path / "a.log").begins()
    after = read_log(tmp_path / "b.log").begins()
    # THEN the same calls are marked, each exactly N lines further down
    assert len(before) >= len(basic_expectations(BASIC))
    assert [(m.api, m.file, m.line + shift, m.helper) for m in before] == [
        (m.api, m.file, m.line, m.helper) for m in after
    ]


def test_the_file_is_relative_to_the_program_directory(tmp_path: Path) -> None:
    # GIVEN a program in a subdirectory that calls a socket function from a module beside it
    (tmp_path / "app" / "pkg").mkdir(parents=True)
    (tmp_path / "app" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "app" / "pkg" / "net.py").write_text("import socket\n\ndef make():\n    return socket.socket()\n")
    write_program(tmp_path / "app", "from pkg.net import make\n\nmake().close()\n", name="main.py")
    # WHEN it is started from elsewhere
    done = traced("app/main.py", cwd=tmp_path, log=tmp_path / "log")
    assert done.returncode == 0, done.stderr
    log = read_log(tmp_path / "log")
    # THEN each marker names the user's frame, relative to the program's directory
    assert [(m.api, m.file, m.line) for m in log.begins()] == [
        ("socket.socket", "pkg/net.py", 4),
        ("socket.close", "main.py", 3),
    ]


# -- behaving like python3 PROGRAM.py --------------------------------------------------


BEHAVIOUR = {
    "argv, __main__, stdin and exit code": (
        """\
import atexit, os, sys
atexit.register(lambda: print("atexit, __main__ is still the program:", sys.modules["__main__"].__file__ == __file__))
print("argv", sys.argv)
print("name", __name__, sys.modules["__main__"].__file__ == __file__, os.path.isabs(__file__))
print("file", __file__)
print("path0", sys.path[0])
print("stdin", sys.stdin.read())
print("annotations", (lambda x: x).__code__.co_flags & 0x1000000)
if __name__ == "__main__":
    sys.exit(int(sys.argv[2]))
""",
        ["two words", "3"],
    ),
    "uncaught exception": (
        """\
def inner():
    raise ValueError("boom")

def outer():
    inner()

outer()
""",
        [],
    ),
    "chained exception": (
        """\
try:
    {}["missing"]
except KeyError as error:
    raise RuntimeError("wrapped") from error
""",
        [],
    ),
    "SystemExit with a message": ('import sys\nsys.exit("bye")\n', []),
    "syntax error": ("x = (\n", []),
    "KeyboardInterrupt": ('print("before", flush=True)\nraise KeyboardInterrupt\n', []),
}


@pytest.mark.parametrize("case", list(BEHAVIOUR))
def test_the_program_behaves_as_under_plain_python(tmp_path: Path, case: str) -> None:
    # GIVEN a program
    source, args = BEHAVIOUR[case]
    write_program(tmp_path, source)
    # WHEN it runs plainly, and under strace through the bootstrap
    expected = plain("prog.py", *args, cwd=tmp_path, stdin="from stdin")
    got = traced("prog.py", *args, cwd=tmp_path, log=tmp_path / "log", stdin="from stdin")
    # THEN exit status, stdout and stderr (tracebacks included) are the same
    assert (got.returncode, got.stdout, got.stderr) == (expected.returncode, expected.stdout, expected.stderr)


def test_the_behaviour_cases_do_what_they_claim(tmp_path: Path) -> None:
    # GIVEN the cases above WHEN run through the bootstrap THEN they really exercise what they name
    results: dict[str, subprocess.CompletedProcess[str]] = {}
    for case, (source, args) in BEHAVIOUR.items():
        directory = tmp_path / str(len(results))
        directory.mkdir()
        write_program(directory, source)
        results[case] = traced("prog.py", *args, cwd=directory, log=directory / "log", stdin="in")
    first = results["argv, __main__, stdin and exit code"]
    assert first.returncode == 3
    assert "argv ['prog.py', 'two words', '3']" in first.stdout
    assert "name __main__ True True" in first.stdout and "stdin in" in first.stdout
    assert "atexit, __main__ is still the program: True" in first.stdout
    assert "annotations 0" in first.stdout  # the bootstrap's __future__ import does not leak into the program
    assert results["uncaught exception"].returncode == 1
    assert results["uncaught exception"].stderr.startswith("Traceback (most recent call last):\n  File ")
    assert "pyboot" not in results["uncaught exception"].stderr
    assert results["syntax error"].returncode == 1 and "SyntaxError" in results["syntax error"].stderr
    assert "Traceback" not in results["syntax error"].stderr
    assert results["KeyboardInterrupt"].returncode == -signal.SIGINT


def test_a_missing_program_is_reported_as_python_does(tmp_path: Path) -> None:
    expected = plain("nothere.py", cwd=tmp_path)
    got = traced("nothere.py", cwd=tmp_path, log=tmp_path / "log")
    assert (got.returncode, got.stderr) == (expected.returncode, expected.stderr) == (2, expected.stderr)


# -- the tcp-echo samples ------------------------------------------------------------


def run_echo(tmp_path: Path) -> tuple[Log, Log]:
    """Server first; its "ready ADDR" line gives the client its address."""
    server_log, client_log = tmp_path / "server.strace", tmp_path / "client.strace"
    server = subprocess.Popen(
        strace_command(server_log, ECHO / "server" / "main.py"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        ready = server.stdout.readline().split()
        assert ready[:1] == ["ready"], (ready, server.stderr.read() if server.stderr else "")
        client = traced(ECHO / "client" / "main.py", ready[1], cwd=tmp_path, log=client_log)
        assert client.returncode == 0, client.stderr
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    return read_log(server_log), read_log(client_log)


ECHO_SERVER = [  # (syscall, api, the sample's text on the calling line)
    ("socket", "socket.socket", "srv = socket.socket("),
    ("bind", "socket.bind", "srv.bind("),
    ("listen", "socket.listen", "srv.listen("),
    ("getsockname", "socket.getsockname", "srv.getsockname("),
    ("accept4", "socket.accept", "srv.accept("),
    ("recvfrom", "socket.recv", "conn.recv("),
    ("sendto", "socket.sendall", "conn.sendall("),
    ("close", "socket.close", "conn.close("),
    ("close", "socket.close", "srv.close("),
]
ECHO_CLIENT = [
    ("socket", "socket.socket", "conn = socket.socket("),
    ("connect", "socket.connect", "conn.connect("),
    ("sendto", "socket.sendall", "conn.sendall("),
    ("recvfrom", "socket.recv", "conn.recv("),
    ("close", "socket.close", "conn.close("),
]


def check_echo(server: Log, client: Log, *, check_lines: bool) -> None:
    """Each side's socket syscalls sit in the sample's calls (at the sample's lines when
    ``check_lines``: a saved log keeps the lines of the sample it was recorded from)."""
    for log, role, table in ((server, "server", ECHO_SERVER), (client, "client", ECHO_CLIENT)):
        assert_all_linked(log)
        source = ECHO / role / "main.py"
        expected = [(name, api, line_of(source, needle) if check_lines else None) for name, api, needle in table]
        assert_in_order(log.socket_calls(), expected, "main.py")


def test_tcp_echo_samples_are_marked_call_by_call(tmp_path: Path) -> None:
    # GIVEN the tcp-echo samples WHEN the server and then the client run through the bootstrap
    server, client = run_echo(tmp_path)
    # THEN each side's socket syscalls are wrapped by the sample's calls at the sample's lines
    check_echo(server, client, check_lines=True)


def test_saved_tcp_echo_logs_read_the_same_way() -> None:
    # GIVEN the saved logs of the samples (recorded by this bootstrap) THEN they link as a live run does
    if not (SAVED / "tcp_echo_server.strace").exists():
        pytest.fail("tests/data/pyboot/tcp_echo_*.strace are missing; record them with record_saved_logs()")
    check_echo(
        read_log(SAVED / "tcp_echo_server.strace"), read_log(SAVED / "tcp_echo_client.strace"), check_lines=False
    )


def record_saved_logs() -> None:  # pragma: no cover
    """Re-record tests/data/pyboot by hand: python -c "from tests.test_pyboot import *; record_saved_logs()"."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        run_echo(Path(scratch))
        SAVED.mkdir(parents=True, exist_ok=True)
        for role in ("server", "client"):
            shutil.copy(Path(scratch) / f"{role}.strace", SAVED / f"tcp_echo_{role}.strace")
