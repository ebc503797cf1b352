"""Run a scenario's programs under strace, in order, and save their logs.

This file runs *inside* the container (and on the host for the local runtime),
so it uses the standard library only and is started as a script:

    python3 driver.py PLAN.json

Contract. The plan (JSON) holds ``strace`` (argv prefix), ``timeout`` (seconds
per session), ``out`` (a writable directory), ``addr2line`` (a Go addr2line
binary, or null), ``go`` (the Go toolchain whose version to report where the
image does not record it, or null) and ``sessions``: each holding its
``programs`` in start order, each with ``key`` (unique), ``argv``, ``cwd`` (or
null), optional extra ``strace_flags``, ``ready`` (null, ``listen``, or a
regular expression) and ``symbolize`` (true for a binary whose ``-k`` frames should
get file:line). A program with ``ready`` is waited for
until it prints a matching stdout line; the line's named groups fill ``{name}``
in later programs' argv; a program whose ``ready`` is ``listen`` is waited
for until one of its processes holds a listening socket (checked in /proc).
Each program's strace log goes to ``OUT/<key>.strace``; ``OUT/result.json``
(written atomically, last)
records per program: exit_code, signal, timed_out, ready, stdout, stderr.
For a ``symbolize`` program, ``OUT/<key>.lines.json`` maps each
frame offset strace printed for the binary (``0xe6737``) to ``func\tfile:line``.
This is done here because only here is the binary at hand (in the container).
At the deadline the traced programs are killed (SIGKILL, so strace records
the kill and keeps what it has) and the session moves on.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import json
import os
import queue
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from typing import IO, Any

PLACEHOLDER = re.compile(r"\{(\w+)\}")
KEEP_OUTPUT = 64 * 1024
KEEP_LINES = 2000  # bytes of a program's stdout/stderr kept for the report


class Program:
    def __init__(self, key: str, argv: list[str], strace: list[str], out: str, cwd: str | None = None) -> None:
        self.key = key
        self.argv = argv
        self.log = os.path.join(out, key + ".strace")
        self.lines: queue.Queue[str | None] = queue.Queue()
        # Bounded: a chatty program must not fill the container's memory.
        self.stdout: collections.deque[str] = collections.deque(maxlen=KEEP_LINES)
        self.stderr: collections.deque[str] = collections.deque(maxlen=KEEP_LINES)
        self.timed_out = False
        self.ready: bool | None = None
        self.watching = True  # until its ready line is found (or it needs none)
        self.symbolize = False
        self.proc = subprocess.Popen(
            [*strace, "-o", self.log, "--", *argv],
            cwd=cwd,
            # A server that must outlive its clients reads stdin to its end:
            # the driver closes it once every program started after it has
            # exited, so no program ever has to sleep or be killed to stop.
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            # Own process group: at the deadline we can find and kill the
            # traced program and its children without killing strace first.
            start_new_session=True,
        )
        assert self.proc.stdout and self.proc.stderr
        self._readers = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout, True), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _pump(self, stream: IO[str], sink: collections.deque[str], announce: bool) -> None:
        for line in stream:
            sink.append(line)
            if announce and self.watching:  # only the ready check reads the queue
                self.lines.put(line)
        if announce:
            self.lines.put(None)

    def wait_ready(self, pattern: re.Pattern[str], deadline: float) -> dict[str, str] | None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.timed_out = True
                return None
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:  # the program closed stdout (it exited) before it was ready
                return None
            match = pattern.search(line.rstrip("\n"))
            if match:
                return match.groupdict()

    def wait_listening(self, deadline: float) -> bool:
        """Until one of the program's processes holds a listening socket (or it exits)."""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if _listening(_group_members(self.proc.pid)):
                return True
            time.sleep(0.01)  # polls the kernel's socket tables; no guess at how long start-up takes
        self.timed_out = True
        return False

    def close_stdin(self) -> None:
        with contextlib.suppress(OSError):
            assert self.proc.stdin
            self.proc.stdin.close()

    def wait(self, deadline: float) -> None:
        if not _wait_exit(self.proc, max(deadline - time.monotonic(), 0.001)):
            self.timed_out = True
            self.kill()

    def kill(self) -> None:
        """Kill the traced processes, then strace once it has written their end."""
        if self.proc.poll() is not None:
            return
        pgid = self.proc.pid  # start_new_session made strace the group leader
        for pid in _group_members(pgid):
            if pid != self.proc.pid:
                _signal(pid, signal.SIGKILL)
        if not _wait_exit(self.proc, 3):
            _signal_group(pgid, signal.SIGKILL)
            self.proc.wait()

    def report(self) -> dict[str, Any]:
        for reader in self._readers:
            reader.join(timeout=2)
        code = self.proc.returncode
        return {
            "exit_code": code if code is not None and code >= 0 else None,
            "signal": signal.Signals(-code).name if code is not None and code < 0 else None,
            "timed_out": self.timed_out,
            "ready": self.ready,
            "stdout": "".join(self.stdout)[-KEEP_OUTPUT:],
            "stderr": "".join(line for line in self.stderr if not line.startswith("strace: "))[-KEEP_OUTPUT:],
            # strace shares the program's stderr; its own complaints (e.g. -k
            # failing to unwind a thread that ended with the process) are kept apart.
            "strace_messages": [line.rstrip("\n") for line in self.stderr if line.startswith("strace: ")],
        }


