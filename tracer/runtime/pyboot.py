"""Run a Python program so that every socket-module call leaves a marker in the strace stream.

Usage (a script, standard library only)::

    python3 pyboot.py PROGRAM.py [ARGS...]

The program runs as ``python3 PROGRAM.py ARGS...`` would run it: ``sys.argv`` is
``[PROGRAM.py, ARGS...]``, ``sys.path[0]`` is the program's (real) directory,
``__main__`` is a fresh module with an absolute ``__file__``, and the exit
status, ``SystemExit``, ``KeyboardInterrupt`` and the traceback of an uncaught
exception come out the same (the bootstrap's own frame is cut from the
traceback). It does not use ``runpy.run_path``: that sets ``sys.argv[0]`` to
the path it runs, leaves ``__main__`` without a loader, and puts the bootstrap
back as ``__main__`` once the module body ends, while non-daemon threads and
atexit handlers still run.

What it writes, and when
------------------------
A profile function (``sys.setprofile`` for the main thread,
``threading.setprofile`` for threads started later) watches for socket API
calls. Just before such a call runs, the thread that makes it calls
``os.write(-1, BEGIN)``; when the call returns, normally or by an exception, it
calls ``os.write(-1, END)``. Both writes fail with EBADF and make no other
syscall, so strace shows them, under the calling thread's pid, as::

    write(-1, "@tracer>socket.bind|main.py|6|", 30) = -1 EBADF (Bad file descriptor)
    bind(3, {sa_family=AF_INET, ...}, 16) = 0
    write(-1, "@tracer<", 8) = -1 EBADF (Bad file descriptor)

Marker format (ASCII, at most ``MAX_MARKER`` bytes so strace ``-s 256`` never cuts it):

* begin: ``@tracer>API|FILE|LINE|HELPER``

  - API: the socket call, ``socket.<name>``: ``socket.bind``, ``socket.accept``,
    ``socket.getaddrinfo``, ``socket.create_connection``; the constructor is
    ``socket.socket``.
  - FILE, LINE: the user's frame that made the call: the first frame up the
    stack whose file is neither in the standard library (sysconfig's stdlib and
    platstdlib directories, minus the site-packages directories that may lie
    inside them, plus frozen modules) nor this bootstrap. FILE is relative to
    the program's directory when it lies under it, else absolute. When no frame
    on the stack is the user's (a thread the standard library started), FILE is
    empty and LINE is 0.
  - HELPER: the outermost standard-library function the user's frame called,
    written ``module.qualname`` (``socket.create_connection``,
    ``http.client.HTTPConnection.request``), or empty when the user called the
    API directly.

* end: ``@tracer<``, written by the same thread when that call returns.

Markers nest: begins and ends pair up like parentheses on each pid. A syscall
belongs to the innermost begin that is open on its pid. Markers with no syscall
between them (``socket.fileno``, ``socket.gettimeout``) are left for the link
stage to drop; the bootstrap cannot know statically which calls reach the
kernel, so it marks every public one.

Which calls are API calls (decided at run time from what is being called):

* C calls (``c_call`` events) of a public method of a ``_socket.socket``
  instance (``bind``, ``listen``, ``connect``, ``recv``, ``sendall``, ...) or of
  a public function of the ``_socket`` module (``getaddrinfo``, ``gethostname``).
* Python calls (``call`` events) of code defined in ``socket.py``: public
  methods of class ``socket`` (``accept``, ``close``, ``makefile``,
  ``sendfile``; ``__init__`` is reported as ``socket.socket``) and public
  module-level functions (``create_connection``, ``create_server``,
  ``socketpair``, ``fromfd``, ``getaddrinfo``).

Nesting rule, and why: a marker is written only for the outermost *socket
method* on the stack. ``socket.accept`` calls ``self._accept()``, builds a new
socket object and may call ``setblocking``; ``socket.close`` calls
``_real_close`` and then the C ``close``. Those are how the method is built, not
calls the user made, so everything under a Python-level method of class
``socket`` belongs to that method's one marker. Module-level helpers do not
swallow what they call: ``create_connection`` is a recipe of several user-level
calls, so inside it ``socket.socket`` and ``socket.connect`` get their own
markers (HELPER ``socket.create_connection``), nested inside the
``socket.create_connection`` marker; the same holds for any other standard
library code (``http.client``, ``socketserver``). One exception keeps the stream
short: a ``socket.py`` function calling the ``_socket`` function of its own name
(``socket.getaddrinfo`` -> ``_socket.getaddrinfo``) is one call, one marker.

Cost: the profile function sees every call in the program, so it answers
non-socket events with an identity check or two and walks the stack only for a
socket call. The bootstrap imports only what a network program imports anyway
(``socket``, ``threading``) plus ``sysconfig``.

Not covered: socket calls made from C without a profile event (``map(sock.send,
chunks)``, a ``functools.partial`` of a socket method); sockets closed by the
garbage collector or at exit rather than by a call (their ``close`` has no
marker); threads started with ``_thread.start_new_thread`` directly; a program
that installs its own profiler (``sys.setprofile``, cProfile) switches the
markers off; a directory, zip file or ``.pyc`` as PROGRAM.

The link stage imports ``format_begin``, ``END``, ``parse_marker`` and
``Marker`` from here; importing this module has no side effects.
"""

