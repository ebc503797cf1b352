"""Notes: explain the rows of an alignment from the data file ``notes.yaml``.

Contract: ``load()`` reads and checks the notes (a malformed file is an
``InputError`` naming the note and the field); ``explain(rows, notes)``
returns new rows carrying the notes whose ``when`` conditions hold and,
for rows that differ, the differences no note covers (``Row.uncovered``).
Pure apart from ``load``, and safe on empty input. What each condition means
is written at the top of notes.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from tracer.errors import InputError
from tracer.model import Note, Row, Step

LISTS = ("status", "kind", "syscall", "errno")
PATTERNS = ("args", "frame", "api", "difference")


@dataclass(frozen=True)
class Rule:
    note: Note
    lists: dict[str, frozenset[str]]
    patterns: dict[str, re.Pattern[str]]

    def holds(self, row: Row) -> bool:
        """Every condition but ``difference`` holds for the row."""
        sides = [s for s in (row.go, row.python) if s is not None]
        checks = {
            "status": lambda allowed: row.status in allowed,
            "kind": lambda allowed: row.kind in allowed,
            "syscall": lambda allowed: any(s.call.name in allowed for s in sides),
            "errno": lambda allowed: any(s.call.errno in allowed for s in sides),
        }
        if not all(checks[name](allowed) for name, allowed in self.lists.items()):
            return False
        args = self.patterns.get("args")
        if args is not None and not any(args.search(", ".join(s.call.args)) for s in sides):
            return False
        frame = self.patterns.get("frame")
        if frame is not None and not any(frame.search(_frame(s)) for s in sides):
            return False
        api = self.patterns.get("api")
        return api is None or any(api.search(_api(s)) for s in sides)

    def covers(self, difference: str) -> bool:
        pattern = self.patterns.get("difference")
        return pattern is not None and pattern.search(difference) is not None


def _frame(step: Step) -> str:
    origin = step.call.origin
    return origin.frame or "" if origin is not None else ""


def _api(step: Step) -> str:
    """The API call and the library function that made it, as one text to search."""
    origin = step.call.origin
    return f"{origin.api} {origin.helper or ''}".strip() if origin is not None else ""


@cache
def load() -> tuple[Rule, ...]:
    text = resources.files("tracer").joinpath("notes.yaml").read_text()
    return parse(text)


def parse(text: str) -> tuple[Rule, ...]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it: several times faster
    try:
        document = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise InputError(f"notes.yaml is not valid YAML ({exc.__class__.__name__}).") from None
    if not isinstance(document, dict) or not isinstance(document.get("notes"), list):
        raise InputError("notes.yaml must hold a mapping with a list under 'notes'.")
    rules = []
    for index, entry in enumerate(document["notes"]):
        rules.append(_rule(entry, f"notes[{index}]"))
    return tuple(rules)


def _rule(entry: Any, where: str) -> Rule:
    if not isinstance(entry, dict):
        raise InputError(f"notes.yaml {where} must be a mapping.")
    for field in ("id", "title", "text"):
        if not isinstance(entry.get(field), str) or not entry[field].strip():
            raise InputError(f"notes.yaml {where}.{field} must be a non-empty string.")
    refs = entry.get("references", [])
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        raise InputError(f"notes.yaml {where}.references must be a list of strings.")
    when = entry.get("when")
    if not isinstance(when, dict) or not when:
        raise InputError(f"notes.yaml {where}.when must be a mapping with at least one condition.")
    lists: dict[str, frozenset[str]] = {}
    patterns: dict[str, re.Pattern[str]] = {}
    for name, value in when.items():
        if name in LISTS:
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str) for v in values):
                raise InputError(f"notes.yaml {where}.when.{name} must be a string or a list of strings.")
            lists[name] = frozenset(values)
        elif name in PATTERNS:
            try:
                patterns[name] = re.compile(str(value))
            except re.error as exc:
                raise InputError(f"notes.yaml {where}.when.{name} is not a valid regular expression ({exc}).") from None
        else:
            raise InputError(f"notes.yaml {where}.when has an unknown condition '{name}'.")
    note = Note(entry["id"], entry["title"].strip(), " ".join(entry["text"].split()), tuple(refs))
    return Rule(note, lists, patterns)


def explain(rows: Iterable[Row], rules: Sequence[Rule] | None = None) -> list[Row]:
    rules = load() if rules is None else rules
    explained = []
    for row in rows:
        if row.status == "same":
            explained.append(row)
            continue
        holding = [rule for rule in rules if rule.holds(row)]
        if row.status == "differs":
            uncovered = tuple(d for d in row.differences if not any(rule.covers(d) for rule in holding))
            notes = tuple(r.note for r in holding if any(r.covers(d) for d in row.differences))
        else:
            uncovered = ()
            notes = tuple(r.note for r in holding if "difference" not in r.patterns)
        explained.append(replace(row, notes=notes, uncovered=uncovered))
    return explained
