"""Export: run scenarios and write, per scenario, its document and its Markdown page.

Contract: ``check_directory(path)`` raises ``OutputError`` (one sentence) unless
files can be created in ``path``; it is called before anything runs, so a
bad ``--dir`` costs no run. ``export(names, runtime, directory, format, report)``
runs each scenario once, normalises it (``tracer.document.normalise``) and
writes ``<scenario>.<yaml|json>`` and ``<scenario>.md`` with ``write_atomic``;
it returns the paths written. A scenario that fails stops the export with its
error; files already written stay (each is whole).

``write_atomic(path, text)`` writes a temporary file in the same directory,
flushes it to disk and renames it over ``path``: a reader, or a run that is
interrupted, sees the old file or the new one, never part of one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from tracer.errors import OutputError
from tracer.runtime import Report, Runtime


def check_directory(directory: Path) -> None:
    if not directory.exists():
        parent = next((p for p in directory.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise OutputError(f"Cannot write to {directory}: {parent} is a file, not a directory.")
        raise OutputError(f"The output directory {directory} does not exist; create it or pick another with --dir.")
    if not directory.is_dir():
        raise OutputError(f"Cannot write to {directory}: it is a file, not a directory.")
    try:  # permission bits do not stop root; only a real write says whether it works
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".tracer-probe.")
    except OSError as exc:
        # procfs says ENOENT for a file it will not create, which reads as if the directory were missing
        why = "it does not accept new files" if exc.errno == errno.ENOENT else exc.strerror or str(exc)
        raise OutputError(f"Cannot write to {directory}: {why}.") from None
    os.close(fd)
    os.unlink(probe)


def write_atomic(path: Path, text: str) -> None:
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it 0600; the export is an ordinary file
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise OutputError(f"Cannot write {path}: {exc.strerror or exc}.") from None
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def export(names: list[str], runtime: Runtime, directory: Path, format: str, report: Report) -> list[Path]:
    from tracer import scenarios
    from tracer.compare import compare
    from tracer.document import normalise
    from tracer.render import SUFFIXES, text_renderer

    check_directory(directory)
    written: list[Path] = []
    for name in names:
        scenario = scenarios.get(name)
        report(f"running {name}")
        comparison = normalise(compare(scenario, runtime, report))
        for kind in (format, "markdown"):
            path = directory / f"{name}{SUFFIXES[kind]}"
            write_atomic(path, text_renderer(kind)(comparison))
            report(f"wrote {path}")
            written.append(path)
    return written
