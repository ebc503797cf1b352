"""Focus: keep the life of each socket and drop the runtime's start-up noise.

Contract: ``focus(trace)`` takes a ``Trace`` and returns the ``Step`` list of
its socket story, in log order: every call on a socket fd from its creation
(socket, accept/accept4, dup) to its close, the poller calls that register a
socket or report it ready, and reads of network configuration (kind
``config``): the kernel's settings under /proc/sys/net (Go reads the listen
backlog limit there) and the resolver's files (/etc/hosts, nsswitch.conf,
resolv.conf...): their opening (or the look for them) and what was read;
and calls on a unix socket's
file (kind ``file``: removing a stale one, Go's unlink on close, stat). ``everything(trace)``
keeps every syscall. Both are pure and safe on an empty trace.

Sockets are found two ways, so that logs without ``-yy`` work too: the fds
that socket-creating calls return, and fds whose ``-yy`` decoration names a
socket (``TCP:[...]``, ``UNIX-STREAM:[...]``, ``socket:[...]``).
"""

from __future__ import annotations

import re

from tracer.model import Step, Syscall, Trace
from tracer.strace.decode import fd_desc, fd_of, sockaddr

KIND = {
    "socket": "create",
    "socketpair": "create",
    "setsockopt": "configure",
    "getsockopt": "configure",
    "fcntl": "configure",
    "ioctl": "configure",
    "getsockname": "inspect",
    "getpeername": "inspect",
    "bind": "bind",
    "listen": "listen",
    "accept": "accept",
    "accept4": "accept",
    "connect": "connect",
    "epoll_ctl": "wait",
    "epoll_wait": "wait",
    "epoll_pwait": "wait",
    "epoll_pwait2": "wait",
    "poll": "wait",
    "ppoll": "wait",
    "select": "wait",
    "pselect6": "wait",
    "write": "send",
    "writev": "send",
    "send": "send",
    "sendto": "send",
    "sendmsg": "send",
    "sendmmsg": "send",
    "sendfile": "send",
    "pwrite64": "send",
    "read": "receive",
    "readv": "receive",
    "recv": "receive",
    "recvfrom": "receive",
    "recvmsg": "receive",
    "recvmmsg": "receive",
    "pread64": "receive",
    "shutdown": "shutdown",
    "close": "close",
    "dup": "configure",
    "dup2": "configure",
    "dup3": "configure",
}
CREATES = {"socket", "accept", "accept4"}
DUPS = {"dup", "dup2", "dup3"}
WAITS = {"epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll", "select", "pselect6"}
SOCKET_DESC = re.compile(r"(TCP|UDP|UNIX|NETLINK|RAW|PACKET|MPTCP|SCTP|socket:|L2TP|XDP)")
# Files whose reading is part of a network story: kernel settings and the resolver's configuration.
CONFIG = re.compile(
    r'^"(/proc/sys/net/|/etc/(hosts|resolv\.conf|nsswitch\.conf|gai\.conf|host\.conf|services|protocols)")'
)
CONFIG_CALLS = {"read", "pread64", "close", "fcntl", "fstat", "newfstatat", "lseek"}
# Calls on a path, and which argument holds it: kept when the path is a unix
# socket's file (a stale one removed before bind, Go's unlink on close).
PATH_ARG = {
    "unlink": 0,
    "stat": 0,
    "lstat": 0,
    "access": 0,
    "unlinkat": 1,
    "newfstatat": 1,
    "faccessat": 1,
    "faccessat2": 1,
    "statx": 1,
}
OPENS = {"openat", "open"}
POLL_FD = re.compile(r"fd=(\d+)")
# What strace records unless every syscall is asked for (--all): the calls
# this view can keep, and each process's start and end (its exit status).
# Everything else (the runtimes' signal handlers, memory maps, threads' set-up)
# is then neither unwound for -k nor written, and with --seccomp-bpf does not
# even stop the program: tcp-echo's four programs run in ~200 ms, not ~500 ms.
TRACED = frozenset({*KIND, *PATH_ARG, *OPENS, "execve", "exit_group"})


def everything(trace: Trace) -> list[Step]:
    return [Step(KIND.get(call.name, "other"), call) for call in trace.syscalls]


def socket_files(trace: Trace) -> set[str]:
    """The paths (as strace quotes them) that unix sockets bound or connected to."""
    paths = set()
    for call in trace.syscalls:
        if call.name in ("bind", "connect") and len(call.args) > 1 and "AF_UNIX" in call.args[1]:
            address = sockaddr(call.args[1])
            if address is not None and address.path and not address.path.startswith("@"):
                paths.add(f'"{address.path}"')
    return paths


