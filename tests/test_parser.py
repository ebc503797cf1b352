"""The strace log parser, on logs recorded from real strace 6.1 runs and on made-up damage.

Saved logs (tests/data), all of loopback TCP programs:
  py_tcp_f_ttt.strace   python echo with a thread, strace -f -ttt -T -yy -s 256 -o
  py_k_f.strace         the same with -k, -e trace=%network,%process
  go_k_f.strace         a Go Listen/Dial/echo program, -f -k -ttt -T -yy, -e trace=%network,%process,epoll_ctl
  go_f.strace           the same Go program, -f -ttt -T -yy, every call
  py_stderr_pid.strace  python echo, strace -f -tt -T -yy writing to stderr ([pid N] prefixes)
  py_r.strace           python connects (AF_INET6, AF_UNIX), no -f, -r -T -y
  py_t.strace / py_tt.strace / py_ttt_ns.strace   the same with -t / -tt / --timestamps=unix,ns
  py_http_server.strace python http.server answering one request, -f -ttt -T -yy
  py_thread_execve.strace / py_thread_execve_stderr.strace
                        a python thread calling execv, strace -f -tt -o file / to stderr
"""

from __future__ import annotations

import gzip
import re
import string
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracer.link import link_go
from tracer.model import Attach, Event, Exit, Problem, Signal, Syscall, Trace
from tracer.strace.args import Array, Str, Struct, arg_tree
from tracer.strace.decode import (
    SockAddr,
    dump_bytes,
    fd_desc,
    fd_of,
    flags,
    sockaddr,
    socket_args,
    unquote,
)
from tracer.strace.parser import MAX_LINE, TRUNCATED, StraceLog, open_log, parse_file, parse_lines, split_args

DATA = Path(__file__).parent / "data"


def parse_text(text: str) -> list[Event | Problem]:
    return list(parse_lines(text.splitlines()))


def calls(items: list[Event] | list[Event | Problem], name: str | None = None) -> list[Syscall]:
    return [e for e in items if isinstance(e, Syscall) and (name is None or e.name == name)]


def line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {path.name}")


# -- real logs -------------------------------------------------------------------


def test_python_echo_log_reads_without_problems_and_keeps_every_call() -> None:
    # GIVEN a real -f -ttt -T -yy log of a threaded python TCP echo
    path = DATA / "py_tcp_f_ttt.strace"
    # WHEN it is parsed
    events, problems = parse_file(path)
    # THEN every line is understood: one event per call (halves merged), both threads exit
    assert problems == []
    lines = path.read_text().splitlines()
    started = [line for line in lines if "resumed>" not in line and "+++" not in line]
    assert len(calls(events)) == len(started)
    assert {e.pid for e in events if isinstance(e, Exit)} == {11628, 11629}
    assert all(e.status == 0 for e in events if isinstance(e, Exit))


def test_server_calls_carry_fds_addresses_and_results() -> None:
    # GIVEN the python echo log
    events, _ = parse_file(DATA / "py_tcp_f_ttt.strace")
    # WHEN looking at the server's setup calls
    (bind,) = calls(events, "bind")
    (listen,) = calls(events, "listen")
    sock = calls(events, "socket")[0]
    # THEN the args are split at top level, decorations kept, result is the bare number
    assert sock.args == ("AF_INET", "SOCK_STREAM|SOCK_CLOEXEC", "IPPROTO_IP")
    assert sock.result == "3" and sock.retval == 3
    assert bind.args == (
        "3<TCP:[14176]>",
        '{sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("127.0.0.1")}',
        "16",
    )
    assert listen.args == ("3<TCP:[127.0.0.1:43185]>", "1")
    assert bind.time == pytest.approx(1795658020.966427)
    assert bind.duration == pytest.approx(0.000372)


def test_unfinished_accept_is_merged_at_its_resumed_position() -> None:
    # GIVEN accept4 in the server thread, cut by the client's connect in the main thread
    path = DATA / "py_tcp_f_ttt.strace"
    events, _ = parse_file(path)
    # WHEN the log is parsed
    (accept,) = calls(events, "accept4")
    # THEN it is one call with both halves' arguments, the start's line and time, the end's result
    assert accept.pid == 11629
    assert accept.args == (
        "3<TCP:[127.0.0.1:43185]>",
        '{sa_family=AF_INET, sin_port=htons(41786), sin_addr=inet_addr("127.0.0.1")}',
        "[16]",
        "SOCK_CLOEXEC",
    )
    assert accept.result == "4"
    assert accept.line_no == line_of(path, "accept4(3<TCP")
    assert accept.time == pytest.approx(1795658020.967970)
    assert accept.duration == pytest.approx(0.008569)
    assert not accept.unfinished
    # AND it comes after the client's connect, where strace finished it
    connect = calls(events, "connect")[0]
    assert events.index(connect) < events.index(accept)


def test_refused_connect_carries_errno_and_message() -> None:
    # GIVEN the python client connecting to a closed port, printed in two halves
    events, _ = parse_file(DATA / "py_tcp_f_ttt.strace")
    # WHEN the last connect is read
    refused = calls(events, "connect")[-1]
    # THEN the failure is split out of the result
    assert refused.result == "-1" and refused.failed
    assert refused.errno == "ECONNREFUSED"
    assert refused.errmsg == "Connection refused"
    assert "sin_port=htons(1)" in refused.args[1]


def test_return_notes_and_in_out_values_are_read() -> None:
    # GIVEN fcntl printing "= 0x1 (flags FD_CLOEXEC)" and getsockname with "[128 => 16]"
    events, _ = parse_file(DATA / "py_tcp_f_ttt.strace")
    fcntl = calls(events, "fcntl")[0]
    getsockname = calls(events, "getsockname")[-1]
    # THEN the result is the number only and the in/out argument is one argument
    assert fcntl.result == "0x1" and fcntl.retval == 1 and fcntl.errno is None
    assert getsockname.args[-1] == "[128 => 16]"


def test_python_k_frames_attach_to_the_call_they_follow() -> None:
    # GIVEN a -f -k log of the python echo
    path = DATA / "py_k_f.strace"
    events, problems = parse_file(path)
    assert problems == []
    # THEN each call has its own stack, innermost frame first
    connect = calls(events, "connect")[0]
    assert connect.frames[0] == "/usr/lib/x86_64-linux-gnu/libc.so.6(__connect+0x4b) [0x10a7fb]"
    # AND a merged call gets the frames strace printed after its resumed half
    (accept,) = calls(events, "accept4")
    assert accept.frames[0].startswith("/usr/lib/x86_64-linux-gnu/libc.so.6(accept4+")
    # AND no frame line of the log is lost
    frame_lines = path.read_text().count("\n > ")
    assert sum(len(c.frames) for c in calls(events)) == frame_lines


def test_exit_frames_printed_after_the_exit_line_go_to_the_exit_call() -> None:
    # GIVEN strace -f -k prints the stack of exit/exit_group after "+++ exited ... +++"
    events, _ = parse_file(DATA / "py_k_f.strace")
    # WHEN the thread's exit and the process's exit_group are read
    (thread_exit,) = calls(events, "exit")
    (group_exit,) = calls(events, "exit_group")
    # THEN they own those frames, and the events stay in log order
    assert "pthread_condattr_setpshared" in thread_exit.frames[0]
    assert group_exit.frames[0].startswith("/usr/lib/x86_64-linux-gnu/libc.so.6(_exit+")
    assert isinstance(events[-1], Exit) and events[-2] is not None
    assert events.index(group_exit) < events.index(events[-1])


