"""Benchmark: a warm `tracer compare` against the bare cost of running the traced programs.

Run on demand (pytest does not collect it), with the Docker engine running:

    python tests/bench_compare.py [ROUNDS] [--cold]

In one run, interleaving the two ROUNDS times (default 7) and printing medians
and their ratio:

* floor: one container of the project image (the same hardened settings) whose
  shell runs each role of tcp-echo in both languages under strace with the
  same flags as tracer, writes the logs, and does nothing else;
* warm compare: `tracer compare tcp-echo --runtime docker`, end to end, as a
  user runs it (a new process, image already built, output to /dev/null).

Also: where the warm compare's time over the floor goes, part by part;
`tracer --help` against `python -c pass`; a compare right after a Python
sample was edited (it is mounted, so nothing is rebuilt); one after a Go
sample was edited (the image is rebuilt on its cached layers), stage by stage;
and with --cold, an image build with no layer cache at all, step by step
(it installs Debian packages: a minute or more).
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracer.runtime.base import KIND_FLAGS, STRACE, strace_filter  # noqa: E402
from tracer.runtime.docker import DockerRuntime, _bind  # noqa: E402
from tracer.scenarios import samples_dir  # noqa: E402

TRACER = [sys.executable, "-m", "tracer"]


def floor_script() -> str:
    flags = " ".join([*STRACE, *strace_filter(False)])
    pairs = [
        ("go", "/opt/tracer/bin/tcp_echo/server", "/opt/tracer/bin/tcp_echo/client", KIND_FLAGS["go"]),
        (
            "python",
            "python3 /opt/tracer/samples/tcp_echo/server/main.py",
            "python3 /opt/tracer/samples/tcp_echo/client/main.py",
            KIND_FLAGS["python"],
        ),
    ]
    # No `set -e`: strace -k itself sometimes exits 1 as a Go program ends
    # (libunwind), as it does under tracer; the logs are what the floor makes.
    lines = ["cd /tmp"]
    for lang, server, client, extra in pairs:
        more = " ".join(extra)
        lines += [
            f"mkfifo /tmp/ready-{lang}",
            f"{flags} {more} -o /out/{lang}-server.strace {server} > /tmp/ready-{lang} &",
            f"read line < /tmp/ready-{lang}",
            f"{flags} {more} -o /out/{lang}-client.strace {client} ${{line#ready }}",
            "wait",
        ]
    return "\n".join(lines)


def floor(runtime: DockerRuntime, image: str) -> float:
    with tempfile.TemporaryDirectory(prefix="tracer-bench-") as tmp:
        Path(tmp).chmod(0o777)
        mounts = [_bind(samples_dir(), "/opt/tracer/samples"), _bind(Path(tmp), "/out", read_only=False)]
        started = time.perf_counter()
        status, logs = runtime._run_container(image, mounts, ["sh", "-c", floor_script()], wall_clock=60)
        elapsed = time.perf_counter() - started
        # The floor must have done the whole job: four logs, each program exiting 0.
        finished = [p for p in Path(tmp).glob("*.strace") if "+++ exited with 0 +++" in p.read_text()]
        assert len(finished) == 4, (status, logs)
    return elapsed


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


def breakdown(runtime: DockerRuntime, rounds: int, over: float) -> None:
    """Where the warm compare's time over the floor goes, each part measured on its own."""
    from rich.console import Console

    import tracer.runtime.docker as docker_runtime
    from tracer import compare as compare_module
    from tracer import scenarios
    from tracer.render.table import render

    # The process up to its first Docker API call: the interpreter, Typer, the SDK, Rich.
    imports = "import tracer.cli, tracer.compare, tracer.runtime.docker, rich.status, os; os._exit(0)"
    start = statistics.median(timed([sys.executable, "-c", imports]) for _ in range(rounds))
    bare = statistics.median(timed([sys.executable, "-c", "pass"]) for _ in range(rounds))
    parts: dict[str, list[float]] = {"before": [], "collect": [], "explain": [], "render": []}

    def clocked(name: str, function):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                parts[name].append(time.perf_counter() - started)

        return wrapper

    saved = docker_runtime.collect, compare_module.compare_traces  # type: ignore[attr-defined]
    docker_runtime.collect = clocked("collect", docker_runtime.collect)  # type: ignore[attr-defined]
    compare_module.compare_traces = clocked("explain", compare_module.compare_traces)
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            DockerRuntime.connect().image(lambda _: None)  # connect, find the image (create is the floor's too)
            parts["before"].append(time.perf_counter() - started)
            comparison = compare_module.compare(scenarios.get("tcp-echo"), runtime, lambda _: None)
            with open(os.devnull, "w") as sink:
                clocked("render", render)(comparison, Console(file=sink, width=160))
    finally:
        docker_runtime.collect, compare_module.compare_traces = saved  # type: ignore[attr-defined]
    print(f"  where the {over * 1000:.0f} ms over the floor go (each measured on its own):")
    print(f"    {(start - bare) * 1000:4.0f} ms  imports before the first API call (Typer, Docker SDK, Rich)")
    print(f"    {bare * 1000:4.0f} ms  the interpreter's own start")
    for name, what in (
        ("before", "API calls before the container: connect, find the image"),
        ("collect", "parse and link the four logs"),
        ("explain", "focus, align, notes"),
        ("render", "the table"),
    ):
        print(f"    {statistics.median(parts[name]) * 1000:4.0f} ms  {what}")


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 7
    runtime = DockerRuntime.connect()
    image = runtime.image(lambda _: None)
    compare = [*TRACER, "compare", "tcp-echo", "--runtime", "docker"]
    floors, warms = [], []
    timed(compare)  # the first run after an import is not what a user sees twice
    for _ in range(rounds):
        floors.append(floor(runtime, image))
        warms.append(timed(compare))
    print(f"floor (one container, 4 programs under strace): median {median_ms(floors)} of {rounds}")
    print(f"warm tracer compare tcp-echo:                   median {median_ms(warms)} of {rounds}")
    print(f"ratio warm / floor: {statistics.median(warms) / statistics.median(floors):.2f} (goal: <= 1.3)")

    breakdown(runtime, rounds, statistics.median(warms) - statistics.median(floors))

    helps = [timed([*TRACER, "--help"]) for _ in range(rounds)]
    bare = [timed([sys.executable, "-c", "pass"]) for _ in range(rounds)]
    extra = (statistics.median(helps) - statistics.median(bare)) * 1000
    print(f"tracer --help {median_ms(helps)} vs python -c pass {median_ms(bare)}: +{extra:.0f} ms (goal: <= 150 ms)")

    # A Python sample edited: it is mounted read-only at run time, so the image stays.
    sample = samples_dir() / "tcp_echo" / "client" / "main.py"
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "main.py"
        shutil.copy2(sample, saved)
        try:
            sample.write_text(sample.read_text() + "\n# edited by the benchmark\n")
            before = set(runtime.client.images.list(name="tracer-runtime"))
            edited = timed(compare)
            rebuilt = set(runtime.client.images.list(name="tracer-runtime")) - before
        finally:
            shutil.copy2(saved, sample)
    print(f"compare after editing a Python sample: {edited * 1000:.0f} ms, images built: {len(rebuilt)}")

    # The cold path, stage by stage: build a fresh image (a new tag), then one compare.
    # A Go sample edited: the image is rebuilt on the layers that did not change.
    from tracer import scenarios
    from tracer.compare import compare as run_compare

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "go_samples"
        shutil.copytree(samples_dir(), copy)
        go = copy / "tcp_echo" / "client" / "main.go"
        go.write_text(go.read_text() + f"\n// edited by the benchmark at {time.time()}\n")
        os.environ["TRACER_SAMPLES_DIR"] = str(copy)
        try:
            stages = Stages()
            run_compare(scenarios.get("tcp-echo"), runtime, stages.report)
            stages.report("compared")
        finally:
            del os.environ["TRACER_SAMPLES_DIR"]
    stages.show("compare after editing a Go sample (rebuilt on the cached layers)")

    if "--cold" in sys.argv:
        # No image and no layer cache: every step of the Dockerfile runs (apt included).
        from tracer.runtime.docker import build_context

        context, _ = build_context()
        base, _ = runtime.base_image(lambda _: None)
        stages = Stages()
        for chunk in runtime.client.api.build(
            fileobj=io.BytesIO(context),
            custom_context=True,
            buildargs={"BASE": base},
            nocache=True,
            rm=True,
            forcerm=True,
            decode=True,
            tag="tracer-bench-cold:latest",
        ):
            for line in str(chunk.get("stream", "")).splitlines():
                stages.report(line.strip())
        stages.report("built")
        runtime.client.images.remove("tracer-bench-cold:latest")
        stages.show("cold image build (no image, no layer cache)")


class Stages:
    """Time spent in each step a run reports (a Dockerfile step lasts until the next one starts)."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.current = "start"
        self.spent: list[tuple[str, float]] = []

    # What starts a stage: a Dockerfile step, or one of tracer's own progress messages
    # (the build's other output lines belong to the step that printed them).
    STARTS = ("Step ", "using ", "building image", "running ", "compared", "built")

    def report(self, message: str) -> None:
        if message.startswith(self.STARTS):
            now = time.perf_counter()
            self.spent.append((self.current, now - self.last))
            self.current, self.last = message[:90], now

    def show(self, title: str) -> None:
        print(f"{title}: {time.perf_counter() - self.started:.1f} s")
        for message, seconds in self.spent:
            if seconds >= 0.05:
                print(f"  {seconds:6.2f} s  {message}")


if __name__ == "__main__":
    main()
