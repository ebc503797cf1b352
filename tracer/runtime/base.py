"""What every runtime shares: the run plan, the strace flags and reading results back.

Contract: a runtime turns a ``Scenario`` into one ``Trace`` per (language, role),
in scenario order. It builds a plan for ``driver.py`` (the same script runs in
the container and on the host, so both runtimes give the same output), runs
it, and hands the output directory to ``collect``. A program that was killed
at the timeout still yields its partial trace, marked ``timed_out``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from tracer.model import Exit, Trace
from tracer.scenarios import LANGS, Scenario

# -f: follow the runtime's threads; -ttt -T: when and how long; -yy: what each
# fd is (socket addresses included); -s: enough of each buffer to read it.
STRACE = ("strace", "-f", "-ttt", "-T", "-yy", "-s", "256")
DRIVER = Path(__file__).with_name("driver.py")
PYBOOT = Path(__file__).with_name("pyboot.py")

Report = Callable[[str], None]


class Runtime(Protocol):
    name: str
    why: str

    def run(self, scenario: Scenario, report: Report, langs: tuple[str, ...] = LANGS) -> list[Trace]: ...


# What each language adds: Go's own symbol table makes strace's -k stacks
# readable (the link stage takes the API and line from them); Python is linked
# through the markers its bootstrap writes, so -k would only add cost.
LANG_FLAGS: dict[str, list[str]] = {"go": ["-k"], "python": []}


def plan(
    scenario: Scenario,
    argv: Callable[[str, str], list[str]],
    out: str,
    strace: tuple[str, ...] = STRACE,
    addr2line: str | None = None,
    langs: tuple[str, ...] = LANGS,
) -> dict[str, Any]:
    """The driver's plan: one session per language, its roles in start order."""
    return {
        "strace": list(strace),
        "timeout": scenario.timeout,
        "out": out,
        "addr2line": addr2line,
        "sessions": [
            {
                "name": lang,
                "programs": [
                    {
                        "role": role.name,
                        "argv": [*argv(lang, role.name), *role.args],
                        "ready": role.ready,
                        "strace_flags": LANG_FLAGS[lang],
                        "symbolize": lang == "go",
                    }
                    for role in scenario.roles
                ],
            }
            for lang in langs
        ],
    }


def write_plan(directory: Path, content: dict[str, Any]) -> Path:
    path = directory / "plan.json"
    path.write_text(json.dumps(content, indent=1))
    return path


def collect(
    scenario: Scenario, out: Path, source_dir: Callable[[str, str], str], langs: tuple[str, ...] = LANGS
) -> list[Trace]:
    """Parse and link each program's log in ``out``; a missing result.json means the run was cut.

    ``source_dir(lang, role)`` is where the program's sources were in the run,
    so that file:line is given relative to it.
    """
    from tracer.link import link_go, link_python
    from tracer.strace.parser import parse_file

    try:
        results: dict[str, Any] = json.loads((out / "result.json").read_text())
        cut = False
    except (OSError, ValueError):
        results, cut = {}, True
    traces = []
    for lang in langs:
        for role in scenario.roles:
            key = f"{lang}-{role.name}"
            log = out / f"{key}.strace"
            events, problems = parse_file(log) if log.exists() else ([], [])
            result = results.get(key, {})
            trace = Trace(
                label=lang,
                role=role.name,
                events=tuple(events),
                problems=tuple(problems),
                exit_code=result.get("exit_code", _exit_status(events)),
                timed_out=bool(result.get("timed_out", cut)),
                stdout=result.get("stdout", ""),
                stderr=result.get("stderr", ""),
                tcp_counters=result.get("tcp_counters", {}),
            )
            if lang == "go":
                trace = link_go(trace, _lines(out / f"{key}.lines.json"), source_dir(lang, role.name))
            else:
                trace = link_python(trace)
            traces.append(trace)
    return traces


def _lines(path: Path) -> dict[str, str]:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _exit_status(events: list[Any]) -> int | None:
    """The traced program's own exit status: strace's last ``+++ exited`` line (threads end first)."""
    exits = [event for event in events if isinstance(event, Exit)]
    return exits[-1].status if exits else None


def writable_dir(path: Path) -> Path:
    """Let the container's unprivileged user write its logs into a host directory."""
    os.chmod(path, 0o777)
    return path
