"""Documents: a ``Comparison`` as plain data (schema ``tracer/v1``) and back, and the
normalisation that makes two exports of the same behaviour byte-identical.

Contract:

* ``normalise(comparison) -> Comparison`` is pure. Per role it keeps the steps
  every run makes (``tracer.focus.steady`` on each side's steps, in log order),
  aligns them again (``tracer.align.align``) and explains the rows
  (``tracer.notes.explain``), as ``tracer.compare`` does; it numbers each
  language's calls across its roles in the order of the client ⇄ server
  exchange (see ``exchange_order``) and stores that number in ``Syscall.time``;
  it replaces what changes from run to run with stable stand-ins (see below)
  and drops what no renderer shows and most runs change: pids, durations,
  ``-k`` frames, command names, hex dumps, the fd descriptions of results,
  stdout, the stderr of a program that did not fail, unreadable log lines
  (their line numbers move) and all kernel counters but the table's
  ``TROUBLE_COUNTERS``. Safe on an empty comparison.
* ``to_document(comparison) -> dict`` gives plain data (str, int, bool, None,
  list, dict) in the order a reader wants it; ``from_document(data, name)``
  checks it against ``tracer/schema/tracer-v1.json`` and a few rules the schema
  cannot say, and rebuilds the ``Comparison``: for a normalised comparison
  ``from_document(to_document(c)) == c``, so every renderer gives the same
  output from a saved file as from the live run.
* ``load(text, name)`` and ``read(path)`` parse YAML (``safe_load``) or JSON.
  Anything wrong with the input, at any depth, raises ``InputError`` with one
  sentence naming the file and the place in it (``roles[0].rows[3].go.result:
  expected a string, found 5.``); nothing else escapes.

Stand-ins (each numbered per language, in exchange order, so the Go and the
Python run read alike):

* ports the kernel picked (32768 and up: Linux's ephemeral range) become
  50001, 50002, …: still numbers, so every decoder and renderer reads them.
  Ports in socket addresses are numbered before those only fd decorations show
  (Go's probe sockets), so 50001 is the server's port in both languages;
* inode numbers in fd decorations (``TCP:[16690]``, ``socket:[123]``) become
  ``INODE1``, ``INODE2``, …;
* pointers (``0x7ffc…``, eight hex digits and more) and epoll user data become
  ``PTR``; pids inside arguments (``pid=N``, netlink port ids) become ``PID``;
* clock readings inside data (netlink sequence numbers and address timestamps,
  HTTP ``Date:`` values) become ``TIME`` and ``DATE``;
* times become the call's place in the exchange (1, 2, …), durations are dropped.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tracer import notes
from tracer.align import align
from tracer.errors import InputError
from tracer.focus import steady
from tracer.model import (
    Comparison,
    Note,
    Origin,
    Problem,
    RoleComparison,
    Row,
    Step,
    Syscall,
    Trace,
    program_exit,
)

SCHEMA = "tracer/v1"
SCHEMA_FILE = Path(__file__).with_name("schema") / "tracer-v1.json"
SIDES = ("go", "python")

EPHEMERAL = 32768  # Linux's default ip_local_port_range starts here; lower ports are the program's choice
FIRST_PORT = 50001
_PORT = re.compile(r"(htons\(|(?<=:))(\d{1,5})(?=\)|\D|$)")
_DECORATED_PORT = re.compile(r"(?:\d{1,3}(?:\.\d{1,3}){3}|\])[:](\d{1,5})\b")
_HTONS = re.compile(r"htons\((\d{1,5})\)")
_INODE = re.compile(r"(?<=\[|>|-)(\d+)(?=\]|,|-)")
_DECORATION = re.compile(r"<[\w-]+:\[.*?\]>")  # -yy's socket, pipe and anon inode fds; not file paths
# strace finds a UNIX socket's peer through sock_diag, which forgets the peer as soon as it
# is closed: whether the decoration shows "->PEER" depends on which process ran first.
_UNIX_PEER = re.compile(r"(UNIX[\w-]*:\[\d+)->\d+")
_POINTER = re.compile(r"\b0x[0-9a-fA-F]{8,}\b")
_EPOLL_DATA = re.compile(r"\bu32=\d+, u64=\d+")
_PID = re.compile(r"\bpid=\d+")
# A netlink socket's port id is its process's pid; 0 is the kernel's, and stays.
_NETLINK_PID = re.compile(r"\b(nl_pid|nlmsg_pid)=[1-9]\d*|(?<=NETLINK:\[)(\w+:)\d+")
# Clock readings inside data: netlink sequence numbers taken from the clock (Go's and glibc's
# address dumps), interface address timestamps, HTTP dates.
_CLOCK = re.compile(
    r"\b(?P<key>nlmsg_seq(?==\d{6})|cstamp|tstamp)=\d+"
    r"|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\b"
)
_ACCEPT_KINDS = {"accept"}


# --------------------------------------------------------------------------- normalise


def normalise(comparison: Comparison) -> Comparison:
    from tracer.render.table import TROUBLE_COUNTERS

    # per side, per role: the steps every run makes
    steps = {side: [steady(side_steps(role, side)) for role in comparison.roles] for side in SIDES}
    fresh: dict[tuple[str, int], Syscall] = {}  # (side, id(raw call)) → the normalised call
    stand_ins: dict[str, StandIns] = {}
    for side in SIDES:
        order = exchange_order(steps[side])
        stand_ins[side] = StandIns.collect(step.call for step in order)
        for seq, step in enumerate(order, 1):
            fresh[side, id(step.call)] = stand_ins[side].call(step.call, seq)

    roles = []
    for index, role in enumerate(comparison.roles):
        sides = {side: [Step(s.kind, fresh[side, id(s.call)]) for s in steps[side][index]] for side in SIDES}
        rows = tuple(notes.explain(align(sides["go"], sides["python"])))  # as tracer.compare does
        traces = [
            _trace(trace, sides[side], TROUBLE_COUNTERS, stand_ins[side])
            for side, trace in (("go", role.go), ("python", role.python))
        ]
        roles.append(RoleComparison(role.role, traces[0], traces[1], rows))
    return replace(comparison, roles=tuple(roles))


def side_steps(role: RoleComparison, side: str) -> list[Step]:
    """One side's steps of a role, in the order its log had them (rows follow Go's order)."""
    trace = role.go if side == "go" else role.python
    place = {id(event): n for n, event in enumerate(trace.events)}
    found = [step for row in role.rows if (step := row.go if side == "go" else row.python) is not None]
    return sorted(found, key=lambda s: (place.get(id(s.call), len(place)), s.call.line_no))


def _trace(trace: Trace, steps: list[Step], counters: Collection[str], stand_ins: StandIns) -> Trace:
    # ACK and segment statistics change on every run and the table shows only
    # the counters of trouble, so a document keeps only those.
    # A trace from the runtime has this already; a Trace made any other way may not.
    exit_code = trace.exit_code if trace.timed_out else program_exit(trace.events, trace.exit_code)
    shown_stderr = not trace.timed_out and exit_code not in (0, None)  # what the table prints
    # strace's own complaints ("strace: walk: cannot initialize libunwind") are not the program's
    stderr = "".join(line for line in trace.stderr.splitlines(True) if not line.startswith("strace: "))
    return Trace(
        label=trace.label,
        role=trace.role,
        events=tuple(step.call for step in steps),
        exit_code=exit_code,
        timed_out=trace.timed_out,
        stdout="",
        stderr=stand_ins.text(stderr) if shown_stderr else "",
        tcp_counters={k: v for k, v in sorted(trace.tcp_counters.items()) if k in counters},
    )


def exchange_order(roles: Sequence[Sequence[Step]]) -> list[Step]:
    """One language's steps of all roles in one line, in the order of their exchange.

    Sorting by strace's clock would churn: calls of two processes that do not
    wait for each other (the server's setsockopt, the client's) come in either
    order from run to run, and each program has its own strace, whose clock
    readings lag by its wake-up time. So the line keeps each role's own order
    and adds only the orderings the exchange itself fixes (see ``waits``).
    Within those, it follows the exchange: after a call another role was
    waiting for, that role goes on; otherwise the role that went last goes on
    while it can, then the first role (in scenario order) that can. Pure and
    deterministic; safe on empty input.
    """
    after = waits(roles)
    woken: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for call, needs in after.items():
        for need in needs:
            woken.setdefault(need, []).append(call)

    placed: set[tuple[int, int]] = set()
    pos = [0] * len(roles)
    order: list[Step] = []
    current = 0
    last = (-1, -1)

    def ready(r: int) -> bool:
        return pos[r] < len(roles[r]) and all(n in placed for n in after.get((r, pos[r]), ()))

    total = sum(len(steps) for steps in roles)
    while len(order) < total:
        waiting = [r for r, j in woken.get(last, []) if pos[r] == j and ready(r)]
        if waiting:
            current = waiting[0]
        elif not ready(current):
            can = [r for r in range(len(roles)) if ready(r)]
            if can:
                current = can[0]
            else:  # the clock contradicted itself (a cycle): take the earliest call left
                left = [r for r in range(len(roles)) if pos[r] < len(roles[r])]
                current = min(left, key=lambda r: (_start(roles[r][pos[r]].call), r))
        last = (current, pos[current])
        order.append(roles[current][pos[current]])
        placed.add(last)
        pos[current] += 1
    return order


SLACK = 0.01  # seconds: how far two stracees' clock readings may lag each other


def waits(roles: Sequence[Sequence[Step]]) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """(role, index) of a call → the calls of other roles it had to wait for.

    * A role after the first starts when the roles before it are ready: after
      their last call that ended before its first call started (the runner
      starts it only then, so that gap is wide) and that comes before any of
      their calls that wait for it.
    * Each accept that returned a connection waits for a connect of another
      role: the first one not taken yet (accepts in the order they returned).
    * Each receive that returned data waits for a send of another role: the
      first one not taken yet with the same bytes, or failing that the first
      one not taken yet that started before the receive returned. A receive
      that returned 0 waits for the last close or shutdown of another role
      that started before it returned.
    """
    after: dict[tuple[int, int], list[tuple[int, int]]] = {}
    lanes: dict[tuple[str, int, str], _Lane] = defaultdict(_Lane)  # (group, role, bytes or ANY)
    for o, steps in enumerate(roles):
        for k, candidate in enumerate(steps):
            group = _GROUP.get(candidate.kind)
            if group is None or (candidate.call.failed and candidate.call.errno != "EINPROGRESS"):
                continue
            item = (_start(candidate.call), o, k)
            lanes[group, o, ANY].items.append(item)
            data = _data(candidate.call) if group == "send" else None
            if data is not None:
                lanes[group, o, data].items.append(item)
    for lane in lanes.values():
        lane.items.sort()
    waiting = [
        (_end(step.call, math.inf), r, j, group)
        for r, steps in enumerate(roles)
        for j, step in enumerate(steps)
        if (group := _source(step.call, step.kind)) is not None
    ]
    taken: set[tuple[int, int]] = set()
    for end, r, j, group in sorted(waiting):
        call = roles[r][j].call
        others = [o for o in range(len(roles)) if o != r]
        if group == "close":  # the last one that started before this returned
            found = [lanes[group, o, ANY].last_before(end + SLACK) for o in others]
            chosen = max((c for c in found if c is not None), default=None)
        else:
            data = _data(call) if group == "send" else None
            heads = [lanes[group, o, data].first(taken) for o in others] if data is not None else []
            chosen = min((h for h in heads if h is not None), default=None)
            if chosen is None:
                heads = [lanes[group, o, ANY].first(taken) for o in others]
                limit = math.inf if group == "connect" else end + SLACK
                chosen = min((h for h in heads if h is not None and h[0] <= limit), default=None)
        if chosen is not None:
            taken.add(chosen[1:])
            after.setdefault((r, j), []).append(chosen[1:])
    for r, steps in enumerate(roles):
        if r == 0 or not steps or steps[0].call.time is None:
            continue
        first = steps[0].call.time
        for earlier in range(r):
            # never after a call that waits for this role: its clock reading may come late
            waits_here = [j for (e, j), needs in after.items() if e == earlier and any(o == r for o, _ in needs)]
            ended = [
                j
                for j, s in enumerate(roles[earlier])
                if _end(s.call, math.inf) <= first and j < min(waits_here, default=len(roles[earlier]))
            ]
            if ended:
                after.setdefault((r, 0), []).append((earlier, ended[-1]))
    return after


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _data(call: Syscall) -> str | None:
    """The bytes a send or receive carried, as strace printed them (the first string of its buffer)."""
    found = _STRING.search(call.args[1]) if len(call.args) > 1 else None
    return found.group(0) if found else None


def _start(call: Syscall) -> float:
    return call.time if call.time is not None else math.inf


def _end(call: Syscall, unknown: float) -> float:
    return unknown if call.time is None else call.time + (call.duration or 0.0)


def _source(call: Syscall, kind: str) -> str | None:
    """The group of another role's call that this call waited for, if it waited for one."""
    if call.failed:
        return None
    if kind in _ACCEPT_KINDS:
        return "connect"
    if kind == "receive" and call.retval is not None:
        return "send" if call.retval > 0 else "close" if call.retval == 0 else None
    return None


