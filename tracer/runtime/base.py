"""What every runtime shares: what to run, the driver's plan, and reading results back.

Contract: a runtime turns a ``Run`` (sessions of ``Program``s) into one
``Trace`` per program, in order. Each runtime says where a program is in its
world (``Placed``: the argv, the working directory, where its sources are);
``plan`` turns that into the plan of ``driver.py`` (the same script runs in
the container and on the host, so both runtimes give the same output), and
``collect`` parses and links what the driver wrote. A program killed at the
timeout still yields its partial trace, marked ``timed_out``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tracer.errors import BuildError
from tracer.scenarios import LANGS, Scenario

if TYPE_CHECKING:
    from tracer.model import Trace

# -f: follow the runtime's threads; -ttt -T: when and how long; -yy: what each
# fd is (socket addresses included); -s: enough of each buffer to read it.
STRACE = ("strace", "-f", "-ttt", "-T", "-yy", "-s", "256")
DRIVER = Path(__file__).with_name("driver.py")
PYBOOT = Path(__file__).with_name("pyboot.py")

Report = Callable[[str], None]
# strace's notices that are not errors (without seccomp, it traces everything
# and filters as it writes: slower, the same log).
STRACE_NOTICE = re.compile(
    r"strace: (Process \d+ (attached|detached|suspended|resumed)|seccomp filter is requested but unavailable)"
)

# What each kind of program adds to strace's flags: Go's own symbol table
# makes -k stacks readable (the link stage takes the API and line from them);
# Python is linked through its bootstrap's markers, so -k would only add cost;
# any other command gets -k in case it is a Go binary.
KIND_FLAGS: dict[str, list[str]] = {"go": ["-k"], "python": [], "command": ["-k"]}


@dataclass(frozen=True)
class Program:
    """One program to trace.

    label:   what the reader calls it: ``go``, ``python``, or the file's name.
    role:    ``server``, ``client``, or ``main``.
    kind:    ``go`` (a main package), ``python`` (a .py file) or ``command``.
    sample:  for a scenario's program, its directory under go_samples/
             (``tcp_echo/server``): the image holds its Go binary prebuilt.
    source:  for a user's program, the Go package directory or file, or the
             .py file, on this machine.
    command: for ``command``, the argv to run as it is.
    args:    arguments; ``{name}`` is filled from an earlier program's ready line.
    ready:   a regular expression its stdout prints once it can be used, or
             ``listen``: ready once it has a listening socket.
    """

    label: str
    role: str
    kind: str
    sample: str | None = None
    source: Path | None = None
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    ready: str | None = None

    @property
    def key(self) -> str:
        return f"{self.label}-{self.role}"


@dataclass(frozen=True)
class Run:
    """Sessions run one after the other; a session's programs run together, in start order.

    everything: record every syscall (``--all``), not only those the focused view shows.
    """

    name: str
    sessions: tuple[tuple[Program, ...], ...]
    timeout: float
    everything: bool = False


@dataclass(frozen=True)
class Placed:
    """A program as a runtime will start it: argv, working directory, where its sources are."""

    argv: tuple[str, ...]
    source_dir: str | None = None
    cwd: str | None = None


class Runtime(Protocol):
    name: str
    why: str
    environment: dict[str, str]  # what the last run ran on (kernel, go, python, strace, traced, docker, image)

    def run(self, run: Run, report: Report, meanwhile: Callable[[], None] | None = None) -> list[Trace]:
        """Run every program; ``meanwhile`` is called while they run (work that can overlap them)."""
        ...


def check_python(path: Path) -> None:
    """Compile a Python program before running it, so a syntax error is one sentence, not a failed run."""
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"line {exc.lineno}" if exc.lineno else "somewhere"
        raise BuildError(f"{path} does not compile: {exc.msg} ({where}).") from None
    except (OSError, ValueError) as exc:
        raise BuildError(f"{path} cannot be read as Python: {exc}.") from None


def scenario_run(scenario: Scenario, langs: tuple[str, ...] = LANGS) -> Run:
    """A scenario as a run: one session per language, its roles in start order."""
    return Run(
        scenario.name,
        tuple(
            tuple(
                Program(
                    lang, role.name, lang, sample=f"{scenario.directory}/{role.name}", args=role.args, ready=role.ready
                )
                for role in scenario.roles
            )
            for lang in langs
        ),
        scenario.timeout,
    )


# --seccomp-bpf is new in strace 5.3; the image has 6.1, a host may be older.
MIN_STRACE = (5, 3)


def strace_too_old(said: str) -> str | None:
    """Why the strace whose ``strace -V`` said this cannot do (it predates --seccomp-bpf), or None."""
    found = re.search(r"version (\d+)\.(\d+)", said)
    if found is None or (int(found.group(1)), int(found.group(2))) >= MIN_STRACE:
        return None
    wanted = ".".join(map(str, MIN_STRACE))
    return f"strace {found.group(1)}.{found.group(2)} is too old: tracer needs {wanted} or later (for --seccomp-bpf)"


def strace_filter(everything: bool) -> list[str]:
    """strace's flags that record only what the focused view can show, or none for every syscall.

    Each name has strace's ``?`` prefix: a syscall this strace does not know
    (epoll_pwait2 is younger than some) is skipped rather than an error.
    """
    if everything:
        return []
    from tracer.focus import TRACED

    return ["--seccomp-bpf", "-e", "trace=" + ",".join(f"?{name}" for name in sorted(TRACED))]


def traced(everything: bool) -> str:
    """What strace recorded, in words, for the environment a comparison reports."""
    return "every syscall" if everything else "socket-related syscalls only (--all records every one)"


def plan(
    run: Run,
    placed: dict[str, Placed],
    out: str,
    strace: tuple[str, ...] = STRACE,
    addr2line: str | None = None,
    go: str | None = None,
) -> dict[str, Any]:
    """The driver's plan (see driver.py for its contract)."""
    return {
        "go": go,
        "strace": [*strace, *strace_filter(run.everything)],
        "timeout": run.timeout,
        "out": out,
        "addr2line": addr2line,
        "sessions": [
            {
                "programs": [
                    {
                        "key": program.key,
                        "argv": [*placed[program.key].argv, *program.args],
                        "cwd": placed[program.key].cwd,
                        "ready": program.ready,
                        "strace_flags": KIND_FLAGS[program.kind],
                        "symbolize": program.kind in ("go", "command"),
                    }
                    for program in session
                ],
            }
            for session in run.sessions
        ],
    }