def test_go_k_frames_name_go_functions() -> None:
    # GIVEN a -f -k log of a Go program
    events, problems = parse_file(DATA / "go_k_f.strace")
    assert problems == []
    # WHEN the IPv4 connect is read
    connect = calls(events, "connect")[0]
    # THEN its frames hold Go's symbol names, parentheses and all
    assert connect.errno == "EINPROGRESS"
    assert "/tmp/gosrc/gotcp(net.(*netFD).connect+0x6d) [0xd3a2d]" in connect.frames
    assert connect.frames[0] == "/tmp/gosrc/gotcp(internal/runtime/syscall/linux.Syscall6+0xe) [0xeb8e]"


def test_go_exit_group_frames_found_across_other_threads_exit_lines() -> None:
    # GIVEN exit_group, then another thread's "+++ exited", then the leader's, then its frames
    events, _ = parse_file(DATA / "go_k_f.strace")
    # WHEN the log is parsed
    (group_exit,) = calls(events, "exit_group")
    exits = [e for e in events if isinstance(e, Exit)]
    # THEN exit_group owns the runtime.exit frames and every thread exits after it
    assert group_exit.result == "?" and group_exit.retval is None
    assert group_exit.frames == (
        "/tmp/gosrc/gotcp(runtime.exit.abi0+0xb) [0x89bcb]",
        "/tmp/gosrc/gotcp(runtime.goexit.abi0+0x1) [0x88761]",
    )
    assert len(exits) == 5
    assert all(events.index(group_exit) < events.index(e) for e in exits)


def test_go_threads_cut_short_by_exit_group_end_with_question_mark() -> None:
    # GIVEN a full Go log where exit_group ends the other threads mid-call,
    # one printed as "<... nanosleep resumed> <unfinished ...>) = ?"
    events, problems = parse_file(DATA / "go_f.strace")
    assert problems == []
    # THEN that call is complete (not unfinished) with result "?"
    cut = [c for c in calls(events) if c.name == "nanosleep" and c.result == "?"]
    assert len(cut) == 1 and not cut[0].unfinished
    assert not any(c.unfinished for c in calls(events))
    # AND the IPv6 refused connect keeps its address text
    v6 = [c for c in calls(events, "connect") if "AF_INET6" in c.args[1]]
    assert v6 and 'inet_pton(AF_INET6, "::1", &sin6_addr)' in v6[0].args[1]


def test_go_signals_are_events() -> None:
    # GIVEN Go's preemption signals in the log
    events, _ = parse_file(DATA / "go_k_f.strace")
    signals = [e for e in events if isinstance(e, Signal)]
    # THEN they are read with their siginfo text
    assert signals and all(s.signal == "SIGURG" for s in signals)
    assert signals[0].info.startswith("{si_signo=SIGURG, si_code=SI_TKILL")


def test_stderr_log_with_pid_brackets_and_a_line_cut_by_strace() -> None:
    # GIVEN strace -f writing to stderr: "[pid N] " prefixes, none while one process
    # runs, and "strace: Process N attached" written into the middle of a clone3 line
    path = DATA / "py_stderr_pid.strace"
    events, problems = parse_file(path)
    # THEN nothing is lost: the cut line is joined again and merged with its resumed half
    assert problems == []
    (clone,) = calls(events, "clone3")
    assert clone.result == "12796"
    assert clone.args[0].endswith("=> {parent_tid=[12796]}")
    assert clone.line_no == line_of(path, "strace: Process 12796 attached")
    # AND lines without a prefix after the thread exits belong to the remaining process
    assert calls(events)[-1].name == "exit_group" and calls(events)[-1].pid == 12795
    assert calls(events)[0].pid == 0  # before any prefix, the pid is unknown
    # AND -tt clock times are seconds since midnight
    assert calls(events)[0].time == pytest.approx(1 * 3600 + 54 * 60 + 9.439743)


def test_no_f_log_with_relative_times_and_plain_y() -> None:
    # GIVEN a single-process log with -r -T -y
    events, problems = parse_file(DATA / "py_r.strace")
    assert problems == []
    # THEN pid is 0, times are the relative seconds, decorations are -y's
    sock = calls(events, "socket")[0]
    assert {e.pid for e in events} == {0}
    assert sock.time == pytest.approx(0.002435)
    assert sock.args[0] == "AF_INET6"
    connect = calls(events, "connect")[0]
    assert connect.args[0] == "3<socket:[17451]>" and connect.errno == "ECONNREFUSED"
    (fcntl,) = [c for c in calls(events, "fcntl") if "F_GETFL" in c.args]
    assert fcntl.result == "0x2"


@pytest.mark.parametrize(
    ("name", "first_time"),
    [
        ("py_t.strace", 1 * 3600 + 54 * 60 + 15),
        ("py_tt.strace", None),
        ("py_ttt_ns.strace", 1795658149.798877573),
    ],
)
def test_time_forms(name: str, first_time: float | None) -> None:
    # GIVEN the same program traced with -t, -tt and --timestamps=unix,ns
    events, problems = parse_file(DATA / name)
    # THEN every event has a time, and the first one reads as printed
    assert problems == []
    assert all(e.time is not None for e in events)
    if first_time is not None:
        assert events[0].time == pytest.approx(first_time)
    assert all(c.duration is None for c in calls(events))  # no -T in these


def test_abstract_unix_bind_is_kept_verbatim() -> None:
    # GIVEN a bind to an abstract AF_UNIX name (-t log, no -y)
    events, _ = parse_file(DATA / "py_t.strace")
    (bind,) = calls(events, "bind")
    # THEN the argument text is as strace printed it
    assert bind.args == ("5", '{sa_family=AF_UNIX, sun_path=@"abstract-name"}', "16")


def test_http_server_log() -> None:
    # GIVEN python -m http.server style code answering one request
    events, problems = parse_file(DATA / "py_http_server.strace")
    assert problems == []
    (accept,) = calls(events, "accept4")
    sends = calls(events, "sendto")
    # THEN the accepted fd, request and reply are readable
    assert accept.result == "4"
    assert accept.args[0] == "3<TCP:[127.0.0.1:8765]>"
    assert sends[-1].args[1] == '"hi\\n"'
    assert calls(events, "recvfrom")[0].args[1].startswith('"GET / HTTP/1.1\\r\\n')


@pytest.mark.parametrize(
    ("name", "leader"), [("py_thread_execve.strace", 18425), ("py_thread_execve_stderr.strace", 18433)]
)
def test_thread_execve_resumes_under_the_leader_pid(name: str, leader: int) -> None:
    # GIVEN a thread that calls execve: strace prints "+++ superseded by execve in pid <thread> +++"
    # and resumes the thread's execve under the leader's pid
    events, problems = parse_file(DATA / name)
    # THEN the execve is merged, not reported as a problem, and the process exits as the leader
    assert problems == []
    execs = calls(events, "execve")
    assert execs[-1].args[0] == '"/bin/true"' and execs[-1].result == "0" and execs[-1].pid == leader
    assert events[-1] == Exit(leader, status=0, time=events[-1].time, line_no=events[-1].line_no)


