"""Read a strace log a user hands over (``tracer parse LOG``) into a linked ``Trace``.

Contract: ``read_log(path)`` parses any strace log, plain or gzip, streaming, and
returns a ``ReadLog``: the ``Trace`` (every event; problems kept with their line
numbers), how many lines were read, the ``-c``/``-C`` summary tables, whether
the log was cut mid-line. It raises ``InputError`` (one sentence) when the file
cannot be read or is not a strace log at all: empty, or nothing but unreadable
lines. ``link_found(trace)`` links what the log carries the means for, and
nothing else: Go ``-k`` stacks (no line table: API calls, no file:line) and
tracer's Python bootstrap markers. ``problem_report`` words the problems.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from tracer.errors import InputError
from tracer.model import Problem, Summary, Syscall, Trace, program_exit
from tracer.strace.parser import TRUNCATED, StraceLog, open_log

__all__ = ["SHOWN_PROBLEMS", "ReadLog", "link_found", "problem_report", "read_log"]

SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class ReadLog:
    """A parsed log: its trace, line count, -c tables, and whether it was cut mid-line."""

    trace: Trace
    lines: int
    summaries: tuple[Summary, ...] = field(default=())
    truncated: bool = False

    @property
    def unfinished(self) -> int:
        """Calls the log never showed the end of (strace stopped or was cut while they ran)."""
        return sum(1 for call in self.trace.syscalls if call.unfinished)


def read_log(path: str | os.PathLike[str]) -> ReadLog:
    name = str(path)
    file = Path(path)
    if not file.exists():
        raise InputError(f"{name}: no such file.")
    if file.is_dir():
        raise InputError(f"{name} is a directory, not a strace log.")
    events = []
    problems: list[Problem] = []
    try:
        with open_log(file) as lines:
            log = StraceLog(lines)
            for item in log:
                if isinstance(item, Problem):
                    problems.append(item)
                else:
                    events.append(item)
    except (OSError, EOFError, zlib.error) as exc:  # unreadable, or a broken gzip stream
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        raise InputError(f"{name} cannot be read: {reason}.") from None
    if log.lines == 0:
        raise InputError(f"{name} is empty: there is no strace output in it.")
    if not events and not log.summaries:
        first = problems[0] if problems else None
        where = f" (line {first.line_no}: {first.text[:60]!r})" if first else ""
        raise InputError(f"{name} is not a strace log: none of its {log.lines} line(s) reads as strace output{where}.")
    trace = Trace(
        label=file.name,
        role="main",
        events=tuple(events),
        problems=tuple(problems),
        exit_code=program_exit(events, None),
    )
    return ReadLog(link_found(trace), log.lines, tuple(log.summaries), log.truncated)


def link_found(trace: Trace) -> Trace:
    """Link with the means the log carries: Go stacks, Python bootstrap markers; else leave it."""
    from tracer.link import link_go, link_python
    from tracer.runtime.pyboot import BEGIN_PREFIX

    calls = trace.syscalls
    if any(_is_go_frame(frame) for call in calls for frame in call.frames[-3:]):
        trace = link_go(trace, {})
    if any(_is_marker(call, BEGIN_PREFIX) for call in calls):
        trace = link_python(trace)
    return trace


def _is_go_frame(frame: str) -> bool:
    return "(runtime.goexit" in frame or "(runtime.main+" in frame or "(runtime.mstart" in frame


def _is_marker(call: Syscall, prefix: str) -> bool:
    return call.name == "write" and len(call.args) > 1 and call.args[0] == "-1" and prefix in call.args[1]


def problem_report(read: ReadLog, shown: int = SHOWN_PROBLEMS) -> list[str]:
    """Sentences on what could not be read: the count, then the first few with their line numbers."""
    lines: list[str] = []
    problems = read.trace.problems
    if problems:
        lines.append(f"{len(problems)} of {read.lines} line(s) could not be read:")
        for problem in problems[:shown]:
            lines.append(f"  line {problem.line_no}: {problem.reason}: {problem.text[:80]}")
        if len(problems) > shown:
            lines.append(f"  … and {len(problems) - shown} more")
    cut = [p for p in problems if p.reason == TRUNCATED]
    if cut:
        lines.append(f"The log ends in the middle of line {cut[0].line_no}: it was cut short there.")
    if read.unfinished:
        lines.append(f"{read.unfinished} call(s) never finished in the log (shown with result ?).")
    return lines
