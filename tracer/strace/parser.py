"""Streaming parser of strace 5.x/6.x text logs into ``tracer.model`` events.

Contract:

* ``parse_lines`` reads the log's lines (line ends optional) and yields ``Syscall``,
  ``Signal`` and ``Exit`` in log order, plus a ``Problem`` for every line it cannot
  read. It never raises on any input and keeps only a small window of the log
  (at most ``_MAX_HELD`` events). Lines over ``MAX_LINE`` (1 MiB) are problems.
* Line prefixes understood: ``-f`` pids (``1234  ``), ``[pid 1234] ``, none;
  ``-t``/``-tt`` clock times (stored as seconds since midnight), ``-ttt`` epoch
  seconds (µs or ns), ``-r`` relative seconds; ``-i``/``-n`` bracketed fields are
  skipped. ``-T`` durations become ``duration``. A line without a pid gets pid 0,
  except that strace -f writing to stderr drops the prefix whenever one traced
  process is left: such lines get that process's pid once it has been seen.
* ``result`` holds the return value only (``"3"``, ``"-1"``, ``"?"``, ``"0x7f.."``):
  the ``-y`` decoration of a returned fd and notes such as ``(flags O_RDWR)`` or
  ``(Timeout)`` are dropped, because the model has no field for them.
* A call split into ``<unfinished ...>``/``<... resumed>`` halves (matched per pid)
  is merged into one ``Syscall`` yielded at the position of its resumed half, with
  the time and line number of its first half. A call still open when its process
  exits is yielded just before that ``Exit`` and one still open at the end of the
  log is yielded at the end, both with ``unfinished=True`` and result ``"?"``.
* ``-k`` frames (`` > ...`` lines) attach to the call printed just before them.
  strace prints the stack of a call that never returns (``exit_group``, ``exit``,
  shown as ``= ?``) only after the process's ``+++ exited`` line, possibly after
  other pids' lines; such frames go to that pid's ``= ?`` call, which is held back
  (with everything after it, to keep log order) until its exit is seen. Frames
  after a signal, or with no call before them, are dropped: the model has no place
  for them.
* A thread's ``execve`` (``+++ superseded by execve in pid N +++``) is merged and
  reported under the leader pid it resumes with, as strace prints it.
* strace's own ``Process N attached/detached`` and ``runs in N bit mode`` notes
  are skipped; one that cut a call line in two (strace writing to stderr) is
  removed and the two halves are joined again.
"""

from __future__ import annotations

import collections
import gzip
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from tracer.model import Event, Exit, Problem, Signal, Syscall

__all__ = ["parse_file", "parse_lines", "split_args"]

# Longer lines are reported, not parsed: even strace -s 262144 with every byte
# escaped stays under this, and it bounds the memory one bad line can take.
MAX_LINE = 1 << 20
# How many events may wait behind a "= ?" call whose exit frames are not in yet.
_MAX_HELD = 2048
_PROBLEM_TEXT = 200

_PREFIX = re.compile(
    r"(?:\[pid +(?P<bpid>\d+)\] |(?P<pid>\d+) +)?"
    r"(?: *(?:(?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d(?:\.\d+)?)|(?P<secs>\d+\.\d+)) +)?"
    r"(?:\[ *[0-9a-fx]+\] +)*"
)
_CALL = re.compile(r"(?P<name>[A-Za-z_?][\w?]*)\(")
_RESUMED = re.compile(r"<\.\.\. (?P<name>[\w?]+) resumed> ?")
# An -y/-yy decoration: <...> holding [..] groups (which may nest once and contain
# "->") and one nested <...> (``/dev/null<char 1:3>``).
_DECO = r"<(?:[^<>\[\]]|\[(?:[^\[\]]|\[[^\[\]]*\])*\]|<[^<>]*>)*+>"
_RESULT = re.compile(
    r"(?P<ret>\?|-?(?:0x[0-9a-fA-F]+|\d+))(?P<desc>" + _DECO + r")?"
    r"(?: (?P<errno>E[A-Z0-9_]+) \((?P<errmsg>[^)]*)\))?"
    r"(?: \((?P<note>.*)\))?"
    r"(?: <(?P<dur>\d+(?:\.\d+)?)>)?\s*"
)
_SIGNAL = re.compile(r"--- (?:stopped by )?(?P<sig>SIG\w+|\S+)(?: (?P<info>.*?))? ---\s*")
_EXIT = re.compile(
    r"\+\+\+ (?:exited with (?P<status>-?\d+)"
    r"|killed by (?P<sig>\S+?)(?: \(core dumped\))?"
    r"|superseded by execve in pid (?P<old>\d+)) \+\+\+\s*"
)
_NOTE = re.compile(
    r"(?:strace: )?(?:Process \d+ (?:attached|detached|suspended|resumed)\b.*"
    r"|\[ Process PID=\d+ runs in .* mode\. \])"
)
_UNFINISHED = " <unfinished ...>"

