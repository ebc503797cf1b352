"""Turn what a user names on the command line into a ``Run``: a scenario, their own
program (a Go main package or a .py file), or any command.

Contract: each function returns a ``Run`` for the runtime, or raises
``UsageError`` with one sentence (a path that does not exist, a directory with
no main package, a name that is neither a scenario nor a path). Nothing here
runs anything.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tracer import scenarios
from tracer.errors import UsageError
from tracer.runtime.base import Program, Run, scenario_run
from tracer.runtime.gobuild import go_target

DEFAULT_TIMEOUT = 20.0


def kind_of(path: Path) -> str:
    """``python`` for a .py file, ``go`` for a .go file or a directory (checked when it is built)."""
    if path.suffix == ".py":
        if not path.is_file():
            raise UsageError(f"No such file: {path}.")
        return "python"
    go_target(path)  # a missing path or one with no main package says so now, before any run
    return "go"


def safe_label(text: str) -> str:
    """A name usable in file names (logs are written as <label>-<role>.strace)."""
    return re.sub(r"[^A-Za-z0-9_.]+", "_", text).strip("_") or "program"


def user_program(
    path: Path, role: str, args: tuple[str, ...] = (), ready: str | None = None, label: str = ""
) -> Program:
    kind = kind_of(path)
    name = label or safe_label(path.resolve().name)
    return Program(name, role, kind, source=path, args=args, ready=ready)


def trace_run(
    target: str | None,
    args: list[str],
    lang: str,
    client: str | None = None,
    ready: str | None = None,
    timeout: float | None = None,
) -> Run:
    """What ``tracer trace`` runs.

    target None: ``args`` is a command to run as it is (``tracer trace -- CMD``).
    target a scenario: that scenario's programs in one language.
    target a path: the user's program with ``args``; with ``client``, a server
    driven by that client command, started once the server listens (or prints
    a line matching ``ready``).
    """
    if target is None:
        if not args:
            raise UsageError("Name a scenario, a program (a Go package or a .py file), or a command after `--`.")
        script = _python_script(args)
        if script is not None:  # run it through the bootstrap, so its calls are linked to its lines
            program = user_program(Path(args[script]), "main", tuple(args[script + 1 :]))
        else:
            program = Program(safe_label(Path(args[0]).name), "main", "command", command=tuple(args))
        return Run(" ".join(args), ((program,),), timeout or DEFAULT_TIMEOUT)
    path = Path(target)
    if target in scenarios.SCENARIOS and not path.exists():
        run = scenario_run(scenarios.get(target), (lang,))
        return Run(run.name, run.sessions, timeout or run.timeout)
    if not path.exists():
        close = scenarios.closest(target)
        hint = f" Did you mean the scenario '{close}'?" if close else ""
        raise UsageError(f"'{target}' is neither a scenario (see `tracer scenarios`) nor a file or directory.{hint}")
    if client is None:
        return Run(target, ((user_program(path, "main", tuple(args)),),), timeout or DEFAULT_TIMEOUT)
    if ready is not None:
        try:
            re.compile(ready)
        except re.error as exc:
            raise UsageError(f"--ready {ready!r} is not a regular expression ({exc}).") from None
    client_argv = shlex.split(client)
    if not client_argv:
        raise UsageError("--client needs a command, e.g. --client 'curl -s http://127.0.0.1:8080/'.")
    server = user_program(path, "server", tuple(args), ready=ready or "listen")
    driver = Program(safe_label(Path(client_argv[0]).name), "client", "command", command=tuple(client_argv))
    return Run(target, ((server, driver),), timeout or DEFAULT_TIMEOUT)


def _python_script(argv: list[str]) -> int | None:
    """1 for ``python3 script.py ...`` (run through the bootstrap, with the runtime's own
    python3), None for any other command, a python with options or another version
    included: those run as they are."""
    if len(argv) < 2 or Path(argv[0]).name not in ("python", "python3"):
        return None
    return 1 if argv[1].endswith(".py") and Path(argv[1]).is_file() else None


def compare_run(first: str, second: str, timeout: float | None = None) -> Run:
    """Two of the user's programs, each run on its own; Go goes on the left when one of them is Go."""
    a, b = Path(first), Path(second)
    for path in (a, b):
        if not path.exists():
            raise UsageError(f"No such file or directory: {path}.")
    left, right = user_program(a, "main"), user_program(b, "main")
    if left.kind == right.kind:
        # The table, the differences and the notes speak of a Go side and a Python side.
        raise UsageError(f"tracer compare A B lines a Go program up with a Python one; both are {left.kind}.")
    if left.kind != "go":
        left, right = right, left
    # The two sides are then simply "go" and "python", as in the scenarios.
    left = Program(left.kind, left.role, left.kind, source=left.source)
    right = Program(right.kind, right.role, right.kind, source=right.source)
    return Run(f"{first} vs {second}", ((left,), (right,)), timeout or DEFAULT_TIMEOUT)
