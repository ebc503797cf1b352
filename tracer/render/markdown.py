"""The comparison as a Markdown page for docs, with a Mermaid sequence diagram per language.

Contract: ``render(comparison) -> str`` is a GitHub-flavoured Markdown page: a
title, the environment, what the run showed, per role the aligned table
(step | Go | Python | difference, each call under its API and file:line, in
the phases, with the notes and the rows no note explains, as the terminal
table shows them), the notes the rows refer to, and for each
language a ``sequenceDiagram`` of the client ⇄ server exchange. It depends
on the comparison alone (and the scenario's summary from the registry), so a
page made from a saved document equals the page of the live run.

The diagram shows the calls that make the exchange (create, bind, listen,
connect, accept, send, receive, shutdown, close) on the sockets that took part
in it (Go's probe sockets are left out), in the order of ``Syscall.time``,
which ``tracer.document.normalise`` sets to each call's place in the exchange.
A call that hands something over from the kernel (an accept that returned a
connection, a receive) is an arrow from the kernel; every other call is an
arrow to it.
"""

from __future__ import annotations

import math
import re

from tracer.align import lives
from tracer.document import SIDES, side_steps
from tracer.model import Comparison, Note, RoleComparison, Step, Syscall
from tracer.render.json import Shown
from tracer.render.table import (
    PHASES,
    STATUS_MARK,
    TROUBLE_COUNTERS,
    origin_text,
    phases,
    short_call,
    summary,
    warnings,
)

LANG_NAMES = {"go": "Go", "python": "Python"}
DIAGRAM_KINDS = {"create", "bind", "listen", "connect", "accept", "send", "receive", "shutdown", "close"}
EXCHANGE_KINDS = {"listen", "connect", "accept", "send", "receive", "shutdown"}
DELIVERED = {"accept", "receive"}  # the kernel hands a connection or data over: an arrow from the kernel
KERNEL = "kernel"
MESSAGE_WIDTH = 100  # characters of a call shown on an arrow
# Words the Mermaid sequence grammar reserves; a role with such a name gets a plain id.
MERMAID_WORDS = {
    "participant", "actor", "as", "loop", "alt", "else", "opt", "par", "and", "rect", "end", "note", "over",
    "left", "right", "of", "activate", "deactivate", "autonumber", "title", "box", "critical", "break", "link",
    "links", "create", "destroy", "sequencediagram", "kernel",
}  # fmt: skip
# In a message, '#' starts an entity code and ';' ends the statement; '<' and '>' would be read as HTML.
MERMAID_CODES = {"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;"}
_MERMAID_SPECIAL = re.compile("[#;<>]")
# Escaped in plain text: what starts code, emphasis, links or HTML, and the cell separator. An
# underscore inside a word (SOCK_NONBLOCK) is not emphasis in GFM, so it stays readable there.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def render(comparison: Comparison) -> str:
    parts = [f"# {md(comparison.scenario)}", ""]
    described = _summary(comparison.scenario)
    if described:
        parts += [md(described), ""]
    parts += [
        f"The Go and the Python program of {code(comparison.scenario)}, traced with strace "
        f"(runtime: {md(comparison.runtime)}) and lined up by `tracer`: each row is one step the kernel "
        "takes; `=` rows are the same on both sides, `≠` rows differ as the last column says, "
        "`Go` and `Py` rows are steps only one side makes; a row no note explains says so. Ports, "
        "pointers, inode numbers and times are replaced by stable stand-ins, and the Go runtime's "
        "netpoller waits and retried EAGAIN calls, whose number depends on timing, are left out.",
        "",
        "## Environment",
        "",
    ]
    if comparison.environment:
        parts += ["| | |", "|---|---|"]
        parts += [f"| {md(key)} | {md(value)} |" for key, value in comparison.environment.items()]
    else:
        parts.append("Not recorded.")
    parts.append("")
    if comparison.observations:
        parts += ["## What this run showed", ""]
        parts += [f"- {md(sentence)}" for sentence in comparison.observations]
        parts.append("")
    for role in comparison.roles:
        parts += _role(comparison, role)
    notes = comparison.notes
    if notes:
        parts += ["## Notes", ""]
        for note in notes:
            parts += _note(note)
    parts += ["## Sequence diagrams", ""]
    parts += [
        "The calls that make the client ⇄ server exchange, on the sockets that took part in it, in the "
        "order the exchange forces (a connect before the accept it completes, a send before the receive "
        "that gets its bytes). Socket options, the poller and Go's probe sockets are in the tables above.",
        "",
    ]
    for side in SIDES:
        parts += [f"### {LANG_NAMES[side]}", ""]
        lines = diagram(comparison, side)
        parts += ["```mermaid", *lines, "```", ""] if lines else ["No exchange was recorded.", ""]
    return "\n".join(parts).rstrip("\n") + "\n"


def _summary(scenario: str) -> str:
    from tracer.scenarios import SCENARIOS

    known = SCENARIOS.get(scenario)
    return known.summary if known is not None else ""


