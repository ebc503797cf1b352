"""The comparison as JSON: every row with both calls in full (arguments as strace printed them)."""

from __future__ import annotations

import dataclasses
import json

from tracer.model import Comparison


def render(comparison: Comparison) -> str:
    return json.dumps(dataclasses.asdict(comparison), indent=1, default=str) + "\n"
