"""The comparison as JSON: the same document as the YAML export (schema ``tracer/v1``).

Contract: ``render(comparison) -> str`` is ``tracer.document.to_document`` as
indented JSON with a final newline; ``tracer show`` reads it back.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from tracer.document import to_document
from tracer.model import Comparison, Step, Trace


def render(comparison: Comparison) -> str:
    return json.dumps(to_document(comparison), indent=2, ensure_ascii=False) + "\n"


Shown = Sequence[tuple[Trace, Sequence[Step]]]


def traces_document(name: str, runtime: str, traces: Shown) -> dict[str, Any]:
    """What ``tracer trace`` and ``tracer parse`` show, as data: per program, its shown steps with their origins."""
    return {
        "scenario": name,
        "runtime": runtime,
        "programs": [
            {
                "label": trace.label,
                "role": trace.role,
                "exit_code": trace.exit_code,
                "timed_out": trace.timed_out,
                "syscalls": len(trace.syscalls),
                "steps": [
                    {
                        "kind": step.kind,
                        "syscall": step.call.name,
                        "args": list(step.call.args),
                        "result": step.call.result,
                        "errno": step.call.errno,
                        "origin": dataclasses.asdict(step.call.origin) if step.call.origin else None,
                    }
                    for step in steps
                ],
            }
            for trace, steps in traces
        ],
    }


def render_traces(name: str, runtime: str, traces: Shown) -> str:
    return json.dumps(traces_document(name, runtime, traces), indent=2) + "\n"
