"""The scenario registry: named pairs of Go and Python programs, split by role.

Contract: ``get(name)`` returns a ``Scenario`` or raises ``UsageError`` naming
the closest match. A scenario's programs live under ``go_samples/<dir>/<role>/``
as ``main.go`` and ``main.py`` side by side, so each pair reads together. The
first role is started first; when it declares ``ready``, the runner waits for a
stdout line matching that pattern (never a sleep) and passes the line's named
groups to the roles after it as ``{name}`` in their arguments. A scenario's
``observe`` (in ``tracer.stories``) turns its run into sentences.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tracer.errors import UsageError

if TYPE_CHECKING:
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


def _story(name: str) -> Callable[[Comparison], tuple[str, ...]]:
    """A ``tracer.stories`` function, imported when a run is observed (not for ``--help`` or a listing)."""

    def observe(comparison: Comparison) -> tuple[str, ...]:
        from tracer import stories

        result: tuple[str, ...] = getattr(stories, name)(comparison)
        return result

    observe.__name__ = name
    return observe


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
        Scenario(
            name="udp-echo",
            summary="A UDP socket echoes one datagram: bound, never listening, no connection to accept.",
            directory="udp_echo",
            observe=_story("observe_udp"),
            roles=(
                Role("server", ready=r"^ready (?P<addr>\S+)$"),
                Role("client", args=("{addr}",)),
            ),
        ),
        Scenario(
            name="unix-echo",
            summary="A stream socket on a file path: Go removes the file when its listener closes, Python leaves it.",
            directory="unix_echo",
            observe=_story("observe_unix"),
            roles=(
                # One path for both languages: each run is a fresh container,
                # and on the host each server clears a leftover before bind.
                Role("server", args=("/tmp/unix-echo.sock",), ready=r"^ready (?P<path>/\S+)$"),
                Role("client", args=("{path}",)),
            ),
        ),
        Scenario(
            name="connect-refused",
            summary="A client connects where nothing listens, is refused, and tries again on a new socket.",
            directory="connect_refused",
            observe=_story("observe_refused"),
            roles=(
                # Holds a bound, non-listening port: nothing can listen there
                # during the run, and the kernel refuses every connection to it.
                Role("holder", ready=r"^ready (?P<addr>\S+)$"),
                Role("client", args=("{addr}",)),
            ),
        ),
        Scenario(
            name="backlog",
            summary="A server with a backlog of 2 never accepts; 6 clients connect: which complete, which time out.",
            directory="backlog",
            observe=_story("observe_backlog"),
            # Per language, each dropped connection waits its half second
            # (about 2 s in all); the rest is room for a slow host.
            timeout=20.0,
            roles=(
                Role("server", ready=r"^ready (?P<addr>\S+)$"),
                Role("client", args=("{addr}",)),
            ),
        ),
        Scenario(
            name="http-get",
            summary="One HTTP GET: net/http against http.server and http.client (a longer trace).",
            directory="http_get",
            observe=_story("observe_http"),
            roles=(
                Role("server", ready=r"^ready (?P<addr>\S+)$"),
                Role("client", args=("{addr}",)),
            ),
        ),
        Scenario(
            name="dns-lookup",
            summary="Resolve localhost with no network: Go's own resolver against the C library's getaddrinfo.",
            directory="dns_lookup",
            observe=_story("observe_dns"),
            roles=(Role("resolver"),),
        ),
    )
}

DEFAULT = "tcp-echo"


def closest(name: str) -> str | None:
    close = difflib.get_close_matches(name, SCENARIOS, n=1)
    return close[0] if close else None


def get(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        close = closest(name)
        hint = f" Did you mean '{close}'?" if close else ""
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
