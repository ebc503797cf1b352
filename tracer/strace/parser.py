"""Streaming parser of strace 5.x/6.x text logs into ``tracer.model`` events.

Contract:

* ``parse_lines`` reads the log's lines (line ends optional) and yields ``Syscall``,
  ``Signal``, ``Exit`` and ``Attach`` in log order, plus a ``Problem`` for every
  line it cannot read. It never raises on any input and keeps only a small
  window of the log (at most ``_MAX_HELD`` events). Lines over ``MAX_LINE``
  (1 MiB) that are not whole syscall lines are problems. ``StraceLog`` is the same stream with what is known only
  at the end: the line count, the ``-c``/``-C`` summary tables, whether the log
  was cut mid-line. ``open_log`` opens a path (``.gz`` too) as lines.
* Line prefixes understood: ``-f`` pids (``1234  ``), ``[pid 1234] ``, none, each
  with ``-Y``'s command name (``1234<curl>``, kept as ``comm``); ``-t``/``-tt``
  clock times (stored as seconds since midnight), ``-ttt`` epoch seconds (µs or
  ns), ``-r`` relative seconds; ``-n`` syscall numbers and ``-i`` instruction
  pointers (``[  41] [00007f..]``) are skipped. ``-T`` durations (µs or ns)
  become ``duration``; ``<unavailable>`` leaves it None. A line without a pid
  gets pid 0, except that strace -f writing to stderr drops the prefix whenever
  one traced process is left: such lines get that process's pid once it has
  been seen.
* ``result`` holds the return value only (``"3"``, ``"-1"``, ``"?"``, ``"0x7f.."``);
  the ``-y`` decoration of a returned fd goes to ``result_desc``, notes such as
  ``flags O_RDWR`` or ``Timeout`` to ``result_note``, and ``(INJECTED)`` /
  ``(DELAYED)`` to ``injected``.
* ``args`` is kept as the raw text and split into top-level arguments on first
  read (``Syscall.args`` does it), and ``tracer.strace.args.arg_tree`` builds the
  full tree of one argument on demand: the hot loop never splits.
* A call split into ``<unfinished ...>``/``<... resumed>`` halves (matched per pid)
  is merged into one ``Syscall`` yielded at the position of its resumed half, with
  the time and line number of its first half. A resumed half that is itself left
  unfinished keeps merging. A call still open when its process exits is yielded
  just before that ``Exit`` and one still open at the end of the log (or cut by
  ``<detached ...>``) is yielded at the end, both with ``unfinished=True`` and
  result ``"?"``.
* ``-k`` frames (`` > ...`` lines) and hex dumps (`` | 00000 ...`` and
  `` * N bytes in buffer K`` lines of ``-e read=``/``-e write=``) attach to the
  call or signal printed just before them. strace prints the stack of a call
  that never returns (``exit_group``, ``exit``, shown as ``= ?``) only after the
  process's ``+++ exited`` line, possibly after other pids' lines; such frames
  go to that pid's ``= ?`` call, which is held back (with everything after it,
  to keep log order) until its exit is seen. Frames with no call before them
  are dropped.
* A thread's ``execve`` (``+++ superseded by execve in pid N +++``) is merged and
  reported under the leader pid it resumes with, as strace prints it.
* strace's own ``Process N attached/detached`` notes become ``Attach`` events and
  ``runs in N bit mode`` notes are skipped; a note that cut a call line in two
  (strace writing to stderr) is taken out and the two halves are joined again.
* The ``-c``/``-C`` summary table (and its ``System call usage summary for ...``
  title) is read into ``Summary`` tables, never reported as problems.
* A last line without its line end that cannot be read is reported as the log
  cut mid-line (reason ``TRUNCATED``).
"""

from __future__ import annotations

import collections
import gzip
import io
import itertools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import MISSING, fields
from typing import IO, Any, TypeAlias, cast

from tracer.model import Attach, Event, Exit, Problem, Signal, Summary, Syscall
from tracer.strace import regex

__all__ = [
    "MAX_LINE",
    "TRUNCATED",
    "StraceLog",
    "open_log",
    "parse_file",
    "parse_lines",
    "split_args",
]

