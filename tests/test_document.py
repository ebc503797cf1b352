"""Documents (schema tracer/v1): normalise, to_document/from_document, reading files, Markdown.

GIVEN the saved strace logs of one real tcp-echo run (tests/data/tcp_echo), aligned
as `tracer compare` aligns them, WHEN the comparison is normalised, written as a
document and read back THEN nothing that changes from run to run is left, the
order of the exchange does not depend on clock jitter, what is read back renders
like the original, and every bad input is one InputError naming the place.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import json
import os
import random
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from tests.conftest import DATA
from tracer.align import align
from tracer.document import (
    SCHEMA,
    StandIns,
    exchange_order,
    from_document,
    load,
    normalise,
    read,
    side_steps,
    to_document,
)
from tracer.errors import InputError, OutputError
from tracer.export import check_directory, write_atomic
from tracer.focus import focus, steady
from tracer.model import (
    Comparison,
    Exit,
    Note,
    Origin,
    Problem,
    RoleComparison,
    Row,
    Step,
    Syscall,
    Trace,
)
from tracer.render import table
from tracer.render.json import render as render_json
from tracer.render.markdown import code, diagram, md, mermaid_text
from tracer.render.markdown import render as render_markdown
from tracer.render.yaml import render as render_yaml
from tracer.strace.parser import parse_file

RAW_PORTS = {"45187", "52797"}  # the servers' ports in the saved run (see result.json)


def load_trace(lang: str, role: str) -> Trace:
    events, problems = parse_file(DATA / "tcp_echo" / f"{lang}-{role}.strace")
    return Trace(lang, role, tuple(events), tuple(problems), exit_code=0, stdout="ready 127.0.0.1:45187\n")


def saved_comparison() -> Comparison:
    roles = []
    for role in ("server", "client"):
        go, python = load_trace("go", role), load_trace("python", role)
        roles.append(RoleComparison(role, go, python, tuple(align(focus(go), focus(python)))))
    return Comparison("tcp-echo", "docker", tuple(roles), environment={"kernel": "6.18", "strace": "6.1"})


@pytest.fixture(scope="module")
def raw() -> Comparison:
    return saved_comparison()


@pytest.fixture(scope="module")
def normal(raw: Comparison) -> Comparison:
    return normalise(raw)


def table_text(comparison: Comparison) -> str:
    out = io.StringIO()
    table.render(comparison, Console(file=out, width=160, highlight=False))
    return out.getvalue()


def calls(comparison: Comparison) -> list[tuple[str, str, Syscall]]:
    return [
        (role.role, side, step.call)
        for role in comparison.roles
        for side in ("go", "python")
        for step in side_steps(role, side)
    ]


# --------------------------------------------------------------------------- normalise


def test_normalise_leaves_nothing_that_changes_between_runs(raw: Comparison, normal: Comparison) -> None:
    text = render_yaml(normal)
    assert not RAW_PORTS & set(re.findall(r"\d+", text)), "a port of the run survived"
    assert not re.search(r"0x[0-9a-f]{8,}", text), "a pointer survived"
    assert not re.search(r":\[\d+\]", text), "an inode number survived"
    assert "u64=" not in text or "u64=PTR" in text
    raw_pids = {call.pid for _, _, call in calls(raw)}
    assert all(call.pid == 0 and call.duration is None and call.frames == () for _, _, call in calls(normal))
    assert not any(str(pid) in text for pid in raw_pids if pid > 100)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3<NETLINK:[ROUTE:26]>", "3<NETLINK:[ROUTE:PID]>"),
        (
            "{sa_family=AF_NETLINK, nl_pid=26, nl_groups=00000000}",
            "{sa_family=AF_NETLINK, nl_pid=PID, nl_groups=00000000}",
        ),
        ("{nl_pid=0}", "{nl_pid=0}"),  # the kernel's port id says something; it stays
        ("{nlmsg_seq=1795659874, nlmsg_pid=26}", "{nlmsg_seq=TIME, nlmsg_pid=PID}"),
        ("{nlmsg_seq=2, nlmsg_pid=0}", "{nlmsg_seq=2, nlmsg_pid=0}"),
        ("{cstamp=1986, tstamp=198605}", "{cstamp=TIME, tstamp=TIME}"),
        ('"Date: Thu, 26 Nov 2026 02:24:33 GMT\\r\\n"', '"Date: DATE\\r\\n"'),
        ("{pid=1234, uid=0, gid=0}", "{pid=PID, uid=0, gid=0}"),
        ("0x7ffca03c8f80 0x8000", "PTR 0x8000"),
        (
            "{events=EPOLLIN, data={u32=352321538, u64=4602648870718013442}}",
            "{events=EPOLLIN, data={u32=PTR, u64=PTR}}",
        ),
        ("7<anon_inode:[eventpoll]>", "7<anon_inode:[eventpoll]>"),
        ("6</proc/sys/net/core/somaxconn>", "6</proc/sys/net/core/somaxconn>"),
    ],
)
def test_stand_ins_for_what_changes_between_runs(text: str, expected: str) -> None:
    assert StandIns({}, {}).text(text) == expected


def test_the_server_port_is_the_same_stand_in_in_both_languages(normal: Comparison) -> None:
    for side in ("go", "python"):
        server = {c.name: c for role, s, c in calls(normal) if role == "server" and s == side}
        client = {c.name: c for role, s, c in calls(normal) if role == "client" and s == side}
        assert "htons(50001)" in server["getsockname"].args[1]
        assert "htons(50001)" in client["connect"].args[1]


def test_normalise_keeps_only_the_steps_every_run_makes(raw: Comparison, normal: Comparison) -> None:
    for role_raw, role in zip(raw.roles, normal.roles, strict=True):
        for side in ("go", "python"):
            kept = steady(side_steps(role_raw, side))
            assert [(s.kind, s.call.name) for s in side_steps(role, side)] == [(s.kind, s.call.name) for s in kept]
            assert not any(s.call.name.startswith("epoll_wait") or s.call.name == "epoll_pwait" for s in kept)


def test_normalise_is_idempotent_and_pure(raw: Comparison, normal: Comparison) -> None:
    before = copy.deepcopy(raw)
    assert normalise(normal) == normal
    assert raw == before


def test_normalise_and_documents_are_safe_on_empty_input() -> None:
    empty = Comparison("nothing", "local", ())
    assert normalise(empty) == empty
    assert from_document(to_document(empty)) == empty
    idle = Comparison("idle", "local", (RoleComparison("main", Trace("go", "main", ()), Trace("python", "main", ())),))
    assert from_document(to_document(normalise(idle))) == normalise(idle)
    assert "No exchange was recorded." in render_markdown(idle)


def test_the_exchange_is_ordered_as_the_protocol_forces(normal: Comparison) -> None:
    for side in ("go", "python"):
        seq = {(role, c.name, c.errno): c.time or 0.0 for role, s, c in calls(normal) if s == side}

        def at(role: str, *names: str, seq: dict[tuple[str, str, str | None], float] = seq) -> float:
            return min(t for (r, n, e), t in seq.items() if r == role and n in names and e in (None, "EINPROGRESS"))

        assert at("server", "listen") < at("client", "socket") < at("client", "connect") < at("server", "accept4")
        assert at("client", "write", "sendto") < at("server", "read", "recvfrom") < at("server", "write", "sendto")
        assert at("server", "write", "sendto") < at("client", "read", "recvfrom")


@pytest.mark.parametrize("seed", range(20))
def test_the_exchange_order_does_not_follow_clock_jitter(raw: Comparison, seed: int) -> None:
    """Calls of two processes that do not wait for each other come in either order
    on the clock from run to run; the order written must not."""
    jitter = random.Random(seed)

    def shaken(steps: list[Step]) -> list[Step]:
        return [
            replace(s, call=replace(s.call, time=(s.call.time or 0) + jitter.uniform(-0.002, 0.002))) for s in steps
        ]

    for side in ("go", "python"):
        roles = [steady(side_steps(role, side)) for role in raw.roles]
        expected = [(s.call.name, s.call.line_no) for s in exchange_order(roles)]
        assert [(s.call.name, s.call.line_no) for s in exchange_order([shaken(r) for r in roles])] == expected


def test_every_field_of_the_model_is_either_stored_or_knowingly_dropped() -> None:
    """When the model grows a field, the document must decide about it (this fails until it does)."""
    decided = {
        Comparison: {"scenario", "runtime", "roles", "environment", "observations"},
        RoleComparison: {"role", "go", "python", "rows"},
        # stdout: the ready line holds a port; stderr is kept when the table shows it
        Trace: {"label", "role", "events", "problems", "exit_code", "timed_out", "stdout", "stderr", "tcp_counters"},
        Row: {"kind", "go", "python", "differences", "notes", "uncovered"},
        Step: {"kind", "call"},
        Note: {"id", "title", "text", "references"},
        Origin: {"api", "file", "line", "helper", "frame"},
        Problem: {"line_no", "text", "reason"},
        # dropped: pid, result_desc, result_note, duration, frames, line_no, comm, dump (they change
        # between runs, or say again what args say, and no renderer shows them); time holds the
        # place in the exchange
        Syscall: {"pid", "name", "args", "result", "result_desc", "result_note", "errno", "errmsg", "duration"}
        | {"time", "frames", "line_no", "unfinished", "origin", "comm", "injected", "dump"},
    }
    for cls, fields in decided.items():
        assert {f.name for f in dataclasses.fields(cls)} == fields, cls.__name__


def test_a_program_that_exited_0_is_not_failed_by_strace_failing(raw: Comparison) -> None:
    """strace -k exits 1 now and then when it cannot unwind a dying thread; the program exited 0."""
    role = raw.roles[0]
    glitch = replace(role.go, exit_code=1, stderr="strace: walk: cannot initialize libunwind: No such process\n")
    normal = normalise(replace(raw, roles=(replace(role, go=glitch), *raw.roles[1:])))
    assert normal.roles[0].go.exit_code == 0 and normal.roles[0].go.stderr == ""
    assert normal == normalise(raw)
    # when strace fails it may stop before the exit lines: the log then ends at exit_group(0)
    leader = glitch.events[0].pid
    cut = (*(e for e in glitch.events if not isinstance(e, Exit)), Syscall(leader, "exit_group", ("0",), "?"))
    normal = normalise(replace(raw, roles=(replace(role, go=replace(glitch, events=cut)), *raw.roles[1:])))
    assert normal.roles[0].go.exit_code == 0


def test_a_unix_peer_that_strace_may_or_may_not_see_is_left_out() -> None:
    """sock_diag forgets a UNIX socket's peer once it is closed: the decoration comes with or without it."""

    def comparison(decoration: str) -> Comparison:
        calls = [
            Syscall(1, "socket", ("AF_UNIX", "SOCK_STREAM", "0"), "3", time=1.0),
            Syscall(1, "read", (f"3<{decoration}>", '"hi"', "2"), "2", time=2.0),
            Syscall(1, "close", (f"3<{decoration}>",), "0", time=3.0),
        ]
        trace = Trace("go", "main", tuple(calls))
        return Comparison(
            "s", "local", (RoleComparison("main", trace, trace, tuple(align(focus(trace), focus(trace)))),)
        )

    with_peer = render_yaml(normalise(comparison('UNIX-STREAM:[5001->5002,"/tmp/s.sock"]')))
    assert with_peer == render_yaml(normalise(comparison('UNIX-STREAM:[5001,"/tmp/s.sock"]')))
    assert 'UNIX-STREAM:[INODE1,"/tmp/s.sock"]' in with_peer