def test_parse_file_reads_gzip(tmp_path: Path) -> None:
    # GIVEN a gzipped log
    src = DATA / "py_r.strace"
    gz = tmp_path / "log.strace.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    # THEN it reads the same as the plain file
    assert parse_file(gz) == parse_file(src)


def test_parse_file_replaces_bad_bytes(tmp_path: Path) -> None:
    # GIVEN a log with bytes that are not UTF-8
    log = tmp_path / "bad.strace"
    log.write_bytes(b'write(1, "\xff\xfe", 2) = 2\n\x00\x01garbage\xff\n')
    # WHEN it is parsed
    events, problems = parse_file(log)
    # THEN the call is read and the garbage line is a problem with its line number
    assert [c.name for c in calls(events)] == ["write"]
    assert [p.line_no for p in problems] == [2]


# -- made-up lines -----------------------------------------------------------------


def test_strings_with_quotes_commas_and_fake_results() -> None:
    # GIVEN a write whose data holds an escaped quote, commas and ") = 9"
    line = r'1 write(1, "a\", b) = 9, c"..., 100) = 100 <0.000010>'
    # WHEN parsed
    (call,) = parse_text(line)
    # THEN the real result is used and the string is one argument
    assert isinstance(call, Syscall)
    assert call.args == ("1", r'"a\", b) = 9, c"...', "100")
    assert call.result == "100" and call.duration == pytest.approx(0.00001)


def test_decorated_fds_with_ipv6_brackets_and_nested_angles() -> None:
    # GIVEN -yy decorations holding brackets, colons, "->" and a nested <...>
    (call,) = parse_text(
        "sendmsg(3<TCPv6:[[::1]:80->[::1]:5000]>, 0</dev/null<char 1:3>>, "
        "4<UNIX-STREAM:[123->456]>, 5<socket:[12345]>, /* 3 entries */ NULL) = 3<TCP:[1.2.3.4:5->6.7.8.9:10]>"
    )
    assert isinstance(call, Syscall)
    # THEN each decorated fd is one argument and the result is the bare fd
    assert call.args == (
        "3<TCPv6:[[::1]:80->[::1]:5000]>",
        "0</dev/null<char 1:3>>",
        "4<UNIX-STREAM:[123->456]>",
        "5<socket:[12345]>",
        "/* 3 entries */ NULL",
    )
    assert call.result == "3"


def test_restart_syscall_is_a_call() -> None:
    (call,) = parse_text("123 restart_syscall(<... resuming interrupted read ...>) = 0")
    assert isinstance(call, Syscall)
    assert (call.pid, call.name, call.args, call.result) == (
        123,
        "restart_syscall",
        ("<... resuming interrupted read ...>",),
        "0",
    )


def test_interleaved_unfinished_calls_are_matched_per_pid() -> None:
    # GIVEN two threads with calls open at once
    items = parse_text(
        "10 read(3,  <unfinished ...>\n"
        "11 read(4,  <unfinished ...>\n"
        '11 <... read resumed>"b", 1) = 1\n'
        '10 <... read resumed>"a", 1) = 1\n'
    )
    # THEN each merge takes its own pid's first half, in resumed order
    assert [(c.pid, c.args, c.line_no) for c in calls(items)] == [
        (11, ("4", '"b"', "1"), 2),
        (10, ("3", '"a"', "1"), 1),
    ]


def test_call_still_open_at_end_is_yielded_unfinished() -> None:
    # GIVEN a log that stops while a call is open
    items = parse_text("1.5 accept4(3,  <unfinished ...>\n2.5 getpid() = 7\n")
    # THEN the open call comes last, unfinished, result "?"
    assert [c.name for c in calls(items)] == ["getpid", "accept4"]
    last = calls(items)[-1]
    assert last.unfinished and last.result == "?" and last.args == ("3",)
    assert last.time == 1.5 and last.line_no == 1


def test_call_open_when_its_process_exits_is_yielded_before_the_exit() -> None:
    # GIVEN a process killed while in a call
    items = parse_text(
        "5 futex(0x1, FUTEX_WAIT, 0, NULL <unfinished ...>\n5 +++ killed by SIGKILL +++\n6 getpid() = 6\n"
    )
    # THEN the call comes out unfinished, right before the exit

    assert isinstance(items[0], Syscall) and items[0].unfinished
    assert items[1] == Exit(pid=5, signal="SIGKILL", line_no=2)
    assert isinstance(items[2], Syscall) and items[2].name == "getpid"


def test_resumed_without_start_is_a_problem_with_its_line() -> None:
    items = parse_text('getpid() = 1\n7 <... read resumed>"x", 1) = 1\ngetpid() = 1\n')
    problems = [i for i in items if isinstance(i, Problem)]
    assert [(p.line_no, p.reason) for p in problems] == [(2, "read resumed without its start")]
    assert len(calls(items)) == 2


def test_signals_and_exits() -> None:
    items = parse_text(
        "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=5, si_status=0} ---\n"
        "--- stopped by SIGSTOP ---\n"
        "+++ exited with 3 +++\n"
        "9 +++ killed by SIGSEGV (core dumped) +++\n"
    )
    assert items == [
        Signal(0, "SIGCHLD", "{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=5, si_status=0}", line_no=1),
        Signal(0, "SIGSTOP", "", line_no=2),
        Exit(0, status=3, line_no=3),
        Exit(9, signal="SIGSEGV", line_no=4),
    ]


def test_strace_notes_become_attach_events_and_other_strace_messages_are_reported() -> None:
    items = parse_text(
        "strace: Process 123 attached\n"
        "[pid   123] getpid() = 123\n"
        "strace: [ Process PID=123 runs in 32 bit mode. ]\n"
        "strace: Process 123 detached\n"
        "strace: ptrace(PTRACE_SEIZE, 9): Operation not permitted\n"
    )
    assert [type(i).__name__ for i in items] == ["Attach", "Syscall", "Attach", "Problem"]
    assert items[0] == Attach(123, "attached", line_no=1)
    assert items[2] == Attach(123, "detached", line_no=4)
    assert isinstance(items[3], Problem) and items[3].line_no == 5


def test_line_cut_by_a_note_followed_by_a_new_line_is_a_problem() -> None:
    # GIVEN a half line that never continues
    items = parse_text("[pid 1] read(3, strace: Process 2 attached\n[pid 2] getpid() = 2\n")
    # THEN the note is kept, the half is reported and the next line still read
    assert items[0] == Attach(2, "attached", line_no=1)
    assert isinstance(items[1], Problem) and items[1].line_no == 1
    assert isinstance(items[2], Syscall) and items[2].pid == 2


def test_frames_after_signal_or_at_start_are_dropped_quietly() -> None:
    items = parse_text(
        " > /lib/libc.so.6(foo+0x1) [0x1]\n"
        "--- SIGURG {si_signo=SIGURG} ---\n"
        " > /opt/bin/server(runtime.futex+0x23) [0x8a2a3]\n"
        "getpid() = 1\n"
        " > /opt/bin/server(net.(*netFD).connect+0x1a5) [0x4f1c25]\n"
    )
    assert [type(i).__name__ for i in items] == ["Signal", "Syscall"]
    assert isinstance(items[1], Syscall)
    assert items[1].frames == ("/opt/bin/server(net.(*netFD).connect+0x1a5) [0x4f1c25]",)


