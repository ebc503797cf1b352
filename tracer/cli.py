"""The command line: options → library call → renderer; errors → one sentence and an exit code.

Contract: this is the only place that prints errors or chooses exit codes. A
``TracerError`` becomes ``error: <sentence>`` on stderr and its ``exit_code``;
Ctrl-C exits 130. Heavy modules (the Docker SDK, the parser, Rich tables) are
imported inside the commands so that ``tracer --help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from tracer.errors import TracerError, UsageError

if TYPE_CHECKING:
    from tracer.model import Comparison

app = typer.Typer(
    help="Show what Go and Python network code asks of the Linux kernel, side by side.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

RUNTIMES = ("auto", "docker", "local")
FORMATS = ("table", "json")  # kept in step with tracer.render.FORMATS by a test

RuntimeOpt = Annotated[
    str,
    typer.Option(
        "--runtime",
        "-r",
        help=f"Where programs run: {', '.join(RUNTIMES)} (auto: docker if an engine answers, else local).",
    ),
]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help=f"Output format: {', '.join(FORMATS)}.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Show every syscall, not only the sockets' life cycle.")]


def _fail(message: str, code: int) -> NoReturn:
    from rich.console import Console

    Console(stderr=True, highlight=False).print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except TracerError as exc:
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted; nothing was left behind.", 130)


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """A status line for slow steps; each step also leaves a dim line on stderr."""
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    with console.status("starting…") as status:

        def report(message: str) -> None:
            status.update(message)
            console.print(f"[dim]› {message}[/]", soft_wrap=True)

        yield report


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise UsageError(f"Unknown {what} '{value}' (choose from {', '.join(choices)}).")


@app.command()
def compare(
    scenario: Annotated[str, typer.Argument(help="The scenario to run (see `tracer scenarios`).")] = "tcp-echo",
    runtime: RuntimeOpt = "auto",
    format: FormatOpt = "table",
    all: AllOpt = False,
) -> None:
    """Run a scenario's Go and Python programs under strace and line their syscalls up.

    Example: tracer compare tcp-echo --runtime docker
    """
    with _errors():
        _check_choice(runtime, RUNTIMES, "runtime")
        _check_choice(format, FORMATS, "format")
        from tracer import scenarios
        from tracer.compare import compare as run_compare
        from tracer.runtime import select

        chosen = scenarios.get(scenario)
        with _progress() as report:
            engine = select(runtime)
            report(f"runtime: {engine.name} ({engine.why})")
            comparison = run_compare(chosen, engine, report, everything=all)
        _emit(comparison, format)


def _emit(comparison: Comparison, format: str) -> None:
    from rich.console import Console

    if format == "json":
        from tracer.render.json import render as render_json

        sys.stdout.write(render_json(comparison))
        return
    from tracer.render.table import render

    render(comparison, Console(highlight=False))


@app.command("scenarios")
def list_scenarios() -> None:
    """List the scenarios, one line each.

    Example: tracer scenarios
    """
    from tracer.scenarios import SCENARIOS

    width = max(len(name) for name in SCENARIOS)
    for name, scenario in SCENARIOS.items():
        typer.echo(f"{name:<{width}}  {scenario.summary}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
