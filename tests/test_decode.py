"""Readers of strace argument texts, on texts taken from real logs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracer.model import Syscall
from tracer.strace.args import (
    Array,
    Call,
    Commented,
    Fd,
    Field,
    Flags,
    InOut,
    Name,
    Node,
    Num,
    Other,
    Str,
    Struct,
    arg_tree,
    arg_trees,
    tree_of,
)
from tracer.strace.decode import (
    SockAddr,
    dump_bytes,
    epoll_event,
    fd_desc,
    fd_of,
    flags,
    sockaddr,
    socket_args,
    symbolic,
    unquote,
)
from tracer.strace.parser import parse_file

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("arg", "fd", "desc"),
    [
        ("3", 3, None),
        ("3<TCP:[127.0.0.1:80->127.0.0.1:5000]>", 3, "TCP:[127.0.0.1:80->127.0.0.1:5000]"),
        ("4<socket:[12345]>", 4, "socket:[12345]"),
        ("5</etc/hosts>", 5, "/etc/hosts"),
        ("3<UNIX-STREAM:[123->456]>", 3, "UNIX-STREAM:[123->456]"),
        ("0</dev/null<char 1:3>>", 0, "/dev/null<char 1:3>"),
        ("AT_FDCWD</tmp>", None, None),
        ("-1", None, None),
        ("NULL", None, None),
        ("", None, None),
    ],
)
def test_fd_and_its_description(arg: str, fd: int | None, desc: str | None) -> None:
    assert fd_of(arg) == fd
    assert fd_desc(arg) == desc


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK", {"SOCK_STREAM", "SOCK_CLOEXEC", "SOCK_NONBLOCK"}),
        ("O_RDWR", {"O_RDWR"}),
        ("0", set()),
        ("SOCK_STREAM|0x800", {"SOCK_STREAM", "0x800"}),
        ("~[KILL STOP]", {"KILL", "STOP"}),
        ("[]", set()),
        ("{a=1}", None),
        ('"O_RDWR"', None),
        ("", None),
    ],
)
def test_flags(text: str, names: set[str] | None) -> None:
    assert flags(text) == (None if names is None else frozenset(names))


def test_socket_args_of_go_and_python_sockets() -> None:
    # GIVEN the sockets a Go and a Python program opened
    go, _ = parse_file(DATA / "go_f.strace")
    py, _ = parse_file(DATA / "py_tcp_f_ttt.strace")
    go_socket = next(e for e in go if isinstance(e, Syscall) and e.name == "socket")
    py_socket = next(e for e in py if isinstance(e, Syscall) and e.name == "socket")
    # THEN family, type flags and protocol read, and the nonblocking difference shows
    nonblocking = frozenset({"SOCK_STREAM", "SOCK_CLOEXEC", "SOCK_NONBLOCK"})
    assert socket_args(go_socket) == ("AF_INET", nonblocking, "IPPROTO_IP")
    assert socket_args(py_socket) == ("AF_INET", frozenset({"SOCK_STREAM", "SOCK_CLOEXEC"}), "IPPROTO_IP")


def test_socket_args_of_too_short_call() -> None:
    assert socket_args(Syscall(1, "socket", ("AF_INET",), "-1")) is None


@pytest.mark.parametrize(
    ("text", "addr"),
    [
        (
            '{sa_family=AF_INET, sin_port=htons(5000), sin_addr=inet_addr("127.0.0.1")}',
            SockAddr("AF_INET", "127.0.0.1", 5000),
        ),
        (
            "{sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), "
            'inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}',
            SockAddr("AF_INET6", "::1", 80),
        ),
        ('{sa_family=AF_UNIX, sun_path="/tmp/x.sock"}', SockAddr("AF_UNIX", path="/tmp/x.sock")),
        ('{sa_family=AF_UNIX, sun_path=@"name"}', SockAddr("AF_UNIX", path="@name")),
        ("{sa_family=AF_UNIX}", SockAddr("AF_UNIX")),
        ("{sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}", SockAddr("AF_NETLINK")),
        ("0x7ffc20fbf880", None),
        ("NULL", None),
        ("{st_mode=S_IFREG|0644, st_size=1}", None),
    ],
)
def test_sockaddr(text: str, addr: SockAddr | None) -> None:
    assert sockaddr(text) == addr


def test_sockaddr_of_every_connect_in_the_logs() -> None:
    # GIVEN the connect calls of the real logs
    found = set()
    for name in ("go_f.strace", "py_tcp_f_ttt.strace", "py_r.strace"):
        events, _ = parse_file(DATA / name)
        for e in events:
            if isinstance(e, Syscall) and e.name == "connect":
                found.add(sockaddr(e.args[1]))
    # THEN every address reads, IPv4, IPv6 and unix alike
    assert None not in found
    assert SockAddr("AF_INET6", "::1", 1) in found
    assert SockAddr("AF_UNIX", path="/tmp/nonexistent.sock") in found
    assert SockAddr("AF_INET", "127.0.0.1", 1) in found


def test_epoll_event_flags() -> None:
    text = "{events=EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, data={u32=251658241, u64=4575601992675622913}}"
    assert epoll_event(text) == frozenset({"EPOLLIN", "EPOLLOUT", "EPOLLRDHUP", "EPOLLET"})
    assert epoll_event("0x1c34eab1f8dc") is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"hello"', "hello"),
        ('"a\\nb\\t\\"q\\"\\\\"', 'a\nb\t"q"\\'),
        ('"\\x41\\102\\0"', "AB\0"),
        ('"GET / HTTP/1.1\\r\\n"...', "GET / HTTP/1.1\r\n"),
        ('"caf\\303\\251"', "café"),
        ('"\\377"', "\\xff"),
        ("NULL", None),
        ('"unterminated', None),
    ],
)
def test_unquote(text: str, value: str | None) -> None:
    assert unquote(text) == value


@given(st.text(max_size=300))
@settings(max_examples=500)
def test_decoders_never_raise(text: str) -> None:
    fd_of(text)
    fd_desc(text)
    flags(text)
    sockaddr(text)
    epoll_event(text)
    unquote(text)
    socket_args(Syscall(1, "socket", (text, text, text), "3"))


@given(st.text(alphabet='"\\x0123456789abcnrt@{}=_, ', max_size=80))
@settings(max_examples=500)
def test_decoders_never_raise_on_escape_soup(text: str) -> None:
    unquote(text)
    unquote(f'"{text}"')
    sockaddr(f'{{sa_family=AF_UNIX, sun_path="{text}"}}')
    sockaddr(f'{{sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("{text}")}}')


# -- argument trees ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("3", Num("3", 3)),
        ("-1", Num("-1", -1)),
        ("0x7ffc", Num("0x7ffc", 0x7FFC)),
        ("0644", Num("0644", 0o644)),
        ("NULL", Name("NULL")),
        ("SOCK_STREAM|SOCK_CLOEXEC", Flags((Name("SOCK_STREAM"), Name("SOCK_CLOEXEC")))),
        ('"GET /\\r\\n"...', Str(b"GET /\r\n", truncated=True)),
        ('@"abstract"', Str(b"abstract", prefix="@")),
        ('"caf\\303\\251 \\x41"', Str("café A".encode())),
        ("3<TCP:[127.0.0.1:80->127.0.0.1:5000]>", Fd(3, "TCP:[127.0.0.1:80->127.0.0.1:5000]")),
        ("0</dev/null<char 1:3>>", Fd(0, "/dev/null<char 1:3>")),
        ("AT_FDCWD</tmp>", Fd(-100, "/tmp")),
        ("[128 => 16]", Array((InOut(Num("128", 128), Num("16", 16)),))),
        ("~[KILL STOP]", Array((Name("KILL"), Name("STOP")), negated=True)),
        ("[]", Array(())),
        ("htons(80)", Call("htons", (Num("80", 80),))),
        ("0x7ffd /* 35 vars */", Commented(Num("0x7ffd", 0x7FFD), "35 vars")),
        ("/* 3 entries */ NULL", Commented(Name("NULL"), "3 entries")),
        ("child_stack=NULL", Field("child_stack", Name("NULL"))),
        (
            '{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}',
            Struct(
                (
                    Field("sa_family", Name("AF_INET")),
                    Field("sin_port", Call("htons", (Num("80", 80),))),
                    Field("sin_addr", Call("inet_addr", (Str(b"127.0.0.1"),))),
                )
            ),
        ),
        (
            "0x1 /* SOCK_STREAM */|0x80000 /* SOCK_CLOEXEC */",
            Flags((Commented(Num("0x1", 1), "SOCK_STREAM"), Commented(Num("0x80000", 0x80000), "SOCK_CLOEXEC"))),
        ),
        (
            "{st_mode=S_IFREG|0644, ...}",
            Struct((Field("st_mode", Flags((Name("S_IFREG"), Num("0644", 0o644)))), Name("..."))),
        ),
        ("[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]", Array((Struct((Other("WIFEXITED(s) && WEXITSTATUS(s) == 0"),)),))),
        ('"unterminated', Other('"unterminated')),
        ("{a=1", Other("{a=1")),
        ("", Other("")),
    ],
)
def test_arg_tree(text: str, tree: Node) -> None:
    assert arg_tree(text) == tree


def test_arg_tree_of_clone3_in_out_struct() -> None:
    tree = arg_tree("{flags=CLONE_VM|CLONE_FS, child_tid=0x7f40, exit_signal=0} => {parent_tid=[16220]}")
    assert isinstance(tree, InOut) and isinstance(tree.before, Struct) and isinstance(tree.after, Struct)
    assert tree.after.get("parent_tid") == Array((Num("16220", 16220),))
    flags_node = tree.before.get("flags")
    assert isinstance(flags_node, Flags) and flags_node.names == {"CLONE_VM", "CLONE_FS"}


def test_every_argument_of_the_real_logs_has_a_tree() -> None:
    # GIVEN every argument of the saved and golden logs
    seen = unread = 0
    for path in sorted(DATA.glob("*.strace")) + sorted((DATA / "golden").glob("*.strace*")):
        events, _ = parse_file(path)
        for event in events:
            if isinstance(event, Syscall):
                for tree in arg_trees(event):
                    seen += 1
                    unread += isinstance(tree, Other)
    # THEN nearly all read as trees (the rest stay as printed, never an error)
    assert seen > 20_000 and unread / seen < 0.002


@given(st.text(max_size=200))
@settings(max_examples=500)
def test_arg_tree_never_raises(text: str) -> None:
    arg_tree(text)


@given(st.text(alphabet='"\\{}[]()<>=,|~@/* x0123_A', max_size=60))
@settings(max_examples=800)
def test_arg_tree_never_raises_on_bracket_soup(text: str) -> None:
    arg_tree(text)
    tree_of(text)


def test_verbose_and_dump_readers() -> None:
    assert symbolic("0x2 /* AF_INET */") == "AF_INET"
    assert symbolic('"\\x00\\x50" /* htons(80) */') == "htons(80)"
    assert flags("0x1 /* SOCK_STREAM */|0x80000 /* SOCK_CLOEXEC */") == {"SOCK_STREAM", "SOCK_CLOEXEC"}
    text = '{sa_family=0x2 /* AF_INET */, sin_port="\\xab\\x93" /* htons(43923) */, sin_addr="\\x7f\\x00\\x00\\x01" /* inet_addr("127.0.0.1") */}'  # noqa: E501
    assert sockaddr(text) == SockAddr("AF_INET", "127.0.0.1", 43923)
    dump = (
        "00000  61 62 63 64 65 66 67 68  69 6a 6b 6c 6d 6e 6f 70  abcdefghijklmnop",
        "00010  71                                                q               ",
    )
    assert dump_bytes(dump) == b"abcdefghijklmnopq"
    assert dump_bytes(("* 1 bytes in buffer 0", "not a dump")) == b""