def write_plan(directory: Path, content: dict[str, Any]) -> Path:
    path = directory / "plan.json"
    path.write_text(json.dumps(content, indent=1))
    return path


def read_environment(out: Path, run: Run) -> dict[str, str]:
    """What the driver found the programs ran on (kernel, python, strace, go) and what was traced."""
    try:
        found = json.loads((out / "result.json").read_text()).get("_environment", {})
    except (OSError, ValueError, AttributeError):
        found = {}  # a cut run
    said = {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
    return {**said, "traced": traced(run.everything)}


def collect(run: Run, out: Path, placed: dict[str, Placed]) -> list[Trace]:
    """Parse and link each program's log in ``out``; a missing result.json means the run was cut."""
    from tracer.link import is_go, link_go, link_python
    from tracer.model import Problem, Trace, program_exit
    from tracer.strace.parser import parse_file

    try:
        results: dict[str, Any] = json.loads((out / "result.json").read_text())
        cut = False
    except (OSError, ValueError):
        results, cut = {}, True
    traces = []
    for session in run.sessions:
        for program in session:
            log = out / f"{program.key}.strace"
            events, problems = parse_file(log) if log.exists() else ([], [])
            result = results.get(program.key, {})
            timed_out = bool(result.get("timed_out", cut))
            reported = result.get("exit_code")
            exit_code = reported if timed_out else program_exit(events, reported)
            for field, why in (("error", "the program could not be started"), ("symbolize_error", "no file:line")):
                if result.get(field):
                    problems.append(Problem(0, str(result[field]), why))
            said = [m for m in result.get("strace_messages") or [] if not STRACE_NOTICE.match(m)]
            if said:
                problems.append(Problem(0, said[-1], "strace reported an error of its own; the log may end early"))
            trace = Trace(
                label=program.label,
                role=program.role,
                events=tuple(events),
                problems=tuple(problems),
                exit_code=exit_code,
                timed_out=timed_out,
                stdout=result.get("stdout", ""),
                stderr=result.get("stderr", ""),
                tcp_counters=result.get("tcp_counters", {}),
            )
            if program.kind == "python":
                trace = link_python(trace)
            elif program.kind == "go" or is_go(trace):
                lines = _lines(out / f"{program.key}.lines.json")
                trace = link_go(trace, lines, placed[program.key].source_dir)
            traces.append(trace)
    return traces


def _lines(path: Path) -> dict[str, str]:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def writable_dir(path: Path) -> Path:
    """Let the container's unprivileged user write its logs into a host directory."""
    os.chmod(path, 0o777)
    return path
