"""Readers for the argument texts strace prints, as kept in ``Syscall.args``.

Contract: every function here is pure and never raises; it returns None for
text it cannot read (``flags`` included, so "no flags" (``0``) and "not a flag
set" stay apart). Strings come back with strace's C escapes undone. Text
printed with ``-X verbose`` (``0x2 /* AF_INET */``, ``"\\x00\\x50" /* htons(80) */``)
reads as its symbolic form. For the full tree of any argument, see
``tracer.strace.args``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracer.model import Syscall
from tracer.strace import regex

__all__ = [
    "SockAddr",
    "dump_bytes",
    "epoll_event",
    "fd_desc",
    "fd_of",
    "flags",
    "sockaddr",
    "socket_args",
    "symbolic",
    "unquote",
]

_FD = regex.compile(r"\s*(\d+)(?:<(.*)>)?\s*", re.S)
_FLAGS = regex.compile(r"\s*(?:~?\[[\w ]*\]|\w+(?:\|\w+)*)\s*")
_STRING = r'"([^"\\]*+(?:\\.[^"\\]*+)*+)"'
_ESCAPE = regex.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.S)
_SIMPLE_ESCAPES = {
    "n": 10,
    "t": 9,
    "r": 13,
    "v": 11,
    "f": 12,
    "a": 7,
    "b": 8,
    "e": 27,
}
_STRING_RE = regex.compile(_STRING, re.S)
_FAMILY = regex.compile(r"sa_family=(\w+)")
_PORT = regex.compile(r"sin6?_port=htons\((\d+)\)")
_INET = regex.compile(r"sin_addr=inet_addr\(" + _STRING + r"\)")
_INET6 = regex.compile(r"inet_pton\(AF_INET6, " + _STRING + r", &sin6_addr\)")
_UNIX = regex.compile(r"sun_path=(@?)" + _STRING)
_EVENTS = regex.compile(r"events=([\w|]+)")
# -X verbose: a raw value followed by strace's symbolic reading of it in a comment.
_VERBOSE = regex.compile(r'(?:"(?:[^"\\]|\\.)*"|[\w]+) /\* ((?:[^*]|\*(?!/))*?) \*/')
# " | %05x  %-49s  %-16s |": an offset, 16 bytes in hex (49 columns), their text.
_DUMP = regex.compile(r"[0-9a-f]{5,}  ")
_DUMP_HEX = 49


@dataclass(frozen=True)
class SockAddr:
    """A socket address as strace printed it.

    family:  ``AF_INET``, ``AF_INET6``, ``AF_UNIX``, ...
    address: the IP address text, for AF_INET/AF_INET6.
    port:    the port, for AF_INET/AF_INET6.
    path:    the AF_UNIX path; an abstract name starts with ``@``; None when unnamed.
    """

    family: str
    address: str | None = None
    port: int | None = None
    path: str | None = None


def symbolic(text: str) -> str:
    """``-X verbose`` text in its symbolic form: ``0x2 /* AF_INET */`` → ``AF_INET``; other text as is."""
    if "/*" not in text:
        return text
    return _VERBOSE.sub(lambda m: m.group(1), text)


def dump_bytes(lines: tuple[str, ...] | list[str]) -> bytes:
    """The bytes of a call's hex dump (``Syscall.dump``: ``00000  68 65 6c ...  hel``), buffers joined."""
    data = bytearray()
    for line in lines:
        m = _DUMP.match(line)
        if m is not None:
            try:
                data += bytes.fromhex(line[m.end() : m.end() + _DUMP_HEX])
            except ValueError:  # not a dump line after all
                continue
    return bytes(data)


def fd_of(arg: str) -> int | None:
    """The fd number of ``3`` or ``3<TCP:[...]>``; None for ``AT_FDCWD`` and the like."""
    m = _FD.fullmatch(arg)
    return int(m.group(1)) if m else None


def fd_desc(arg: str) -> str | None:
    """What ``-y``/``-yy`` printed for an fd: ``TCP:[1.2.3.4:5->6.7.8.9:10]``, ``/etc/hosts``."""
    m = _FD.fullmatch(arg)
    return m.group(2) if m else None


def flags(text: str) -> frozenset[str] | None:
    """``A|B|C`` as a set of names; ``0`` is the empty set, ``[A B]`` masks read too."""
    text = symbolic(text)
    if not _FLAGS.fullmatch(text):
        return None
    names = re.split(r"[|\s\[\]~]+", text)
    return frozenset(n for n in names if n and n != "0")


def socket_args(call: Syscall) -> tuple[str, frozenset[str], str] | None:
    """(family, type flags, protocol) of a ``socket``/``socketpair`` call."""
    if len(call.args) < 3:
        return None
    kinds = flags(call.args[1])
    if kinds is None:
        return None
    return call.args[0], kinds, call.args[2]


def unescape(body: str) -> bytes:
    """The bytes of a C-escaped string body as strace prints it (``\\n``, ``\\x41``, ``\\303``)."""
    raw = bytearray()
    pos = 0
    for esc in _ESCAPE.finditer(body):
        raw += body[pos : esc.start()].encode("utf-8", "surrogatepass")
        code = esc.group(1)
        if code[0] == "x" and len(code) > 1:
            raw.append(int(code[1:], 16))
        elif code[0] in "01234567":
            raw.append(int(code, 8) & 0xFF)
        elif code in _SIMPLE_ESCAPES:
            raw.append(_SIMPLE_ESCAPES[code])
        else:
            raw += code.encode("utf-8", "surrogatepass")
        pos = esc.end()
    raw += body[pos:].encode("utf-8", "surrogatepass")
    return bytes(raw)


def unquote(text: str) -> str | None:
    """The text of a strace string literal (``"a\\nb"``, truncated ``"abc"...``)."""
    text = text.strip()
    if text.endswith("..."):
        text = text[:-3]
    m = _STRING_RE.fullmatch(text)
    if m is None:
        return None
    raw = unescape(m.group(1))
    return raw.decode("utf-8", "backslashreplace")


def sockaddr(text: str) -> SockAddr | None:
    """Read ``{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("1.2.3.4")}`` and kin."""
    text = symbolic(text.strip())
    if not (text.startswith("{") and text.endswith("}")):
        return None
    fam = _FAMILY.search(text)
    if fam is None:
        return None
    family = fam.group(1)
    if family in ("AF_INET", "AF_INET6"):
        port = _PORT.search(text)
        addr = (_INET if family == "AF_INET" else _INET6).search(text)
        return SockAddr(
            family,
            address=unquote(f'"{addr.group(1)}"') if addr else None,
            port=int(port.group(1)) if port else None,
        )
    if family == "AF_UNIX":
        path = _UNIX.search(text)
        if path is None:
            return SockAddr(family)
        name = unquote(f'"{path.group(2)}"')
        return SockAddr(family, path=None if name is None else path.group(1) + name)
    return SockAddr(family)


def epoll_event(text: str) -> frozenset[str] | None:
    """The event flags of ``{events=EPOLLIN|EPOLLET, data={u32=.., u64=..}}``."""
    m = _EVENTS.search(symbolic(text))
    return flags(m.group(1)) if m else None
