"""Renderers: one per output format, chosen from ``FORMATS`` (the CLI help is built from it).

Contract: each renderer takes a ``Comparison`` and writes to a Rich console
(the table) or returns text (documents). Renderers never run anything.
"""

from __future__ import annotations

FORMATS = {
    "table": "an aligned Rich table per role (the default)",
    "json": "the comparison as a JSON document",
}
