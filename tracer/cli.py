"""The command line: options → library call → renderer; errors → one sentence and an exit code.

Contract: this is the only place that prints errors or chooses exit codes. A
``TracerError`` becomes ``error: <sentence>`` on stderr and its ``exit_code``;
Ctrl-C exits 130. Heavy modules (the Docker SDK, the parser, Rich tables) are
imported inside the commands so that ``tracer --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from tracer.errors import TracerError, UsageError

if TYPE_CHECKING:
    from tracer.model import Comparison
    from tracer.runtime import Runtime

app = typer.Typer(
    help="Show what Go and Python network code asks of the Linux kernel, side by side.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help and usage errors: Rich's help formatting loads its markdown and
    # traceback modules, ~70 ms on every --help and every mistyped option.
    rich_markup_mode=None,
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
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", min=0.5, max=3600, help="Seconds a run may take before its programs are killed."),
]
LANG_CHOICES = ("go", "python")


def _fail(message: str, code: int) -> NoReturn:
    from rich.console import Console
    from rich.markup import escape

    # The message quotes user input (paths, log lines): never read it as markup.
    Console(stderr=True, highlight=False).print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except TracerError as exc:
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("Interrupted; the run's containers and temporary files were removed.", 130)


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """A status line for slow steps; each step also leaves a dim line on stderr."""
    from rich.console import Console
    from rich.text import Text

    console = Console(stderr=True, highlight=False)
    with console.status("starting…") as status:

        def report(message: str) -> None:
            status.update(Text(message))
            console.print(Text(f"› {message}", style="dim"), soft_wrap=True)

        yield report


@contextmanager
def _runtime(name: str) -> Iterator[tuple[Runtime, Callable[[str], None]]]:
    """The chosen runtime, said with the reason it was chosen, and the progress reporter."""
    from tracer.runtime import select

    with _progress() as report:
        engine = select(name)
        report(f"runtime: {engine.name} ({engine.why})")
        yield engine, report


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise UsageError(f"Unknown {what} '{value}' (choose from {', '.join(choices)}).")


@app.command()
def compare(
    scenario: Annotated[
        str, typer.Argument(help="The scenario to run (see `tracer scenarios`), or the first of two programs.")
    ] = "tcp-echo",
    other: Annotated[
        str | None, typer.Argument(help="A second program (Go package or .py file) to compare with the first.")
    ] = None,
    runtime: RuntimeOpt = "auto",
    format: FormatOpt = "table",
    all: AllOpt = False,
    timeout: TimeoutOpt = None,
) -> None:
    """Line up the syscalls of Go and Python programs, side by side.

    Runs a scenario's Go and Python programs (or two of yours) under strace.

    \b
    Examples:
      tracer compare tcp-echo --runtime docker
      tracer compare ./server ./server.py
    """
    with _errors():
        _check_choice(runtime, RUNTIMES, "runtime")
        _check_choice(format, FORMATS, "format")
        from tracer import scenarios
        from tracer.compare import compare as run_compare
        from tracer.compare import compare_programs

        if other is not None:
            from tracer.programs import compare_run

            run = compare_run(scenario, other, timeout)
            with _runtime(runtime) as (engine, report):
                comparison = compare_programs(run, engine, report, everything=all)
        else:
            chosen = scenarios.get(scenario)
            with _runtime(runtime) as (engine, report):
                comparison = run_compare(chosen, engine, report, everything=all, timeout=timeout)
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
    """Show a saved export as `tracer compare` shows it.

    The same table as the live run, or the export in another --format.

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
    """Run scenarios and write each one's data file and page.

    Per scenario: DIR/<scenario>.yaml (or .json) and DIR/<scenario>.md.

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

        if every and scenario is not None:
            raise UsageError(f"Give a scenario ({scenario}) or --all, not both.")
        names = list(scenarios.SCENARIOS) if every else [scenarios.get(scenario or scenarios.DEFAULT).name]
        check_directory(Path(directory))  # before anything runs: a bad --dir costs no run
        with _runtime(runtime) as (engine, report):
            written = run_export(names, engine, Path(directory), format, report)
        for path in written:
            typer.echo(str(path))


def _traces_renderer(format: str) -> Callable[..., str]:
    """The document renderer of ``tracer trace`` and ``tracer parse`` for a format, imported when asked for."""
    from importlib import import_module

    module = import_module(f"tracer.render.{format}")
    render: Callable[..., str] = module.render_traces
    return render


def _after_dashdash(target: str | None) -> bool:
    """Whether the first positional argument came after `--` (so it is a command, not a target).

    Click hands positional arguments over without saying where `--` stood.
    """
    if "--" not in sys.argv:
        return False
    return target not in sys.argv[: sys.argv.index("--")]


@app.command()
def trace(
    target: Annotated[
        str | None, typer.Argument(help="A scenario, a Go package directory or .go file, or a .py file.")
    ] = None,
    args: Annotated[list[str] | None, typer.Argument(help="After `--`: the program's arguments, or a command.")] = None,
    lang: Annotated[str, typer.Option("--lang", "-l", help="For a scenario: which program, go or python.")] = "go",
    role: Annotated[str | None, typer.Option("--role", help="Only this role (server, client...).")] = None,
    client: Annotated[
        str | None, typer.Option("--client", help="A command that drives the traced server, e.g. 'curl -s URL'.")
    ] = None,
    ready: Annotated[
        str | None, typer.Option("--ready", help="With --client: a regex the server prints when ready.")
    ] = None,
    timeout: TimeoutOpt = None,
    runtime: RuntimeOpt = "auto",
    format: FormatOpt = "table",
    all: AllOpt = False,
) -> None:
    """Trace one program: each socket call, its API and source line.

    \b
    Examples:
      tracer trace tcp-echo --lang python
      tracer trace ./cmd/server -- --port 8080
      tracer trace app.py --client 'python3 client.py'
      tracer trace -- python3 app.py
    """
    with _errors():
        _check_choice(runtime, RUNTIMES, "runtime")
        _check_choice(lang, LANG_CHOICES, "language")
        _check_choice(format, FORMATS, "format")
        from dataclasses import replace

        from tracer.focus import everything, focus
        from tracer.programs import trace_run

        rest = list(args or [])
        if target is not None and _after_dashdash(target):
            rest.insert(0, target)
            target = None
        run = replace(trace_run(target, rest, lang, client=client, ready=ready, timeout=timeout), everything=all)
        roles = {p.role for session in run.sessions for p in session}
        if role is not None:
            _check_choice(role, tuple(sorted(roles)), "role")
        with _runtime(runtime) as (engine, report):
            traces = engine.run(run, report)
        shown = [(t, (everything if all else focus)(t)) for t in traces if role is None or t.role == role]
        if format != "table":
            sys.stdout.write(_traces_renderer(format)(run.name, engine.name, shown))
            return
        from rich.console import Console

        from tracer.render.table import render_traces

        render_traces(f"tracer trace {run.name}  ·  runtime: {engine.name}", shown, Console(highlight=False))


@app.command()
def doctor() -> None:
    """Check what tracer needs here, and how to fix what is missing.

    The Docker engine, the base image, strace, ptrace and Go.

    Exits non-zero when the default runtime (auto) cannot work here.

    Example: tracer doctor
    """
    from rich.console import Console
    from rich.markup import escape

    from tracer.doctor import checks, verdict

    with _errors():
        found = checks()
        # One line per check and the fix on a line of its own, so it can be copied whole.
        console = Console(highlight=False, soft_wrap=True)
        for check in found:
            mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
            needed_by = check.runtime or "both runtimes"
            console.print(f"{mark} [bold]{check.name}[/] [dim]({needed_by})[/]: {escape(check.detail)}")
            if not check.ok and check.fix:
                console.print(f"    fix: {escape(check.fix)}")
        ok, summary = verdict(found)
        console.print(("[green]" if ok else "[red]") + summary + "[/]")
        if not ok:
            raise typer.Exit(3)


@app.command()
def parse(
    log: Annotated[str, typer.Argument(help="A strace log, plain or gzip (any flags: -f, -tt, -T, -yy, -k...).")],
    format: FormatOpt = "table",
    all: AllOpt = False,
) -> None:
    """Read any strace log and show its socket calls, annotated.

    Every call with --all.

    Lines that cannot be read are counted and the first few named, with their
    line numbers, at the end (on stderr for json and yaml).

    Example: tracer parse app.strace --all
    """
    with _errors():
        _check_choice(format, FORMATS, "format")
        from tracer.focus import everything, focus
        from tracer.strace.read import problem_report, read_log

        read = read_log(log)
        shown = [(read.trace, (everything if all else focus)(read.trace))]
        report = problem_report(read)
        if format != "table":
            sys.stdout.write(_traces_renderer(format)(log, "strace log", shown))
            for line in report:
                typer.echo(line, err=True)
            return
        from rich.console import Console

        from tracer.render.table import render_traces

        console = Console(highlight=False)
        title = f"tracer parse {log}  ·  {read.lines} lines, {len(read.trace.syscalls)} syscalls"
        if read.trace.events or not read.summaries:
            render_traces(title, shown, console)
            for summary in read.summaries:
                total = summary.column("calls").get("total", "?")
                console.print(f"  strace's -C table at the end: {total} calls of {len(summary.rows) - 1} syscalls")
        else:  # a -c log: strace's table is all there is
            from rich.table import Table

            console.print(title, markup=False)
            for summary in read.summaries:
                table = Table(*summary.columns, title="strace -c summary", title_justify="left")
                for row in summary.rows:
                    table.add_row(*row)
                console.print(table)
        for line in report:
            console.print(line, soft_wrap=True, markup=False)


@app.command("scenarios")
def list_scenarios() -> None:
    """List the scenarios, one line each.

    Example: tracer scenarios
    """
    from tracer.scenarios import SCENARIOS

    width = max(len(name) for name in SCENARIOS)
    for name, scenario in SCENARIOS.items():
        typer.echo(f"{name:<{width}}  {scenario.summary}")


def main() -> NoReturn:
    """The entry point: run the command, flush what it printed, and end the process.

    The process ends with os._exit once its output is flushed: the interpreter's
    own teardown (freeing some 500 modules) took ~35 ms of every run, a tenth of
    a warm compare's cost over the bare run of its programs. Nothing is left
    to it: files are written and closed (atomically) by the commands, the
    container and temporary directories are removed before they return, and no
    atexit handler of ours exists.
    """
    try:
        app()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write(f"{code}\n")  # what the interpreter does with sys.exit("text")
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # a closed pipe (| head) or stream: nothing more to say
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    main()