_GROUP = {"connect": "connect", "send": "send", "close": "close", "shutdown": "close"}
ANY = "*"  # the lane of all bytes (sent bytes are kept as strace's quoted text, never "*")


@dataclass
class _Lane:
    """One role's calls of one group, in order of their start; ``first`` skips the taken ones."""

    items: list[tuple[float, int, int]] = field(default_factory=list)
    head: int = 0

    def first(self, taken: set[tuple[int, int]]) -> tuple[float, int, int] | None:
        while self.head < len(self.items) and self.items[self.head][1:] in taken:
            self.head += 1
        return self.items[self.head] if self.head < len(self.items) else None

    def last_before(self, limit: float) -> tuple[float, int, int] | None:
        at = bisect.bisect_right(self.items, (limit, math.inf, math.inf))
        return self.items[at - 1] if at else None


@dataclass
class StandIns:
    """The stand-ins of one language's run: its ports and inodes, numbered in order of appearance."""

    ports: dict[str, str]
    inodes: dict[str, str]

    @classmethod
    def collect(cls, calls: Iterable[Syscall]) -> StandIns:
        """Ports first from socket addresses (so the server's port, which the
        exchange shows first, is 50001 in both languages), then from fd
        decorations (Go's probe sockets show theirs only there)."""
        calls = list(calls)
        found: list[str] = []
        inodes: dict[str, str] = {}
        for call in calls:
            for arg in call.args:
                found += [m.group(1) for m in _HTONS.finditer(arg)]
        for call in calls:
            for arg in call.args:
                for decoration in _DECORATION.findall(_UNIX_PEER.sub(r"\1", arg)):
                    found += [m.group(1) for m in _DECORATED_PORT.finditer(decoration)]
                    for m in _INODE.finditer(decoration):
                        inodes.setdefault(m.group(1), f"INODE{len(inodes) + 1}")
        ports: dict[str, str] = {}
        for port in found:
            if int(port) >= EPHEMERAL and port not in ports:
                ports[port] = str(FIRST_PORT + len(ports))
        return cls(ports, inodes)

    def text(self, text: str) -> str:
        """Any text (an argument, a stderr tail) with this run's stand-ins."""
        text = _POINTER.sub("PTR", text)
        text = _EPOLL_DATA.sub("u32=PTR, u64=PTR", text)
        text = _PID.sub("pid=PID", text)
        text = _NETLINK_PID.sub(lambda m: f"{m.group(1)}=PID" if m.group(1) else f"{m.group(2)}PID", text)
        text = _CLOCK.sub(lambda m: f"{m.group('key')}=TIME" if m.group("key") else "DATE", text)
        text = _DECORATION.sub(
            lambda m: _INODE.sub(lambda i: self.inodes.get(i.group(1), i.group(1)), _UNIX_PEER.sub(r"\1", m.group(0))),
            text,
        )
        return _PORT.sub(lambda m: m.group(1) + self.ports.get(m.group(2), m.group(2)), text)

    def call(self, call: Syscall, seq: int) -> Syscall:
        return Syscall(
            pid=0,
            name=call.name,
            args=tuple(self.text(arg) for arg in call.args),
            result=_POINTER.sub("PTR", call.result),
            errno=call.errno,
            errmsg=call.errmsg,
            time=float(seq),
            line_no=0,
            unfinished=call.unfinished,
            origin=call.origin,
            injected=call.injected,
        )