# --------------------------------------------------------------------------- documents


def test_a_document_reads_back_to_the_same_comparison(normal: Comparison) -> None:
    assert from_document(to_document(normal)) == normal
    assert load(render_yaml(normal)) == normal
    assert load(render_json(normal), json_syntax=True) == normal


def test_renderers_give_the_same_text_from_a_saved_document(normal: Comparison) -> None:
    again = load(render_yaml(normal))
    assert table_text(again) == table_text(normal)
    assert render_markdown(again) == render_markdown(normal)
    assert render_yaml(again) == render_yaml(normal)


def test_the_yaml_reads_well(normal: Comparison) -> None:
    text = render_yaml(normal)
    lines = text.splitlines()
    assert lines[0] == f"schema: {SCHEMA}"
    assert [line.split(":")[0] for line in lines if not line.startswith((" ", "-"))] == [
        "schema",
        "scenario",
        "runtime",
        "environment",
        "observations",
        "notes",
        "roles",
    ]
    assert "!!" not in text and "&id" not in text and "*id" not in text  # no tags, no anchors
    assert "    args:\n" in text or "          args:\n            - " in text  # block style, lists indented
    assert "seq: 1\n" in text
    first_call = next(row["go"] for row in to_document(normal)["roles"][0]["rows"] if "go" in row)
    assert list(first_call)[:5] == ["seq", "kind", "syscall", "args", "result"]


