"""The terminal view: per role, Go and Python side by side, differences marked.

Contract: ``render(comparison, console)`` prints one table per role, then the
per-role summary and any warning about how a program ended (timed out, exited
non-zero, unreadable log lines). Call text is shortened for reading: fds lose
their ``-yy`` decoration, addresses print as ``host:port``, buffers are cut.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracer.model import Comparison, Exit, Origin, RoleComparison, Row, Step, Syscall, Trace
from tracer.strace.decode import sockaddr

MAX_STRING = 40
WIDE = 140  # columns from which differences get their own column
# TcpExt counters that tell of refused, dropped or retried connections; the
# others (ACK and segment statistics) change on every run and say little.
TROUBLE_COUNTERS = {
    "ListenOverflows",
    "ListenDrops",
    "TCPReqQFullDrop",
    "TCPReqQFullDoCookies",
    "TCPSynRetrans",
    "TCPTimeouts",
    "TCPBacklogDrop",
    "TCPAbortOnTimeout",
    "TCPAbortOnData",
    "TCPAbortOnClose",
    "OutOfWindowIcmps",
}
STATUS_STYLE = {"same": "", "differs": "yellow", "go-only": "cyan", "python-only": "magenta"}
STATUS_MARK = {"same": "=", "differs": "≠", "go-only": "Go", "python-only": "Py"}
FD_DECORATION = re.compile(r"^(-?\d+|[A-Z_]+)<.*>$", re.S)
EPOLL_EVENTS = re.compile(r"events=([A-Z0-9_|]+)")


def short_arg(arg: str) -> str:
    fd = FD_DECORATION.match(arg)
    if fd:
        return fd.group(1)
    if arg.startswith("{sa_family="):
        addr = sockaddr(arg)
        if addr is not None:
            if addr.path is not None:
                return addr.path
            if addr.address is not None:
                host = f"[{addr.address}]" if ":" in addr.address else addr.address
                return f"{host}:{addr.port}"
            return "{" + addr.family + "}"  # an unnamed unix socket, a netlink address
    if arg.startswith(("{events=", "[{events=")):
        events = ", ".join("{" + e + "}" for e in EPOLL_EVENTS.findall(arg))
        return events if arg[0] == "{" else f"[{events}]"
    if arg.startswith('"') and len(arg) > MAX_STRING:
        return arg[: MAX_STRING - 1] + '"…'
    return arg


def short_call(call: Syscall) -> str:
    text = f"{call.name}({', '.join(short_arg(a) for a in call.args)}) = {call.result}"
    if call.errno:
        text += f" {call.errno}"
    return text


def origin_text(origin: Origin | None) -> str:
    """``net.Listen main.go:11``; ``socket.connect main.py:8 (in socket.create_connection)``;
    ``runtime: runtime.netpoll``."""
    if origin is None:
        return ""
    if origin.api == "runtime":
        text = f"runtime: {origin.frame}" if origin.frame else "runtime"
        return f"{text}, once, in {origin.helper} {origin.where}".strip() if origin.helper else text
    text = f"{origin.api} {origin.where}".strip()
    return f"{text} (in {origin.helper})" if origin.helper else text


def _cell(step: Step | None, shown_origin: str) -> Text:
    """The call, under its origin when the origin is not the one just shown on this side."""
    if step is None:
        return Text("")
    cell = Text()
    origin = origin_text(step.call.origin)
    if origin and origin != shown_origin:
        cell.append(origin + "\n", style="dim")
    cell.append(short_call(step.call))
    return cell


# Phases a socket goes through, in order; a row moves the phase forward, or
# starts a new round after a close (the next connection of a server).
PHASE_OF = {
    "create": 0,
    "bind": 0,
    "listen": 0,
    "config": 0,
    "accept": 1,
    "connect": 1,
    "send": 2,
    "receive": 2,
    "shutdown": 3,
    "close": 3,
}
PHASES = ("set-up", "connection", "data", "close")


def phases(rows: Sequence[Row]) -> list[int]:
    """The phase of each row. Calls the runtime makes on its own (probes) do
    not move the phase: they are not the program's own story."""
    current, found = 0, []
    for row in rows:
        step = row.go or row.python
        phase = PHASE_OF.get(row.kind)
        by_runtime = step is not None and step.call.origin is not None and step.call.origin.api == "runtime"
        if phase is not None and not by_runtime and (phase > current or current == 3):
            current = phase
        found.append(current)
    return found


def explanation(row: Row, wide: bool) -> Text:
    text = Text()
    for difference in row.differences:
        text.append(("" if wide else "≠ ") + difference + "\n", style="italic")
    if row.notes:
        text.append("→ " + ", ".join(note.id for note in row.notes) + "\n", style="dim")
    if not row.explained:
        text.append("? unexplained\n", style="bold red")
    text.rstrip()
    return text


