"""The errors tracer reports to a user, each a kind with its own exit code.

Contract: code deeper than the CLI raises a ``TracerError`` subclass whose
message is one sentence a user can act on; only ``tracer.cli`` turns it into
stderr text and an exit code. Anything else escaping is a bug.
"""

from __future__ import annotations


class TracerError(Exception):
    """Base of every error a user may see. ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class UsageError(TracerError):
    """The user asked for something that does not exist (a scenario, a format)."""

    exit_code = 2


class RuntimeUnavailable(TracerError):
    """The chosen runtime cannot work here (no Docker engine, no strace, no Go)."""

    exit_code = 3


class BuildError(TracerError):
    """The image or a program could not be built."""

    exit_code = 4


class RunError(TracerError):
    """A traced program did not do its job (it never got ready, or it failed)."""

    exit_code = 5


class InputError(TracerError):
    """A file the user gave cannot be read as what it should be."""

    exit_code = 6


class OutputError(TracerError):
    """A file tracer was asked to write cannot be written (no such directory, read-only)."""

    exit_code = 7
