"""tracer: what Go and Python network code asks of the Linux kernel, side by side."""

__version__ = "0.1.0"
