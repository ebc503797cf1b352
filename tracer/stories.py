"""What a scenario's run showed, in sentences computed from that run.

Contract: each ``observe_*`` function takes a finished ``Comparison`` (the
traces of every role, as ``tracer.compare`` made them) and returns sentences
that state what the programs and the kernel did in this run: counts, errnos,
files, the kernel's own counters. Nothing here is canned: a sentence names
only what the syscalls, the programs' output or the counters show, so a run
that behaves differently says something different. The functions are pure
and never raise on a trace that lacks the calls they look for (a run cut at
the timeout, a program that failed): they then say less.

They read ``Trace.syscalls`` (every call, not only the focused rows), because
some of a story lies outside the sockets' own calls: the ``unlink`` of a unix
socket's file, the resolver's files.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from tracer.model import Comparison, Syscall, Trace
from tracer.strace.decode import fd_of, flags, sockaddr, unquote

SIDES = (("go", "Go"), ("python", "Python"))
SENDS = {"write", "writev", "send", "sendto", "sendmsg"}
RECEIVES = {"read", "readv", "recv", "recvfrom", "recvmsg"}
IN_PROGRESS = {"EINPROGRESS", "EALREADY", "EAGAIN"}
SOCKET_TYPES = ("SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_SEQPACKET")
# Files whose reading is part of a name lookup (as tracer.focus counts them).
RESOLVER_FILE = re.compile(r"^/etc/(hosts|resolv\.conf|nsswitch\.conf|gai\.conf|host\.conf|services|protocols)$")


def trace_of(comparison: Comparison, role: str, side: str) -> Trace | None:
    for found in comparison.roles:
        if found.role == role:
            return found.go if side == "go" else found.python
    return None


# --------------------------------------------------------------------------- sockets and connections


@dataclass
class Socket:
    """One socket a program made, and what became of its connect.

    outcome: ``completed``, ``refused``, ``timed out`` (in progress, then closed
             with no result), an errno name, or None when it never connected.
    how:     ``connect`` when connect itself gave the outcome, ``SO_ERROR``
             when it was read with getsockopt after a non-blocking connect.
    """

    fd: int
    family: str
    type: str
    created: int  # index of the socket call in the trace's syscalls
    closed: int | None = None
    connected_to: str | None = None
    outcome: str | None = None
    how: str | None = None
    pending: bool = False


def sockets(trace: Trace) -> list[Socket]:
    """Every socket the program created, in creation order, with its connect's outcome."""
    made: list[Socket] = []
    live: dict[int, Socket] = {}
    for index, call in enumerate(trace.syscalls):
        fd = fd_of(call.args[0]) if call.args else None
        if call.name == "socket" and not call.failed and call.retval is not None:
            kinds = flags(call.args[1]) if len(call.args) > 1 else None
            kind = next((t for t in SOCKET_TYPES if kinds and t in kinds), "?")
            sock = Socket(call.retval, call.args[0] if call.args else "?", kind, index)
            made.append(sock)
            live[call.retval] = sock
        elif fd is None or fd not in live:
            continue
        elif call.name == "connect":
            sock = live[fd]
            sock.connected_to = _address(call.args[1]) if len(call.args) > 1 else None
            if not call.failed:
                sock.outcome, sock.how = "completed", "connect"
            elif call.errno in IN_PROGRESS:
                sock.pending = True
            else:
                sock.outcome, sock.how = _outcome(call.errno or "?"), "connect"
        elif call.name == "getsockopt" and len(call.args) > 3 and call.args[2] == "SO_ERROR" and live[fd].pending:
            sock = live[fd]
            value = call.args[3].strip("[]")
            sock.outcome, sock.how, sock.pending = ("completed" if value == "0" else _outcome(value)), "SO_ERROR", False
        elif call.name == "close":
            sock = live.pop(fd)
            sock.closed = index
            if sock.pending and sock.outcome is None:
                # The connect was still under way when the program gave up on it.
                sock.outcome, sock.pending = "timed out", False
    return made


def connections(trace: Trace) -> list[Socket]:
    """The program's own TCP connection attempts (stream sockets it called connect on)."""
    return [
        s
        for s in sockets(trace)
        if s.type == "SOCK_STREAM" and s.family in ("AF_INET", "AF_INET6") and s.connected_to is not None
    ]


def _outcome(errno: str) -> str:
    return {"ECONNREFUSED": "refused", "ETIMEDOUT": "timed out"}.get(errno, errno)


