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
FORMATS = ("table", "json", "yaml", "markdown")  # kept in step with tracer.render.FORMATS by a test
EXPORT_FORMATS = ("yaml", "json")  # the data file of an export; the Markdown page is always written

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


def _emit(comparison: Comparison, format: str, normalised: bool = False) -> None:
    """Print ``comparison``: the live table as it is; a document (json, yaml, markdown)
    of the normalised comparison, so that it is the same bytes as ``tracer export`` writes."""
    from rich.console import Console

    if format != "table":
        from tracer.document import normalise
        from tracer.render import text_renderer

        sys.stdout.write(text_renderer(format)(comparison if normalised else normalise(comparison)))
        return
    from tracer.render.table import render

    render(comparison, Console(highlight=False))


@app.command()
def show(
    file: Annotated[str, typer.Argument(help="A file written by `tracer export` (YAML or JSON), or - for stdin.")],
    format: FormatOpt = "table",
) -> None:
    """Render a saved export exactly as the live `tracer compare` shows it (or in another --format).

    Example: tracer show traces/tcp-echo.yaml
    """
    with _errors():
        _check_choice(format, FORMATS, "format")
        from tracer.document import load, read

        comparison = load(sys.stdin.read(), "stdin") if file == "-" else read(file)
        _emit(comparison, format, normalised=True)


@app.command()
def export(
    scenario: Annotated[
        str | None, typer.Argument(help="The scenario to export (default: tcp-echo); see `tracer scenarios`.")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Export every scenario.")] = False,
    directory: Annotated[str, typer.Option("--dir", "-d", help="Where the files go (it must exist).")] = "traces",
    runtime: RuntimeOpt = "auto",
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"The data file's format: {', '.join(EXPORT_FORMATS)}.")
    ] = "yaml",
) -> None:
    """Run scenarios and write, per scenario, DIR/<scenario>.yaml (or .json) and DIR/<scenario>.md.

    The files are normalised (ports, pointers, inodes and times replaced by
    stable stand-ins), so exporting twice gives the same bytes unless behaviour
    changed. Each file is replaced atomically.

    Example: tracer export --all --dir traces/
    """
    with _errors():
        _check_choice(runtime, RUNTIMES, "runtime")
        _check_choice(format, EXPORT_FORMATS, "format")
        from pathlib import Path

        from tracer import scenarios
        from tracer.export import check_directory
        from tracer.export import export as run_export
        from tracer.runtime import select

        if every and scenario is not None:
            raise UsageError(f"Give a scenario ({scenario}) or --all, not both.")
        names = list(scenarios.SCENARIOS) if every else [scenarios.get(scenario or scenarios.DEFAULT).name]
        check_directory(Path(directory))  # before anything runs: a bad --dir costs no run
        with _progress() as report:
            engine = select(runtime)
            report(f"runtime: {engine.name} ({engine.why})")
            written = run_export(names, engine, Path(directory), format, report)
        for path in written:
            typer.echo(str(path))


LANG_CHOICES = ("go", "python")
TRACE_FORMATS = ("table", "json")


@app.command()
def trace(
    scenario: Annotated[str, typer.Argument(help="The scenario whose program to trace (see `tracer scenarios`).")],
    lang: Annotated[str, typer.Option("--lang", "-l", help="Which program: go or python.")] = "go",
    role: Annotated[str | None, typer.Option("--role", help="Only this role (server, client...).")] = None,
    runtime: RuntimeOpt = "auto",
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"Output format: {', '.join(TRACE_FORMATS)}.")
    ] = "table",
    all: AllOpt = False,
) -> None:
    """Trace one language's programs of a scenario: each call with the API and line that made it.

    Example: tracer trace tcp-echo --lang python --role server
    """
    with _errors():
        _check_choice(runtime, RUNTIMES, "runtime")
        _check_choice(lang, LANG_CHOICES, "language")
        _check_choice(format, TRACE_FORMATS, "format")
        from tracer import scenarios
        from tracer.focus import everything, focus
        from tracer.runtime import select
        from tracer.runtime.base import scenario_run

        chosen = scenarios.get(scenario)
        if role is not None:
            _check_choice(role, tuple(r.name for r in chosen.roles), "role")
        with _progress() as report:
            engine = select(runtime)
            report(f"runtime: {engine.name} ({engine.why})")
            traces = engine.run(scenario_run(chosen, (lang,)), report)
        shown = [(t, (everything if all else focus)(t)) for t in traces if role is None or t.role == role]
        if format == "json":
            from tracer.render.json import render_traces as traces_json

            sys.stdout.write(traces_json(chosen.name, engine.name, shown))
            return
        from rich.console import Console

        from tracer.render.table import render_traces

        render_traces(f"tracer trace {chosen.name} --lang {lang}  ·  runtime: {engine.name}", shown, Console())


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