# Argument splitter. The fast path is one regex that knows strace's nesting up to
# _NESTING levels and runs in C; possessive quantifiers keep it linear. Text it
# cannot cover (deeper nesting, unbalanced brackets, an unterminated string)
# goes to the token loop, whose scanner also skips plain text in C.
_STRING = r'"[^"\\]*+(?:\\.[^"\\]*+)*+"'
_COMMENT = r"/\*(?:[^*]|\*(?!/))*+\*/"
_ATOM = rf'{_STRING}|{_COMMENT}|(?<=\w){_DECO}|[^"/\[\]{{}}(),<]++|[/<]'
_NESTING = 6


def _nested(levels: int) -> str:
    inner = rf"(?:{_ATOM}|,)*+"
    for _ in range(levels - 1):
        inner = rf"(?:{_ATOM}|,|[\[{{(]{inner}[\]}})])*+"
    return rf"(?:{_ATOM}|[\[{{(]{inner}[\]}})])*+"


_ARG = _nested(_NESTING)
_ALL_ARGS = re.compile(rf"{_ARG}(?:,{_ARG})*+", re.S)
_EACH_ARG = re.compile(rf"(?:^|,)({_ARG})", re.S)
_ARG_TOKEN = re.compile(
    r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)'
    r"|/\*(?:[^*]|\*(?!/))*+(?:\*/|\Z)"
    r"|(?<=\w)" + _DECO + r"|(?P<open>[\[{(])|(?P<close>[\]})])|(?P<comma>,)",
    re.S,
)
_NEEDS_SCAN = re.compile(r'["\[{(<]|/\*')


def split_args(text: str) -> tuple[str, ...]:
    """Split strace's argument text at its top-level commas; each part stripped."""
    text = text.strip()
    if not text:
        return ()
    if _NEEDS_SCAN.search(text) is None:
        return tuple([part.strip() for part in text.split(",")])
    if _ALL_ARGS.fullmatch(text) is not None:
        return tuple([part.strip() for part in _EACH_ARG.findall(text)])
    parts: list[str] = []
    depth = 0
    start = 0
    for m in _ARG_TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "comma":
            if depth == 0:
                parts.append(text[start : m.start()].strip())
                start = m.end()
        elif kind == "open":
            depth += 1
        elif kind == "close" and depth:
            depth -= 1
    parts.append(text[start:].strip())
    return tuple(parts)


class _Slot:
    """An output event waiting for frames that strace may print after it."""

    __slots__ = ("frames", "held", "item")

    def __init__(self, item: Event | Problem, held: bool = False) -> None:
        self.item = item
        self.frames: list[str] = []
        self.held = held

    def finish(self) -> Event | Problem:
        if self.frames and isinstance(self.item, Syscall):
            return replace(self.item, frames=self.item.frames + tuple(self.frames))
        return self.item


class _Open:
    """The first half of a call printed with ``<unfinished ...>``."""

    __slots__ = ("args", "frames", "line_no", "name", "time")

    def __init__(self, name: str, args: str, time: float | None, line_no: int) -> None:
        self.name = name
        self.args = args
        self.time = time
        self.line_no = line_no
        self.frames: list[str] = []

    def abandoned(self, pid: int) -> Syscall:
        return Syscall(
            pid,
            self.name,
            split_args(self.args.rstrip().removesuffix(",")),
            "?",
            time=self.time,
            frames=tuple(self.frames),
            line_no=self.line_no,
            unfinished=True,
        )


