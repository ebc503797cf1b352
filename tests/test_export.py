"""`tracer export`, `tracer show` and the document formats of `tracer compare`, for real.

GIVEN the real Docker engine and strace WHEN a scenario is exported twice THEN the
files are byte-identical; WHEN an export is shown THEN it prints the table the live
run gives once normalised; WHEN a file or an output directory is bad THEN the user
gets one sentence and a non-zero exit, never a traceback, and no file is half-written.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from tests.conftest import run_tracer
from tracer import cli, render
from tracer.document import SCHEMA, load, normalise
from tracer.render.yaml import render as render_yaml


def export(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_tracer("export", *args, "--dir", str(directory), "--runtime", "docker")
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.docker
def test_two_exports_in_a_row_are_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    done = export(first, "tcp-echo")
    assert done.stdout.split() == [str(first / "tcp-echo.yaml"), str(first / "tcp-echo.md")]
    export(second, "tcp-echo")
    for name in ("tcp-echo.yaml", "tcp-echo.md"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), f"{name} changed between two runs"
    # and a third time over the same files: replaced, still the same
    export(first, "tcp-echo")
    assert sorted(os.listdir(first)) == ["tcp-echo.md", "tcp-echo.yaml"]
    assert (first / "tcp-echo.yaml").read_bytes() == (second / "tcp-echo.yaml").read_bytes()


@pytest.mark.docker
def test_show_prints_the_table_of_the_live_run(tmp_path: Path) -> None:
    """The round trip: a live run, normalised and saved, shown by the real CLI."""
    from tracer import scenarios
    from tracer.compare import compare
    from tracer.render import table
    from tracer.runtime import select

    normal = normalise(compare(scenarios.get("tcp-echo"), select("docker"), lambda _: None))
    live = io.StringIO()
    table.render(normal, Console(file=live, width=160, highlight=False))
    saved = tmp_path / "tcp-echo.yaml"
    saved.write_text(render_yaml(normal))

    shown = run_tracer("show", str(saved))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == live.getvalue().splitlines()
    assert shown.stdout.startswith("tracer compare tcp-echo")


@pytest.mark.docker
def test_export_then_show_and_compare_give_the_same_documents(tmp_path: Path) -> None:
    export(tmp_path, "tcp-echo", "--format", "json")
    assert sorted(os.listdir(tmp_path)) == ["tcp-echo.json", "tcp-echo.md"]
    document = json.loads((tmp_path / "tcp-echo.json").read_text())
    assert document["schema"] == SCHEMA and document["scenario"] == "tcp-echo"

    as_yaml = run_tracer("show", str(tmp_path / "tcp-echo.json"), "--format", "yaml")
    assert as_yaml.returncode == 0, as_yaml.stderr
    assert yaml.safe_load(as_yaml.stdout) == document
    as_markdown = run_tracer("show", str(tmp_path / "tcp-echo.json"), "--format", "markdown")
    assert as_markdown.stdout == (tmp_path / "tcp-echo.md").read_text()

    for format in ("yaml", "json", "markdown"):
        live = run_tracer("compare", "tcp-echo", "--runtime", "docker", "--format", format)
        assert live.returncode == 0, live.stderr
        shown = run_tracer("show", str(tmp_path / "tcp-echo.json"), "--format", format)
        assert live.stdout == shown.stdout, f"compare --format {format} differs from the export"


@pytest.mark.docker
def test_export_all_writes_every_scenario(tmp_path: Path) -> None:
    from tracer.scenarios import SCENARIOS

    export(tmp_path, "--all")
    assert sorted(os.listdir(tmp_path)) == sorted(f"{name}{ext}" for name in SCENARIOS for ext in (".yaml", ".md"))
    for name in SCENARIOS:
        comparison = load((tmp_path / f"{name}.yaml").read_text(), name)
        assert comparison.scenario == name
        assert "```mermaid\nsequenceDiagram\n" in (tmp_path / f"{name}.md").read_text()


BAD_FILES = {
    "not-yaml.yaml": ("schema: [tracer/v1\n", "not-yaml.yaml is not valid YAML: "),
    "empty.yaml": ("", "empty.yaml is empty."),
    "v2.yaml": ("schema: tracer/v2\nroles: []\n", "v2.yaml is schema 'tracer/v2'; this tracer reads tracer/v1 only."),
    "shape.yaml": (
        "schema: tracer/v1\nscenario: s\nruntime: docker\nroles:\n  - role: server\n    go: {label: go, "
        "exit_code: 0, timed_out: false}\n    python: {label: python, exit_code: 0, timed_out: false}\n"
        "    rows:\n      - kind: bind\n        status: go-only\n        go: {seq: 1, kind: bind, syscall: bind, "
        "args: ['3'], result: 0}\n",
        "shape.yaml: roles[0].rows[0].go.result: expected a string, found 0.",
    ),
    "list.json": ("[1, 2]", "list.json holds a list, not a tracer document"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_is_one_sentence_and_exit_6(tmp_path: Path, name: str) -> None:
    text, message = BAD_FILES[name]
    (tmp_path / name).write_text(text)
    done = run_tracer("show", str(tmp_path / name))
    assert done.returncode == 6
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    said = done.stderr.strip()
    assert said.startswith("error: ") and message in said, said
    assert "\n" not in said and said.count("error:") == 1 and said.endswith(".")


def test_show_reads_stdin_and_says_so_when_it_is_not_a_document() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tracer", "show", "-"], input="- a\n", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 6 and "stdin holds a list" in done.stderr


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("file/sub", "is a file, not a directory."),
        ("missing", "does not exist; create it or pick another with --dir."),
        ("/sys/kernel", "Cannot write to /sys/kernel: "),  # read-only even for root: sysfs takes no new file
    ],
)
def test_an_output_directory_that_cannot_be_written_is_one_sentence(tmp_path: Path, where: str, message: str) -> None:
    (tmp_path / "file").write_text("kept\n")
    directory = where if where.startswith("/") else str(tmp_path / where)
    done = run_tracer("export", "tcp-echo", "--dir", directory, "--runtime", "docker")
    assert done.returncode == 7, done.stderr
    assert message in " ".join(done.stderr.split()) and "Traceback" not in done.stderr
    assert done.stdout == ""
    assert sorted(os.listdir(tmp_path)) == ["file"] and (tmp_path / "file").read_text() == "kept\n"
    assert "running" not in done.stderr, "the check must come before the run"


@pytest.mark.docker
def test_an_interrupted_export_leaves_whole_files(tmp_path: Path) -> None:
    """Ctrl-C at each point of an export: every file is the old one or a whole new one."""
    old = {"tcp-echo.yaml": "schema: tracer/v1 (old)\n", "tcp-echo.md": "# old\n"}
    codes = []
    for delay in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        for name, text in old.items():
            (tmp_path / name).write_text(text)
        env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "tracer", "export", "tcp-echo", "--dir", str(tmp_path), "--runtime", "docker"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert process.stderr is not None
        started = process.stderr.readline()  # the first progress line: the CLI is up and handles Ctrl-C
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=120)
        stderr = started + rest
        # 130: stopped by the CLI; -SIGINT: the signal came after the work, as Python shut down
        assert process.returncode in (0, 130, -signal.SIGINT), stderr
        codes.append(process.returncode)
        assert "Traceback" not in stderr
        assert sorted(os.listdir(tmp_path)) == sorted(old), "a temporary file was left behind"
        for name, text in old.items():
            now = (tmp_path / name).read_text()
            if now != text:  # then it is the whole new file
                assert now.endswith("\n")
                if name.endswith(".yaml"):
                    load(now, name)
                else:
                    assert now.startswith("# tcp-echo\n") and now.rstrip().endswith("```")
    assert 130 in codes, "no export was interrupted: the test proved nothing"


def test_the_format_lists_are_in_step_and_every_command_has_an_example() -> None:
    assert set(cli.FORMATS) == set(render.FORMATS)
    assert set(cli.EXPORT_FORMATS) <= set(render.DOCUMENTS)
    for command in (cli.export, cli.show):
        assert "Example: tracer" in (command.__doc__ or "")
    done = run_tracer("--help")
    assert "export" in done.stdout and "show" in done.stdout


def test_help_imports_no_yaml_or_jsonschema() -> None:
    heavy = "('yaml', 'jsonschema', 'tracer.document')"
    code = f"import sys, tracer.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "tcp-echo", "--all"], "Give a scenario (tcp-echo) or --all, not both."),
        (["export", "--format", "markdown"], "Unknown format 'markdown' (choose from yaml, json)."),
        (["show", "x.yaml", "--format", "xml"], "Unknown format 'xml' (choose from table, json, yaml, markdown)."),
    ],
)
def test_bad_options_are_one_sentence_and_exit_2(args: list[str], message: str) -> None:
    done = run_tracer(*args)
    assert done.returncode == 2 and message in " ".join(done.stderr.split()) and done.stdout == ""


TRACES = Path(__file__).parent.parent / "traces"
REMAKE = "remake them: .venv/bin/tracer export --all --dir traces/ --runtime docker (see traces/README.md)"


def test_traces_hold_every_scenario_as_the_current_code_writes_it() -> None:
    """traces/ is committed: each scenario has its files, and each file is what the current
    renderers make of its data (a renderer or a note that changed means a new export)."""
    from tracer.render.markdown import render as render_markdown
    from tracer.scenarios import SCENARIOS

    readme = (TRACES / "README.md").read_text()
    expected = {"README.md"} | {f"{name}{ext}" for name in SCENARIOS for ext in (".yaml", ".md")}
    assert set(os.listdir(TRACES)) == expected, REMAKE
    for name in SCENARIOS:
        assert f"`{name}.yaml`, `{name}.md`" in readme, f"traces/README.md does not say what {name} shows"
        text = (TRACES / f"{name}.yaml").read_text()
        comparison = load(text, f"traces/{name}.yaml")
        assert comparison.scenario == name and comparison.runtime == "docker"
        assert render_yaml(comparison) == text, f"traces/{name}.yaml is not what tracer writes now; {REMAKE}"
        page = (TRACES / f"{name}.md").read_text()
        assert render_markdown(comparison) == page, f"traces/{name}.md is not what tracer writes now; {REMAKE}"