def _wait_exit(proc: subprocess.Popen[str], timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the process to end; whether it did.

    Woken by the kernel the moment it ends (a pidfd): Popen.wait(timeout)
    instead polls with sleeps that grow to 50 ms, which each run paid per program.
    """
    if proc.returncode is not None:  # already reaped: its pid may belong to another process now
        return True
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # before Linux 5.3, or already reaped
        try:
            proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    try:
        ended, _, _ = select.select([pidfd], [], [], timeout)
    finally:
        os.close(pidfd)
    if ended:
        proc.wait()
    return bool(ended)


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # Fields after the command name, which may itself hold spaces or ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid:
            members.append(int(entry))
    return members


def _listening(pids: list[int]) -> bool:
    """Whether any of these processes has a socket in LISTEN state (TCP, TCPv6 or unix)."""
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    if not inodes:
        return False
    for table, is_listening in (
        ("tcp", lambda f: f[3] == "0A"),
        ("tcp6", lambda f: f[3] == "0A"),
        ("unix", lambda f: int(f[3], 16) & 0x10000 != 0),  # __SO_ACCEPTCON: listen() was called
    ):
        try:
            with open(f"/proc/net/{table}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            inode = fields[9] if table != "unix" else fields[6] if len(fields) > 6 else ""
            if inode in inodes and is_listening(fields):
                return True
    return False


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


FRAME = re.compile(r"^ > (?P<binary>[^(]+)\(.*\) \[0x(?P<offset>[0-9a-f]+)\]$")


def load_segments(binary: str) -> list[tuple[int, int, int]]:
    """The (file offset, virtual address, size) of each PT_LOAD segment of a 64-bit ELF file."""
    with open(binary, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2:
            return []
        order = "<" if head[5] == 1 else ">"
        (phoff,) = struct.unpack_from(order + "Q", head, 0x20)
        phentsize, phnum = struct.unpack_from(order + "HH", head, 0x36)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    segments = []
    for i in range(phnum):
        kind, _, offset, vaddr, _, size = struct.unpack_from(order + "IIQQQQ", table, i * phentsize)
        if kind == 1:
            segments.append((offset, vaddr, size))
    return segments


@functools.lru_cache(maxsize=64)
def _real(path: str) -> str:
    return os.path.realpath(path)


def symbolize(log: str, binary: str, addr2line: str, out: str) -> None:
    """Resolve the binary's frames in the log to func and file:line with Go's addr2line."""
    # strace names the binary by its real path (from /proc/PID/maps); argv[0]
    # may be relative, found on PATH, or a symlink.
    binary = os.path.realpath(shutil.which(binary) or binary)
    offsets: set[int] = set()
    with open(log, errors="replace") as f:
        for line in f:
            match = FRAME.match(line.rstrip("\n")) if line.startswith(" > ") else None
            if match and _real(match.group("binary")) == binary:
                offsets.add(int(match.group("offset"), 16))
    segments = load_segments(binary)
    # strace prints file offsets; addr2line wants addresses. Frames above the
    # innermost are return addresses, one past the call: step back into it.
    wanted = {}
    for offset in sorted(offsets):
        for start, vaddr, size in segments:
            if start <= offset < start + size:
                wanted[offset] = offset - start + vaddr - 1
    if not wanted:
        return
    done = subprocess.run(
        [addr2line, binary],
        input="".join(f"{hex(a)}\n" for a in wanted.values()),
        capture_output=True,
        text=True,
        timeout=60,
    )
    answers = done.stdout.splitlines()
    lines = {
        hex(offset): f"{answers[2 * i]}\t{answers[2 * i + 1]}"
        for i, offset in enumerate(wanted)
        if 2 * i + 1 < len(answers)
    }
    with open(out + ".tmp", "w") as f:
        json.dump(lines, f)
    os.replace(out + ".tmp", out)


def tcp_counters() -> dict[str, int]:
    """The kernel's TcpExt counters of this network namespace (ListenOverflows, ...)."""
    try:
        with open("/proc/net/netstat") as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:") and values.startswith("TcpExt:"):
            return dict(zip(names.split()[1:], map(int, values.split()[1:]), strict=False))
    return {}


def run_session(session: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + float(plan["timeout"])
    counters = tcp_counters()
    values: dict[str, str] = {}
    started: list[Program] = []
    results: dict[str, Any] = {}
    try:
        for spec in session["programs"]:
            # Only {name} of a known ready group is filled: a command's own braces stay as they are.
            argv = [PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), arg) for arg in spec["argv"]]
            strace = [*plan["strace"], *spec.get("strace_flags", [])]
            try:
                program = Program(spec["key"], argv, strace, plan["out"], spec.get("cwd"))
            except OSError as exc:  # strace itself missing, or the cwd gone
                results[spec["key"]] = {"exit_code": None, "error": str(exc)}
                break
            program.symbolize = bool(spec.get("symbolize"))
            program.watching = bool(spec.get("ready")) and spec.get("ready") != "listen"
            started.append(program)
            if spec.get("ready") == "listen":
                program.ready = program.wait_listening(deadline)
                if not program.ready:
                    break
            elif spec.get("ready"):
                found = program.wait_ready(re.compile(spec["ready"]), deadline)
                program.watching = False
                program.ready = found is not None
                if found is None:
                    break  # later programs need this one; they are not started
                values.update(found)
        # The last started (the client) finishes first; the server after it.
        for program in reversed(started):
            program.close_stdin()
            program.wait(deadline)
    finally:
        for program in started:
            program.kill()
    after = tcp_counters()
    # What the kernel counted during this session (e.g. ListenOverflows when a
    # backlog was full), shared by its programs since they share the namespace.
    changed = {name: after[name] - counters.get(name, 0) for name in after if after[name] != counters.get(name, 0)}
    for program in started:
        results[program.key] = program.report()
        results[program.key]["tcp_counters"] = changed
        if program.symbolize and plan.get("addr2line") and os.path.exists(program.log):
            # In the background: the next session's programs run meanwhile.
            worker = threading.Thread(target=_symbolize, args=(program, plan, results[program.key]))
            worker.start()
            SYMBOLIZING.append(worker)
    return results