# --------------------------------------------------------------------------- to a document


def to_document(comparison: Comparison) -> dict[str, Any]:
    """The comparison as plain data, keys in reading order; fields that are empty are left out."""
    seq = sequence_numbers(comparison)
    notes: dict[str, Note] = {}
    for role in comparison.roles:
        for row in role.rows:
            for note in row.notes:
                notes.setdefault(note.id, note)
    return {
        "schema": SCHEMA,
        "scenario": comparison.scenario,
        "runtime": comparison.runtime,
        "environment": dict(comparison.environment),
        "observations": list(comparison.observations),
        "notes": [_note(note) for note in notes.values()],
        "roles": [
            {
                "role": role.role,
                "go": _program(role.go),
                "python": _program(role.python),
                "rows": [_row(row, seq) for row in role.rows],
            }
            for role in comparison.roles
        ],
    }


def sequence_numbers(comparison: Comparison) -> dict[int, int]:
    """id(call) → its number in its language's exchange: for a normalised comparison, its time."""
    numbers: dict[int, int] = {}
    for side in SIDES:
        calls = [
            (step.call.time if step.call.time is not None else math.inf, r, n, step.call)
            for r, role in enumerate(comparison.roles)
            for n, step in enumerate(side_steps(role, side))
        ]
        calls.sort(key=lambda c: c[:3])
        numbers.update((id(call), n) for n, (*_, call) in enumerate(calls, 1))
    return numbers


