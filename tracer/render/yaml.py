"""The comparison as a YAML document (schema ``tracer/v1``), for docs and for ``tracer show``.

Contract: ``render(comparison) -> str`` dumps ``tracer.document.to_document``
in block style, keys in reading order, lists indented under their key, no
anchors or Python tags, lines never folded: ``yaml.safe_load`` reads it back
to the same data. Give it a normalised comparison (``tracer.document.normalise``)
for output that is the same on every run.
"""

from __future__ import annotations

from typing import Any

import yaml

from tracer.document import to_document
from tracer.model import Comparison
from tracer.render.json import Shown, traces_document


class _Dumper(yaml.SafeDumper):
    """SafeDumper that indents a list under its key (``args:\\n  - AF_INET``) and never writes aliases."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render(comparison: Comparison) -> str:
    return dumps(to_document(comparison))


def dumps(document: dict[str, Any]) -> str:
    text: str = yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,  # a folded line would be a diff on every edit of the text around it
    )
    return text


def render_traces(name: str, runtime: str, traces: Shown) -> str:
    """``tracer trace``/``tracer parse`` as YAML: the same data as their JSON."""
    return dumps(traces_document(name, runtime, traces))
