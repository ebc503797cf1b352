"""`tracer compare` end to end, through the real entry point, on each runtime.

GIVEN a fresh run of tcp-echo WHEN tracer compares the Go and Python programs
THEN each role's table holds the kernel path of the article on both sides.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest

from tests.conftest import run_tracer

SERVER_PATH = ["create", "bind", "listen", "accept", "receive", "send", "close"]
CLIENT_PATH = ["create", "connect", "send", "receive", "close"]


def kinds_on_both_sides(role: dict[str, Any]) -> dict[str, set[str]]:
    """For each side, the kernel steps it made and the syscalls it made them with."""
    sides: dict[str, set[str]] = {"go": set(), "python": set()}
    for row in role["rows"]:
        for side in sides:
            if row.get(side):
                sides[side].add(row[side]["kind"])
    return sides


def assert_environment(document: dict[str, Any], image: str) -> None:
    """The header names what the programs really ran on: this kernel, and versions read from the tools."""
    environment = document["environment"]
    assert environment["kernel"] == os.uname().release
    assert re.fullmatch(r"3\.\d+\.\d+", environment["python"]), environment
    assert re.fullmatch(r"1\.\d+(\.\d+)?", environment["go"]), environment
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", environment["strace"]), environment
    assert environment["image"].startswith(image), environment
    if image.startswith("tracer-runtime:"):  # the engine that ran the container, as it says
        import docker

        assert environment["docker"] == docker.from_env().version()["Version"]


def assert_article_path(document: dict[str, Any]) -> None:
    roles = {role["role"]: role for role in document["roles"]}
    assert set(roles) == {"server", "client"}
    for name, path in (("server", SERVER_PATH), ("client", CLIENT_PATH)):
        sides = kinds_on_both_sides(roles[name])
        for side, kinds in sides.items():
            missing = [k for k in path if k not in kinds]
            assert not missing, f"{side} {name} lacks {missing}"
        for trace in (roles[name]["go"], roles[name]["python"]):
            assert trace["exit_code"] == 0, trace
            assert not trace["timed_out"]


@pytest.mark.docker
def test_compare_in_docker_shows_the_whole_path_on_both_sides() -> None:
    done = run_tracer("compare", "tcp-echo", "--runtime", "docker", "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["runtime"] == "docker"
    assert_article_path(document)
    assert_environment(document, "tracer-runtime:")


@pytest.mark.docker
def test_compare_table_marks_what_differs() -> None:
    done = run_tracer("compare", "--runtime", "docker")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    lines = out.splitlines()
    assert lines[0].startswith("tracer compare tcp-echo")
    # Go's listen backlog comes from somaxconn; Python's listen() passes 128.
    listen = next(line for line in lines if " listen " in line and "listen(" in line)
    assert listen.lstrip().startswith("≠")
    assert "backlog: 4096" in listen
    # Go's sockets are non-blocking; Python's are not.
    assert "SOCK_NONBLOCK only in Go" in out
    # Every role ends with its summary.
    assert any(line.strip().startswith("server:") and "shared" in line for line in lines)
    assert any(line.strip().startswith("client:") and "shared" in line for line in lines)
    # The runtime says which it is and why, on stderr.
    assert "runtime: docker (Docker engine" in done.stderr


@pytest.mark.local
def test_compare_on_the_host_gives_the_same_path() -> None:
    done = run_tracer("compare", "tcp-echo", "--runtime", "local", "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["runtime"] == "local"
    assert_article_path(document)
    assert_environment(document, "none (this host)")


def test_auto_says_it_fell_back_to_local_and_why() -> None:
    done = run_tracer("compare", "--format", "json", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["runtime"] == "local"
    assert "runtime: local" in done.stderr
    assert "docker was not used: No Docker engine answers" in done.stderr


def test_auto_prefers_docker_when_an_engine_answers() -> None:
    done = run_tracer("compare", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["runtime"] == "docker"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "tcp-ecko"], "Did you mean 'tcp-echo'?"),
        (["compare", "--runtime", "podman"], "Unknown runtime 'podman' (choose from auto, docker, local)."),
        (["compare", "--format", "xml"], "Unknown format 'xml' (choose from table, json"),
    ],
)
def test_bad_choices_are_one_sentence_and_exit_2(args: list[str], message: str) -> None:
    done = run_tracer(*args)
    assert done.returncode == 2
    assert message in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