def test_a_failed_program_keeps_what_the_table_says_of_it(raw: Comparison) -> None:
    role = raw.roles[0]
    leader = role.go.events[0].pid
    failed = replace(
        role.go,
        events=(*role.go.events, Exit(leader, status=2)),
        exit_code=2,
        stderr="panic: listen tcp 127.0.0.1:45187: boom\nstrace: walk: cannot initialize libunwind\n",
        stdout="x",
    )
    cut = replace(role.python, timed_out=True, exit_code=None, stderr="ignored")
    normal = normalise(replace(raw, roles=(replace(role, go=failed, python=cut), *raw.roles[1:])))
    go, python = normal.roles[0].go, normal.roles[0].python
    assert go.stderr == "panic: listen tcp 127.0.0.1:50001: boom\n" and go.stdout == ""
    assert python.stderr == "" and python.timed_out and python.exit_code is None
    assert from_document(to_document(normal)) == normal
    assert "exited with status 2" in table_text(load(render_yaml(normal)))


# --------------------------------------------------------------------------- bad input


def small_document(normal: Comparison) -> dict[str, Any]:
    document = to_document(normal)
    for role in document["roles"]:
        role["rows"] = role["rows"][:8]
    return document


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["roles"][0]["rows"][3]["go"].update(result=13), "roles[0].rows[3].go.result: expected a string"),
        (lambda d: d["roles"][0]["rows"][2].pop("kind"), "roles[0].rows[2]: 'kind' is missing"),
        (lambda d: d["roles"][1].update(colour="red"), "roles[1]: unknown key 'colour'"),
        (lambda d: d["roles"][0]["rows"][0].update(status="odd"), "roles[0].rows[0].status: expected one of"),
        (lambda d: d["roles"][0]["rows"][0].update(status="same"), "roles[0].rows[0].status: 'same' does not fit"),
        (lambda d: d["roles"][0]["rows"][0].update(notes=["nope"]), "roles[0].rows[0].notes[0]: no note 'nope'"),
        (lambda d: d["notes"].append(dict(d["notes"][0])), "is given twice"),
        (lambda d: d["roles"][0]["rows"][0].pop("go"), "roles[0].rows[0]: a row needs a go call"),
        (lambda d: d["roles"][0]["rows"][1]["go"].update(seq=1), "roles[0].rows[1].go.seq: 1 is the number of another"),
        (lambda d: d["roles"][0]["go"].update(exit_code="0"), "roles[0].go.exit_code: expected an integer or null"),
        (lambda d: d["environment"].update(kernel=6), "environment.kernel: expected a string, found 6"),
        (lambda d: d.update(roles={}), "roles: expected a list, found a mapping"),
        (lambda d: d["roles"][0]["rows"][0]["go"]["args"].append(None), "go.args[3]: expected a string, found nothing"),
        (lambda d: d["roles"][0]["rows"][0]["go"].update(seq=0), "go.seq: expected a number of at least 1"),
        (lambda d: d["roles"][0]["rows"][0]["go"].update(syscall="\ud800"), "go.syscall: holds a character that is"),
    ],
)
def test_a_wrong_shape_is_one_sentence_naming_the_place(normal: Comparison, edit: Any, message: str) -> None:
    document = small_document(normal)
    edit(document)
    with pytest.raises(InputError) as caught:
        from_document(document, "t.yaml")
    text = str(caught.value)
    assert text.startswith("t.yaml: ") and message in text, text
    assert "\n" not in text and text.endswith(".")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "t.yaml is empty."),
        ("  \n\n", "t.yaml is empty."),
        ("a: [1,\n", "t.yaml is not valid YAML: "),
        ("- 1\n- 2\n", "t.yaml holds a list, not a tracer document"),
        ("just words\n", "t.yaml holds a string, not a tracer document"),
        ("scenario: x\n", "t.yaml has no 'schema' key"),
        ("schema: tracer/v2\nroles: []\n", "t.yaml is schema 'tracer/v2'; this tracer reads tracer/v1 only."),
        ("schema: tracer/v1\nscenario: x\nruntime: y\n", "t.yaml: the top level: 'roles' is missing."),
        ("a: &x [1]\nb: *x\n", "t.yaml uses a YAML alias (line 2, column 4)"),
        ("[" * 5000 + "]" * 5000, "t.yaml"),
        ("schema: tracer/v1\n---\nschema: tracer/v1\n", "t.yaml is not valid YAML: "),
        ("schema: tracer/v1\n? [a]\n: b\n", "t.yaml is not valid YAML: "),
    ],
)
def test_a_file_that_is_not_a_document_is_one_sentence(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        load(text, "t.yaml")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "bad.json").write_text('{"schema": ')
    cases = {
        tmp_path / "missing.yaml": "does not exist.",
        tmp_path: "is a directory, not a saved trace.",
        tmp_path / "bin.yaml": "is not text: byte 0 is not UTF-8.",
        tmp_path / "bad.json": "is not JSON: Expecting value (line 1, column 12).",
    }
    for path, message in cases.items():
        with pytest.raises(InputError, match=re.escape(message)):
            read(path)


JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=30,
)


def renders(comparison: Comparison) -> None:
    """What `tracer show` does with whatever was read: it must never raise."""
    table.render(comparison, Console(file=io.StringIO(), width=160))
    render_markdown(comparison)
    render_yaml(comparison)
    render_json(comparison)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_comparison_or_an_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        renders(load(text, "t.yaml"))


@settings(max_examples=300, deadline=None)
@given(JSON_LIKE)
def test_any_data_is_a_comparison_or_an_input_error(data: object) -> None:
    for candidate in (data, {"schema": SCHEMA, "scenario": "s", "runtime": "r", "roles": data}):
        with contextlib.suppress(InputError):
            renders(from_document(candidate))


def paths(node: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


@pytest.fixture(scope="module")
def small(normal: Comparison) -> dict[str, Any]:
    return small_document(normal)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data(), JSON_LIKE, st.booleans())
def test_any_edit_of_a_good_document_is_a_comparison_or_an_input_error(
    small: dict[str, Any], data: st.DataObject, value: object, delete: bool
) -> None:
    document = copy.deepcopy(small)
    where = data.draw(st.sampled_from(paths(document)[1:]))
    parent: Any = document
    for step in where[:-1]:
        parent = parent[step]
    if delete:
        del parent[where[-1]]
    else:
        parent[where[-1]] = value
    try:
        renders(from_document(document))
    except InputError as error:
        assert "\n" not in str(error)


