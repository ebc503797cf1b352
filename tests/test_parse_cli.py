"""`tracer parse LOG`: any strace log through the real entry point, as a user runs it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import DATA, run_tracer

GOLDEN = Path(__file__).parent / "data" / "golden"
CURL = GOLDEN / "curl.strace.gz"


def port_of(name: str) -> str:
    return (GOLDEN / f"{name}.cmd").read_text().split("127.0.0.1:")[1].split("/")[0]


def test_table_shows_the_socket_story_of_a_real_log() -> None:
    # GIVEN curl's log, gzipped
    # WHEN it is parsed
    done = run_tracer("parse", str(CURL))
    # THEN the table shows the socket's life, addresses short, and exits 0
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"tracer parse {CURL}  ·  ")
    connect = next(line for line in lines if "connect(5, " in line)
    assert f"127.0.0.1:{port_of('curl')}" in connect and "EINPROGRESS" in connect
    assert any(" send " in line and "sendto(5" in line for line in lines)
    assert "could not be read" not in done.stdout


def test_all_shows_every_call() -> None:
    focused = run_tracer("parse", str(CURL))
    everything = run_tracer("parse", str(CURL), "--all")
    assert everything.returncode == 0
    shown = [line for line in everything.stdout.splitlines() if "syscalls shown" in line]
    assert shown and shown[0].split()[0] == shown[0].split()[2]  # "N of N syscalls shown"
    assert len(everything.stdout.splitlines()) > len(focused.stdout.splitlines())
    assert "execve(" in everything.stdout and "execve(" not in focused.stdout


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_documents_hold_the_steps(fmt: str) -> None:
    done = run_tracer("parse", str(GOLDEN / "go_http_server_k.strace.gz"), "--format", fmt)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout) if fmt == "json" else yaml.safe_load(done.stdout)
    (program,) = document["programs"]
    steps = program["steps"]
    # Go -k stacks are linked: the listen call is net.Listen's
    (listen,) = [s for s in steps if s["syscall"] == "listen"]
    assert listen["origin"]["api"] == "net.Listen"
    assert program["syscalls"] > len(steps) > 5
    assert done.stderr == ""


def test_json_and_yaml_are_the_same_document() -> None:
    as_json = run_tracer("parse", str(CURL), "-f", "json")
    as_yaml = run_tracer("parse", str(CURL), "-f", "yaml")
    assert json.loads(as_json.stdout) == yaml.safe_load(as_yaml.stdout)


def test_problems_are_counted_and_named_at_the_end(tmp_path: Path) -> None:
    # GIVEN a real log with two damaged lines in the middle
    lines = gzip.decompress(CURL.read_bytes()).decode().splitlines(keepends=True)
    lines[10:10] = ["this is not strace\n"]
    lines[20:20] = ['12345 10:00:00.000000 write(1, "cut\n']
    log = tmp_path / "damaged.strace"
    log.write_text("".join(lines))
    # WHEN it is parsed
    done = run_tracer("parse", str(log))
    # THEN the rest is shown, and the problems are counted with their line numbers
    assert done.returncode == 0, done.stderr
    assert f"2 of {len(lines)} line(s) could not be read:" in done.stdout
    assert "  line 11: not a strace line: this is not strace" in done.stdout
    assert "  line 21: call without a readable result:" in done.stdout
    # AND in json, stdout stays a document while the report goes to stderr
    as_json = run_tracer("parse", str(log), "-f", "json")
    assert json.loads(as_json.stdout)["programs"][0]["syscalls"] > 0
    assert "2 of" in as_json.stderr and "line 11" in as_json.stderr


def test_a_log_cut_mid_line_says_so() -> None:
    done = run_tracer("parse", str(GOLDEN / "curl_cut.strace"))
    assert done.returncode == 0
    assert "The log ends in the middle of line 19: it was cut short there." in done.stdout


def test_a_call_never_finished_is_reported() -> None:
    done = run_tracer("parse", str(GOLDEN / "busybox_httpd.strace"))
    assert "accept(3) = ?" in done.stdout
    assert "1 call(s) never finished in the log" in done.stdout


def test_a_summary_only_log_shows_the_table() -> None:
    done = run_tracer("parse", str(GOLDEN / "wget_c.strace"))
    assert done.returncode == 0, done.stderr
    assert "strace -c summary" in done.stdout and "connect" in done.stdout and "total" in done.stdout


def test_stderr_log_and_exotic_flags_read_cleanly() -> None:
    for name in ("redis_server_stderr.strace", "curl_exotic.strace", "nginx.strace"):
        done = run_tracer("parse", str(GOLDEN / name))
        assert done.returncode == 0 and "could not be read" not in done.stdout, (name, done.stdout[-500:])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.strace", "no such file"),
        (lambda d: d, "is a directory"),
        (lambda d: _write(d / "empty.strace", b""), "is empty"),
        (lambda d: _write(d / "notes.txt", b"shopping list\n- milk\n- eggs\n"), "is not a strace log"),
        (lambda d: _write(d / "binary.strace", bytes(range(256)) * 8), "is not a strace log"),
        (lambda d: _write(d / "broken.strace.gz", b"\x1f\x8b\x08\x00broken"), "cannot be read"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_6(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    done = run_tracer("parse", str(path))
    assert done.returncode == 6
    assert done.stdout == ""
    assert done.stderr.startswith("error: ") and message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_unknown_format_is_a_usage_error() -> None:
    done = run_tracer("parse", str(CURL), "--format", "xml")
    assert done.returncode == 2 and "Unknown format 'xml'" in done.stderr


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("fmt", ["yaml", "markdown"])
def test_parse_prints_the_documents_trace_prints(fmt: str) -> None:
    done = run_tracer("parse", str(DATA / "tcp_echo" / "python-server.strace"), "--format", fmt)
    assert done.returncode == 0, done.stderr
    expected = "syscall: listen" if fmt == "yaml" else "| listen |"
    assert expected in done.stdout
