"""The data every stage passes on: frozen value objects, no behaviour beyond small views.

Contract: nothing here does I/O. A parsed strace log is a sequence of ``Event``
(``Syscall``, ``Signal``, ``Exit``, ``Attach``) plus the ``Problem`` list of lines that could
not be read. Later stages (link, focus, align) only ever build new objects from
these; they never mutate them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeAlias


@dataclass(frozen=True)
class Origin:
    """Where a syscall came from in the traced program.

    api:    the language API call behind it (``net.Listen``, ``socket.bind``),
            or ``runtime`` when the language runtime made it on its own.
    file:   the user's source file, relative to the program's directory, when known.
    line:   the line in ``file`` that made the call, when known.
    helper: the library function the user called that made the API call for
            them (``io.ReadFull``, ``socket.create_connection``), if any.
    frame:  for a ``runtime`` call, the runtime function that made it.
    """

    api: str
    file: str | None = None
    line: int | None = None
    helper: str | None = None
    frame: str | None = None

    @property
    def where(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True)
class Syscall:
    """One system call, merged from its ``<unfinished ...>``/``<... resumed>`` halves.

    args:      top-level arguments as strace printed them (text, decorations kept).
    result:    the return value as printed (``"3"``, ``"-1"``, ``"?"``, ``"0x7f.."``).
    result_desc: the ``-yy`` description of a returned fd (``TCP:[127.0.0.1:80->...]``).
    result_note: what strace prints after the result (``flags O_RDWR``, ``Timeout``).
    errno:     the error name (``ECONNREFUSED``) when the call failed, else None.
    errmsg:    strace's text for the error (``Connection refused``), else None.
    duration:  seconds spent in the call (``-T``), when printed.
    time:      seconds since the epoch or since start, as strace printed it (``-ttt``/``-r``).
    frames:    ``-k`` stack frames, innermost first, as printed after `` > ``.
    line_no:   the line of the log where the call started (1-based).
    unfinished: True when the log ended before the call was resumed.
    comm:      the process's command name, when strace printed it (``-Y``: ``1234<curl>``).
    injected:  strace's mark after the result when it tampered with the call
               (``INJECTED`` by ``-e inject=``, ``DELAYED`` by a delay), else None.
    dump:      the ``-x``/``-e read=``/``-e write=`` hex dump lines printed after
               the call (`` | 00000  68 65 ...``), as printed, without the `` | `` frame.

    ``args`` given by the parser may be its raw text, split into the tuple on
    first read (see ``_LazyArgs`` below): most calls of a big log are never shown.
    """

    pid: int
    name: str
    args: tuple[str, ...]
    result: str
    result_desc: str | None = None
    result_note: str | None = None
    errno: str | None = None
    errmsg: str | None = None
    duration: float | None = None
    time: float | None = None
    frames: tuple[str, ...] = ()
    line_no: int = 0
    unfinished: bool = False
    origin: Origin | None = None
    comm: str | None = None
    injected: str | None = None
    dump: tuple[str, ...] = ()

    @property
    def retval(self) -> int | None:
        """The return value as an int, or None when it is not a number (``?``, a pointer)."""
        try:
            return int(self.result, 0)
        except ValueError:
            return None

    @property
    def failed(self) -> bool:
        return self.errno is not None


class _LazyArgs:
    """``Syscall.args``: a tuple, or the raw argument text that is split on first read.

    Installed on the class after the dataclass is made, so the field stays an
    ordinary required ``tuple[str, ...]`` to every caller and to type checkers.
    The value lives in the instance ``__dict__`` under the same name; a data
    descriptor on the class is looked up first, so reads come here.
    """

    def __get__(self, obj: object, owner: type | None = None) -> tuple[str, ...]:
        if obj is None:
            raise AttributeError("args")  # no class-level default: the field stays required
        value = obj.__dict__["args"]
        if type(value) is str:
            from tracer.strace.parser import split_args

            value = obj.__dict__["args"] = split_args(value)
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: tuple[str, ...] | str) -> None:
        obj.__dict__["args"] = value


setattr(Syscall, "args", _LazyArgs())  # noqa: B010 - assigned after @dataclass on purpose


@dataclass(frozen=True)
class Signal:
    """``--- SIGCHLD {si_signo=...} ---``: a signal delivered to ``pid``.

    frames: ``-k`` stack frames strace printed after the signal line.
    comm:   the process's command name (``-Y``), when printed.
    """

    pid: int
    signal: str
    info: str = ""
    time: float | None = None
    line_no: int = 0
    frames: tuple[str, ...] = ()
    comm: str | None = None


@dataclass(frozen=True)
class Exit:
    """``+++ exited with N +++`` (status set) or ``+++ killed by SIGKILL +++`` (signal set)."""

    pid: int
    status: int | None = None
    signal: str | None = None
    time: float | None = None
    line_no: int = 0
    comm: str | None = None


@dataclass(frozen=True)
class Attach:
    """strace's own note about a process: ``Process 1234 attached`` (or detached,
    suspended, resumed), kept so a reader sees when tracing of ``pid`` began or ended."""

    pid: int
    action: str
    time: float | None = None
    line_no: int = 0


Event: TypeAlias = Syscall | Signal | Exit | Attach


@dataclass(frozen=True)
class Summary:
    """The ``-c``/``-C`` table strace prints at the end: one row per syscall.

    columns: the header's names as printed (``% time``, ``seconds``, ``calls``, ``syscall``...).
    rows:    each row's cells, one per column ("" for an empty cell), the ``total`` row last.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    line_no: int = 0

    def column(self, name: str) -> dict[str, str]:
        """``{syscall: cell}`` of one column (``calls``, ``errors``...), ``total`` included."""
        if name not in self.columns or "syscall" not in self.columns:
            return {}
        at, key = self.columns.index(name), self.columns.index("syscall")
        return {row[key]: row[at] for row in self.rows}


