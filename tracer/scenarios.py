"""The scenario registry: named pairs of Go and Python programs, split by role.

Contract: ``get(name)`` returns a ``Scenario`` or raises ``UsageError`` naming
the closest match. A scenario's programs live under ``go_samples/<dir>/<role>/``
as ``main.go`` and ``main.py`` side by side, so each pair reads together. The
first role is started first; when it declares ``ready``, the runner waits for a
stdout line matching that pattern (never a sleep) and passes the line's named
groups to the roles after it as ``{name}`` in their arguments.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tracer.errors import UsageError
from tracer.model import Comparison

LANGS = ("go", "python")
SOURCE_FILE = {"go": "main.go", "python": "main.py"}


@dataclass(frozen=True)
class Role:
    """One program of a scenario.

    name:  ``server`` or ``client``.
    args:  arguments, with ``{group}`` filled from an earlier role's ready line.
    ready: a regular expression the role prints on stdout once it can be used.
    """

    name: str
    args: tuple[str, ...] = ()
    ready: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A named pair of programs.

    observe: optional; computes, from the finished comparison, sentences that
             state what this run showed (counts, errnos, kernel counters).
    """

    name: str
    summary: str
    directory: str
    roles: tuple[Role, ...]
    timeout: float = 20.0
    observe: Callable[[Comparison], tuple[str, ...]] | None = None

    def source(self, role: str, lang: str) -> Path:
        return samples_dir() / self.directory / role / SOURCE_FILE[lang]


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            name="tcp-echo",
            summary="A TCP server accepts one client and echoes its message back.",
            directory="tcp_echo",
            roles=(
                Role("server", ready=r"^ready (?P<addr>\S+)$"),
                Role("client", args=("{addr}",)),
            ),
        ),
    )
}

DEFAULT = "tcp-echo"


def get(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        close = difflib.get_close_matches(name, SCENARIOS, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        known = ", ".join(SCENARIOS)
        raise UsageError(f"Unknown scenario '{name}' (known: {known}).{hint}") from None


def samples_dir() -> Path:
    """go_samples/: $TRACER_SAMPLES_DIR (a copy being edited), the installed package's, or the checkout's."""
    override = os.environ.get("TRACER_SAMPLES_DIR")
    if override:
        if not (Path(override) / "go.mod").is_file():
            raise UsageError(f"TRACER_SAMPLES_DIR={override} holds no go.mod; point it at a copy of go_samples/.")
        return Path(override).resolve()
    here = Path(__file__).resolve().parent
    for candidate in (here / "go_samples", here.parent / "go_samples"):
        if (candidate / "go.mod").is_file():
            return candidate
    raise UsageError("The Go samples are missing from this installation (no go_samples/go.mod).")
