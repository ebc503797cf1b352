"""strace log reading: ``parser`` turns a log into events (streaming), ``decode`` reads the
arguments the tool needs, ``args`` builds any argument's tree on demand, ``read`` turns a
user's log file into a linked ``Trace`` for ``tracer parse``.

Import the module you need: the package itself loads nothing, so that the
decoders do not bring the parser along (a run needs the parser only once its
programs have ended).
"""
