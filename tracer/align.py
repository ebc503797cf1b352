"""Align: line two focused traces up on the kernel path they share.

Contract: ``align(go, python)`` takes two ``Step`` lists (from ``focus``) and
returns ``Row``s. Steps that do the same thing share a row; a row whose two
calls differ (the syscall used, flags, backlog, result, errno) names each
difference; a step only one side makes gets a row of its own. Rows keep the
order of both sides. Pure, and safe on empty input.

How rows are found, in two levels:

1. Each side is cut into socket *lives*: the steps on one socket fd from its
   creation to its close (plus the poller and config steps made while it was
   the socket in use). Lives are paired by what they did (a listener with a
   listener, an accepted connection with an accepted connection), so that Go's
   probe sockets, which Python never makes, cannot steal Python's steps.
2. Within a pair of lives, steps are matched on a key that holds the step,
   what it configures and its errno (so Go's ``read`` → EAGAIN is not taken
   for Python's ``recvfrom`` that got data); whatever is left between two
   matches is matched again without the errno (so ``connect`` → EINPROGRESS
   still shares a row with a ``connect`` that succeeded, and says so).

Both levels use ``difflib.SequenceMatcher`` on those keys, over runs of equal
keys; past a size where its quadratic search would be slow, a windowed greedy
walk (see ``blocks``) keeps long traces aligning in linear time.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TypeVar

from tracer.focus import TRY_AGAIN
from tracer.model import Row, Step, Syscall
from tracer.strace.decode import fd_desc, fd_of, flags, sockaddr

T = TypeVar("T")
FD_RESULT = {"socket", "accept", "accept4", "dup", "dup2", "dup3", "openat"}
MILESTONES = ("bind", "listen", "connect")


def key(step: Step) -> str:
    """What a step does, without the details that may differ between languages."""
    call = step.call
    if call.name in ("setsockopt", "getsockopt") and len(call.args) > 2:
        return f"{step.kind} {call.args[1]} {call.args[2]}"
    if call.name in ("fcntl", "ioctl") and len(call.args) > 1:
        return f"{step.kind} {call.args[1]}"
    if call.name == "epoll_ctl" and len(call.args) > 1:
        return f"{step.kind} {call.name} {call.args[1]}"
    if step.kind in ("config", "file"):
        return f"{step.kind} {call.name} {_path(call)}"
    if step.kind in ("wait", "inspect"):
        return f"{step.kind} {call.name}"
    return step.kind


def _path(call: Syscall) -> str:
    """The file a config or file step is about: the -yy path of its fd, or the path it names."""
    desc = fd_desc(call.args[0]) if call.args else None
    if desc and desc.startswith("/"):
        return desc
    for arg in call.args[:2]:
        if arg.startswith('"'):
            return arg.strip('"')
    return ""


def _strict(step: Step) -> str:
    return f"{key(step)}!{step.call.errno or ''}"


def _exact(step: Step) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The step and everything a reader compares in it: equal only when nothing differs."""
    return key(step), tuple(sorted(signature(step).items()))


@dataclass
class Life:
    """The steps made on one socket, with their positions in the side's step list."""

    origin: str  # "socket", "accept", "config" (files and settings read), or "runtime"
    steps: list[tuple[int, Step]] = field(default_factory=list)

    def kinds(self) -> list[str]:
        return [step.kind for _, step in self.steps]

    def strict(self) -> str:
        done = self.kinds()
        return self.origin + ":" + ",".join(m for m in MILESTONES if m in done)

    def loose(self) -> str:
        done = self.kinds()
        return next((m for m in ("listen", "connect") if m in done), self.origin)

    def family(self) -> str:
        """The socket's family and base type (``AF_INET SOCK_DGRAM``), to pair lives that did different things."""
        for _, step in self.steps:
            if step.call.name == "socket" and len(step.call.args) > 1:
                base = step.call.args[1].split("|")[0]
                return f"{self.origin} {step.call.args[0]} {base}"
        return self.origin


def lives(steps: Sequence[Step]) -> list[Life]:
    """Cut one side's steps into socket lives (see the module docstring)."""
    found: list[Life] = []
    open_: dict[int, Life] = {}
    current: Life | None = None
    config: Life | None = None
    for index, step in enumerate(steps):
        call = step.call
        fd = (
            fd_of(call.args[2])
            if call.name == "epoll_ctl" and len(call.args) > 2
            else (fd_of(call.args[0]) if call.args else None)
        )
        life: Life | None
        if step.kind == "config" or (step.kind == "file" and current is None):
            # Settings and files read stand apart from the sockets: they are
            # compared with the other side's reads of the same files.
            if config is None:
                config = Life("config")
                found.append(config)
            config.steps.append((index, step))
            continue
        if step.kind == "create":
            life = None
        elif fd is not None and fd in open_:
            life = open_[fd]
        elif fd is None or step.kind == "wait":
            life = current  # made on behalf of the socket in use
        else:
            life = None  # a socket whose creation the log does not show
        if life is None:
            life = Life("socket" if step.kind == "create" or fd is not None else "runtime")
            found.append(life)
            if step.kind == "create" and not call.failed and call.retval is not None:
                open_[call.retval] = life
            elif fd is not None:
                open_[fd] = life
        life.steps.append((index, step))
        if step.kind == "accept" and not call.failed and call.retval is not None:
            accepted = Life("accept")
            found.append(accepted)
            open_[call.retval] = accepted
        if step.kind == "close" and fd is not None and open_.get(fd) is life:
            del open_[fd]
        current = life
    return found


