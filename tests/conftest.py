"""Shared fixtures. Tests run the real thing: a real Docker engine, real strace,
real Go and Python programs; CI installs and starts all of them (.ci/setup)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def fixed_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich output is compared line by line, so the terminal width is pinned."""
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setenv("NO_COLOR", "1")


def run_tracer(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the real entry point, as a user would."""
    full_env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tracer", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="session")
def docker_client() -> Iterator[object]:
    import docker

    client = docker.from_env()
    client.ping()  # CI starts the engine; a failure here is a real failure, not a skip
    yield client
    client.close()


def tracer_containers(client: object, session: str) -> list[object]:
    """The containers one tracer runtime (one session) made that still exist."""
    from tracer.runtime.docker import SESSION_LABEL

    found = client.containers.list(all=True, filters={"label": f"{SESSION_LABEL}={session}"})  # type: ignore[attr-defined]
    return list(found)
