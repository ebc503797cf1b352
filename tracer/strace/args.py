"""Argument trees: one strace argument text read into a tree of typed nodes, on demand.

Contract: ``arg_tree(text)`` reads one argument as strace printed it (an item of
``Syscall.args``) and ``arg_trees(call)`` all of a call's; ``tree_of(text)`` is
``arg_tree`` behind a small cache. They are pure and never raise: text they
cannot read whole comes back as ``Other(text)``, so every node can be shown as
printed. The parser never calls them: trees are built only for the calls a
reader looks at.

What strace prints, and the node it becomes:

* ``3``, ``-1``, ``0x7ffc``, ``0644``        → ``Num`` (``value`` is the int)
* ``NULL``, ``AF_INET``, ``&sin6_addr``, ``...`` → ``Name``
* ``SOCK_STREAM|SOCK_CLOEXEC``, ``S_IFREG|0644`` → ``Flags`` of the parts
* ``"GET /\\r\\n"...``, ``@"abstract"``     → ``Str`` (escapes undone, ``truncated``, ``prefix``)
* ``3<TCP:[127.0.0.1:80->...]>``            → ``Fd`` (number and ``-y``/``-yy`` description;
  ``AT_FDCWD</tmp>`` is fd -100)
* ``{sa_family=AF_INET, sin_port=htons(80)}`` → ``Struct`` of ``Field`` (``name=value``) and bare items
* ``[1, 2]``, ``[INT TERM]``, ``~[KILL]``     → ``Array`` (``negated`` for ``~``)
* ``[112 => 16]``, ``{...} => {...}``        → ``InOut`` (value before and after the call)
* ``htons(80)``, ``inet_addr("1.2.3.4")``    → ``Call``
* ``0x2 /* AF_INET */``, ``/* 3 entries */ NULL`` → ``Commented`` (the value and the comment)
* ``child_stack=NULL`` as an argument        → ``Field``
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TypeAlias

from tracer.model import Syscall
from tracer.strace import regex
from tracer.strace.decode import unescape

__all__ = [
    "Array",
    "Call",
    "Commented",
    "Fd",
    "Field",
    "Flags",
    "InOut",
    "Name",
    "Node",
    "Num",
    "Other",
    "Str",
    "Struct",
    "arg_tree",
    "arg_trees",
    "tree_of",
]


@dataclass(frozen=True, slots=True)
class Num:
    """A number as printed (decimal, ``0x`` hex, ``0`` octal) and its value."""

    text: str
    value: int


@dataclass(frozen=True, slots=True)
class Name:
    """A symbolic constant or anything word-like: ``NULL``, ``AF_INET``, ``&sin6_addr``, ``...``."""

    text: str


@dataclass(frozen=True, slots=True)
class Flags:
    """``A|B|0x800``: the parts, each a ``Name``, ``Num``, ``Call`` or ``Commented`` (``-X verbose``)."""

    parts: tuple[Node, ...]

    @property
    def names(self) -> frozenset[str]:
        """The parts as text, the symbolic name of a ``-X verbose`` part when it has one."""
        return frozenset(_flag_name(p) for p in self.parts)


@dataclass(frozen=True, slots=True)
class Str:
    """A string literal: ``value`` with strace's escapes undone (bytes), ``truncated``
    when strace cut it (``"..."...``), ``prefix`` ``@`` for an abstract unix name."""

    value: bytes
    truncated: bool = False
    prefix: str = ""

    @property
    def text(self) -> str:
        return self.value.decode("utf-8", "backslashreplace")


@dataclass(frozen=True, slots=True)
class Fd:
    """An fd with its ``-y``/``-yy`` decoration: ``3<TCP:[1.2.3.4:5->6.7.8.9:10]>``."""

    number: int
    desc: str


@dataclass(frozen=True, slots=True)
class Field:
    """``name=value`` inside a struct (or a named argument of clone)."""

    name: str
    value: Node


@dataclass(frozen=True, slots=True)
class Struct:
    """``{...}``: ``Field`` items, and bare items where strace prints no name."""

    items: tuple[Node, ...]

    def get(self, name: str) -> Node | None:
        """The value of the field ``name``, or None."""
        for item in self.items:
            if isinstance(item, Field) and item.name == name:
                return item.value
        return None


@dataclass(frozen=True, slots=True)
class Array:
    """``[...]`` (items separated by commas, or by spaces in signal sets); ``~[...]`` is negated."""

    items: tuple[Node, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class InOut:
    """``before => after``: what the call was given and what it wrote back."""

    before: Node
    after: Node


@dataclass(frozen=True, slots=True)
class Call:
    """``name(args)``: strace's macro-like forms, ``htons(80)``, ``makedev(0x1, 0x3)``."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Commented:
    """A value with strace's comment: ``0x2 /* AF_INET */``; ``value`` is None for a lone comment."""

    value: Node | None
    comment: str