def focus(trace: Trace) -> list[Step]:
    files = socket_files(trace)
    sockets: set[int] = set()
    configs: set[int] = set()
    polled = False  # a poller has had a socket registered on it
    steps: list[Step] = []
    for call in trace.syscalls:
        name, args = call.name, call.args
        first = args[0] if args else ""
        fd, desc = fd_of(first), fd_desc(first)
        result_fd = call.retval if not call.failed else None

        if name in CREATES or name == "socketpair":
            if result_fd is not None and result_fd >= 0:
                sockets.add(result_fd)
            if name == "socketpair" and len(args) > 3:
                sockets.update(int(n) for n in re.findall(r"\d+", args[3]))
            steps.append(Step(KIND[name], call))
            continue
        where = PATH_ARG.get(name)
        if files and where is not None and len(args) > where and args[where] in files:
            steps.append(Step("file", call))
            continue
        path = args[1] if name == "openat" and len(args) > 1 else first if name in OPENS | {"stat", "access"} else ""
        if path and CONFIG.match(path):
            if name in OPENS and result_fd is not None and result_fd >= 0:
                configs.add(result_fd)
            steps.append(Step("config", call))
            continue
        if fd is not None and fd in configs and name in CONFIG_CALLS:
            if name == "close":
                configs.discard(fd)
            elif name in ("read", "pread64") and (call.retval or 0) > 0:
                steps.append(Step("config", call))  # what was read; the fstat, fcntl and EOF reads around it say little
            continue
        if name == "epoll_ctl" and len(args) > 2:
            target, target_desc = fd_of(args[2]), fd_desc(args[2])
            if _is_socket(target, target_desc, sockets):
                polled = True
                steps.append(Step("wait", call))
            continue
        if name in WAITS:
            if name in ("poll", "ppoll"):
                if any(int(n) in sockets for n in POLL_FD.findall(first)):
                    steps.append(Step("wait", call))
            elif polled and 0 < (call.retval or 0) <= _max_events(call):
                # (A return above maxevents is strace reading the registers of
                # a call cut short by the process exiting: not a real wake-up.)
                steps.append(Step("wait", call))
            continue
        if name in KIND and _is_socket(fd, desc, sockets):
            duplicates = name in DUPS or (name == "fcntl" and len(args) > 1 and args[1].startswith("F_DUPFD"))
            if duplicates and result_fd is not None and result_fd >= 0:
                sockets.add(result_fd)
            if name == "close":
                sockets.discard(fd)  # the number may come back as a file
            steps.append(Step(KIND[name], call))
    return steps


def _max_events(call: Syscall) -> int:
    try:
        return int(call.args[2]) if call.name.startswith("epoll") else 1 << 30
    except (IndexError, ValueError):
        return 1 << 30


def _is_socket(fd: int | None, desc: str | None, sockets: set[int]) -> bool:
    if desc is not None:
        return SOCKET_DESC.match(desc) is not None
    return fd is not None and fd in sockets


# Calls whose count depends on scheduling, not on the program: how often Go's
# netpoller is asked, and whether data was already there when a non-blocking
# call was first tried.
TIMING_WAITS = {"epoll_wait", "epoll_pwait", "epoll_pwait2"}
TRY_AGAIN = {"EAGAIN", "EWOULDBLOCK"}
# What strace shows for a call the process's exit cut short: "?", or (seen on
# x86-64) exit_group's syscall number, 231, read from the thread's registers.
CUT_RESULTS = {"?", "231"}


def _cut_by_exit(step: Step) -> bool:
    # 231 only where it cannot be a real result: a close, a wait.
    return step.call.result == "?" or (step.call.result in CUT_RESULTS and step.kind in ("close", "wait"))


def steady(steps: list[Step]) -> list[Step]:
    """The steps every run of the same program makes, for exports that must not churn.

    Drops what depends on timing rather than on the program: the netpoller's
    waits; each non-blocking attempt that found nothing to do yet (EAGAIN):
    whether a read found its data on the first try depends on which process
    the scheduler ran first; and calls the process's exit cut short (no
    result). The notes on the rows that remain say that Go may wait there.
    """
    return [
        step
        for step in steps
        if step.call.name not in TIMING_WAITS and step.call.errno not in TRY_AGAIN and not _cut_by_exit(step)
    ]