def _match(
    a: Sequence[T], b: Sequence[T], levels: Sequence[Callable[[T], Hashable]]
) -> list[tuple[T | None, T | None]]:
    """Pair two sequences on the first level's keys, then what is left between pairs on the next level's."""
    if not levels:
        return [(x, None) for x in a] + [(None, y) for y in b]
    first, rest = levels[0], levels[1:]
    pairs: list[tuple[T | None, T | None]] = []
    for tag, a0, a1, b0, b1 in blocks([first(x) for x in a], [first(y) for y in b]):
        if tag == "equal":
            pairs.extend(zip(a[a0:a1], b[b0:b1], strict=True))
        else:
            inner = _match(a[a0:a1], b[b0:b1], rest)
            pairs.extend(inner)
    return pairs


# Above this many pairs of runs, SequenceMatcher's quadratic search is too slow
# (a long-lived connection, an HTTP server's many requests) and a greedy walk
# that looks WINDOW runs ahead for the nearest match takes over.
EXACT_LIMIT = 250_000
WINDOW = 48

Block = tuple[str, int, int, int, int]


def blocks(ka: Sequence[Hashable], kb: Sequence[Hashable]) -> list[Block]:
    """Like ``SequenceMatcher.get_opcodes`` with two tags: ``equal``, or ``apart``
    (a stretch of each side that matched nothing; either may be empty).

    Runs of equal keys are compressed first (a thousand reads in a row are one
    run), so the cost follows the number of runs, and stays linear in the
    input however long it is.
    """
    ra, rb = _runs(ka), _runs(kb)
    if len(ra) * len(rb) <= EXACT_LIMIT:
        matcher = SequenceMatcher(None, [k for k, _, _ in ra], [k for k, _, _ in rb], autojunk=False)
        run_ops = [(tag == "equal", i0, i1, j0, j1) for tag, i0, i1, j0, j1 in matcher.get_opcodes()]
    else:
        run_ops = _greedy([k for k, _, _ in ra], [k for k, _, _ in rb])
    found: list[Block] = []
    for equal, i0, i1, j0, j1 in run_ops:
        if not equal:
            a0, a1 = _span(ra, i0, i1, len(ka))
            b0, b1 = _span(rb, j0, j1, len(kb))
            found.append(("apart", a0, a1, b0, b1))
            continue
        for (_, sa, la), (_, sb, lb) in zip(ra[i0:i1], rb[j0:j1], strict=True):
            common = min(la, lb)
            found.append(("equal", sa, sa + common, sb, sb + common))
            if la != lb:  # the longer run's surplus stands alone
                found.append(("apart", sa + common, sa + la, sb + common, sb + lb))
    return found