def test_damaged_lines_are_problems_and_parsing_goes_on() -> None:
    items = parse_text(
        'this is not strace\nwrite(1, "cut in the midd\n--- SIGTERM\n+++ exited with +++\ngetpid() = 42\n'
    )
    assert [(p.line_no, p.reason) for p in items if isinstance(p, Problem)] == [
        (1, "not a strace line"),
        (2, "call without a readable result"),
        (3, "unreadable signal line"),
        (4, "unreadable exit line"),
    ]
    assert calls(items)[0].result == "42"


def test_huge_line_is_a_problem_with_short_text() -> None:
    items = parse_text("x" * (MAX_LINE + 1) + "\ngetpid() = 1")
    assert isinstance(items[0], Problem) and len(items[0].text) == 200
    assert isinstance(items[1], Syscall)


def test_prefix_forms() -> None:
    items = parse_text(
        "1234  12:00:01.500000 getpid() = 1234\n"
        "[pid  77]      0.000123 getpid() = 77\n"
        "1700000000.123456789 getpid() = 1\n"
        "12:00:01 [00007f0000001234] getpid() = 1\n"
    )
    assert [(c.pid, c.time) for c in calls(items)] == [
        (1234, 43201.5),
        (77, 0.000123),
        (0, 1700000000.123456789),
        (0, 43201.0),
    ]


def test_parsing_is_streaming() -> None:
    # GIVEN an endless source of lines
    read = 0

    def endless() -> Iterator[str]:
        nonlocal read
        while True:
            read += 1
            yield f"{read} getpid() = {read}"

    # WHEN the first event is taken
    first = next(parse_lines(endless()))
    # THEN only a line or two were read
    assert isinstance(first, Syscall) and first.result == "1"
    assert read <= 3


def test_line_both_resumed_and_unfinished_keeps_merging() -> None:
    # GIVEN a resumed half that is itself left unfinished (strace does not print this; tolerated)
    items = parse_text(
        '3 read(5,  <unfinished ...>\n3 <... read resumed>"ab" <unfinished ...>\n3 <... read resumed>, 2) = 2\n'
    )
    # THEN the three pieces make one call
    assert [(c.args, c.result, c.line_no) for c in calls(items)] == [(("5", '"ab"', "2"), "2", 1)]


def test_call_waiting_for_exit_frames_is_not_held_forever() -> None:
    # GIVEN an exit call whose "+++ exited" line never comes, then many other calls
    read = 0

    def lines() -> Iterator[str]:
        nonlocal read
        yield "1 exit(0) = ?"
        while True:
            read += 1
            yield "2 getpid() = 2"

    # WHEN the first event is taken
    first = next(parse_lines(lines()))
    # THEN it comes out after a bounded wait
    assert isinstance(first, Syscall) and first.name == "exit"
    assert read < 5000


# -- split_args --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("", ()),
        ("NULL", ("NULL",)),
        ("AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP", ("AF_INET", "SOCK_STREAM|SOCK_CLOEXEC", "IPPROTO_IP")),
        ('"\\x41,\\"", 2', ('"\\x41,\\""', "2")),
        ("[{fd=3, events=POLLIN}], 1, 500", ("[{fd=3, events=POLLIN}]", "1", "500")),
        ("0x7ffc /* 35 vars */, [16]", ("0x7ffc /* 35 vars */", "[16]")),
        ("[" * 20 + "1, 2" + "]" * 20 + ", 3", ("[" * 20 + "1, 2" + "]" * 20, "3")),
        ('"unterminated, x', ('"unterminated, x',)),
    ],
)
def test_split_args(text: str, args: tuple[str, ...]) -> None:
    assert split_args(text) == args


_ident = st.text(string.ascii_letters + string.digits + "_|", min_size=1, max_size=8)
_quoted = st.text(st.characters(codec="utf-8", exclude_characters='"\\'), max_size=10).map(lambda s: f'"{s}"')
_escaped = st.lists(st.sampled_from(['\\"', "\\\\", "\\n", "\\x41", ",", "(", "]", "a"]), max_size=6).map(
    lambda parts: '"' + "".join(parts) + '"'
)
_deco = st.sampled_from(
    ["3<TCP:[1.2.3.4:5->6.7.8.9:10]>", "4</tmp/a b>", "5<TCPv6:[[::1]:1->[::1]:2]>", "0</dev/null<char 1:3>>"]
)
_atom = st.one_of(_ident, _quoted, _escaped, _deco)
_arg = st.recursive(
    _atom,
    lambda inner: st.tuples(st.sampled_from(["[]", "{}", "()"]), st.lists(inner, max_size=4)).map(
        lambda t: t[0][0] + ", ".join(t[1]) + t[0][1]
    ),
    max_leaves=12,
)


@given(st.lists(_arg, min_size=1, max_size=6))
@settings(max_examples=400)
def test_split_args_undoes_join(args: list[str]) -> None:
    # GIVEN any arguments strace could print, joined the way strace joins them
    # THEN splitting gives them back
    assert split_args(", ".join(args)) == tuple(args)


# -- never raise ---------------------------------------------------------------------

_REAL_LINES = [
    line
    for name in ("go_k_f.strace", "py_stderr_pid.strace", "go_f.strace")
    for line in (DATA / name).read_text().splitlines()[::7]
]


def _assert_only_events(items: list[Event | Problem]) -> None:
    assert all(isinstance(i, Syscall | Signal | Exit | Attach | Problem) for i in items)
    # the parser turns its own slips into problems too; none may happen
    assert not [i for i in items if isinstance(i, Problem) and i.reason.startswith("parser error")]


@given(st.lists(st.text(max_size=200), max_size=30))
@settings(max_examples=500)
def test_any_text_parses_without_raising(lines: list[str]) -> None:
    _assert_only_events(list(parse_lines(lines)))


@given(st.binary(max_size=2000))
@settings(max_examples=300)
def test_any_bytes_parse_without_raising(data: bytes) -> None:
    _assert_only_events(list(parse_lines(data.decode("utf-8", errors="replace").splitlines())))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(_REAL_LINES), st.integers(0, 400), st.sampled_from(["", "strace: Process 9 attached"])
        ),
        max_size=40,
    )
)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_cut_and_shuffled_real_lines_parse_without_raising(parts: list[tuple[str, int, str]]) -> None:
    # GIVEN real strace lines cut anywhere, shuffled, some with a strace note glued on
    lines = [line[:cut] + note for line, cut, note in parts]
    # THEN parsing yields events and problems only
    _assert_only_events(list(parse_lines(lines)))


# -- golden logs of real programs (tests/data/golden, see its README) ---------------------

GOLDEN = DATA / "golden"
GOLDEN_LOGS = sorted(p for p in GOLDEN.iterdir() if p.name.endswith((".strace", ".strace.gz")))


def golden(name: str) -> tuple[list[Event], list[Problem]]:
    (path,) = [p for p in GOLDEN_LOGS if p.name.split(".")[0] == name]
    return parse_file(path)


def golden_cmd(name: str) -> str:
    return (GOLDEN / f"{name}.cmd").read_text()


def port_in(command: str) -> int:
    """The server port a golden log's command names (``127.0.0.1:PORT``, ``--port PORT``, a last number)."""
    for pattern in (r"127\.0\.0\.1:(\d+)", r"--port (\d+)", r"UDP4-RECVFROM:(\d+)", r" (\d+)$"):
        m = re.search(pattern, command.strip())
        if m:
            return int(m.group(1))
    raise AssertionError(f"no port in {command!r}")