from __future__ import annotations

import os
import sys

# Not typing.TYPE_CHECKING: importing typing would cost the bootstrap a few
# dozen syscalls before the program starts; mypy honours any TYPE_CHECKING name.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType, FrameType, TracebackType
    from typing import Any

BEGIN_PREFIX = "@tracer>"
END_TEXT = "@tracer<"
END = END_TEXT.encode("ascii")
SEP = "|"
# strace -s 256 prints at most 256 bytes of a string; stay well under it.
MAX_MARKER = 200
_MAX_HELPER = 80


def format_begin(api: str, file: str, line: int, helper: str) -> bytes:
    """The begin marker ``@tracer>API|FILE|LINE|HELPER`` as ASCII bytes, at most ``MAX_MARKER`` long.

    Non-ASCII characters become backslash escapes; an over-long FILE keeps its
    tail (the base name), prefixed with ``...``.
    """
    if len(helper) > _MAX_HELPER:
        helper = "..." + helper[len(helper) - _MAX_HELPER + 3 :]
    head = (BEGIN_PREFIX + api + SEP).encode("ascii", "backslashreplace")
    tail = (SEP + str(line) + SEP + helper).encode("ascii", "backslashreplace")
    body = file.encode("ascii", "backslashreplace")
    room = MAX_MARKER - len(head) - len(tail)
    if len(body) > room:
        body = b"..." + body[len(body) - max(room - 3, 0) :] if room > 3 else b""
    return head + body + tail


def parse_marker(text: str) -> Marker | None:
    """The marker in ``text`` (a write's string, strace quoting already undone), or None.

    FILE may itself contain ``|``: API is the first field, LINE and HELPER the
    last two, FILE whatever lies between.
    """
    if text == END_TEXT:
        return Marker("end", "", "", 0, "")
    if not text.startswith(BEGIN_PREFIX):
        return None
    fields = text[len(BEGIN_PREFIX) :].split(SEP)
    if len(fields) < 4 or not fields[0]:
        return None
    try:
        line = int(fields[-2])
    except ValueError:
        return None
    return Marker("begin", fields[0], SEP.join(fields[1:-2]), line, fields[-1])


if __name__ != "__main__":
    # Only readers of the trace need Marker. The bootstrap never builds one, and
    # dataclasses drags in inspect, ast, dis and re: some 250 syscalls in the
    # trace before the program's first line.
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Marker:
        """One marker read back from a trace.

        kind:   ``begin`` or ``end``.
        api:    ``socket.bind`` ... (empty for an end).
        file:   the user's file, relative to the program's directory when under it;
                empty for an end or when no user frame was on the stack.
        line:   the line in ``file`` (0 when unknown).
        helper: the standard-library function the user called that made the call, or empty.
        """

        kind: str
        api: str
        file: str
        line: int
        helper: str


# -- the bootstrap ---------------------------------------------------------------

_BOOT_FILE = __file__  # co_filename of this module's code, to skip its frames


def _qualname(code: CodeType) -> str:
    return getattr(code, "co_qualname", code.co_name)  # co_qualname is new in 3.11


