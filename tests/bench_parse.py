"""Benchmark of the strace parser against two baselines on the same log, in one run.

Run: python tests/bench_parse.py [LOG] [--repeat N]

LOG is any strace log of at least 1,000,000 lines (plain or gzip). Without one,
a real log is made once into /tmp/tracer-bench/: Python's http.server traced
with ``strace -f -ttt -T -yy -s 256`` while a client on 127.0.0.1 sends
requests (bounded in count and time) until the log has 1,000,000 lines.

Each measure runs in a fresh interpreter, reading the file the way the parser
does (``open_log``), best of --repeat runs:

  (a) read    reading the file and splitting it into lines, nothing else
  (b) regex   (a) + one compiled regular expression matched per line: the
              conventional one-regex strace line (pid, time, call or resumed
              half, args, result, errno, note, duration), written here, not
              taken from the parser
  (c) parse   the full parse: ``StraceLog`` over the file, events counted and
              dropped as they come (halves merged, errno, times, durations;
              argument text split lazily, as the tool does)
  (d) parse+args  (c) and every call's arguments split too (for reference)

Peak memory is the Python heap's peak during the work (tracemalloc, in a
separate untimed run), beside the process's peak RSS. Goals (issue 3): (c) at
least half of (b)'s lines per second; (c)'s peak memory at 1M lines at most
1.5 times that at 100k lines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracer.strace.parser import StraceLog, open_log  # noqa: E402

LINES = 1_000_000
SMALL = 100_000
CACHE = Path("/tmp/tracer-bench")
BASELINE = re.compile(
    r"(?:\[pid +)?(?:(\d+)\]? +)?(?:(\d+(?:[.:]\d+)*) +)?(?:<\.\.\. (\w+) resumed>|(\w+)\()(.*?)"
    r"(?: <unfinished \.\.\.>|\) += (-?\w+|\?)(?:<[^>]*>)?(?: (E\w+) \(([^)]*)\))?(?: \((.*)\))?(?: <([\d.]+)>)?)$"
)
MODES = ("read", "regex", "parse", "parse+args")


# -- one measure, in a child interpreter --------------------------------------------------


def measure(mode: str, path: str, limit: int | None, memory: bool) -> dict[str, float]:
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    lines = events = problems = 0
    with open_log(path) as f:
        source = f if limit is None else islice(f, limit)
        if mode == "read":
            for _ in source:
                lines += 1
        elif mode == "regex":
            match = BASELINE.match
            for line in source:
                lines += 1
                if match(line) is not None:
                    events += 1
        else:
            log = StraceLog(source)
            split = mode == "parse+args"
            for item in log:
                if item.__class__.__name__ == "Problem":
                    problems += 1
                else:
                    events += 1
                    if split and hasattr(item, "args"):
                        item.args  # noqa: B018 - forces the split
            lines = log.lines
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if memory else 0
    return {
        "lines": lines,
        "events": events,
        "problems": problems,
        "seconds": seconds,
        "heap_peak": peak,
        "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def child(mode: str, path: str, limit: int | None, memory: bool) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", mode, path, str(limit or 0)] + (["--memory"] if memory else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


# -- a real log, made once -------------------------------------------------------------

CLIENT = """
import http.client, sys, time
port, need, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
deadline, sent = time.monotonic() + 600, 0
while time.monotonic() < deadline and sent < 200_000:
    for _ in range(500):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/"); c.getresponse().read(); c.close(); sent += 1
    with open(log, "rb") as f:
        if sum(buf.count(b"\\n") for buf in iter(lambda: f.read(1 << 20), b"")) >= need:
            break