@dataclass(frozen=True, slots=True)
class Other:
    """Text that could not be read as a tree, kept as printed."""

    text: str


Node: TypeAlias = Num | Name | Flags | Str | Fd | Field | Struct | Array | InOut | Call | Commented | Other

_MAX_DEPTH = 64
_AT_FDCWD = -100
_TOKEN = regex.compile(
    r"""\s*(?:
      (?P<str>@?"(?:[^"\\]|\\.)*+"(?:\.\.\.)?)
    | (?P<comment>/\*(?:[^*]|\*(?!/))*+\*/)
    | (?P<arrow>=>)
    | (?P<open>~?[\[{(])
    | (?P<close>[\]})])
    | (?P<comma>,)
    | (?P<bar>\|)
    | (?P<eq>=)
    | (?P<deco><(?:[^<>\[\]]|\[(?:[^\[\]]|\[[^\[\]]*\])*\]|<[^<>]*>)*+>)
    | (?P<atom>(?:[^\s"\[\]{}(),|=<>/~]|<<|>>|==|!=|\|\||/(?!\*)|~(?!\[)|->)+)
    )""",
    re.S | re.X,
)
_NUMBER = regex.compile(r"-?(?:0x[0-9a-fA-F]+|0[0-7]*|[1-9]\d*)")


class _Unreadable(Exception):
    pass


def arg_tree(text: str) -> Node:
    """The tree of one argument; ``Other(text)`` when it cannot be read whole."""
    try:
        tokens = _tokens(text)
        reader = _Reader(tokens, text)
        named = len(tokens) > 2 and tokens[0][0] == "atom" and tokens[1][0] == "eq"
        if named:  # clone's "child_stack=NULL": a named argument
            reader.at = 2
        node = reader.value(0)
        if reader.at < len(tokens):
            raise _Unreadable
        return Field(tokens[0][1], node) if named else node
    except (_Unreadable, RecursionError, ValueError, IndexError):
        return Other(text.strip())


@functools.lru_cache(maxsize=4096)
def tree_of(text: str) -> Node:
    """``arg_tree`` with a cache: the same flags and structs come back on every row."""
    return arg_tree(text)


def arg_trees(call: Syscall) -> tuple[Node, ...]:
    """The trees of a call's arguments, in order."""
    return tuple(tree_of(arg) for arg in call.args)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    tokens = []
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _Unreadable
        kind = m.lastgroup
        assert kind is not None
        tokens.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return tokens


def _flag_name(node: Node) -> str:
    if isinstance(node, Commented) and node.comment:
        return node.comment
    if isinstance(node, Num | Name):
        return node.text
    return _show(node)


def _show(node: Node | None) -> str:
    """A node as strace would print it (close enough to name a flag part)."""
    if node is None:
        return ""
    if isinstance(node, Num | Name | Other):
        return node.text
    if isinstance(node, Call):
        return f"{node.name}({', '.join(_show(a) for a in node.args)})"
    if isinstance(node, Flags):
        return "|".join(_show(p) for p in node.parts)
    if isinstance(node, Commented):
        return f"{_show(node.value)} /* {node.comment} */".strip()
    return repr(node)