def addresses(events: list[Event], name: str, arg: int = 1) -> list[SockAddr | None]:
    return [sockaddr(c.args[arg]) for c in calls(events, name) if len(c.args) > arg]


def test_golden_logs_are_all_there() -> None:
    names = {p.name.split(".")[0] for p in GOLDEN_LOGS}
    assert len(names) == 19
    assert all((GOLDEN / f"{name}.cmd").exists() for name in names)


@pytest.mark.parametrize("path", GOLDEN_LOGS, ids=lambda p: p.name)
def test_every_line_of_every_golden_log_parses(path: Path) -> None:
    # GIVEN a log of a real program
    log = StraceLog(open_log(path))
    # WHEN it is read
    items = list(log)
    problems = [i for i in items if isinstance(i, Problem)]
    # THEN no line is a problem, but the last line of the log cut on purpose, named so
    if path.name.startswith("curl_cut"):
        assert [(p.line_no, p.reason) for p in problems] == [(log.lines, TRUNCATED)]
        assert log.truncated
    else:
        assert problems == [], problems[:3]
        assert not log.truncated
    # AND every call, signal and exit line became one event (halves merged)
    with open_log(path) as f:
        text = f.read()
    starts = len(
        re.findall(
            r"^(?!.*resumed>)(?:\[pid +\d+\] |\d+(?:<[^>]*>)? +)?[ \d.:]*(?:\[[ \da-f?]+\] )*"
            r"(?:[a-z_0-9]+\(|--- |\+\+\+ (?!superseded))",
            text,
            re.M,
        )
    )
    assert starts == sum(1 for i in items if isinstance(i, Syscall | Signal | Exit))


def test_golden_curl_fetches_from_the_python_server() -> None:
    events, _ = golden("curl")
    port = port_in(golden_cmd("curl"))
    (tcp,) = [c for c in calls(events, "socket") if c.args[0] == "AF_INET"]
    assert flags(tcp.args[1]) == {"SOCK_STREAM"} and tcp.result_desc and tcp.result_desc.startswith("TCP:")
    (connect,) = [c for c in calls(events, "connect") if fd_of(c.args[0]) == tcp.retval]
    assert sockaddr(connect.args[1]) == SockAddr("AF_INET", "127.0.0.1", port)
    assert connect.errno == "EINPROGRESS" and connect.errmsg == "Operation now in progress"
    (request,) = calls(events, "sendto")
    assert (unquote(request.args[1]) or "").startswith("GET /index.html HTTP/1.1\r\n")
    assert any((unquote(c.args[1]) or "").startswith("HTTP/1.0 200 OK") for c in calls(events, "recvfrom"))
    assert events[-1] == Exit(events[-1].pid, 0, time=events[-1].time, line_no=events[-1].line_no)


def test_golden_wget_plain_y_and_epoch_times() -> None:
    events, _ = golden("wget")
    (connect,) = [c for c in calls(events, "connect") if "AF_INET," in c.args[1]]
    assert sockaddr(connect.args[1]) == SockAddr("AF_INET", "127.0.0.1", port_in(golden_cmd("wget")))
    assert re.fullmatch(r"\d+<socket:\[\d+\]>", connect.args[0])  # -y names sockets by inode only
    assert {e.pid for e in events} == {0}  # no -f: no pid printed
    assert all(e.time is not None and e.time > 1.7e9 for e in events)