def _note(note: Note) -> dict[str, Any]:
    return {"id": note.id, "title": note.title, "text": note.text, "references": list(note.references)}


def _program(trace: Trace) -> dict[str, Any]:
    found: dict[str, Any] = {"label": trace.label, "exit_code": trace.exit_code, "timed_out": trace.timed_out}
    if trace.stderr:
        found["stderr"] = trace.stderr
    if trace.problems:
        found["problems"] = [{"line": p.line_no, "text": p.text, "reason": p.reason} for p in trace.problems]
    if trace.tcp_counters:
        found["tcp_counters"] = dict(trace.tcp_counters)
    return found


def _row(row: Row, seq: Mapping[int, int]) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": row.kind, "status": row.status}
    if row.differences:
        found["differences"] = list(row.differences)
    if row.notes:
        found["notes"] = [note.id for note in row.notes]
    if row.uncovered:
        found["uncovered"] = list(row.uncovered)
    for side, step in (("go", row.go), ("python", row.python)):
        if step is not None:
            found[side] = _call(step, seq[id(step.call)])
    return found


def _call(step: Step, seq: int) -> dict[str, Any]:
    call = step.call
    found: dict[str, Any] = {"seq": seq, "kind": step.kind, "syscall": call.name, "args": list(call.args)}
    found["result"] = call.result
    if call.errno is not None:
        found["errno"] = call.errno
    if call.errmsg is not None:
        found["errmsg"] = call.errmsg
    if call.unfinished:
        found["unfinished"] = True
    if call.injected is not None:
        found["injected"] = call.injected
    if call.origin is not None:
        origin = call.origin
        fields: dict[str, str | int | None] = {"api": origin.api, "file": origin.file, "line": origin.line}
        fields.update(helper=origin.helper, frame=origin.frame)
        found["origin"] = {k: v for k, v in fields.items() if v is not None}
    return found