def _runs(keys: Sequence[Hashable]) -> list[tuple[Hashable, int, int]]:
    runs: list[tuple[Hashable, int, int]] = []
    for index, k in enumerate(keys):
        if runs and runs[-1][0] == k:
            runs[-1] = (k, runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((k, index, 1))
    return runs


def _span(runs: list[tuple[Hashable, int, int]], i0: int, i1: int, total: int) -> tuple[int, int]:
    start = runs[i0][1] if i0 < len(runs) else total
    end = runs[i1][1] if i1 < len(runs) else total
    return start, end


def _greedy(ka: list[Hashable], kb: list[Hashable]) -> list[tuple[bool, int, int, int, int]]:
    """Walk both sides; on a mismatch, jump to the nearest pair of equal keys within WINDOW."""
    where: dict[Hashable, list[int]] = {}
    for j, k in enumerate(kb):
        where.setdefault(k, []).append(j)
    ops: list[tuple[bool, int, int, int, int]] = []
    i = j = 0
    while i < len(ka) and j < len(kb):
        if ka[i] == kb[j]:
            start_i, start_j = i, j
            while i < len(ka) and j < len(kb) and ka[i] == kb[j]:
                i, j = i + 1, j + 1
            ops.append((True, start_i, i, start_j, j))
            continue
        best: tuple[int, int] | None = None
        for di in range(min(WINDOW, len(ka) - i)):
            positions = where.get(ka[i + di], [])
            at = bisect_left(positions, j)
            if at < len(positions) and positions[at] - j < WINDOW:
                dj = positions[at] - j
                if best is None or di + dj < best[0] + best[1]:
                    best = (di, dj)
        di, dj = best if best is not None else (1, 1)
        ops.append((False, i, i + di, j, j + dj))
        i, j = i + di, j + dj
    if i < len(ka) or j < len(kb):
        ops.append((False, i, len(ka), j, len(kb)))
    return ops


Placed = tuple[int | None, int | None, Row]
Numbered = tuple[int, Step]
# The kernel path's own steps: they anchor the alignment before anything else.
PATH_KINDS = {"create", "bind", "listen", "accept", "connect", "shutdown", "close"}


def _path_exact(numbered: Numbered) -> Hashable:
    """A step of the kernel path with all it shows; any other step is its own key,
    so it can only be paired at a later level."""
    index, step = numbered
    return _exact(step) if step.kind in PATH_KINDS else ("unpaired", index, id(step))


def _path_step(numbered: Numbered) -> Hashable:
    """A step of the kernel path by kind alone (an attempt that found nothing to do yet apart)."""
    index, step = numbered
    if step.kind not in PATH_KINDS:
        return ("unpaired", index, id(step))
    return step.kind + ("!again" if step.call.errno in TRY_AGAIN else "")


# Steps pair first on the kernel path (so that a getsockname made before
# listen on one side and after it on the other cannot pull listen apart):
# identical calls first (listen(2) with listen(2), when one side listened
# twice), then by kind; then all steps on all they show, then on what they do
# and their errno, then on what they do alone.
STEP_LEVELS: tuple[Callable[[Numbered], Hashable], ...] = (
    _path_exact,
    _path_step,
    lambda s: _exact(s[1]),
    lambda s: _strict(s[1]),
    lambda s: key(s[1]),
)
# Lives pair on their milestones, then on listening or connecting, then on
# their family and type (a connected UDP socket with an unconnected one).
LIFE_LEVELS: tuple[Callable[[Life], Hashable], ...] = (Life.strict, Life.loose, Life.family)


def align(go: Sequence[Step], python: Sequence[Step]) -> list[Row]:
    placed: list[Placed] = []
    for go_life, py_life in _match(lives(go), lives(python), LIFE_LEVELS):
        go_steps = go_life.steps if go_life else []
        py_steps = py_life.steps if py_life else []
        for g, p in _match(go_steps, py_steps, STEP_LEVELS):
            if g and p:
                placed.append((g[0], p[0], Row(g[1].kind, g[1], p[1], tuple(differences(g[1], p[1])))))
            elif g:
                placed.append((g[0], None, Row(g[1].kind, g[1], None)))
            elif p:
                placed.append((None, p[0], Row(p[1].kind, None, p[1])))
    return _in_order(placed)


def _in_order(placed: list[Placed]) -> list[Row]:
    """Walk Go's order; a Python-only row goes out just before the first later Python step."""
    go_rows = sorted((p for p in placed if p[0] is not None), key=lambda p: p[0] or 0)
    py_only = sorted((p for p in placed if p[0] is None), key=lambda p: p[1] or 0)
    rows: list[Row] = []
    waiting = 0
    for _, py_pos, row in go_rows:
        while waiting < len(py_only) and py_pos is not None and (py_only[waiting][1] or 0) < py_pos:
            rows.append(py_only[waiting][2])
            waiting += 1
        rows.append(row)
    rows.extend(p[2] for p in py_only[waiting:])
    return rows


def signature(step: Step) -> dict[str, str]:
    """What a reader compares in a step: the syscall, its meaningful arguments, its result.

    fds, buffers and ports are left out: they differ from run to run and say
    nothing about behaviour.
    """
    call, args = step.call, step.call.args
    sig = {"syscall": call.name}
    if call.name in ("socket", "socketpair") and len(args) >= 3:
        sig.update(family=args[0], type=args[1], protocol=args[2])
    elif call.name in ("bind", "connect") and len(args) > 1:
        addr = sockaddr(args[1])
        sig["address"] = (addr.path or addr.address or "") if addr else args[1]
    elif call.name == "listen" and len(args) > 1:
        sig["backlog"] = args[1]
    elif call.name == "accept4" and len(args) > 3:
        sig["flags"] = args[3]
    elif call.name == "setsockopt" and len(args) > 3:
        sig["value"] = args[3]
    elif call.name == "fcntl" and len(args) > 2:
        sig["value"] = args[2]
    elif call.name == "shutdown" and len(args) > 1:
        sig["how"] = args[1]
    if call.failed:
        sig["result"] = f"{call.result} {call.errno}"
    elif call.name in FD_RESULT:
        sig["result"] = "a new fd"
    else:
        sig["result"] = call.result
    return sig


def differences(go: Step, python: Step) -> list[str]:
    a, b = signature(go), signature(python)
    found = []
    for name in dict.fromkeys([*a, *b]):
        x, y = a.get(name, "-"), b.get(name, "-")
        if x == y:
            continue
        fx, fy = (flags(x), flags(y)) if name in ("type", "flags") else (None, None)
        if fx is not None and fy is not None:
            parts = [f"{', '.join(sorted(fx - fy))} only in Go"] if fx - fy else []
            parts += [f"{', '.join(sorted(fy - fx))} only in Python"] if fy - fx else []
            found.append(f"{name}: " + "; ".join(parts))
        else:
            found.append(f"{name}: {x} (Go) vs {y} (Python)")
    return found
