"""Readers of strace argument texts, on texts taken from real logs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracer.model import Syscall
from tracer.strace.decode import SockAddr, epoll_event, fd_desc, fd_of, flags, sockaddr, socket_args, unquote
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
            '{sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), '
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