# --------------------------------------------------------------------------- Markdown and Mermaid

MERMAID_ID = r"[A-Za-z][A-Za-z0-9_]*"
MERMAID_TEXT = r"(?:[^#;\n]|#(?:\d+|[a-z]+);)+"  # '#' only in entity codes, no ';' outside them
MERMAID_LINE = {
    "participant": re.compile(rf"^    participant (?P<id>{MERMAID_ID})(?: as (?P<label>{MERMAID_TEXT}))?$"),
    "message": re.compile(
        rf"^    (?P<src>{MERMAID_ID})(?P<arrow>->>|-->>)(?P<dst>{MERMAID_ID}): (?P<text>{MERMAID_TEXT})$"
    ),
}


def mermaid_blocks(markdown: str) -> list[list[str]]:
    return [block.splitlines() for block in re.findall(r"```mermaid\n(.*?)```", markdown, re.S)]


def check_mermaid(lines: list[str]) -> list[tuple[str, str, str]]:
    """A small parser of what the renderer emits: every line a declaration or a message
    between declared participants. Returns the messages (from, to, text)."""
    assert lines[0] == "sequenceDiagram"
    declared: list[str] = []
    messages = []
    for line in lines[1:]:
        if m := MERMAID_LINE["participant"].match(line):
            assert not messages, "participants come before the messages"
            assert m["id"] not in declared
            declared.append(m["id"])
        elif m := MERMAID_LINE["message"].match(line):
            assert m["src"] in declared and m["dst"] in declared, line
            assert "kernel" in (m["src"], m["dst"]) and m["src"] != m["dst"]
            messages.append((m["src"], m["dst"], m["text"]))
        else:
            raise AssertionError(f"not a Mermaid statement: {line!r}")
    return messages