def _role(comparison: Comparison, role: RoleComparison) -> list[str]:
    parts = [f"## {md(role.role)}", ""]
    parts += ["| | step | Go | Python | difference |", "|---|---|---|---|---|"]
    last = {"go": "", "python": ""}  # one API call often makes several rows: name it once, as the table does
    shown_phase = None
    for row, phase in zip(role.rows, phases(role.rows), strict=True):
        if phase != shown_phase:
            parts.append(f"| | **{md(PHASES[phase])}** | | | |")
            shown_phase = phase
        cells = [STATUS_MARK[row.status], md(row.kind)]
        for side, step in (("go", row.go), ("python", row.python)):
            cells.append(_cell(step, last[side]))
            if step is not None:
                last[side] = origin_text(step.call.origin)
        explained = [md(d) for d in row.differences]
        if row.notes:
            explained.append("see " + ", ".join(f"[{md(n.id)}](#{_anchor(n.id)})" for n in row.notes))
        if not row.explained:
            explained.append("**? unexplained**")
        cells.append("<br>".join(explained))
        parts.append("| " + " | ".join(cells) + " |")
    parts += ["", f"{md(role.role)}: {summary(role.rows)}."]
    for warning in warnings(role.go) + warnings(role.python):
        parts.append(f"**Warning:** {md(warning)}.")
    for trace in (role.go, role.python):
        counted = {k: v for k, v in trace.tcp_counters.items() if k in TROUBLE_COUNTERS}
        if counted and trace.role == comparison.roles[0].role:  # one session, counted once (as the table does)
            listed = ", ".join(f"{name} {value}" for name, value in sorted(counted.items()))
            parts.append(f"The kernel counted during the {LANG_NAMES.get(trace.label, trace.label)} run: {md(listed)}.")
    return [*parts, ""]


def _cell(step: Step | None, shown_origin: str) -> str:
    if step is None:
        return ""
    origin = origin_text(step.call.origin)
    call = code(short_call(step.call))
    return f"*{md(origin)}*<br>{call}" if origin and origin != shown_origin else call


def _note(note: Note) -> list[str]:
    parts = [f"### {md(note.id)}", "", f"**{md(note.title)}** {md(note.text)}", ""]
    if note.references:
        parts += [f"- {md(reference)}" for reference in note.references]
        parts.append("")
    return parts


def _anchor(note_id: str) -> str:
    """GitHub's heading id: lower case, spaces to dashes, other punctuation dropped."""
    return re.sub(r"[^\w\- ]", "", note_id.lower()).replace(" ", "-")


def diagram(comparison: Comparison, side: str) -> list[str]:
    """The Mermaid ``sequenceDiagram`` lines of one language's exchange; [] when it made none."""
    ids = _participants(comparison)
    events: list[tuple[float, int, int, str, Step]] = []
    for r, role in enumerate(comparison.roles):
        steps = side_steps(role, side)
        for life in lives(steps):
            kinds = set(life.kinds())
            if life.origin != "accept" and not kinds & EXCHANGE_KINDS:
                continue  # a socket that never took part in the exchange (Go's probes)
            for n, step in life.steps:
                if step.kind in DIAGRAM_KINDS:
                    events.append((_time(step.call), r, n, ids[r], step))
    if not events:
        return []
    lines = ["sequenceDiagram"]
    for r, role in enumerate(comparison.roles):
        lines.append(f"    participant {ids[r]} as {mermaid_text(f'{role.role} ({LANG_NAMES.get(side, side)})')}")
        if r == 0:
            lines.append(f"    participant {KERNEL}")
    if len(comparison.roles) == 0:
        lines.append(f"    participant {KERNEL}")
    for _, _, _, who, step in sorted(events, key=lambda e: e[:3]):
        text = mermaid_text(_shorter(short_call(step.call)))
        if step.kind in DELIVERED and not step.call.failed:
            lines.append(f"    {KERNEL}-->>{who}: {text}")
        else:
            lines.append(f"    {who}->>{KERNEL}: {text}")
    return lines


def _shorter(text: str) -> str:
    """A message fits the diagram's width; the table above has the call in full."""
    return text if len(text) <= MESSAGE_WIDTH else text[: MESSAGE_WIDTH - 1] + "…"


def _participants(comparison: Comparison) -> list[str]:
    ids: list[str] = []
    for r, role in enumerate(comparison.roles):
        name = role.role
        plain = re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) and name.lower() not in MERMAID_WORDS
        ids.append(name if plain and name not in ids else f"role{r + 1}")
    return ids


def _time(call: Syscall) -> float:
    return call.time if call.time is not None else math.inf


def mermaid_text(text: str) -> str:
    """Text safe inside a Mermaid message or participant label (entity codes for what the grammar takes)."""
    return _MERMAID_SPECIAL.sub(lambda m: MERMAID_CODES[m.group(0)], text.replace("\n", " "))


def md(text: str) -> str:
    """Plain text safe in Markdown and in a table cell (punctuation the syntax uses is escaped)."""
    return _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), text.replace("\n", " "))


def code(text: str) -> str:
    """A code span that holds ``text`` as is, even with backticks; ``|`` escaped for table cells."""
    text = text.replace("\n", " ").replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_traces(name: str, runtime: str, traces: Shown) -> str:
    """``tracer trace``/``tracer parse`` as Markdown: a table of each program's calls."""
    lines = [f"# {md(name)}", "", f"Runtime: {md(runtime)}.", ""]
    for trace, steps in traces:
        lines += [f"## {md(trace.label)} {md(trace.role)}", ""]
        lines += ["| # | step | made by | call |", "|---|---|---|---|"]
        for number, step in enumerate(steps, 1):
            origin = origin_text(step.call.origin)
            lines.append(f"| {number} | {step.kind} | {md(origin)} | {code(short_call(step.call))} |")
        lines += ["", f"{len(steps)} of {len(trace.syscalls)} recorded syscalls shown.", ""]
        lines += [f"> {md(warning)}" for warning in warnings(trace)]
    return "\n".join(lines).rstrip("\n") + "\n"