# --------------------------------------------------------------------------- reading


def read(path: str | Path) -> Comparison:
    """A saved document (YAML, or JSON for a ``.json`` file) as a Comparison; InputError otherwise."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name} does not exist.") from None
    except IsADirectoryError:
        raise InputError(f"{name} is a directory, not a saved trace.") from None
    except OSError as exc:
        raise InputError(f"{name} cannot be read ({exc.strerror or exc}).") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not text: byte {exc.start} is not UTF-8.") from None
    return load(text, name, json_syntax=name.endswith(".json"))


def load(text: str, name: str = "the document", json_syntax: bool = False) -> Comparison:
    """Parse and check a document's text; see ``read``."""
    if not text.strip():
        raise InputError(f"{name} is empty.")
    data = _parse_json(text, name) if json_syntax else _parse_yaml(text, name)
    return from_document(data, name)


def _parse_json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
    except RecursionError:
        raise InputError(f"{name} is nested too deeply to be a tracer document.") from None


def _parse_yaml(text: str, name: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        """safe_load without anchors and aliases: tracer never writes them, and
        aliases let a small file stand for a huge document."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise InputError(
                    f"{name} uses a YAML alias (line {mark.line + 1}, column {mark.column + 1}), "
                    "which tracer documents never contain."
                )
            return super().compose_node(parent, index)

    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader: plain data only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = exc.problem or exc.context or "unreadable"
        raise InputError(f"{name} is not valid YAML: {problem}{where}.") from None
    except yaml.YAMLError as exc:
        raise InputError(
            f"{name} is not valid YAML: {str(exc).splitlines()[0] if str(exc) else 'unreadable'}."
        ) from None
    except RecursionError:
        raise InputError(f"{name} is nested too deeply to be a tracer document.") from None


def from_document(data: object, name: str = "the document") -> Comparison:
    """Check ``data`` (from ``safe_load``/``json.loads``) and rebuild its Comparison; InputError otherwise."""
    if not isinstance(data, dict):
        raise InputError(f"{name} holds {_a(data)}, not a tracer document (a mapping with 'schema: {SCHEMA}').")
    if "schema" not in data:
        raise InputError(f"{name} has no 'schema' key: it was not written by tracer export (schema {SCHEMA}).")
    if data["schema"] != SCHEMA:
        raise InputError(f"{name} is schema {_shown(data['schema'])}; this tracer reads {SCHEMA} only.")
    try:
        _check_text(data, [])
        error = _first_schema_error(data)
        if error is not None:
            raise InputError(f"{name}: {error}")
        return _build(data)
    except RecursionError:
        raise InputError(f"{name} is nested too deeply to be a tracer document.") from None
    except _Invalid as exc:
        raise InputError(f"{name}: {_path(exc.path)}: {exc.what}.") from None


class _Invalid(Exception):
    def __init__(self, path: Sequence[object], what: str) -> None:
        super().__init__(what)
        self.path, self.what = list(path), what


def _check_text(value: object, path: list[object]) -> None:
    """Strings must be printable as UTF-8 (YAML's \\ud800 escape makes ones that are not)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _Invalid(path, "holds a character that is not text (a lone surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path)
            _check_text(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, [*path, index])


_validator: Any = None


def _first_schema_error(data: object) -> str | None:
    """The first schema error in document order, as ``path: what is wrong.``"""
    global _validator
    if _validator is None:
        import jsonschema

        schema = json.loads(SCHEMA_FILE.read_text())
        _validator = jsonschema.Draft202012Validator(schema)
    errors = list(_validator.iter_errors(data))
    if not errors:
        return None
    error = min(errors, key=lambda e: (_order(data, list(e.absolute_path)), -len(e.absolute_path)))
    return f"{_path(list(error.absolute_path))}: {_describe(error)}."


def _order(data: object, path: list[object]) -> list[int]:
    """Where ``path`` is in the document, as positions, so that errors come in reading order."""
    found = []
    node = data
    for step in path:
        if isinstance(node, dict):
            keys = list(node)
            found.append(keys.index(step) if step in keys else len(keys))
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int):
            found.append(step)
            node = node[step] if 0 <= step < len(node) else None
        else:
            found.append(0)
    return found


TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
    "number": "a number",
}