def _address(text: str) -> str:
    found = sockaddr(text)
    if found is None:
        return text
    if found.path is not None:
        return found.path
    if found.address is None:
        return found.family
    host = f"[{found.address}]" if found.family == "AF_INET6" else found.address
    return f"{host}:{found.port}"


def _result(call: Syscall) -> str:
    """``unlink = -1 ENOENT``; for ``unlinkat`` with its flags, which tell a file from a directory."""
    name = f"{call.name}(…, {call.args[2]})" if call.name == "unlinkat" and len(call.args) > 2 else call.name
    return f"{name} = {call.result}" + (f" {call.errno}" if call.errno else "")


def _connect_result(sock: Socket) -> str:
    return "connect = 0" if sock.outcome == "completed" else f"connect → {sock.outcome}"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _none_or(n: int) -> str:
    return "none" if n == 0 else str(n)


def _listing(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _counters(trace: Trace, names: tuple[str, ...]) -> str:
    counted = [f"{name} {trace.tcp_counters[name]}" for name in names if trace.tcp_counters.get(name)]
    return _listing(counted)


# --------------------------------------------------------------------------- backlog


def observe_backlog(comparison: Comparison) -> tuple[str, ...]:
    """How each client's connections ended, the server's backlog, and the kernel's count of dropped SYNs."""
    said: list[str] = []
    for side, lang in SIDES:
        client, server = trace_of(comparison, "client", side), trace_of(comparison, "server", side)
        if client is None or server is None:
            continue
        tried = connections(client)
        ended = Counter(s.outcome for s in tried)
        completed, timed_out, refused = ended["completed"], ended["timed out"], ended["refused"]
        other = [f"{n} {what}" for what, n in ended.items() if what not in ("completed", "timed out", "refused")]
        sentence = (
            f"the {lang} client: {completed} of {len(tried)} connections completed, "
            f"{timed_out} timed out, {_none_or(refused)} refused"
        )
        said.append(sentence + (", " + _listing(other) if other else "") + ".")

        reported = re.search(r"completed (\d+) timed_out (\d+) refused (\d+)", client.stdout)
        if reported and tuple(map(int, reported.groups())) != (completed, timed_out, refused):
            said.append(
                f"the {lang} client itself reported {reported.group(1)} completed, {reported.group(2)} timed out "
                f"and {reported.group(3)} refused, which its syscalls do not bear out."
            )

        listens = [c for c in server.syscalls if c.name == "listen" and not c.failed and len(c.args) > 1]
        accepts = [c for c in server.syscalls if c.name in ("accept", "accept4") and not c.failed]
        if listens:
            backlogs = [c.args[1] for c in listens]
            backlog = int(backlogs[-1]) if backlogs[-1].isdigit() else None
            asked = ", then ".join(backlogs)
            accepted = "never accepted" if not accepts else f"accepted {_count(len(accepts), 'connection')}"
            sentence = f"the {lang} server called listen with backlog {asked}, and {accepted}"
            if backlog is not None and not accepts and completed:
                more = completed - backlog
                if more == 1:
                    sentence += f": {completed} connections completed, one more than the backlog"
                elif more == 0:
                    sentence += f": {completed} connections completed, as many as the backlog"
                else:
                    sentence += f": {completed} connections completed with a backlog of {backlog}"
            said.append(sentence + ".")

        dropped = _counters(client, ("ListenOverflows", "ListenDrops"))
        if dropped:
            outcome = "no client was refused: they waited" if refused == 0 else f"{refused} refused"
            said.append(
                f"during the {lang} run the kernel counted {dropped}: connection requests it dropped because "
                f"the listener's accept queue was full; {outcome}."
            )
        else:
            said.append(f"during the {lang} run the kernel counted no ListenOverflows.")
        resent = client.tcp_counters.get("TCPSynRetrans", 0)
        if resent:
            said.append(
                f"during the {lang} run the kernel also resent {_count(resent, 'SYN')} (TCPSynRetrans {resent}) "
                "before the clients gave up."
            )
    return tuple(said)


# --------------------------------------------------------------------------- connect-refused


def observe_refused(comparison: Comparison) -> tuple[str, ...]:
    """How many attempts were refused, how each language learnt it, and whether every try had a new socket."""
    said: list[str] = []
    for side, lang in SIDES:
        client = trace_of(comparison, "client", side)
        if client is None:
            continue
        tried = connections(client)
        refused = [s for s in tried if s.outcome == "refused"]
        ways = Counter(s.how for s in refused)
        learnt = _listing(
            {
                "connect": "from connect itself",
                "SO_ERROR": "with getsockopt(SO_ERROR) after connect returned EINPROGRESS",
            }[how]
            for how in ways
            if how in ("connect", "SO_ERROR")
        )
        sentence = f"the {lang} client: {len(refused)} of {_count(len(tried), 'attempt')} refused (ECONNREFUSED"
        sentence += f", learnt {learnt})" if learnt else ")"
        fresh = all(before.closed is not None and before.closed < after.created for before, after in pairwise(tried))
        if len(tried) > 1:
            sentence += (
                "; each attempt had a new socket, and the one before was closed first"
                if fresh
                else "; a socket was reused or left open between attempts"
            )
        said.append(sentence + ".")
    for side, lang in SIDES:
        holder = trace_of(comparison, "holder", side)
        if holder is None:
            continue
        bound = any(c.name == "bind" and not c.failed for c in holder.syscalls)
        listened = any(c.name == "listen" for c in holder.syscalls)
        if bound and not listened:
            said.append(f"the {lang} holder's socket was bound to the port and never called listen.")
    return tuple(said)


# --------------------------------------------------------------------------- unix-echo


def _path_arg(call: Syscall) -> str | None:
    """The path a file call names (``unlink``'s first argument, ``*at``'s second)."""
    at = call.name.endswith("at") or call.name == "statx"
    index = 1 if at else 0
    return unquote(call.args[index]) if len(call.args) > index else None


UNLINKS = {"unlink", "unlinkat"}
STATS = {"stat", "lstat", "newfstatat", "fstatat64", "statx", "access", "faccessat", "faccessat2"}


def observe_unix(comparison: Comparison) -> tuple[str, ...]:
    """Who removed the socket's file: the listener's close (Go), or nobody (Python)."""
    said: list[str] = []
    for side, lang in SIDES:
        server = trace_of(comparison, "server", side)
        if server is None:
            continue
        calls = server.syscalls
        binds = [
            (i, c, found.path)
            for i, c in enumerate(calls)
            if c.name == "bind" and not c.failed and len(c.args) > 1
            for found in [sockaddr(c.args[1])]
            if found is not None and found.path
        ]
        if not binds:
            continue
        at, bind, path = binds[0]
        listener = fd_of(bind.args[0])
        closed = next(
            (
                i
                for i, c in enumerate(calls)
                if i > at and c.name == "close" and c.args and fd_of(c.args[0]) == listener
            ),
            None,
        )
        unlinks = [(i, c) for i, c in enumerate(calls) if c.name in UNLINKS and _path_arg(c) == path]
        before = [c for i, c in unlinks if i < at]
        after = [(i, c) for i, c in unlinks if i > at]
        if before:
            results = _listing(_result(c) for c in before)
            said.append(f"before bind, the {lang} server cleared any leftover {path}: {results}.")
        removed = [(i, c) for i, c in after if not c.failed]
        if removed:
            i, c = removed[0]
            when = ""
            if closed is not None:
                when = (
                    " just before it closed the listening socket"
                    if i < closed
                    else " after it closed the listening socket"
                )
            said.append(f"the {lang} server removed {path} itself ({_result(c)}){when}.")
        elif closed is not None:
            said.append(f"the {lang} server closed its listening socket and made no unlink of {path} after bind.")
        checks = [
            c
            for i, c in enumerate(calls)
            if closed is not None and i > closed and c.name in STATS and _path_arg(c) == path
        ]
        if checks:
            last = checks[-1]
            state = "still there" if not last.failed else "gone" if last.errno == "ENOENT" else last.errno
            said.append(f"after the close, the {lang} server looked for {path}: {state} ({_result(last)}).")
    return tuple(said)


# --------------------------------------------------------------------------- dns-lookup


def observe_dns(comparison: Comparison) -> tuple[str, ...]:
    """The files each resolver opened, the sockets it made, and whether a name server was asked."""
    said: list[str] = []
    asked_server = False
    for side, _ in SIDES:
        trace = trace_of(comparison, "resolver", side)
        if trace is None:
            continue
        opened: dict[str, str] = {}  # path → "" when read, else the errno of the attempt
        for call in trace.syscalls:
            if call.name in ("open", "openat"):
                path = _path_arg(call)
                if path and RESOLVER_FILE.match(path) and path not in opened:
                    opened[path] = call.errno or ""
        files = _listing(p + (f" ({e})" if e else "") for p, e in opened.items()) or "no resolver file"
        made = sockets(trace)
        kinds = Counter(
            f"{s.family} {s.type}"
            + (f" connected to {s.connected_to} ({_connect_result(s)})" if s.connected_to else "")
            for s in made
        )
        listed = _listing(f"{n} × {what}" if n > 1 else what for what, n in kinds.items())
        made_text = "made no socket" if not made else f"made {_count(len(made), 'socket')}: {listed}"
        who = "Go's own resolver" if side == "go" else "Python's getaddrinfo (the C library's)"
        answer = re.search(r"^localhost (.+)$", trace.stdout, re.M)
        answered = f"; it answered {answer.group(1).strip()}" if answer else ""
        said.append(f"{who} opened {files} and {made_text}{answered}.")
        asked_server = asked_server or any(
            c.name in ("connect", "sendto", "sendmsg") and any(re.search(r"htons\(53\)|:53\b", a) for a in c.args[1:])
            for c in trace.syscalls
        )
    if said:
        said.append(
            "a name server was contacted (port 53)."
            if asked_server
            else "neither side sent anything to a name server (port 53)."
        )
    return tuple(said)


# --------------------------------------------------------------------------- http-get and udp-echo


def _data(trace: Trace, names: set[str]) -> list[Syscall]:
    """Data calls on the program's sockets that moved bytes."""
    fds = {s.fd for s in sockets(trace)}
    fds |= {
        c.retval for c in trace.syscalls if c.name in ("accept", "accept4") and c.retval is not None and c.retval >= 0
    }
    found = []
    for call in trace.syscalls:
        fd = fd_of(call.args[0]) if call.args else None
        desc = call.args[0] if call.args else ""
        is_socket = "TCP:" in desc or "UDP:" in desc or "UNIX" in desc or (fd in fds and "<" not in desc)
        if call.name in names and is_socket and (call.retval or 0) > 0:
            found.append(call)
    return found


def _first_line(call: Syscall) -> str:
    text = unquote(call.args[1]) if len(call.args) > 1 else None
    return (text or "").split("\r\n", 1)[0].split("\n", 1)[0]


def observe_http(comparison: Comparison) -> tuple[str, ...]:
    """What went over the wire: the request and status lines, in how many calls and bytes."""
    said: list[str] = []
    for side, lang in SIDES:
        client, server = trace_of(comparison, "client", side), trace_of(comparison, "server", side)
        if client is None or server is None:
            continue
        request, answer = _data(client, SENDS), _data(server, SENDS)
        if request:
            total = sum(c.retval or 0 for c in request)
            said.append(
                f'the {lang} client sent "{_first_line(request[0])}" in {_count(len(request), "call")} '
                f"({_listing(sorted({c.name for c in request}))}, {total} bytes)."
            )
        if answer:
            total = sum(c.retval or 0 for c in answer)
            said.append(
                f'the {lang} server answered "{_first_line(answer[0])}" in {_count(len(answer), "call")} '
                f"({_listing(sorted({c.name for c in answer}))}, {total} bytes)."
            )
    return tuple(said)


def observe_udp(comparison: Comparison) -> tuple[str, ...]:
    """Which calls carried the datagrams, and whether a socket was connected."""
    said: list[str] = []
    for side, lang in SIDES:
        client, server = trace_of(comparison, "client", side), trace_of(comparison, "server", side)
        if client is None or server is None:
            continue
        waits = [c for c in server.syscalls if c.name in ("listen", "accept", "accept4")]
        if not waits:
            said.append(f"the {lang} server only bound its socket: no listen, no accept.")
        datagram = [s for s in sockets(client) if s.type == "SOCK_DGRAM"]
        connected = [s for s in datagram if s.connected_to is not None]
        sent = _listing(sorted({c.name for c in _data(client, SENDS)})) or "nothing"
        received = _listing(sorted({c.name for c in _data(client, RECEIVES)})) or "nothing"
        if connected:
            said.append(
                f"the {lang} client connected its UDP socket (connect = 0), "
                f"then sent with {sent} and received with {received}, naming no peer."
            )
        elif datagram:
            said.append(
                f"the {lang} client never connected its UDP socket: it sent with {sent} and received with {received}."
            )
    return tuple(said)