def test_golden_curl_exotic_flags() -> None:
    events, _ = golden("curl_exotic")
    port = port_in(golden_cmd("curl_exotic"))
    # -Y names the command (escaped by -xx), -n and -i are skipped, -X verbose still decodes
    assert {c.comm for c in calls(events)} == {"curl"}
    connects = [sockaddr(c.args[1]) for c in calls(events, "connect")]
    assert SockAddr("AF_INET", "127.0.0.1", port) in connects
    tcp = [c for c in calls(events, "socket") if socket_args(c) and socket_args(c)[0].endswith("AF_INET */")]
    assert len(tcp) == 1 and flags(tcp[0].args[1]) == {"SOCK_STREAM"}
    # the second setsockopt was not made: strace injected its result
    injected = [c for c in calls(events, "setsockopt") if c.injected]
    assert [(c.result, c.injected, flags(c.args[2])) for c in injected] == [("0", "INJECTED", {"SO_KEEPALIVE"})]
    # -e write=/read= dumps are the call's bytes
    (request,) = calls(events, "sendto")
    sent = dump_bytes(request.dump)
    assert sent.startswith(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:") and len(sent) == request.retval
    assert request.args[1].endswith('"...') and sent.startswith((unquote(request.args[1]) or "?").encode())
    replies = [dump_bytes(c.dump) for c in calls(events, "recvfrom") if c.dump]
    assert replies[0].startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"hello from the golden files" in b"".join(replies)


def test_golden_summaries_match_the_trace() -> None:
    # GIVEN curl traced with -C: its calls, then strace's count of them
    log = StraceLog(open_log(GOLDEN / "curl_C.strace"))
    events = [i for i in log if not isinstance(i, Problem)]
    (summary,) = log.summaries
    counts = summary.column("calls")
    # THEN the table is read, and agrees with the calls parsed (strace does not
    # count exit_group, which never returns)
    assert summary.columns == ("% time", "seconds", "usecs/call", "calls", "errors", "syscall")
    assert "exit_group" not in counts and len(calls(events, "exit_group")) == 1
    assert summary.rows[-1][-1] == "total" and int(counts["total"]) == len(calls(events)) - 1
    assert int(counts["socket"]) == len(calls(events, "socket"))
    assert int(summary.column("errors")["connect"] or 0) == sum(1 for c in calls(events, "connect") if c.failed)
    # AND a -c log is a table and nothing else
    only = StraceLog(open_log(GOLDEN / "wget_c.strace"))
    assert list(only) == [] and len(only.summaries) == 1 and "connect" in only.summaries[0].column("calls")


def test_golden_python_http_server() -> None:
    events, _ = golden("py_http_server")
    port = port_in(golden_cmd("py_http_server"))
    (bind,) = [c for c in calls(events, "bind") if "AF_INET" in c.args[1]]
    assert sockaddr(bind.args[1]) == SockAddr("AF_INET", "127.0.0.1", port)
    assert fd_desc(calls(events, "listen")[0].args[0]) == f"TCP:[127.0.0.1:{port}]"
    accepts = [c for c in calls(events, "accept4") if not c.failed]
    assert len(accepts) >= 5  # curl, wget, curl -X..., -C, and the -c wget
    assert all((c.result_desc or "").startswith(f"TCP:[127.0.0.1:{port}->127.0.0.1:") for c in accepts)
    replies = [c for c in calls(events, "sendto") if (unquote(c.args[1]) or "").startswith("HTTP/1.0 200 OK")]
    assert len(replies) == len(accepts) - 1  # capture.sh's readiness probe connects and says nothing
    # stopped by timeout(1)'s SIGTERM in the middle of a poll
    assert isinstance(events[-1], Exit) and events[-1].signal == "SIGTERM"
    assert isinstance(events[-2], Signal) and events[-2].signal == "SIGTERM"
    last = calls(events)[-1]
    assert (last.name, last.result, last.errno) == ("poll", "?", "ERESTART_RESTARTBLOCK")
    assert last.errmsg == "Interrupted by signal"


def test_golden_nginx_relative_times_and_workers() -> None:
    events, _ = golden("nginx")
    port = port_in(golden_cmd("nginx") + " 127.0.0.1:" + str(_listen_port(events)))
    assert sockaddr(calls(events, "bind")[0].args[1]) == SockAddr("AF_INET", "127.0.0.1", port)
    assert all(e.time is not None and 0 <= e.time < 5 for e in events)  # -r: seconds since the previous line
    heads = []
    for writev in calls(events, "writev"):  # the reply's first iovec, read from the argument tree
        iovecs = arg_tree(writev.args[1])
        assert isinstance(iovecs, Array) and isinstance(iovecs.items[0], Struct)
        base = iovecs.items[0].get("iov_base")
        assert isinstance(base, Str)
        heads.append(base.text.split("\r\n")[0])
    assert heads == ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found"]
    assert {e.pid for e in events if isinstance(e, Exit)} == {e.pid for e in events} - {0}
    assert any(isinstance(e, Signal) and e.signal == "SIGQUIT" for e in events)


def _listen_port(events: list[Event]) -> int:
    addr = sockaddr(calls(events, "bind")[0].args[1])
    assert addr is not None and addr.port is not None
    return addr.port


def test_golden_busybox_children_and_a_call_never_finished() -> None:
    events, _ = golden("busybox_httpd")
    served = calls(events, "sendfile")
    assert served and (fd_desc(served[0].args[0]) or "").startswith("TCP:[127.0.0.1:")
    # each request is served by a forked child that exits; strace was stopped
    # while the server waited in accept, so that call never finished in the log
    server = calls(events)[0].pid
    (open_call,) = [c for c in calls(events) if c.unfinished]
    assert (open_call.pid, open_call.name, open_call.result) == (server, "accept", "?")
    assert open_call.args == (open_call.args[0],)
    exits = [e for e in events if isinstance(e, Exit)]
    assert len(exits) == 2 and server not in {e.pid for e in exits} and all(e.status == 0 for e in exits)


def test_golden_redis_nanoseconds() -> None:
    events, _ = golden("redis_server")
    port = port_in(golden_cmd("redis_server"))
    binds = [sockaddr(c.args[1]) for c in calls(events, "bind")]
    assert SockAddr("AF_INET", "127.0.0.1", port) in binds
    timed = [c for c in calls(events) if c.duration is not None]
    assert timed and all(c.time is not None and c.time > 1.7e9 for c in timed)
    with open_log(next(p for p in GOLDEN_LOGS if p.name.startswith("redis_server."))) as f:
        first = f.readline()
    assert re.match(r"\d+ \d+\.\d{9} ", first) and re.search(r"<\d+\.\d{9}>$", first.strip())
    client, _ = golden("redis_cli")
    connects = [c for c in calls(client, "connect") if "AF_INET" in c.args[1]]
    assert {sockaddr(c.args[1]) for c in connects} == {SockAddr("AF_INET", "127.0.0.1", port)}
    assert [c.errno for c in connects] == ["EINPROGRESS", None]  # non-blocking connect, then checked again
    assert [unquote(c.args[1]) for c in calls(client, "recvfrom")] == ["+OK\r\n"]


def test_golden_stderr_log_with_attach_notes_inside_lines() -> None:
    path = GOLDEN / "redis_server_stderr.strace"
    events, problems = parse_file(path)
    assert problems == []
    attached = [e for e in events if isinstance(e, Attach)]
    clones = calls(events, "clone3")
    # every thread strace attached to is named, and each clone3 line cut by the note is whole again
    assert attached and {a.pid for a in attached} == {c.retval for c in clones}
    assert all(c.args[0].endswith("}") and c.args[1] == "88" for c in clones)
    cut_lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if re.search(r"\S+strace: Process", line)]
    assert cut_lines and set(cut_lines) <= {c.line_no for c in clones}
    assert {e.pid for e in events} - {0} >= {a.pid for a in attached}


def test_golden_udp_with_socat() -> None:
    port = port_in(golden_cmd("socat_udp_recv"))
    received, _ = golden("socat_udp_recv")
    (udp,) = [c for c in calls(received, "socket") if c.args[:2] == ("AF_INET", "SOCK_DGRAM")]
    assert SockAddr("AF_INET", "127.0.0.1", port) in addresses(received, "bind")
    (datagram,) = [c for c in calls(received, "recvfrom") if c.retval == 6]
    assert unquote(datagram.args[1]) == "hello\n" and fd_desc(datagram.args[0]).startswith("UDP:[127.0.0.1:")  # type: ignore[union-attr]
    assert sockaddr(datagram.args[4]).address == "127.0.0.1"  # type: ignore[union-attr]
    sent, _ = golden("socat_udp_send")
    (sendto,) = [c for c in calls(sent, "sendto") if "AF_INET" in c.args[4]]
    assert sockaddr(sendto.args[4]) == SockAddr("AF_INET", "127.0.0.1", port) and unquote(sendto.args[1]) == "hello\n"
    assert udp.retval is not None


def test_golden_unix_sockets_with_netcat() -> None:
    server, _ = golden("nc_unix_server")
    client, _ = golden("nc_unix_client")
    (bind,) = calls(server, "bind")
    path = sockaddr(bind.args[1]).path  # type: ignore[union-attr]
    assert path is not None and path.endswith("/nc.sock")
    (accept,) = calls(server, "accept4")
    assert (accept.result_desc or "").startswith("UNIX-STREAM:[") and path in (accept.result_desc or "")
    assert sockaddr(accept.args[1]) == SockAddr("AF_UNIX") and accept.args[2] == "[128 => 2]"
    connect = [c for c in calls(client, "connect") if sockaddr(c.args[1]) == SockAddr("AF_UNIX", path=path)]
    assert len(connect) == 1 and connect[0].result == "0"
    assert any(unquote(c.args[1]) == "hello\n" for c in calls(server, "read") if len(c.args) > 1)


def test_golden_restart_syscall_after_stop_and_continue() -> None:
    events, _ = golden("sleep_restart")
    signals = [(e.signal, e.info.split(",")[0]) for e in events if isinstance(e, Signal)]
    assert signals == [("SIGSTOP", "{si_signo=SIGSTOP"), ("SIGSTOP", ""), ("SIGCONT", "{si_signo=SIGCONT")]
    (restart,) = calls(events, "restart_syscall")
    assert restart.args == ("<... resuming interrupted clock_nanosleep ...>",) and restart.result == "0"


def test_golden_go_http_server_without_and_with_k() -> None:
    for name in ("go_http_server", "go_http_server_k"):
        events, _ = golden(name)
        tcp = [c for c in calls(events, "socket") if c.args[0] == "AF_INET"]
        assert tcp and all("SOCK_NONBLOCK" in (flags(c.args[1]) or ()) for c in tcp)
        accepts = calls(events, "accept4")
        assert any(c.errno == "EAGAIN" for c in accepts)
        assert sum(1 for c in accepts if not c.failed) >= 2  # the two curl requests
        assert any(c.name == "exit_group" and c.result == "?" for c in calls(events))
        framed = [c for c in calls(events) if c.frames]
        assert bool(framed) == name.endswith("_k")
    events, _ = golden("go_http_server_k")
    trace = Trace("go", "main", tuple(events))
    linked = link_go(trace, {})
    (listen,) = [c for c in linked.syscalls if c.name == "listen"]
    assert listen.origin is not None and listen.origin.api == "net.Listen"


