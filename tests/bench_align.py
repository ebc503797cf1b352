"""Benchmark: aligning long traces, beside parsing the same traces.

Run on demand (pytest does not collect it):

    python tests/bench_align.py [CONNECTIONS] [EXCHANGES]

It writes two strace logs of a server handling CONNECTIONS connections with
EXCHANGES read/write pairs each, one in Go's and one in Python's syscalls,
built from lines of a real tcp-echo run (tests/data/tcp_echo/), then times,
in one run: parsing each log; focusing and aligning the two. Memory is the
peak traced by tracemalloc while aligning, at a tenth of the size and at the
full size, to show that it grows linearly. The defaults give about 100,000
focused events per side.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracer.align import align  # noqa: E402
from tracer.focus import focus  # noqa: E402
from tracer.model import Trace  # noqa: E402
from tracer.strace.parser import parse_file  # noqa: E402

T = TypeVar("T")

DATA = ROOT / "tests" / "data" / "tcp_echo"
PEER = '{sa_family=AF_INET, sin_port=htons(PORT), sin_addr=inet_addr("127.0.0.1")}'


def write_log(path: Path, side: str, connections: int, exchanges: int) -> None:
    """A server's log: the real run's set-up lines, then many connections in the real calls' words."""
    real = (DATA / f"{side}-server.strace").read_text().splitlines()
    first_accept = next(i for i, line in enumerate(real) if " accept4(" in line and "= -1" not in line)
    setup = real[:first_accept]
    pid = real[0].split()[0]
    if side == "go":
        listener = "5<TCP:[127.0.0.1:45187]>"
        conn = "6<TCP:[127.0.0.1:45187->127.0.0.1:PORT]>"
        accept = f"accept4({listener}, {PEER}, [112 => 16], SOCK_CLOEXEC|SOCK_NONBLOCK) = {conn}"
        events = "{events=EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, data={u32=1, u64=1}}"
        register = f"epoll_ctl(7<anon_inode:[eventpoll]>, EPOLL_CTL_ADD, {conn}, {events}) = 0"
        receive = f'read({conn}, "hello, kernel", 1024) = 13'
        send = f'write({conn}, "hello, kernel", 13) = 13'
        extra = [register, f"setsockopt({conn}, SOL_TCP, TCP_NODELAY, [1], 4) = 0"]
        closing = [f"epoll_ctl(7<anon_inode:[eventpoll]>, EPOLL_CTL_DEL, {conn}, 0x1) = 0", f"close({conn}) = 0"]
    else:
        listener = "3<TCP:[127.0.0.1:52797]>"
        conn = "4<TCP:[127.0.0.1:52797->127.0.0.1:PORT]>"
        accept = f"accept4({listener}, {PEER}, [16], SOCK_CLOEXEC) = {conn}"
        receive = f'recvfrom({conn}, "hello, kernel", 1024, 0, NULL, NULL) = 13'
        send = f'sendto({conn}, "hello, kernel", 13, 0, NULL, 0) = 13'
        extra = []
        closing = [f"close({conn}) = 0"]
    clock = 1795658195.0
    with path.open("w") as out:
        out.writelines(line + "\n" for line in setup)
        for n in range(connections):
            port = 30000 + n % 30000
            block = [accept, *extra] + [receive, send] * exchanges + closing
            for call in block:
                clock += 0.000001
                out.write(f"{pid}    {clock:.6f} {call.replace('PORT', str(port))} <0.000005>\n")


def timed(work: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def run(connections: int, exchanges: int, folder: Path) -> dict[str, float]:
    logs = {side: folder / f"{side}-{connections}.strace" for side in ("go", "python")}
    for side, path in logs.items():
        write_log(path, side, connections, exchanges)
    traces = {}
    parse_seconds = 0.0
    lines = 0
    for side, path in logs.items():
        (events, problems), seconds = timed(lambda path=path: parse_file(path))
        assert not problems, problems[:3]
        traces[side] = Trace(side, "server", tuple(events))
        parse_seconds += seconds
        lines += sum(1 for _ in path.open())
    (go, python), focus_seconds = timed(lambda: (focus(traces["go"]), focus(traces["python"])))
    tracemalloc.start()
    rows, align_seconds = timed(lambda: align(go, python))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    shared = sum(1 for row in rows if row.go and row.python)
    return {
        "lines": lines,
        "go_steps": len(go),
        "python_steps": len(python),
        "rows": len(rows),
        "shared": shared,
        "parse_s": parse_seconds,
        "focus_s": focus_seconds,
        "align_s": align_seconds,
        "align_peak_mb": peak / 1e6,
    }


def main() -> None:
    connections = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    exchanges = int(sys.argv[2]) if len(sys.argv) > 2 else 48
    with tempfile.TemporaryDirectory() as tmp:
        small = run(max(connections // 10, 1), exchanges, Path(tmp))
        full = run(connections, exchanges, Path(tmp))
    for name, figures in (("1/10 size", small), ("full size", full)):
        print(
            f"{name}: {figures['go_steps']:,} Go and {figures['python_steps']:,} Python focused steps "
            f"({figures['lines']:,} log lines) -> {figures['rows']:,} rows, {figures['shared']:,} shared"
        )
        print(
            f"  parse both logs {figures['parse_s']:.2f} s · focus {figures['focus_s']:.2f} s · "
            f"align {figures['align_s']:.2f} s (align / parse = {figures['align_s'] / figures['parse_s']:.2f}) · "
            f"align peak memory {figures['align_peak_mb']:.1f} MB"
        )
    growth = full["align_peak_mb"] / small["align_peak_mb"]
    size = full["go_steps"] / small["go_steps"]
    print(f"align memory grew {growth:.1f}x for {size:.1f}x the steps (linear: about {size:.0f}x)")
    print(f"align time grew {full['align_s'] / small['align_s']:.1f}x for {size:.1f}x the steps")


if __name__ == "__main__":
    main()