# Longer lines are reported, not parsed, unless they read as a whole call line:
# even strace -s 262144 with every byte escaped stays under this, and it bounds
# what a bad line costs (a cut line or a note is kept until the next line).
MAX_LINE = 1 << 20
# How many events may wait behind a "= ?" call whose exit frames are not in yet.
_MAX_HELD = 2048
_PROBLEM_TEXT = 200
TRUNCATED = "the log ends in the middle of this line (cut short)"

# An -y/-yy decoration: <...> holding [..] groups (which may nest once and contain
# "->") and one nested <...> (``/dev/null<char 1:3>``).
_DECO = r"<(?:[^<>\[\]]|\[(?:[^\[\]]|\[[^\[\]]*\])*\]|<[^<>]*>)*+>"
# The regexes are written for speed on the hot path: possessive quantifiers and
# atomic groups wherever no backtracking is needed (each optional group that
# could backtrack costs as much as a dozen plain characters in Python's engine).
_PID = r"(?:\[pid +(?P<bpid>\d++)(?:<(?P<bcomm>[^>\n]*+)>)?+\] |(?P<pid>\d++)(?:<(?P<comm>[^>\n]*+)>)?+ ++)?+"
_TIME = r"(?: *+(?P<time>\d++(?::\d\d:\d\d)?+(?:\.\d++)?+) ++)?+"
_SKIPPED = r"(?:\[[ 0-9a-fx?]++\] ++)*+"  # -n syscall number, -i instruction pointer
_RESULT = (
    r"(?P<ret>\?|-?+(?:0x[0-9a-fA-F]++|\d++))(?P<desc>" + _DECO + r")?+"
    r"(?: (?P<errno>E[A-Z0-9_]++|E\?\?\?) \((?P<errmsg>[^)]*+)\))?+"
    r"(?: \((?P<note>.*)\))?+"
    r"(?: <(?P<dur>\d++(?:\.\d++)?+|unavailable)>)?+"
)
# Every syscall line in one match: the first half of a call (ends in
# "<unfinished ...>"), a complete call, or a resumed second half. ``args`` is
# greedy, so the result is read after the *last* ") = ": strings in the
# arguments may hold ") = " but the result never does.
_LINE = regex.compile(
    _PID + _TIME + _SKIPPED + r"(?>(?:<\.\.\. (?P<rname>[\w?]++) resumed>(?P<cut> <unfinished \.\.\.>(?=\)))?+ ?+"
    r"|(?P<name>[A-Za-z_?][\w?]*+)\())"
    r"(?P<args>.*)(?:(?P<unf> <(?:unfinished|detached) \.\.\.>)|\) *+= " + _RESULT + r")[ \t\r\n]*+",
    re.S,
)
_PREFIX = regex.compile(_PID + _TIME + _SKIPPED)
_SIGNAL = regex.compile(r"--- (?:stopped by )?(?P<sig>SIG\w+|\S+)(?: (?P<info>.*?))? ---\s*")
_EXIT = regex.compile(
    r"\+\+\+ (?:exited with (?P<status>-?\d+)"
    r"|killed by (?P<sig>\S+?)(?: \(core dumped\))?"
    r"|superseded by execve in pid (?P<old>\d+)) \+\+\+\s*"
)
_NOTE = regex.compile(
    r"(?:strace: )?(?:Process (?P<pid>\d+) (?P<action>attached|detached|suspended|resumed)\b.*"
    r"|\[ Process PID=\d+ runs in .* mode\. \])"
)
_SUMMARY_HEADER = regex.compile(r" *(?:(?:% time|seconds|usecs/call|calls|errors|syscall|longest|shortest) *)+")
_SUMMARY_TITLE = regex.compile(r"System call usage summary for .*:\s*")
_DASHES = regex.compile(r"-+(?: -+)+ *")
_MARKS = ("INJECTED", "DELAYED")
_CALL = regex.compile(r"[A-Za-z_?][\w?]*\(")
_WORD = regex.compile(r"% time|\S+")

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
_ALL_ARGS = regex.compile(rf"{_ARG}(?:,{_ARG})*+", re.S)
_EACH_ARG = regex.compile(rf"(?:^|,)({_ARG})", re.S)
_ARG_TOKEN = regex.compile(
    r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)'
    r"|/\*(?:[^*]|\*(?!/))*+(?:\*/|\Z)"
    r"|(?<=\w)" + _DECO + r"|(?P<open>[\[{(])|(?P<close>[\]})])|(?P<comma>,)",
    re.S,
)
_NEEDS_SCAN = regex.compile(r'["\[{(<]|/\*')