@dataclass(frozen=True)
class Problem:
    """A line the parser could not read; the parse went on without it."""

    line_no: int
    text: str
    reason: str


@dataclass(frozen=True)
class Trace:
    """One traced program: its events in log order and how its run ended.

    label:     ``go`` or ``python`` (or a user's program name).
    role:      ``server``, ``client``, or ``main``.
    exit_code: the program's exit status, None when it was killed or never ran.
    timed_out: True when the runtime killed it at the wall-clock timeout; the
               events then stop where the program was cut.
    tcp_counters: the kernel's TcpExt counters that changed while the
               program's session ran (``ListenOverflows``), from /proc/net/netstat.
    """

    label: str
    role: str
    events: tuple[Event, ...]
    problems: tuple[Problem, ...] = ()
    exit_code: int | None = None
    timed_out: bool = False
    stdout: str = ""
    stderr: str = ""
    tcp_counters: dict[str, int] = field(default_factory=dict)

    @cached_property  # read by every stage; the events never change
    def syscalls(self) -> tuple[Syscall, ...]:
        return tuple(e for e in self.events if isinstance(e, Syscall))


@dataclass(frozen=True)
class Step:
    """One side of an aligned row: a syscall and the kernel step it stands for."""

    kind: str
    call: Syscall


@dataclass(frozen=True)
class Note:
    """An explanation of a known difference, from ``tracer/notes.yaml``.

    id:         a stable name (``go-nonblocking``), used by exports to refer to it.
    title:      one line.
    text:       the explanation, checked against what the kernel does.
    references: the Go or CPython source file or man page it rests on.
    """

    id: str
    title: str
    text: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    """One row of a comparison.

    go / python: the step on each side, or None when only one side made it.
    differences: what differs between the two sides ("flags: SOCK_NONBLOCK only in Go").
    notes:       the notes that explain the row.
    uncovered:   the differences no note explains. A row that stands alone
                 with no note, or has an uncovered difference, is
                 *unexplained*, and is shown as such.
    """

    kind: str
    go: Step | None
    python: Step | None
    differences: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    uncovered: tuple[str, ...] = ()

    @property
    def explained(self) -> bool:
        if self.status == "same":
            return True
        return bool(self.notes) and not self.uncovered

    @property
    def status(self) -> str:
        if self.go is None:
            return "python-only"
        if self.python is None:
            return "go-only"
        return "differs" if self.differences else "same"


@dataclass(frozen=True)
class RoleComparison:
    role: str
    go: Trace
    python: Trace
    rows: tuple[Row, ...] = field(default=())


@dataclass(frozen=True)
class Comparison:
    """A scenario's run, role by role.

    environment:  what it ran on (kernel, go, python, strace, what strace
                  recorded, the Docker engine and image), as the
                  runtime measured it; empty when unknown.
    observations: what this run showed, in sentences computed from the run
                  itself by the scenario (connections that completed or timed
                  out, the kernel's overflow count); never canned text.
    """

    scenario: str
    runtime: str
    roles: tuple[RoleComparison, ...]
    environment: dict[str, str] = field(default_factory=dict)
    observations: tuple[str, ...] = ()

    @property
    def notes(self) -> list[Note]:
        """The notes the rows refer to, each once, in the order they first appear."""
        found: dict[str, Note] = {}
        for role in self.roles:
            for row in role.rows:
                for note in row.notes:
                    found.setdefault(note.id, note)
        return list(found.values())


def program_exit(events: Sequence[Event], reported: int | None) -> int | None:
    """The traced program's own exit status, read from its log.

    strace's ``+++ exited with N +++`` for the first process (its threads end
    first, with lines of their own); if strace died before it could print that
    (``strace -k`` now and then fails to unwind a thread as the process ends),
    the status the program asked ``exit_group`` for; else ``reported``, what
    the runner saw (None for a program killed by a signal).
    """
    if not events:
        return reported
    leader = events[0].pid
    for event in reversed(events):
        if isinstance(event, Exit) and event.pid == leader:
            return event.status if event.status is not None else reported
    for event in reversed(events):
        if isinstance(event, Syscall) and event.name == "exit_group" and event.args:
            try:
                return int(event.args[0], 0)
            except ValueError:
                break
    return reported
