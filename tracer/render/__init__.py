"""Renderers: one per output format, chosen from ``FORMATS`` (the CLI help is built from it).

Contract: each renderer takes a ``Comparison`` and writes to a Rich console
(the table) or returns text (documents). Renderers never run anything. The
document formats (``DOCUMENTS``) are meant for a normalised comparison
(``tracer.document.normalise``): that is what ``tracer compare --format``,
``tracer export`` and ``tracer show`` give them, so all three print the same
bytes for the same behaviour.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracer.model import Comparison

FORMATS = {
    "table": "an aligned Rich table per role (the default)",
    "json": "the tracer/v1 document as JSON (what tracer export --format json writes)",
    "yaml": "the tracer/v1 document as YAML (what tracer export writes)",
    "markdown": "a Markdown page: the tables, the notes and a Mermaid sequence diagram per language",
}
DOCUMENTS = ("json", "yaml", "markdown")
SUFFIXES = {"json": ".json", "yaml": ".yaml", "markdown": ".md"}


def text_renderer(format: str) -> Callable[[Comparison], str]:
    """The ``render(comparison) -> str`` of a document format, imported only when asked for."""
    if format not in DOCUMENTS:
        raise ValueError(f"{format} is not a document format")
    render: Callable[[Comparison], str] = importlib.import_module(f"tracer.render.{format}").render
    return render