def split_args(text: str) -> tuple[str, ...]:
    """Split strace's argument text at its top-level commas; each part stripped."""
    text = text.strip()
    if not text:
        return ()
    if _NEEDS_SCAN.search(text) is None:
        return tuple([part.strip() for part in text.split(",")])
    # The one-regex split needs possessive quantifiers: without them (old
    # Pythons, see regex.py) its nested groups can backtrack for minutes.
    if regex.POSSESSIVE_WORKS and _ALL_ARGS.fullmatch(text) is not None:
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


# Syscalls are made by setting their __dict__ to a dict display: a frozen
# dataclass's __init__ costs more than the rest of a line's parse. A field left
# out of the dict reads as its default, which the dataclass keeps as a class
# attribute (``_EXTRA`` fills those that have a default_factory instead), so
# the object is the one __init__ would make (a test checks it), except that
# ``args`` may be the raw text (see ``Syscall.args``).
_EXTRA: dict[str, Any] = {f.name: f.default_factory() for f in fields(Syscall) if f.default_factory is not MISSING}
_new = object.__new__
_set_dict = object.__setattr__


def _make(values: dict[str, Any]) -> Syscall:
    # (StraceLog.__iter__ inlines this for the commonest line.)
    call: Syscall = _new(Syscall)
    if _EXTRA:
        values.update(_EXTRA)
    _set_dict(call, "__dict__", values)
    return call


def _comm(text: str | None) -> str | None:
    """A ``-Y`` command name as the process set it: strace escapes it under ``-x``/``-xx``."""
    if text is None or "\\" not in text:
        return text
    from tracer.strace.decode import unquote

    name = unquote(f'"{text}"')
    return text if name is None else name


def _seconds(text: str) -> float:
    if ":" not in text:
        return float(text)
    hours, minutes, seconds = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


# The first half of a call printed with "<unfinished ...>": a list (cheap to make
# and to extend) of name, args text, time, line, comm, frames, dump.
_Open: TypeAlias = list[Any]


def _abandoned(pid: int, start: _Open) -> Syscall:
    """A call whose second half never came: result "?", ``unfinished``."""
    name, args, time, line_no, comm, frames, dump = start
    return _make(
        {
            "pid": pid,
            "name": name,
            "args": args.rstrip().removesuffix(","),
            "result": "?",
            "result_desc": None,
            "result_note": None,
            "errno": None,
            "errmsg": None,
            "duration": None,
            "time": time,
            "frames": frames,
            "line_no": line_no,
            "unfinished": True,
            "origin": None,
            "comm": _comm(comm),
            "injected": None,
            "dump": dump,
        }
    )