SYMBOLIZING: list[threading.Thread] = []


def _symbolize(program: Program, plan: dict[str, Any], result: dict[str, Any]) -> None:
    try:
        lines = os.path.join(plan["out"], program.key + ".lines.json")
        symbolize(program.log, program.argv[0], plan["addr2line"], lines)
    except (OSError, subprocess.SubprocessError, struct.error) as exc:
        result["symbolize_error"] = str(exc)


IMAGE_ENVIRONMENT = "/opt/tracer/environment.json"  # written when the image was built


def environment(strace: str, go: str) -> dict[str, str]:
    """What the programs ran on: the kernel, Python, strace and Go, as this machine reports them."""
    found = {"kernel": os.uname().release}
    try:
        with open(IMAGE_ENVIRONMENT) as f:  # the image: its Python, strace and Go never change
            return {**found, **{str(k): str(v) for k, v in json.load(f).items()}}
    except (OSError, ValueError, AttributeError):
        pass
    import platform

    found["python"] = platform.python_version()
    for name, argv in {"strace": [strace, "-V"], "go": [go, "version"]}.items():
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            found[name] = (done.stdout.strip().splitlines() or ["?"])[0]
        except (OSError, subprocess.SubprocessError):
            found[name] = "not found"
    # "go version go1.27.3 linux/amd64" -> "1.27.3"; "strace -- version 6.1" -> "6.1"
    found["go"] = next((w[2:] for w in found["go"].split() if w.startswith("go1")), found["go"])
    found["strace"] = (found["strace"].split() or ["?"])[-1]
    return found


def _stop_on_term(signum: int, frame: Any) -> None:
    # SIGTERM (the local runtime stopping a run) unwinds like Ctrl-C, so each
    # session's finally kills the programs, which run in sessions of their own.
    raise KeyboardInterrupt


def main(plan_path: str) -> int:
    signal.signal(signal.SIGTERM, _stop_on_term)
    with open(plan_path) as f:
        plan = json.load(f)
    results: dict[str, Any] = {"_environment": environment(plan["strace"][0], plan.get("go") or "go")}
    for session in plan["sessions"]:
        results.update(run_session(session, plan))
    for worker in SYMBOLIZING:
        worker.join()
    final = os.path.join(plan["out"], "result.json")
    with open(final + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.replace(final + ".tmp", final)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