class _Reader:
    """Recursive descent over the tokens; raises ``_Unreadable`` on anything unexpected."""

    def __init__(self, tokens: list[tuple[str, str, int]], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at][:2] if self.at < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.at += 1
        return token

    def expression(self, start: int) -> Other:
        """The rest of an item strace printed as a C expression (``WIFEXITED(s) && ...``), as text."""
        depth = 0
        while self.at < len(self.tokens):
            kind = self.peek()[0]
            if depth == 0 and kind in ("comma", "close"):
                break
            if kind == "open":
                depth += 1
            elif kind == "close":
                depth -= 1
            self.at += 1
        begin = self.tokens[start][2]
        end = self.tokens[self.at][2] if self.at < len(self.tokens) else len(self.text)
        return Other(self.text[begin:end].strip())

    def value(self, depth: int) -> Node:
        if depth > _MAX_DEPTH:
            raise _Unreadable
        lead = None
        if self.peek()[0] == "comment":  # "/* 3 entries */ NULL" and lone comments
            lead = _comment(self.take()[1])
            if self.peek()[0] in ("end", "comma", "close"):
                return Commented(None, lead)
        node = self.flags(depth)
        if self.peek()[0] == "comment":
            node = Commented(node, _comment(self.take()[1]))
            if self.peek()[0] == "bar":  # -X verbose flags: 0x1 /* A */|0x80000 /* B */
                node = self.more_flags(node, depth)
        if lead is not None:
            node = Commented(node, lead)
        if self.peek()[0] == "arrow":
            self.take()
            node = InOut(node, self.value(depth + 1))
        return node

    def flags(self, depth: int) -> Node:
        first = self.primary(depth)
        if self.peek()[0] != "bar":
            return first
        return self.more_flags(first, depth)

    def more_flags(self, first: Node, depth: int) -> Node:
        parts: list[Node] = [*first.parts] if isinstance(first, Flags) else [first]
        while self.peek()[0] == "bar":
            self.take()
            part = self.primary(depth)
            if self.peek()[0] == "comment":
                part = Commented(part, _comment(self.take()[1]))
            parts.append(part)
        return Flags(tuple(parts))

    def primary(self, depth: int) -> Node:
        kind, text = self.take()
        if kind == "str":
            return _string(text)
        if kind == "open":
            closing = {"[": "]", "{": "}", "(": ")"}[text[-1]]
            items = self.items(closing, depth + 1, spaces=text[-1] == "[")
            if text[-1] == "{":
                return Struct(items)
            if text[-1] == "[":
                return Array(items, negated=text[0] == "~")
            return Call("", items)
        if kind != "atom":
            raise _Unreadable
        if self.peek()[0] == "deco":
            desc = self.take()[1][1:-1]
            if _NUMBER.fullmatch(text) and not _octal(text):
                return Fd(int(text, 0), desc)
            if text == "AT_FDCWD":  # the working directory, with its path under -y
                return Fd(_AT_FDCWD, desc)
            raise _Unreadable
        if self.peek() == ("open", "("):
            self.take()
            return Call(text, self.items(")", depth + 1, spaces=False))
        return _atom(text)

    def items(self, closing: str, depth: int, spaces: bool) -> tuple[Node, ...]:
        found: list[Node] = []
        while True:
            kind, text = self.peek()
            if kind == "close":
                self.take()
                if text != closing:
                    raise _Unreadable
                return tuple(found)
            if kind == "end":
                raise _Unreadable
            if kind == "comma":
                self.take()
                continue
            start = self.at
            if kind == "atom" and self.at + 1 < len(self.tokens) and self.tokens[self.at + 1][0] == "eq":
                self.at += 2
                found.append(Field(text, self.value(depth)))
            else:
                found.append(self.value(depth))
            if not spaces and self.peek()[0] not in ("comma", "close"):
                found[-1] = self.expression(start)


def _comment(text: str) -> str:
    return text[2:-2].strip()


def _octal(text: str) -> bool:
    digits = text.lstrip("-")
    return len(digits) > 1 and digits[0] == "0" and digits[1] != "x"


def _atom(text: str) -> Node:
    if _NUMBER.fullmatch(text):
        return Num(text, int(text, 8) if _octal(text) else int(text, 0))
    return Name(text)


def _string(text: str) -> Str:
    prefix = "@" if text.startswith("@") else ""
    body = text[len(prefix) :]
    truncated = body.endswith("...")
    if truncated:
        body = body[:-3]
    return Str(unescape(body[1:-1]), truncated, prefix)
