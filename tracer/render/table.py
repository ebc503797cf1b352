"""The terminal view: per role, Go and Python side by side, differences marked.

Contract: ``render(comparison, console)`` prints one table per role, then the
per-role summary and any warning about how a program ended (timed out, exited
non-zero, unreadable log lines). Call text is shortened for reading: fds lose
their ``-yy`` decoration, addresses print as ``host:port``, buffers are cut.
"""

from __future__ import annotations

import re
from collections import Counter

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracer.model import Comparison, RoleComparison, Row, Step, Syscall, Trace
from tracer.strace.decode import sockaddr

MAX_STRING = 40
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
            host = f"[{addr.address}]" if addr.address and ":" in addr.address else addr.address
            return f"{host}:{addr.port}"
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


def _cell(step: Step | None) -> Text:
    return Text(short_call(step.call)) if step else Text("")


def role_table(role: RoleComparison) -> Table:
    table = Table(title=role.role, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("", width=2, no_wrap=True)
    table.add_column("step", style="bold", no_wrap=True)
    table.add_column("Go", overflow="fold")
    table.add_column("Python", overflow="fold")
    table.add_column("difference", overflow="fold")
    for row in role.rows:
        table.add_row(
            STATUS_MARK[row.status],
            row.kind,
            _cell(row.go),
            _cell(row.python),
            "\n".join(row.differences),
            style=STATUS_STYLE[row.status],
        )
    return table


def summary(rows: tuple[Row, ...]) -> str:
    counts = Counter(row.status for row in rows)
    return (
        f"{counts['same']} shared, {counts['differs']} differ, "
        f"{counts['go-only']} Go only, {counts['python-only']} Python only"
    )


def warnings(trace: Trace) -> list[str]:
    found = []
    who = f"the {trace.label} {trace.role}"
    if trace.timed_out:
        found.append(f"{who} was killed at the timeout; its trace stops there")
    elif trace.exit_code not in (0, None):
        found.append(f"{who} exited with status {trace.exit_code}: {trace.stderr.strip()[-200:]}")
    if trace.problems:
        found.append(
            f"{who}: {len(trace.problems)} log line(s) could not be read (first: line {trace.problems[0].line_no})"
        )
    return found


def render(comparison: Comparison, console: Console) -> None:
    console.print(Text(f"tracer compare {comparison.scenario}  ·  runtime: {comparison.runtime}", style="bold"))
    for role in comparison.roles:
        console.print()
        console.print(role_table(role))
        console.print(f"  {role.role}: {summary(role.rows)}")
        for warning in warnings(role.go) + warnings(role.python):
            console.print(Text(f"  warning: {warning}", style="red"))