class StraceLog:
    """A strace log read as a stream: iterate it for its events and problems, in log order.

    After the iteration: ``lines`` (how many were read), ``summaries`` (the
    ``-c``/``-C`` tables), ``truncated`` (the last line was cut mid-line).
    Iterate once; a second iteration yields nothing.
    """

    def __init__(self, lines: Iterable[str]) -> None:
        self._source: Iterable[str] | None = lines
        self.lines = 0
        self.summaries: list[Summary] = []
        self.truncated = False
        self.queue: collections.deque[Event | Problem] = collections.deque()
        self.open_calls: dict[int, _Open] = {}
        # "= ?" calls by pid, waiting for the frames strace prints after the exit,
        # and the ids of those still held in the queue.
        self.held: dict[int, Syscall] = {}
        self.held_ids: set[int] = set()
        # Where the next frame and dump lines go: the last call or signal (kept in
        # the queue until they are done) or an open first half.
        self.sink: Syscall | Signal | _Open | None = None
        self.frames: list[str] = []
        self.dump: list[str] = []
        self.pending = False  # frames or dump lines wait in the lists above
        # Pids seen in prefixes and not exited: strace -f writing to stderr drops
        # the prefix whenever only one traced process is left.
        self.alive: set[int] = set()
        # The first half of a line that a strace note cut in two, and its line.
        self.carry: tuple[int, str] | None = None
        # The -c table being read: its header line number and text, column spans, rows.
        self.table: tuple[int, str, list[tuple[int, int]], list[tuple[str, ...]]] | None = None
        self.header: tuple[int, str] | None = None

    def __iter__(self) -> Iterator[Event | Problem]:
        source, self._source = self._source, None
        if source is None:
            return
        match = _LINE.fullmatch
        queue = self.queue
        held = self.held
        held_ids = self.held_ids
        alive = self.alive
        open_calls = self.open_calls
        call_line = self.call_line
        feed = self.feed
        extra = _EXTRA
        # A source with line ends (a file) whose last line has none was cut
        # there: such a line's problem waits for the end, to be named so.
        lines = iter(source)
        first = next(lines, None)
        line_ends = first is not None and first.endswith("\n")
        if first is not None:
            lines = itertools.chain((first,), lines)
        line_no = 0
        raw = ""
        # Whether the inlined paths must leave the line to call_line: frames or
        # dumps wait for their call, or a call waits for its exit frames.
        slow = False
        lines_only = True  # no cut line, -c table or table header open: lines may take the fast path
        for line_no, raw in enumerate(lines, 1):
            m = match(raw) if lines_only else None
            if m is not None:
                groups = m.groups()
                # groups: bpid, bcomm, pid, comm, time, rname, cut, name, args, unf, ret,
                # desc, errno, errmsg, note, dur. The three commonest lines are inlined
                # here (a method call costs as much as the rest): a whole call, a first
                # half, a second half, each with an -f pid, no result note, and no
                # frames, dumps or held calls waiting. ``call_line`` does it in general.
                # Nothing inlined can raise: the regex vouches for every conversion.
                pid_text = groups[2]
                if pid_text is not None and groups[14] is None and not slow:
                    pid = int(pid_text)
                    stamp = groups[4]
                    rname = groups[5]
                    unf = groups[9]
                    if rname is None:
                        time = (float(stamp) if ":" not in stamp else _seconds(stamp)) if stamp else None
                        if unf is None:
                            name = groups[7]
                            args = groups[8]
                            first_line = line_no
                            comm = groups[3]
                            frames: tuple[str, ...] = ()
                            dump: tuple[str, ...] = ()
                            alive.add(pid)
                        elif pid not in open_calls and unf.endswith("unfinished ...>"):
                            alive.add(pid)
                            self.sink = open_calls[pid] = [groups[7], groups[8], time, line_no, groups[3], (), ()]
                            while queue:
                                yield queue.popleft()
                            continue
                        else:
                            m = None
                    else:
                        start = open_calls.pop(pid, None)
                        if start is not None and start[0] == rname and unf is None:
                            name, args, time, first_line, comm, frames, dump = start
                            args += groups[8]
                            comm = groups[3] or comm
                        else:
                            if start is not None:
                                open_calls[pid] = start
                            m = None
                    if m is not None:
                        desc = groups[11]
                        dur = groups[15]
                        ret = groups[10]
                        values = {
                            "pid": pid,
                            "name": name,
                            "args": args,
                            "result": ret,
                            "time": time,
                            "duration": float(dur) if dur and dur[0] != "u" else None,
                            "line_no": first_line,
                        }
                        if groups[12] is not None:
                            values["errno"] = groups[12]
                            values["errmsg"] = groups[13]
                        if desc is not None:
                            values["result_desc"] = desc[1:-1]
                        if comm is not None:
                            values["comm"] = comm if "\\" not in comm else _comm(comm)
                        if frames or dump:
                            values["frames"] = frames
                            values["dump"] = dump
                        if extra:
                            values.update(extra)
                        call = _new(Syscall)
                        _set_dict(call, "__dict__", values)
                        if ret == "?":
                            held[pid] = call
                            held_ids.add(id(call))
                            slow = True
                        while queue:
                            yield queue.popleft()
                        queue.append(call)
                        self.sink = call
                        continue
            try:
                if m is None:
                    feed(line_no, raw)
                else:
                    call_line(line_no, raw, m.groups())
            except Exception as exc:  # the contract is: never raise
                self.problem(line_no, str(raw), f"parser error: {exc!r}")
            lines_only = self.carry is None and self.header is None and self.table is None
            slow = self.pending or bool(held)
            if line_ends and not raw.endswith("\n"):
                continue  # the last line, cut: see cut() below
            # Yield what is complete: everything before the call that frames may
            # still extend, and before a call held for its exit frames.
            while queue:
                front = queue[0]
                if front is self.sink:
                    break
                if held_ids and id(front) in held_ids:
                    if len(queue) <= _MAX_HELD:
                        break
                    self.release(front)
                yield queue.popleft()
        self.lines = line_no
        try:
            self.drop_carry()
            self.end_table()
            if line_ends and not raw.endswith("\n"):
                self.cut(line_no)
        except Exception as exc:  # pragma: no cover - the contract is: never raise
            self.problem(line_no, "", f"parser error: {exc!r}")
        yield from self.end()

    def call_line(self, line_no: int, raw: str, groups: tuple[Any, ...]) -> None:
        """A syscall line (or half of one): ``groups`` are its ``_LINE`` match's."""
        (bpid, bcomm, fpid, comm, stamp, rname, _cut, name, args, unf, ret, desc, errno, errmsg, note, dur) = groups
        if self.pending:
            self.flush()
        self.sink = None
        pid_text = fpid or bpid
        if pid_text:
            pid = int(pid_text)
            self.alive.add(pid)
            comm = comm or bcomm
        else:
            alive = self.alive
            pid = next(iter(alive)) if len(alive) == 1 else 0
        time = (float(stamp) if ":" not in stamp else _seconds(stamp)) if stamp else None
        if self.held:
            self.unhold(pid)
        if rname is not None:
            open_calls = self.open_calls
            start = open_calls.pop(pid, None)
            if start is None or start[0] != rname:
                if start is not None:
                    open_calls[pid] = start
                # Before a second process appears, strace -f without -o prints
                # no pid, so the first half of a call may sit under pid 0.
                start = open_calls.get(0)
                if start is None or start[0] != rname:
                    self.problem(line_no, raw, f"{rname} resumed without its start")
                    return
                del open_calls[0]
            if unf is not None:  # a resumed half left unfinished again: keep merging
                start[1] += args
                open_calls[pid] = start
                self.sink = start
                return
            name = rname
            args = start[1] + args
            time = start[2]
            first_line = start[3]
            comm = comm or start[4]
            frames: tuple[str, ...] = start[5]
            dump: tuple[str, ...] = start[6]
        elif unf is not None:
            previous = self.open_calls.get(pid)
            if previous is not None:  # strace never does this; keep what we had
                self.queue.append(_abandoned(pid, previous))
            started = [name, args, time, line_no, comm, (), ()]
            if unf.endswith("detached ...>"):  # strace let go of it: it never returns
                self.open_calls.pop(pid, None)
                self.queue.append(_abandoned(pid, started))
            else:
                self.sink = self.open_calls[pid] = started
            return
        else:
            first_line = line_no
            frames = dump = ()
        injected = None
        if note is not None:
            note, injected = _marks(note)
        call = _make(
            {
                "pid": pid,
                "name": name,
                "args": args,
                "result": ret,
                "result_desc": desc[1:-1] if desc else None,
                "result_note": note,
                "errno": errno,
                "errmsg": errmsg,
                "duration": float(dur) if dur and dur[0] != "u" else None,
                "time": time,
                "frames": frames,
                "line_no": first_line,
                "unfinished": False,
                "origin": None,
                "comm": _comm(comm),
                "injected": injected,
                "dump": dump,
            }
        )
        self.queue.append(call)
        self.sink = call
        if ret == "?":
            self.held[pid] = call
            self.held_ids.add(id(call))

    # -- output window --------------------------------------------------------

    def release(self, item: Event | Problem) -> None:
        self.held_ids.discard(id(item))
        if isinstance(item, Syscall) and self.held.get(item.pid) is item:
            del self.held[item.pid]

    def unhold(self, pid: int) -> Syscall | None:
        call = self.held.pop(pid, None)
        if call is not None:
            self.held_ids.discard(id(call))
        return call

    def flush(self) -> None:
        """The frame and dump lines of the sink are complete: attach them."""
        sink, frames, dump = self.sink, self.frames, self.dump
        self.sink = None
        if not self.pending:
            return
        self.frames, self.dump, self.pending = [], [], False
        if type(sink) is list:  # an open first half
            sink[5] += tuple(frames)
            sink[6] += tuple(dump)
        elif isinstance(sink, Syscall):
            # Not yielded yet (the queue waits for the sink): nobody has seen it.
            sink.__dict__["frames"] = sink.frames + tuple(frames)
            sink.__dict__["dump"] = sink.dump + tuple(dump)
        elif isinstance(sink, Signal):
            sink.__dict__["frames"] = sink.frames + tuple(frames)

    def end(self) -> Iterator[Event | Problem]:
        self.flush()
        for pid, call in sorted(self.open_calls.items(), key=lambda kv: kv[1][3]):
            self.queue.append(_abandoned(pid, call))
        self.open_calls.clear()
        self.held.clear()
        self.held_ids.clear()
        while self.queue:
            yield self.queue.popleft()

    def cut(self, line_no: int) -> None:
        """The last line had no line end: if it could not be read, the log was cut there."""
        for index in range(len(self.queue) - 1, -1, -1):
            item = self.queue[index]
            if isinstance(item, Problem) and item.line_no == line_no:
                self.queue[index] = Problem(line_no, item.text, TRUNCATED)
                self.truncated = True
                return
            if item.line_no < line_no:
                return

    # -- lines off the hot path ---------------------------------------------------

    def feed(self, line_no: int, raw: str) -> None:
        text = raw.rstrip("\r\n")
        if len(text) > MAX_LINE:
            self.drop_carry()
            self.problem(line_no, text, f"line longer than {MAX_LINE} characters")
        elif text.startswith(" > "):
            self.drop_carry()
            if self.sink is not None:
                self.frames.append(text[3:].strip())
                self.pending = True
        elif text.startswith((" | ", " * ")) and self.sink is not None and self.carry is None:
            self.dump.append(text[3:].removesuffix(" |") if text[1] == "|" else text[1:].strip())
            self.pending = True
        elif self.table is not None or self.header is not None:
            self.summary_line(line_no, text)
        else:
            at = text.rfind("strace: ")
            if at >= 0 and (note := _NOTE.fullmatch(text, at)) is not None:
                if at > 0:
                    self.drop_carry()
                    self.carry = (line_no, text[:at])
                self.note(line_no, note)
            elif at == 0:
                self.drop_carry()
                self.problem(line_no, text, "strace message")
            elif text.startswith(("[ Process PID=", "Process ")) and (note := _NOTE.fullmatch(text)):
                self.note(line_no, note)
            elif self.carry is None:
                self.line(line_no, text)
            elif text.startswith("[pid "):  # a new line, not the rest of the cut one
                self.drop_carry()
                self.line(line_no, text)
            else:
                start, head = self.carry
                self.carry = None
                self.line(start, head + text)

    def note(self, line_no: int, note: re.Match[str]) -> None:
        if note.group("pid"):
            self.queue.append(Attach(int(note.group("pid")), note.group("action"), line_no=line_no))

    def drop_carry(self) -> None:
        if self.carry is not None:
            self.problem(*self.carry, "line cut by a strace message")
            self.carry = None

    def line(self, line_no: int, text: str) -> None:
        m = _LINE.fullmatch(text)
        if m is not None:  # a call line joined again from two halves
            self.call_line(line_no, text, m.groups())
            return
        self.flush()
        m = _PREFIX.match(text)
        assert m is not None  # every part of the prefix is optional
        bpid, bcomm, fpid, comm, stamp = m.groups()
        pid_text = fpid or bpid
        if pid_text:
            pid = int(pid_text)
            self.alive.add(pid)
        else:
            pid = next(iter(self.alive)) if len(self.alive) == 1 else 0
        time = _seconds(stamp) if stamp else None
        body = text[m.end() :]
        held = self.unhold(pid)

        if body.startswith("---"):
            sm = _SIGNAL.fullmatch(body)
            if sm is None:
                self.problem(line_no, text, "unreadable signal line")
            else:
                signal = Signal(pid, sm.group("sig"), sm.group("info") or "", time, line_no, comm=_comm(comm or bcomm))
                self.queue.append(signal)
                self.sink = signal
        elif body.startswith("+++"):
            self.exited(pid, time, line_no, text, body, held, _comm(comm or bcomm))
        elif body.startswith("<... "):
            self.problem(line_no, text, "unreadable resumed call")
        elif _SUMMARY_HEADER.fullmatch(text) or _SUMMARY_TITLE.fullmatch(text):
            self.summary_line(line_no, text)
        elif _CALL.match(body):
            self.problem(line_no, text, "call without a readable result")
        else:
            self.problem(line_no, text, "not a strace line")

    def exited(
        self,
        pid: int,
        time: float | None,
        line_no: int,
        text: str,
        body: str,
        held: Syscall | None,
        comm: str | None,
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
                previous = self.open_calls.get(pid)
                if previous is not None:
                    self.queue.append(_abandoned(pid, previous))
                self.open_calls[pid] = moved
                self.sink = moved
            return
        call = self.open_calls.pop(pid, None)
        if call is not None:
            self.queue.append(_abandoned(pid, call))
        self.alive.discard(pid)
        status = em.group("status")
        self.queue.append(Exit(pid, int(status) if status else None, em.group("sig"), time, line_no, comm=comm))
        if held is not None:
            self.sink = held  # the exit call's frames come now; hold it until they are in

    # -- the -c / -C table ---------------------------------------------------------

    def summary_line(self, line_no: int, text: str) -> None:
        if self.table is not None:
            if not text.strip():
                self.end_table()
            elif not _DASHES.fullmatch(text):
                _, _, spans, rows = self.table
                rows.append(_cells(text, spans))
                if text.split()[-1] == "total":
                    self.end_table()
            return
        if _SUMMARY_TITLE.fullmatch(text):
            return
        if self.header is None:
            if _SUMMARY_HEADER.fullmatch(text):
                self.header = (line_no, text)
            else:
                self.problem(line_no, text, "not a strace line")
            return
        head_line, head = self.header
        self.header = None
        if _DASHES.fullmatch(text):
            spans = [(m.start(), m.end()) for m in re.finditer(r"-+", text)]
            self.table = (head_line, head, spans, [])
            return
        self.problem(head_line, head, "not a strace line")
        self.feed(line_no, text)

    def end_table(self) -> None:
        if self.header is not None:
            self.problem(*self.header, "not a strace line")
            self.header = None
        if self.table is None:
            return
        line_no, head, spans, rows = self.table
        self.table = None
        self.summaries.append(Summary(_cells(head, spans), tuple(rows), line_no))

    def problem(self, line_no: int, text: str, reason: str) -> None:
        self.queue.append(Problem(line_no, text.rstrip("\r\n")[:_PROBLEM_TEXT], reason))


def _cells(text: str, spans: list[tuple[int, int]]) -> tuple[str, ...]:
    """The cells of a -c table line, placed in the columns its dash line drew.

    Numbers are right-aligned and the name left-aligned, a cell may be empty
    (no errors) and a long name runs past its column: each word goes to the
    column it overlaps most (the nearest when none).
    """
    cells = [""] * len(spans)
    for word in _WORD.finditer(text):
        start, end = word.span()
        best = max(
            range(len(spans)),
            key=lambda i: (min(end, spans[i][1]) - max(start, spans[i][0]), -abs(start - spans[i][0])),
        )
        cells[best] = f"{cells[best]} {word.group()}".strip()
    return tuple(cells)


def _marks(note: str) -> tuple[str | None, str | None]:
    """Split strace's ``(INJECTED)``/``(DELAYED)`` marks off the result note."""
    injected = None
    for mark in _MARKS:
        if note == mark:
            return None, mark
        if note.endswith(") (" + mark):
            note, injected = note[: -len(mark) - 3], mark
    return note, injected


def parse_lines(lines: Iterable[str]) -> Iterator[Event | Problem]:
    """Parse strace output line by line; see the module docstring for the contract."""
    return iter(StraceLog(lines))


def open_log(path: str | os.PathLike[str]) -> IO[str]:
    """A log's text, gunzipped when it is gzip, bad bytes replaced, line ends kept."""
    # One open, and a peek at the first bytes: a pipe or /dev/stdin cannot be read twice.
    raw = open(path, "rb")  # noqa: SIM115 (the wrapper returned owns it)
    zipped = raw.peek(2)[:2] == b"\x1f\x8b"
    binary = cast(IO[bytes], gzip.GzipFile(fileobj=raw) if zipped else raw)
    return io.TextIOWrapper(binary, encoding="utf-8", errors="replace", newline="\n")


def parse_file(path: str | os.PathLike[str]) -> tuple[list[Event], list[Problem]]:
    """Parse a whole log (``.gz`` read transparently); returns (events, problems)."""
    events: list[Event] = []
    problems: list[Problem] = []
    with open_log(path) as f:
        for item in parse_lines(f):
            if isinstance(item, Problem):
                problems.append(item)
            else:
                events.append(item)
    return events, problems