def _describe(error: Any) -> str:
    kind, expected, instance = error.validator, error.validator_value, error.instance
    if "propertyNames" in error.schema_path:
        return f"the key {_shown(instance)} is not a string"
    if kind == "type":
        wanted = [expected] if isinstance(expected, str) else list(expected)
        return f"expected {' or '.join(TYPE_NAMES.get(w, w) for w in wanted)}, found {_shown(instance)}"
    if kind == "required":
        missing = [key for key in expected if isinstance(instance, dict) and key not in instance]
        return f"'{missing[0] if missing else expected[0]}' is missing"
    if kind == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        extra = [key for key in instance if key not in known] if isinstance(instance, dict) else []
        allowed = ", ".join(error.schema.get("properties", {}))
        return f"unknown key {_shown(extra[0] if extra else '?')} (allowed: {allowed})"
    if kind == "enum":
        return f"expected one of {', '.join(map(str, expected))}, found {_shown(instance)}"
    if kind == "const":
        return f"expected {_shown(expected)}, found {_shown(instance)}"
    if kind == "minLength":
        return "must not be empty"
    if kind == "minimum":
        return f"expected a number of at least {expected}, found {_shown(instance)}"
    if kind == "propertyNames":
        return f"key {_shown(instance)} is not allowed"
    return str(error.message).split("\n")[0]