print(sent)
"""


def make_log() -> Path:
    """Trace python's http.server under a bounded loopback client until the log has LINES lines."""
    log = CACHE / "http_server.strace"
    if log.exists() and _count(log) >= LINES:
        return log
    if shutil.which("strace") is None:
        sys.exit("strace is not installed: give a log of at least 1,000,000 lines (python tests/bench_parse.py LOG)")
    CACHE.mkdir(exist_ok=True)
    (CACHE / "www").mkdir(exist_ok=True)
    (CACHE / "www" / "index.html").write_text("hello\n")
    server_code = (
        "import http.server, functools;"
        f" h = functools.partial(http.server.SimpleHTTPRequestHandler, directory={str(CACHE / 'www')!r});"
        " s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h);"
        " print(s.server_address[1], flush=True); s.serve_forever()"
    )
    command = ["strace", "-f", "-ttt", "-T", "-yy", "-s", "256", "-o", str(log), sys.executable, "-c", server_code]
    print("making a log:", " ".join(command[:9]), "python http.server ...", file=sys.stderr)
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        port = server.stdout.readline().strip()
        subprocess.run([sys.executable, "-c", CLIENT, port, str(LINES), str(log)], check=True, timeout=660)
    finally:
        # strace lets go of a server it is asked to stop; stopping the server ends both
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
        for pid in children.read_text().split() if children.exists() else ():
            os.kill(int(pid), signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return log


def _count(path: Path) -> int:
    with open_log(path) as f:
        return sum(1 for _ in f)


# -- the report ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("log", nargs="?", help="a strace log of at least 1,000,000 lines (default: make one)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measure; the best is kept")
    args = parser.parse_args()
    path = Path(args.log) if args.log else make_log()
    total = _count(path)
    print(f"log: {path} ({total:,} lines, {path.stat().st_size / 1e6:.0f} MB on disk)")
    if total < LINES:
        print(f"warning: fewer than {LINES:,} lines")
    print(f"python {sys.version.split()[0]}, best of {args.repeat} runs, each in a fresh interpreter\n")

    best: dict[str, dict[str, float]] = {}
    for _ in range(args.repeat):
        for mode in MODES:  # interleaved, so a busy moment of the machine hits every measure alike
            result = child(mode, str(path), None, memory=False)
            if mode not in best or result["seconds"] < best[mode]["seconds"]:
                best[mode] = result
    heap = {(mode, size): child(mode, str(path), size, memory=True) for mode in MODES for size in (SMALL, None)}

    print(
        f"{'measure':<12} {'lines/s':>12} {'seconds':>8} {'events':>10}"
        f" {'heap peak 100k':>15} {'heap peak all':>14} {'RSS peak 100k':>14} {'RSS peak all':>13}"
    )
    for mode in MODES:
        r, small, full = best[mode], heap[mode, SMALL], heap[mode, None]
        print(
            f"{mode:<12} {r['lines'] / r['seconds']:>12,.0f} {r['seconds']:>8.2f} {int(r['events']):>10,}"
            f" {_kb(small['heap_peak']):>15} {_kb(full['heap_peak']):>14}"
            f" {_kb(small['rss_peak']):>14} {_kb(full['rss_peak']):>13}"
        )
    rate = {mode: r["lines"] / r["seconds"] for mode, r in best.items()}
    speed = rate["parse"] / rate["regex"]
    growth = heap["parse", None]["heap_peak"] / max(heap["parse", SMALL]["heap_peak"], 1)
    rss = heap["parse", None]["rss_peak"] / heap["parse", SMALL]["rss_peak"]
    print(f"\nparse problems: {int(best['parse']['problems'])}; RSS peak, all lines / {SMALL:,} lines: {rss:.2f}")
    print(f"full parse / one-regex baseline, lines per second: {speed:.2f}  (goal >= 0.50: {_ok(speed >= 0.5)})")
    print(
        f"full parse heap peak, {total:,} lines / {SMALL:,} lines: {growth:.2f}  (goal <= 1.50: {_ok(growth <= 1.5)})"
    )


def _kb(n: float) -> str:
    return f"{n / 1024:,.0f} KiB"


def _ok(flag: bool) -> str:
    return "met" if flag else "NOT MET"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, path, limit = sys.argv[2], sys.argv[3], int(sys.argv[4]) or None
        print(json.dumps(measure(mode, path, limit, memory="--memory" in sys.argv)))
    else:
        os.environ.setdefault("PYTHONHASHSEED", "0")
        main()
