"""The command line itself: every command documents itself with an example, and
`tracer --help` loads nothing it does not need."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import run_tracer
from tracer.cli import app

COMMANDS = {command.name or command.callback.__name__: command.callback for command in app.registered_commands}  # type: ignore[union-attr]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_docstring_with_an_example(name: str) -> None:
    doc = COMMANDS[name].__doc__ or ""
    assert doc.strip(), f"tracer {name} has no help text"
    assert f"tracer {name}" in doc and "Example" in doc, f"tracer {name}'s help shows no example"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_answers_help(name: str) -> None:
    done = run_tracer(name, "--help")
    assert done.returncode == 0, done.stderr
    usage = next(line for line in done.stdout.splitlines() if "Usage:" in line)
    assert f" {name} [OPTIONS]" in usage


def test_help_loads_neither_docker_nor_the_parser() -> None:
    # Each of these costs tens of milliseconds that --help does not need (Rich's
    # markdown is what typer's Rich help would load; pydantic is what typer 0.29 would).
    heavy = ["docker", "requests", "yaml", "tracer.strace.parser", "tracer.runtime.docker", "tracer.align"]
    heavy += ["rich.markdown", "pydantic"]
    code = (
        "import sys, tracer.cli\n"
        "sys.argv = ['tracer', 'compare', '--help']\n"
        "try:\n    tracer.cli.app()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {heavy} if m in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage: tracer compare" in done.stdout
    assert done.stderr.strip() == "[]"


def test_python_dash_m_runs_the_same_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "tracer", "scenarios"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("tcp-echo ")
