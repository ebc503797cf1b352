"""Link: give each syscall its origin, the API call and the user's file:line behind it.

Contract: ``link_go(trace, lines, source_dir)`` and ``link_python(trace)``
return a new ``Trace`` whose syscalls carry an ``Origin``; nothing else
changes, except that ``link_python`` removes the bootstrap's marker writes.
Both are pure and safe on an empty trace, and both work from what the run
recorded, never from a table of which API makes which syscall:

* Go: strace's ``-k`` stack of each call. The first frame in the user's code
  (package ``main`` or a module path) is the source line; the outermost frame
  of the ``net`` packages below it is the API call; the user's direct callee,
  when it is something else (``io.ReadFull``), is the helper. A call with no
  user frame was made by the Go runtime on its own and is labelled
  ``runtime`` with the function that made it, unless a ``net`` package
  function is on its stack (net/http's goroutine serving a connection): that
  function is then the API, with no line of the user's. So is a call made under
  ``sync.(*Once).doSlow``: one-time set-up the library does on first use (the
  IPv6 and MPTCP probes, reading somaxconn); it keeps the user's line and the
  API it happened in, as the helper. ``lines`` maps the frame offsets
  strace printed to ``func<TAB>file:line`` (the driver asks Go's addr2line).
* Python: the markers ``tracer/runtime/pyboot.py`` writes around each
  socket-module call (``write(-1, "@tracer>...")``), matched per thread like
  parentheses: a syscall belongs to the innermost call open on its pid. A
  syscall made with no socket-module call open (a socket closed by the
  garbage collector, os.unlink, a selector's poll) is labelled ``runtime``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace

from tracer.model import Event, Origin, Syscall, Trace
from tracer.runtime.pyboot import BEGIN_PREFIX, END_TEXT, parse_marker
from tracer.strace.decode import unquote

FRAME = re.compile(r"^(?P<binary>[^(]*)\((?P<func>.*)\+0x[0-9a-f]+\) \[(?P<offset>0x[0-9a-f]+)\]$")
# Frames that only carry the call down to the kernel: never the API, never the runtime's reason.
PLUMBING = ("internal/runtime/syscall", "syscall", "internal/poll", "runtime/internal/syscall")
ONCE = "sync.(*Once).doSlow"
WRAPPER = re.compile(r"(-fm|\.func\d+(\.\d+)*|\.gowrap\d+)$")  # method values and closures: name what they wrap


@dataclass(frozen=True)
class Frame:
    func: str
    offset: str

    @property
    def package(self) -> str:
        """``net.(*netFD).connect`` → ``net``; ``internal/poll.(*FD).Read`` → ``internal/poll``."""
        slash = self.func.rfind("/")
        dot = self.func.find(".", slash + 1)
        return self.func[:dot] if dot > 0 else self.func

    @property
    def is_wrapper(self) -> bool:
        return WRAPPER.search(self.func) is not None

    @property
    def is_plumbing(self) -> bool:
        return any(self.package == p or self.package.startswith(p + "/") for p in PLUMBING)

    @property
    def is_user(self) -> bool:
        first = self.package.split("/")[0]
        return self.package == "main" or ("." in first and first != "vendor")

    @property
    def is_net(self) -> bool:
        return self.package == "net" or self.package.startswith("net/")


def frames_of(call: Syscall) -> list[Frame]:
    found = []
    for text in call.frames:
        match = FRAME.match(text)
        if match:
            found.append(Frame(match.group("func"), match.group("offset")))
    return found


def go_origin(call: Syscall, lines: dict[str, str], source_dir: str | None) -> Origin | None:
    frames = frames_of(call)
    if not frames:
        return None
    user = next((i for i, f in enumerate(frames) if f.is_user), None)
    if user is None:
        # No frame of the user's code: a goroutine of the library (net/http's
        # connection handler) or the runtime itself (the netpoller).
        library = next((f for f in reversed(frames) if f.is_net and not f.is_wrapper), None)
        if library is not None and not any(f.func == ONCE for f in frames):
            return Origin(library.func)
        made_by = next((f for f in frames if not f.is_plumbing), frames[-1])
        return Origin("runtime", frame=made_by.func)
    below = frames[:user]
    api = next((f for f in reversed(below) if f.is_net), None)
    callee = below[-1] if below else None
    if api is None:
        api = callee or frames[user]
    file, line = _file_line(lines.get(frames[user].offset), source_dir)
    once = next((i for i, f in enumerate(below) if f.func == ONCE), None)
    if once is not None:
        # What was done once: the function sync.Once ran (a closure or method
        # value names what it wraps); when that is bare syscall plumbing, the
        # function that asked for it to be done once.
        inside = next((f for f in reversed(below[:once]) if not f.is_wrapper), api)
        if inside.is_plumbing:
            inside = next((f for f in below[once + 1 :] if f.package != "sync" and not f.is_wrapper), inside)
        return Origin("runtime", file, line, helper=api.func, frame=inside.func)
    helper = callee.func if callee is not None and callee is not api else None
    return Origin(api.func, file, line, helper)


def _file_line(resolved: str | None, source_dir: str | None) -> tuple[str | None, int | None]:
    if not resolved or "\t" not in resolved:
        return None, None
    where = resolved.split("\t", 1)[1]
    path, _, number = where.rpartition(":")
    if not path or not number.isdigit() or path == "?":
        return None, None
    if source_dir and path.startswith(source_dir.rstrip("/") + "/"):
        path = posixpath.relpath(path, source_dir)
    return path, int(number)


def is_go(trace: Trace) -> bool:
    """Whether the traced program is a Go binary: its stacks end in the Go runtime's goroutine start."""
    return any("runtime.goexit" in frame for call in trace.syscalls for frame in call.frames[-2:])


def link_go(trace: Trace, lines: dict[str, str], source_dir: str | None = None) -> Trace:
    events: list[Event] = []
    for event in trace.events:
        if isinstance(event, Syscall) and event.frames:
            origin = go_origin(event, lines, source_dir)
            if origin is not None:
                event = replace(event, origin=origin)
        events.append(event)
    return replace(trace, events=tuple(events))


def _marker(call: Syscall) -> str | None:
    """The text of a bootstrap marker write, or None for any other call."""
    if call.name != "write" or len(call.args) < 2 or call.args[0] != "-1":
        return None
    text = unquote(call.args[1])
    return text if text is not None and text.startswith((BEGIN_PREFIX, END_TEXT)) else None


def link_python(trace: Trace) -> Trace:
    open_calls: dict[int, list[Origin]] = {}
    events: list[Event] = []
    for event in trace.events:
        if isinstance(event, Syscall):
            text = _marker(event)
            if text is not None:
                stack = open_calls.setdefault(event.pid, [])
                if text == END_TEXT:
                    if stack:
                        stack.pop()
                else:
                    marker = parse_marker(text)
                    if marker is not None:
                        stack.append(
                            Origin(marker.api, marker.file or None, marker.line or None, marker.helper or None)
                        )
                continue
            innermost = open_calls.get(event.pid) or [Origin("runtime", frame="outside a socket-module call")]
            origin = innermost[-1]
            event = replace(event, origin=origin)
        events.append(event)
    return replace(trace, events=tuple(events))
