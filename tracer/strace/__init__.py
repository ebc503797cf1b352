"""strace log reading: ``parser`` turns a log into events, ``decode`` reads their arguments."""

from tracer.strace.parser import parse_file, parse_lines, split_args

__all__ = ["parse_file", "parse_lines", "split_args"]