class _Parser:
    def __init__(self) -> None:
        self.queue: collections.deque[_Slot] = collections.deque()
        self.open_calls: dict[int, _Open] = {}
        # "= ?" calls by pid, waiting for the frames strace prints after the exit.
        self.held: dict[int, _Slot] = {}
        # Where the next frame lines go, and the slot they may still extend.
        self.sink: list[str] | None = None
        self.sink_slot: _Slot | None = None
        # Pids seen in prefixes and not exited: strace -f writing to stderr drops
        # the prefix whenever only one traced process is left.
        self.alive: set[int] = set()
        # The first half of a line that a strace note cut in two, and its line.
        self.carry: tuple[int, str] | None = None

    # -- output window --------------------------------------------------------

    def push(self, item: Event | Problem, held: bool = False) -> _Slot:
        slot = _Slot(item, held)
        self.queue.append(slot)
        return slot

    def ready(self) -> Iterator[Event | Problem]:
        queue = self.queue
        while queue:
            front = queue[0]
            if front is self.sink_slot:
                break
            if front.held:
                if len(queue) <= _MAX_HELD:
                    break
                self.release(front)
            yield queue.popleft().finish()

    def release(self, slot: _Slot) -> None:
        slot.held = False
        item = slot.item
        if isinstance(item, Syscall) and self.held.get(item.pid) is slot:
            del self.held[item.pid]

    def end(self) -> Iterator[Event | Problem]:
        self.sink, self.sink_slot = None, None
        for pid, call in sorted(self.open_calls.items(), key=lambda kv: kv[1].line_no):
            self.push(call.abandoned(pid))
        self.open_calls.clear()
        for slot in self.queue:
            slot.held = False
        self.held.clear()
        yield from self.ready()

    # -- one line ---------------------------------------------------------------

    def feed(self, line_no: int, raw: str) -> None:
        text = raw.rstrip("\r\n")
        if len(text) > MAX_LINE:
            self.drop_carry()
            self.problem(line_no, text, f"line longer than {MAX_LINE} characters")
        elif text.startswith(" > "):
            self.drop_carry()
            self.frame(text)
        else:
            at = text.rfind("strace: ")
            if at >= 0 and _NOTE.fullmatch(text, at):
                if at > 0:
                    self.drop_carry()
                    self.carry = (line_no, text[:at])
            elif at == 0:
                self.drop_carry()
                self.problem(line_no, text, "strace message")
            elif text.startswith("[ Process PID=") and _NOTE.fullmatch(text):
                pass
            elif self.carry is None:
                self.line(line_no, text)
            elif text.startswith("[pid "):  # a new line, not the rest of the cut one
                self.drop_carry()
                self.line(line_no, text)
            else:
                start, head = self.carry
                self.carry = None
                self.line(start, head + text)

    def drop_carry(self) -> None:
        if self.carry is not None:
            self.problem(*self.carry, "line cut by a strace message")
            self.carry = None

    def frame(self, text: str) -> None:
        if self.sink is not None:
            self.sink.append(text[3:].strip())

    def line(self, line_no: int, text: str) -> None:
        self.sink, self.sink_slot = None, None
        m = _PREFIX.match(text)
        assert m is not None  # every part of the prefix is optional
        bpid, fpid, hours, minutes, seconds, secs = m.groups()
        pid_text = fpid or bpid
        if pid_text:
            pid = int(pid_text)
            self.alive.add(pid)
        else:
            pid = next(iter(self.alive)) if len(self.alive) == 1 else 0
        if secs:
            time: float | None = float(secs)
        elif hours:
            time = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        else:
            time = None
        body = text[m.end() :]
        held = self.held.pop(pid, None)
        if held is not None:
            held.held = False

        if body.startswith("<... "):
            self.resumed(pid, time, line_no, text, body)
        elif body.startswith("---"):
            sm = _SIGNAL.fullmatch(body)
            if sm is None:
                self.problem(line_no, text, "unreadable signal line")
            else:
                self.push(Signal(pid, sm.group("sig"), sm.group("info") or "", time, line_no))
        elif body.startswith("+++"):
            self.exited(pid, time, line_no, text, body, held)
        else:
            cm = _CALL.match(body)
            if cm is None:
                self.problem(line_no, text, "not a strace line")
                return
            name, rest = cm.group("name"), body[cm.end() :]
            if rest.endswith(_UNFINISHED):
                self.begin(pid, _Open(name, rest[: -len(_UNFINISHED)], time, line_no))
            else:
                self.complete(pid, name, "", rest, time, line_no, text, ())

    def begin(self, pid: int, call: _Open) -> None:
        previous = self.open_calls.get(pid)
        if previous is not None:  # strace never does this; keep what we had
            self.push(previous.abandoned(pid))
        self.open_calls[pid] = call
        self.sink = call.frames

    def resumed(self, pid: int, time: float | None, line_no: int, text: str, body: str) -> None:
        rm = _RESUMED.match(body)
        if rm is None:
            self.problem(line_no, text, "unreadable resumed call")
            return
        name, rest = rm.group("name"), body[rm.end() :]
        call = self.open_calls.get(pid)
        if call is None or call.name != name:
            # Before a second process appears, strace -f without -o prints no
            # pid, so the first half of a call may sit under pid 0.
            call = self.open_calls.get(0)
            if call is None or call.name != name:
                self.problem(line_no, text, f"{name} resumed without its start")
                return
            del self.open_calls[0]
        else:
            del self.open_calls[pid]
        if rest.startswith("<unfinished ...>)"):  # a call cut short by the exit of its process
            rest = rest[len("<unfinished ...>") :]
        if rest.endswith(_UNFINISHED):  # not seen from strace, but keep merging
            call.args += rest[: -len(_UNFINISHED)]
            self.open_calls[pid] = call
            self.sink = call.frames
            return
        self.complete(pid, name, call.args, rest, call.time, call.line_no, text, tuple(call.frames))

    def complete(
        self,
        pid: int,
        name: str,
        head: str,
        rest: str,
        time: float | None,
        line_no: int,
        text: str,
        frames: tuple[str, ...],
    ) -> None:
        # The result follows the last " = ": results never contain one, while
        # strings in the arguments may.
        cut = rest.rfind(" = ")
        args = rest[:cut].rstrip() if cut >= 0 else ""
        rm = _RESULT.fullmatch(rest, cut + 3) if args.endswith(")") else None
        if rm is None:
            self.problem(line_no, text, "call without a readable result")
            return
        ret, desc, errno, errmsg, note, dur = rm.groups()
        call = Syscall(
            pid,
            name,
            split_args(head + args[:-1]),
            ret,
            errno=errno,
            errmsg=errmsg,
            result_desc=desc[1:-1] if desc else None,
            result_note=note,
            duration=float(dur) if dur else None,
            time=time,
            frames=frames,
            line_no=line_no,
        )
        slot = self.push(call, held=call.result == "?")
        if slot.held:
            self.held[pid] = slot
        self.sink, self.sink_slot = slot.frames, slot

    def exited(
        self,
        pid: int,
        time: float | None,
        line_no: int,
        text: str,
        body: str,
        held: _Slot | None,
    ) -> None:
        em = _EXIT.fullmatch(body)
        if em is None:
            self.problem(line_no, text, "unreadable exit line")
            return
        if em.group("old"):
            # A thread's execve took over the leader's pid (this line's); the
            # thread's open execve resumes under it and the thread's pid is gone.
            old = int(em.group("old"))
            self.alive.discard(old)
            if pid == 0 and len(self.alive) == 1:
                pid = next(iter(self.alive))
            moved = self.open_calls.pop(old, None)
            if moved is not None:
                self.begin(pid, moved)
            return
        call = self.open_calls.pop(pid, None)
        if call is not None:
            self.push(call.abandoned(pid))
        self.alive.discard(pid)
        status = em.group("status")
        self.push(Exit(pid, int(status) if status else None, em.group("sig"), time, line_no))
        if held is not None:
            self.sink, self.sink_slot = held.frames, held

    def problem(self, line_no: int, text: str, reason: str) -> None:
        self.push(Problem(line_no, text[:_PROBLEM_TEXT], reason))


def parse_lines(lines: Iterable[str]) -> Iterator[Event | Problem]:
    """Parse strace output line by line; see the module docstring for the contract."""
    parser = _Parser()
    for line_no, raw in enumerate(lines, 1):
        try:
            parser.feed(line_no, raw)
        except Exception as exc:  # the contract is: never raise
            parser.problem(line_no, str(raw), f"parser error: {exc!r}")
        yield from parser.ready()
    parser.drop_carry()
    yield from parser.end()


def parse_file(path: str | os.PathLike[str]) -> tuple[list[Event], list[Problem]]:
    """Parse a whole log (``.gz`` read transparently); returns (events, problems)."""
    events: list[Event] = []
    problems: list[Problem] = []
    with open(path, "rb") as raw:
        zipped = raw.read(2) == b"\x1f\x8b"
    with (
        gzip.open(path, "rt", encoding="utf-8", errors="replace")
        if zipped
        else open(path, encoding="utf-8", errors="replace")
    ) as f:
        for item in parse_lines(f):
            if isinstance(item, Problem):
                problems.append(item)
            else:
                events.append(item)
    return events, problems
