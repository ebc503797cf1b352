"""strace log reading: ``parser`` turns a log into events (streaming), ``decode`` reads the
arguments the tool needs, ``args`` builds any argument's tree on demand, ``read`` turns a
user's log file into a linked ``Trace`` for ``tracer parse``."""

from tracer.strace.parser import StraceLog, open_log, parse_file, parse_lines, split_args

__all__ = ["StraceLog", "open_log", "parse_file", "parse_lines", "split_args"]