def _shown(value: object) -> str:
    """A short, safe picture of a value for an error sentence."""
    if isinstance(value, (dict, list)) or value is None:
        return _a(value)
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _a(value: object) -> str:
    if value is None:
        return "nothing (null)"
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return names.get(type(value), f"a {type(value).__name__}")


def _path(path: Sequence[object]) -> str:
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif isinstance(step, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", step):
            text += f".{step}" if text else step
        else:
            text += f"[{_shown(step)}]"
    return text or "the top level"


# --------------------------------------------------------------------------- from a document
# The schema has been checked: every value below has the type the schema says.


def _build(data: dict[str, Any]) -> Comparison:
    notes: dict[str, Note] = {}
    for n, note in enumerate(data.get("notes", [])):
        if note["id"] in notes:
            raise _Invalid(["notes", n, "id"], f"the note id {_shown(note['id'])} is given twice")
        notes[note["id"]] = Note(note["id"], note["title"], note["text"], tuple(note.get("references", [])))
    used: dict[str, set[int]] = {side: set() for side in SIDES}
    roles = []
    for r, role in enumerate(data["roles"]):
        rows = tuple(_build_row(row, ["roles", r, "rows", i], notes, used) for i, row in enumerate(role["rows"]))
        traces = [
            _build_trace(role[side], role["role"], [row.go if side == "go" else row.python for row in rows])
            for side in SIDES
        ]
        roles.append(RoleComparison(role["role"], traces[0], traces[1], rows))
    return Comparison(
        scenario=data["scenario"],
        runtime=data["runtime"],
        roles=tuple(roles),
        environment=dict(data.get("environment", {})),
        observations=tuple(data.get("observations", [])),
    )


def _build_row(row: dict[str, Any], path: list[object], notes: Mapping[str, Note], used: dict[str, set[int]]) -> Row:
    steps: dict[str, Step | None] = {}
    for side in SIDES:
        steps[side] = None
        if side in row:
            seq = int(row[side]["seq"])
            if seq in used[side]:
                raise _Invalid([*path, side, "seq"], f"{seq} is the number of another {side} call")
            used[side].add(seq)
            steps[side] = _build_step(row[side])
    if steps["go"] is None and steps["python"] is None:
        raise _Invalid(path, "a row needs a go call, a python call, or both")
    row_notes = []
    for n, note_id in enumerate(row.get("notes", [])):
        if note_id not in notes:
            raise _Invalid([*path, "notes", n], f"no note {_shown(note_id)} in the document's notes")
        row_notes.append(notes[note_id])
    differences = tuple(row.get("differences", []))
    for n, difference in enumerate(row.get("uncovered", [])):
        if difference not in differences:
            raise _Invalid([*path, "uncovered", n], f"{_shown(difference)} is not one of the row's differences")
    built = Row(
        row["kind"], steps["go"], steps["python"], differences, tuple(row_notes), tuple(row.get("uncovered", []))
    )
    if built.status != row["status"]:
        raise _Invalid([*path, "status"], f"{_shown(row['status'])} does not fit the row, which is {built.status!r}")
    return built


def _build_step(call: dict[str, Any]) -> Step:
    origin = call.get("origin")
    return Step(
        call["kind"],
        Syscall(
            pid=0,
            name=call["syscall"],
            args=tuple(call["args"]),
            result=call["result"],
            errno=call.get("errno"),
            errmsg=call.get("errmsg"),
            time=float(int(call["seq"])),
            unfinished=bool(call.get("unfinished", False)),
            injected=call.get("injected"),
            origin=None
            if origin is None
            else Origin(
                api=origin["api"],
                file=origin.get("file"),
                line=None if origin.get("line") is None else int(origin["line"]),
                helper=origin.get("helper"),
                frame=origin.get("frame"),
            ),
        ),
    )


def _build_trace(program: dict[str, Any], role: str, steps: Iterable[Step | None]) -> Trace:
    calls = sorted((step.call for step in steps if step is not None), key=lambda c: c.time or 0.0)
    return Trace(
        label=program["label"],
        role=role,
        events=tuple(calls),
        problems=tuple(Problem(int(p["line"]), p["text"], p["reason"]) for p in program.get("problems", [])),
        exit_code=None if program["exit_code"] is None else int(program["exit_code"]),
        timed_out=program["timed_out"],
        stderr=program.get("stderr", ""),
        tcp_counters={k: int(v) for k, v in program.get("tcp_counters", {}).items()},
    )