def role_table(role: RoleComparison, width: int) -> Table:
    """One role's rows, in phases. Differences and their notes get a column of
    their own when the terminal is wide enough; otherwise they go under the
    Python call, where a reader comparing left to right arrives last."""
    wide = width >= WIDE
    table = Table(title=role.role, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("", width=2, no_wrap=True)
    table.add_column("step", no_wrap=True)
    table.add_column("Go", overflow="fold")
    table.add_column("Python", overflow="fold")
    if wide:
        table.add_column("difference", overflow="fold")
    last = {"go": "", "python": ""}  # one API call often makes several rows: name it once
    shown_phase = None
    for row, phase in zip(role.rows, phases(role.rows), strict=True):
        if phase != shown_phase:
            if shown_phase is not None:
                table.add_section()
            table.add_row("", Text(PHASES[phase], style="bold underline"))
            shown_phase = phase
        go, python = _cell(row.go, last["go"]), _cell(row.python, last["python"])
        for side, step in (("go", row.go), ("python", row.python)):
            if step is not None:
                last[side] = origin_text(step.call.origin)
        cells: list[str | Text] = [STATUS_MARK[row.status], row.kind, go, python]
        if wide:
            cells.append(explanation(row, wide))
        elif row.differences or row.notes or not row.explained:
            if python.plain:
                python.append("\n")
            python.append_text(explanation(row, wide))
        table.add_row(*cells, style=STATUS_STYLE[row.status] if row.explained else "red")
    return table


def summary(rows: Sequence[Row]) -> str:
    counts = Counter(row.status for row in rows)
    unexplained = sum(not row.explained for row in rows)
    return (
        f"{counts['same']} shared, {counts['differs']} differ, "
        f"{counts['go-only']} Go only, {counts['python-only']} Python only, "
        f"{unexplained} unexplained"
    )


def warnings(trace: Trace) -> list[str]:
    found = []
    who = f"the {trace.label} {trace.role}"
    killed = [e.signal for e in trace.events if isinstance(e, Exit) and e.signal]
    if trace.timed_out:
        found.append(f"{who} was killed at the timeout; its trace stops there")
    elif killed:
        found.append(f"{who} was killed by {killed[-1]}: {trace.stderr.strip()[-200:] or 'it printed nothing'}")
    elif trace.exit_code not in (0, None):
        found.append(f"{who} exited with status {trace.exit_code}: {trace.stderr.strip()[-200:]}")
    unreachable = [c for c in trace.syscalls if c.name == "connect" and c.errno in ("ENETUNREACH", "EHOSTUNREACH")]
    if unreachable:
        target = short_arg(unreachable[0].args[1]) if len(unreachable[0].args) > 1 else "another host"
        found.append(
            f"{who} tried to reach {target}: containers have only loopback;"
            " trace it with --runtime local if it must leave the machine"
        )
    if trace.problems:
        found.append(
            f"{who}: {len(trace.problems)} log line(s) could not be read (first: line {trace.problems[0].line_no})"
        )
    return found


def render(comparison: Comparison, console: Console) -> None:
    console.print(Text(f"tracer compare {comparison.scenario}  ·  runtime: {comparison.runtime}", style="bold"))
    if comparison.environment:
        console.print(Text("  ·  ".join(f"{k} {v}" for k, v in comparison.environment.items()), style="dim"))
    for role in comparison.roles:
        console.print()
        console.print(role_table(role, console.width))
        console.print(f"  {role.role}: {summary(role.rows)}")
        for warning in warnings(role.go) + warnings(role.python):
            console.print(Text(f"  warning: {warning}", style="red"))
        for trace in (role.go, role.python):
            counted = {k: v for k, v in trace.tcp_counters.items() if k in TROUBLE_COUNTERS}
            if counted and trace.role == comparison.roles[0].role:  # one session, counted once
                listed = ", ".join(f"{name} {value}" for name, value in sorted(counted.items()))
                console.print(Text(f"  the kernel counted during the {trace.label} run: {listed}"))
    used = comparison.notes
    if used:
        console.print()
        console.print(Text("Notes", style="bold"))
        for note in used:
            console.print(Text.assemble(("  " + note.id, "bold"), f"  {note.title}. {note.text}"), soft_wrap=False)
            console.print(Text("      see " + "; ".join(note.references), style="dim"))
    if comparison.observations:
        console.print()
        console.print(Text("What this run showed", style="bold"))
        for sentence in comparison.observations:
            console.print(Text(f"  • {sentence}"), soft_wrap=True)


def trace_table(trace: Trace, steps: Sequence[Step]) -> Table:
    """One program's calls: what made each (API and line) and what the kernel answered."""
    table = Table(title=f"{trace.label} {trace.role}", title_justify="left", title_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("step", no_wrap=True)
    table.add_column("made by", overflow="fold")
    table.add_column("call", overflow="fold")
    for number, step in enumerate(steps, 1):
        failed = step.call.failed
        table.add_row(
            str(number),
            step.kind,
            Text(origin_text(step.call.origin), style="dim"),
            Text(short_call(step.call), style="red" if failed else ""),
        )
    return table


def render_traces(title: str, traces: Sequence[tuple[Trace, Sequence[Step]]], console: Console) -> None:
    console.print(Text(title, style="bold"))
    for trace, steps in traces:
        console.print()
        console.print(trace_table(trace, steps))
        console.print(f"  {len(steps)} of {len(trace.syscalls)} recorded syscalls shown")
        for warning in warnings(trace):
            console.print(Text(f"  warning: {warning}", style="red"))