# -- round trip: lines made from parts as strace prints them, parsed back ------------------

_names = st.one_of(
    st.sampled_from(["read", "accept4", "connect", "epoll_pwait", "futex", "clone3", "exit_group", "_llseek"]),
    st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True),
)
_errnos = st.sampled_from(
    [("ECONNREFUSED", "Connection refused"), ("EAGAIN", "Resource temporarily unavailable"),
     ("ERESTARTSYS", "To be restarted if SA_RESTART is set"), ("ENOENT", "No such file or directory")]
)  # fmt: skip
_comms = st.one_of(st.none(), st.from_regex(r"[a-zA-Z0-9_.:-]{1,15}", fullmatch=True))


@st.composite
def _strace_lines(draw: st.DrawFn) -> tuple[list[str], dict[str, object]]:
    """One call formatted as strace prints it (maybe in two halves, with another pid between), and its fields."""
    style = draw(st.sampled_from(["none", "f", "stderr"]))
    pid = draw(st.integers(1, 4_194_304)) if style != "none" else 0
    comm = draw(_comms) if style != "none" else None
    tag = "" if comm is None else f"<{comm}>"
    prefix = {"none": "", "f": f"{pid}{tag}".ljust(5) + " ", "stderr": f"[pid {pid}{tag}] "}[style]
    clock = draw(st.sampled_from(["", "t", "tt", "ttt", "ttt-ns", "r"]))
    seconds = draw(st.integers(0, 86399))
    micros = draw(st.integers(0, 999_999_999))
    stamp, time = {
        "": ("", None),
        "t": (f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d} ", float(seconds)),
        "tt": (f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{micros // 1000:06d} ",
               seconds + micros // 1000 / 1e6),
        "ttt": (f"{1_700_000_000 + seconds}.{micros // 1000:06d} ", 1_700_000_000 + seconds + micros // 1000 / 1e6),
        "ttt-ns": (f"{1_700_000_000 + seconds}.{micros:09d} ", 1_700_000_000 + seconds + micros / 1e9),
        "r": (f"{seconds % 100:6d}.{micros // 1000:06d} ", seconds % 100 + micros // 1000 / 1e6),
    }[clock]  # fmt: skip
    name = draw(_names)
    args = draw(st.lists(_arg.filter(lambda a: a.strip() == a and a != ""), max_size=5))
    kind = draw(st.sampled_from(["number", "error", "hex", "fd", "question"]))
    errno = errmsg = desc = None
    if kind == "number":
        result = str(draw(st.integers(0, 2**31)))
    elif kind == "error":
        result, (errno, errmsg) = "-1", draw(_errnos)
    elif kind == "hex":
        result = hex(draw(st.integers(0, 2**48)))
    elif kind == "fd":
        result = str(draw(st.integers(0, 1023)))
        desc = draw(st.sampled_from(["TCP:[127.0.0.1:80->127.0.0.1:5000]", "/etc/hosts", "UNIX-STREAM:[1->2]"]))
    else:
        result = "?"
    note = draw(st.sampled_from([None, "Timeout", "flags O_RDWR"])) if kind == "number" else None
    injected = draw(st.sampled_from([None, "INJECTED", "DELAYED"])) if kind != "question" else None
    duration = draw(st.one_of(st.none(), st.integers(0, 10**9)))
    tail = result + (f"<{desc}>" if desc else "") + (f" {errno} ({errmsg})" if errno else "")
    tail += (f" ({note})" if note else "") + (f" ({injected})" if injected else "")
    if duration is not None:
        tail += f" <{duration // 1000 / 1e6:.6f}>" if duration % 2 else f" <{duration / 1e9:.9f}>"
    text = ", ".join(args)
    pad = " " * draw(st.integers(0, 3)) if style == "none" else ""  # strace pads short calls before " = "
    split = draw(st.one_of(st.none(), st.integers(0, len(args))))
    if split is None:
        lines = [f"{prefix}{stamp}{name}({text}){pad} = {tail}"]
    else:
        head = ", ".join(args[:split]) + (", " if 0 < split < len(args) else "")
        rest = ", ".join(args[split:])
        lines = [f"{prefix}{stamp}{name}({head} <unfinished ...>"]
        if style != "none":
            other = pid % 4_194_304 + 1
            lines.append(f"{f'[pid {other}] ' if style == 'stderr' else f'{other:<5} '}getpid() = 1")
        lines.append(f"{prefix}{stamp}<... {name} resumed>{rest}) = {tail}")
    fields = {
        "pid": pid, "comm": comm, "time": time, "name": name, "args": tuple(args), "result": result,
        "result_desc": desc, "errno": errno, "errmsg": errmsg, "result_note": note, "injected": injected,
        "duration": None if duration is None else (duration // 1000 / 1e6 if duration % 2 else duration / 1e9),
    }  # fmt: skip
    return lines, fields


@given(_strace_lines())
@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
def test_well_formed_lines_round_trip(made: tuple[list[str], dict[str, object]]) -> None:
    # GIVEN a call formatted the way strace prints it, from known parts
    lines, fields = made
    # WHEN its line(s) are parsed
    items = list(parse_lines(lines))
    # THEN it is one event with the same parts, nothing else is lost
    assert not [i for i in items if isinstance(i, Problem)], (lines, items)
    (call,) = [c for c in calls(items) if c.name == fields["name"] and c.pid == fields["pid"]] or [None]
    assert call is not None, (lines, items)
    got = {key: getattr(call, key) for key in fields}
    if fields["time"] is not None:
        assert got.pop("time") == pytest.approx(fields["time"], abs=1e-9)
        fields = {k: v for k, v in fields.items() if k != "time"}
    if fields["duration"] is not None:
        assert got.pop("duration") == pytest.approx(fields["duration"], abs=1e-12)
        fields = {k: v for k, v in fields.items() if k != "duration"}
    assert got == fields, lines
    assert call.line_no == 1 and not call.unfinished


# -- the rarer forms, made up from what strace 6.1 printed on this machine ------------------


def test_comm_numbers_pointers_and_injection() -> None:
    # GIVEN -Y (escaped by -xx), -n and -i prefixes and an injected result
    (call,) = parse_text(
        r"21397<\x63\x75\x72\x6c> [  39] [00007fe4c2f8f4e7] getpid() = -1 ENOSYS (Function not implemented) (INJECTED)"
    )
    # THEN the comm reads as the process named itself and the mark is split off
    assert isinstance(call, Syscall)
    assert (call.pid, call.comm, call.name, call.result, call.errno) == (21397, "curl", "getpid", "-1", "ENOSYS")
    assert (call.errmsg, call.injected, call.result_note) == ("Function not implemented", "INJECTED", None)
    (noted,) = parse_text("[pid 7<redis-server>] fcntl(3, F_GETFD) = 0x1 (flags FD_CLOEXEC) (DELAYED)")
    assert isinstance(noted, Syscall) and noted.comm == "redis-server"
    assert (noted.result_note, noted.injected) == ("flags FD_CLOEXEC", "DELAYED")


def test_exit_of_a_comm_process_behind_unknown_pointer() -> None:
    (exit_,) = parse_text("21398<bash> [ 231] [????????????????] +++ exited with 0 +++")
    assert exit_ == Exit(21398, 0, line_no=1, comm="bash")


def test_hex_dumps_attach_to_the_call_even_after_its_resumed_half() -> None:
    items = parse_text(
        '5 sendto(3, "hi", 2, 0, NULL, 0 <unfinished ...>\n'
        "6 futex(0x1, FUTEX_WAKE_PRIVATE, 1) = 0\n"
        "5 <... sendto resumed>) = 2\n"
        " | 00000  68 69                                             hi               |\n"
        '5 writev(3, [{iov_base="a", iov_len=1}], 1) = 1\n'
        " * 1 bytes in buffer 0\n"
        " | 00000  61                                                a                |\n"
    )
    sendto, writev = calls(items, "sendto")[0], calls(items, "writev")[0]
    assert dump_bytes(sendto.dump) == b"hi" and dump_bytes(writev.dump) == b"a"
    assert writev.dump[0] == "* 1 bytes in buffer 0"


def test_signal_keeps_its_stack() -> None:
    items = parse_text(
        "1 --- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=1, si_uid=0} ---\n"
        " > /srv(runtime.futex.abi0+0x23) [0x8a2a3]\n"
        "1 getpid() = 1\n"
    )
    assert isinstance(items[0], Signal) and items[0].frames == ("/srv(runtime.futex.abi0+0x23) [0x8a2a3]",)


def test_unavailable_duration_detached_call_and_restart_errno() -> None:
    items = parse_text(
        "3 <... futex resumed>) = ? <unavailable>\n"
        "4 read(0,  <detached ...>\n"
        "5 poll([{fd=3, events=POLLIN}], 1, 500) = ? ERESTART_RESTARTBLOCK (Interrupted by signal) <0.059906>\n"
        "3 futex(0x1, FUTEX_WAIT, 0, NULL <unfinished ...>\n"
        "3 <... futex resumed>) = ? <unavailable>\n"
    )
    problems = [i for i in items if isinstance(i, Problem)]
    assert [(p.line_no, p.reason) for p in problems] == [(1, "futex resumed without its start")]
    read, poll, futex = calls(items, "read")[0], calls(items, "poll")[0], calls(items, "futex")[0]
    assert read.unfinished and read.args == ("0",) and read.result == "?"
    assert (poll.result, poll.errno, poll.duration) == ("?", "ERESTART_RESTARTBLOCK", pytest.approx(0.059906))
    assert futex.result == "?" and futex.duration is None and not futex.unfinished


def test_summary_table_after_the_trace() -> None:
    log = StraceLog(
        [
            "1 getpid() = 1\n",
            "1 +++ exited with 0 +++\n",
            "% time     seconds  usecs/call     calls    errors syscall\n",
            "------ ----------- ----------- --------- --------- ----------------\n",
            " 60.00    0.000006           6         1           getpid\n",
            " 40.00    0.000004           4         1         1 sched_getaffinity_long\n",
            "------ ----------- ----------- --------- --------- ----------------\n",
            "100.00    0.000010           5         2         1 total\n",
        ]
    )
    items = list(log)
    assert [type(i).__name__ for i in items] == ["Syscall", "Exit"]
    (summary,) = log.summaries
    assert summary.line_no == 3
    assert summary.rows == (
        ("60.00", "0.000006", "6", "1", "", "getpid"),
        ("40.00", "0.000004", "4", "1", "1", "sched_getaffinity_long"),
        ("100.00", "0.000010", "5", "2", "1", "total"),
    )
    assert summary.column("errors") == {"getpid": "", "sched_getaffinity_long": "1", "total": "1"}


def test_a_header_without_its_table_is_a_problem() -> None:
    items = parse_text("syscall calls errors\n1 getpid() = 1\n")
    assert [type(i).__name__ for i in items] == ["Problem", "Syscall"]


def test_last_line_without_line_end_is_named_cut_only_when_unreadable() -> None:
    cut = list(parse_lines(["1 getpid() = 1\n", '1 read(3, "ab']))
    assert isinstance(cut[-1], Problem) and cut[-1].reason == TRUNCATED and cut[-1].line_no == 2
    whole = list(parse_lines(["1 getpid() = 1\n", "1 getpid() = 1"]))
    assert len(calls(whole)) == 2
    # a list of lines without line ends (splitlines) has no cut line
    assert parse_text('1 read(3, "ab')[0].reason == "call without a readable result"  # type: ignore[union-attr]


def test_made_syscalls_equal_the_dataclass_and_split_args_lazily() -> None:
    # GIVEN a call the parser built without __init__
    (call,) = parse_text('7<x> 1.5 sendto(3<TCP:[1]>, "a, b", 4) = 4<TCP:[2]> <0.5>')
    assert isinstance(call, Syscall)
    # THEN it is the object __init__ makes, field for field
    made = Syscall(
        7, "sendto", ("3<TCP:[1]>", '"a, b"', "4"), "4", result_desc="TCP:[2]", duration=0.5, time=1.5,
        line_no=1, comm="x",
    )  # fmt: skip
    assert call == made and hash(call) == hash(made) and repr(call) == repr(made)
    assert replace(call, origin=None) == made


def test_huge_call_line_is_still_a_call() -> None:
    data = "x" * (MAX_LINE + 10)
    (call,) = parse_text(f'1 write(1, "{data}", 5) = 5')
    assert isinstance(call, Syscall) and call.result == "5" and len(call.args[1]) == len(data) + 2


_PIECES = [
    "% time     seconds  usecs/call     calls    errors syscall",
    "------ ----------- ----------- --------- --------- ----------------",
    " 60.00    0.000006           6         1           getpid",
    "100.00    0.000010           5         2         1 total",
    "System call usage summary for 32 bit mode:",
    " | 00000  68 69                                             hi               |",
    " * 2 bytes in buffer 0",
    " > /lib/libc.so.6(read+0x1) [0x1]",
    "strace: Process 9 attached",
    "9 read(3,  <unfinished ...>",
    '9 <... read resumed>"x", 1) = 1',
    "9 <... read resumed> <unfinished ...>) = ?",
    "9 exit_group(0) = ?",
    "9 +++ exited with 0 +++",
    "9 +++ superseded by execve in pid 10 +++",
    '10 execve("/bin/true", ["true"], 0x1 /* 1 var */ <unfinished ...>',
    "9 --- SIGURG {si_signo=SIGURG} ---",
    "[pid 9<a>] getpid() = 9 (INJECTED)",
    "",
]


@given(st.lists(st.tuples(st.sampled_from(_PIECES), st.integers(0, 80), st.booleans()), max_size=40))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_file_like_lines_of_every_kind_parse_without_raising(parts: list[tuple[str, int, bool]]) -> None:
    # GIVEN lines of every kind, some cut, each with its line end but maybe the last
    lines = [(piece[:cut] if chop else piece) + "\n" for piece, cut, chop in parts]
    if lines and parts[-1][2]:
        lines[-1] = lines[-1].rstrip("\n")
    # THEN the stream holds events and problems only, and every line is accounted for
    log = StraceLog(lines)
    items = list(log)
    _assert_only_events(items)
    assert log.lines == len(lines)