def test_each_language_gets_a_sequence_diagram_of_the_exchange(normal: Comparison) -> None:
    blocks = mermaid_blocks(render_markdown(normal))
    assert len(blocks) == 2
    for block in blocks:
        messages = check_mermaid(block)
        story = [(src, dst, text.split("(")[0]) for src, dst, text in messages]
        server_calls = [t for s, d, t in story if "server" in (s, d)]
        assert server_calls[0] == "socket" and "bind" in server_calls and "listen" in server_calls
        connect = next(i for i, m in enumerate(story) if m[0] == "client" and m[2] == "connect")
        accept = next(i for i, m in enumerate(story) if m[2].startswith("accept"))
        assert connect < accept and story[accept][:2] == ("kernel", "server")
        sends = [i for i, m in enumerate(story) if m[0] == "client" and m[2] in ("write", "sendto")]
        gets = [i for i, m in enumerate(story) if m[:2] == ("kernel", "server") and m[2] in ("read", "recvfrom")]
        assert sends and gets and sends[0] < gets[0]
        assert story[-1][2] == "close"


def test_the_diagram_leaves_go_probe_sockets_out(normal: Comparison) -> None:
    go = diagram(normal, "go")
    assert not any("IPPROTO_TCP" in line or "AF_INET6" in line for line in go)
    assert sum("socket(" in line for line in go) == 2  # the listener and the client's socket


def test_mermaid_and_markdown_text_are_escaped() -> None:
    assert mermaid_text("a;b #c <d> =>") == "a#59;b #35;c #lt;d#gt; =#gt;"
    assert check_mermaid(
        ["sequenceDiagram", "    participant a", "    participant kernel", "    a->>kernel: " + mermaid_text("x;#<y>")]
    )
    assert md("a|b *c* [d] <e> _f_ SOCK_STREAM") == r"a\|b \*c\* \[d\] \<e> \_f\_ SOCK_STREAM"
    assert code("a|b") == r"`a\|b`"
    assert code("say `hi`") == "`` say `hi` ``"
    assert code("x ` y") == "``x ` y``"


def test_the_markdown_page_holds_the_tables_and_the_notes(normal: Comparison) -> None:
    page = render_markdown(normal)
    assert page.startswith("# tcp-echo\n")
    assert "| kernel | 6.18 |" in page
    for role in normal.roles:
        assert f"## {role.role}\n" in page
        assert f"{role.role}: {table.summary(role.rows)}." in page
    rows = [line for line in page.splitlines() if line.startswith("| ") and line.count(" | ") >= 4]
    phase_rows = [line for line in rows if line.startswith("| | **")]
    assert len(rows) - len(phase_rows) == 2 + sum(len(role.rows) for role in normal.roles)  # + the two headers
    assert {line.split("**")[1] for line in phase_rows} <= set(table.PHASES)
    for anchor in set(re.findall(r"\]\(#([\w-]+)\)", page)):
        assert f"\n### {anchor}\n" in page


def test_a_notes_id_with_odd_characters_still_renders(normal: Comparison) -> None:
    odd = Note("odd note|*", "A title", "Some text; with `code`.", ("a|b",))
    role = normal.roles[0]
    rows = (replace(role.rows[0], notes=(odd,)), *role.rows[1:])
    page = render_markdown(replace(normal, roles=(replace(role, rows=rows), *normal.roles[1:])))
    assert "### odd note\\|\\*" in page


# --------------------------------------------------------------------------- writing files


def test_write_atomic_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "t.yaml"
    target.write_text("old\n")
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert os.listdir(tmp_path) == ["t.yaml"]
    assert target.stat().st_mode & 0o777 == 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError(28, "No space left on device")])
def test_an_interrupted_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interruption: BaseException
) -> None:
    target = tmp_path / "t.yaml"
    target.write_text("old\n")

    def fail(fd: int) -> None:
        raise interruption

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises((KeyboardInterrupt, OutputError)):
        write_atomic(target, "new\n" * 100_000)
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["t.yaml"], "the temporary file was left behind"


def test_an_output_directory_that_cannot_take_files_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    cases = {
        tmp_path / "file" / "sub": "is a file, not a directory.",
        tmp_path / "file": "it is a file, not a directory.",
        tmp_path / "missing": "does not exist; create it or pick another with --dir.",
        Path("/sys/kernel"): "Cannot write to /sys/kernel: ",  # sysfs takes no new file, not even from root
    }
    for directory, message in cases.items():
        with pytest.raises(OutputError, match=re.escape(message)):
            check_directory(directory)
    check_directory(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["file"], "the probe file was left behind"


def test_safe_load_reads_the_yaml_as_the_plain_data_it_was_made_from() -> None:
    document = to_document(saved_comparison())
    from tracer.render.yaml import dumps

    assert yaml.safe_load(dumps(document)) == json.loads(json.dumps(document))