def _socket_codes(socket_module: Any) -> dict[int, tuple[str, bool]]:
    """id(code) -> (API name, is a method of class socket) for socket.py's public functions.

    Built from the module's namespace rather than from a list of names, so it
    follows whatever the running Python's socket.py defines. Keyed by id: a code
    object's own hash walks its constants on every call, and these code objects
    live as long as the module, so their ids stay unique.
    """
    codes: dict[int, tuple[str, bool]] = {}
    here = socket_module.__file__
    for name, value in vars(socket_module.socket).items():
        if name != "__init__" and name.startswith("_"):
            continue
        func = value.fget if isinstance(value, property) else value
        code = getattr(func, "__code__", None)
        if code is not None and code.co_filename == here:
            codes[id(code)] = ("socket.socket" if name == "__init__" else "socket." + name, True)
    for name, value in vars(socket_module).items():
        code = getattr(value, "__code__", None)
        if not name.startswith("_") and code is not None and code.co_filename == here:
            codes[id(code)] = ("socket." + name, False)
    return codes


def _library_dirs(sysconfig: Any, extra: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(standard-library directories, site-packages directories), each ending in a separator.

    A venv's platstdlib is the venv's lib/pythonX.Y, which holds site-packages;
    a /usr/local Python keeps site-packages inside its stdlib: third-party code
    there is not the standard library, so those directories are carved out.
    """
    paths = sysconfig.get_paths()
    stdlib = [paths.get("stdlib"), paths.get("platstdlib"), *extra]
    site = [paths.get("purelib"), paths.get("platlib")]

    def norm(dirs: list[str | None]) -> tuple[str, ...]:
        return tuple(sorted({os.path.join(os.path.normpath(d), "") for d in dirs if d}))

    return norm(stdlib), norm(site)


def _make_profile(program_dirs: tuple[str, ...]) -> Callable[[FrameType, str, Any], None]:
    """The profile function. Everything it touches is a closure cell, not a module global:
    it keeps running through interpreter shutdown (atexit handlers, thread joins), after
    ``__main__`` has been replaced by the program's own module."""
    import _socket
    import socket
    import sysconfig

    sock_type = _socket.socket
    sock_module = _socket
    sock_globals = vars(socket)
    codes = _socket_codes(socket)
    extra = [os.path.dirname(socket.__file__)]
    if getattr(_socket, "__file__", None):
        extra.append(os.path.dirname(_socket.__file__))
    stdlib, site = _library_dirs(sysconfig, extra)
    boot_file = _BOOT_FILE
    write = os.write
    # id(frame or C callable) -> the object: the calls that wrote a begin and owe an end.
    # Holding the object keeps its id from being reused while the entry exists.
    pending: dict[int, object] = {}
    user_files: dict[str, bool] = {}
    shown_files: dict[str, str] = {}

    def is_user(filename: str) -> bool:
        known = user_files.get(filename)
        if known is None:
            if filename == boot_file or filename.startswith("<"):
                # "<frozen runpy>", "<string>" from dataclasses/namedtuple code generation
                known = False
            else:
                known = not filename.startswith(stdlib) or filename.startswith(site)
            user_files[filename] = known
        return known

    def shown(filename: str) -> str:
        text = shown_files.get(filename)
        if text is None:
            text = filename
            for directory in program_dirs:
                if filename.startswith(directory):
                    text = filename[len(directory) :]
                    break
            shown_files[filename] = text
        return text

    def emit(data: bytes) -> None:
        # Not contextlib.suppress: one more import at start-up, and slower per marker.
        try:  # noqa: SIM105
            write(-1, data)
        except OSError:
            pass

    def begin(api: str, start: FrameType | None, own: FrameType | None, c_name: str | None) -> bool:
        """Write the begin marker for a call made from ``start``; False when the call is
        part of an enclosing socket method (or a thin wrapper of the same name)."""
        outermost = own  # the outermost library frame between the user's frame and the call
        frame = start
        user = None
        while frame is not None:
            code = frame.f_code
            if frame.f_globals is sock_globals:
                kind = codes.get(id(code))
                if kind is not None:
                    if kind[1]:
                        return False
                    if c_name is not None and frame is start and kind[0] == api:
                        return False
            filename = code.co_filename
            if is_user(filename):
                user = frame
                break
            if filename != boot_file:
                outermost = frame
            frame = frame.f_back
        helper = ""
        if outermost is not None and outermost is not own:
            module = outermost.f_globals.get("__name__")
            helper = f"{module if isinstance(module, str) else '?'}.{_qualname(outermost.f_code)}"
            if helper == api:
                helper = ""
        if user is None:
            emit(format_begin(api, "", 0, helper))
        else:
            emit(format_begin(api, shown(user.f_code.co_filename), user.f_lineno or 0, helper))
        return True

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        # An exception escaping a profile function switches profiling off and
        # surfaces in the program, so every path that can raise is guarded
        # (try blocks cost nothing in 3.11 until something is raised).
        if event == "c_call":
            try:
                # CPython reports c_call only for builtin functions and methods, all
                # of which have __self__ (a method descriptor arrives bound). This is
                # cheaper than getattr(); isinstance may still run an object's
                # __class__ property, hence the try.
                owner = arg.__self__
                if owner is sock_module or isinstance(owner, sock_type):
                    name = arg.__name__
                    if not name.startswith("_") and begin("socket." + name, frame, None, name):
                        pending[id(arg)] = arg
            except Exception:
                pass
        elif event == "call":
            if frame.f_globals is sock_globals:
                kind = codes.get(id(frame.f_code))
                if kind is not None:
                    try:
                        if begin(kind[0], frame.f_back, frame, None):
                            pending[id(frame)] = frame
                    except Exception:
                        pass
        elif pending:
            # "return" (also on an exception, and on a generator's yield) carries the
            # frame; "c_return"/"c_exception" carry the same callable as "c_call".
            key = id(frame) if event == "return" else id(arg)
            if pending.pop(key, None) is not None:
                emit(END)

    return profile


def _without_boot_frames(tb: TracebackType | None) -> TracebackType | None:
    while tb is not None and tb.tb_frame.f_code.co_filename == _BOOT_FILE:
        tb = tb.tb_next
    return tb


def _prepare(argv: list[str]) -> tuple[str, bytes, dict[str, Any]]:
    """Set up sys and ``__main__`` the way ``python3 PROGRAM.py`` does, start the
    profile; return the program's absolute path, its source and its namespace."""
    if len(argv) < 2:
        sys.stderr.write(f"usage: {argv[0] if argv else 'pyboot.py'} PROGRAM.py [ARGS...]\n")
        sys.exit(2)
    program = argv[1]
    path = os.path.abspath(program)
    try:
        with open(path, "rb") as source_file:
            source = source_file.read()
    except OSError as error:
        interpreter = sys.orig_argv[0] if getattr(sys, "orig_argv", None) else sys.executable
        sys.stderr.write(f"{interpreter}: can't open file {path!r}: [Errno {error.errno}] {error.strerror}\n")
        sys.exit(2)

    orig_argv = getattr(sys, "orig_argv", None)
    if orig_argv is not None and len(orig_argv) >= len(argv):
        del orig_argv[len(orig_argv) - len(argv)]
    del argv[0]
    # python puts the script's real directory first, unless -P / -I asked it not to.
    if not getattr(sys.flags, "safe_path", False) and sys.path:
        sys.path[0] = os.path.dirname(os.path.realpath(path))

    import _frozen_importlib_external
    import builtins

    main = type(sys)("__main__")
    main.__file__ = path
    main.__cached__ = None  # type: ignore[attr-defined]
    main.__loader__ = _frozen_importlib_external.SourceFileLoader("__main__", path)
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    sys.modules["__main__"] = main

    program_dirs = tuple(
        sorted({os.path.join(os.path.dirname(p), "") for p in (path, os.path.realpath(path))}, key=len, reverse=True)
    )
    profile = _make_profile(program_dirs)
    import threading

    threading.setprofile(profile)
    sys.setprofile(profile)
    return path, source, vars(main)


if __name__ == "__main__":
    _path, _source, _namespace = _prepare(sys.argv)
    # Compile and run at module level, not in a function: an exception leaving
    # the outermost frame gets no further traceback entry, so once this frame's
    # entry is cut the traceback is exactly the program's own. A bare raise
    # keeps the exception's traceback as set; the interpreter then reports it
    # as usual (exit status 1, KeyboardInterrupt's SIGINT, SystemExit's code).
    try:
        exec(compile(_source, _path, "exec", dont_inherit=True), _namespace)
    except BaseException as _error:
        _error.__traceback__ = _without_boot_frames(_error.__traceback__)
        raise
