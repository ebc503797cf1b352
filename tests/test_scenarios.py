"""Every socket story, for real: each scenario through `tracer compare` in a container.

GIVEN the real Docker engine and strace WHEN a scenario's Go and Python programs
run THEN both exit 0 and each side's aligned rows hold the calls that make the
story (a datagram socket that only binds, a unix socket's file, a refusal, a full
accept queue, an HTTP exchange, a name lookup from /etc/hosts), and the
observations state what the run itself showed.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import pytest

from tests.conftest import run_tracer
from tracer.scenarios import SCENARIOS

STORIES = ("udp-echo", "unix-echo", "connect-refused", "backlog", "http-get", "dns-lookup")
SIDES = ("go", "python")
UNIX_PATH = "/tmp/unix-echo.sock"


@functools.cache
def compared(name: str, *flags: str) -> dict[str, Any]:
    """One real run per scenario (and flags) for the whole module: the runs take seconds each."""
    done = run_tracer("compare", name, "--runtime", "docker", "--format", "json", *flags)
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    assert document["scenario"] == name and document["runtime"] == "docker"
    return document


def role(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [r for r in document["roles"] if r["role"] == name]
    assert found, f"no role {name} in {[r['role'] for r in document['roles']]}"
    return found[0]


def steps(document: dict[str, Any], role_name: str, side: str) -> list[dict[str, Any]]:
    """One side's calls of a role, in the order it made them."""
    found = [row[side] for row in role(document, role_name)["rows"] if row.get(side)]
    return sorted(found, key=lambda step: step["seq"])


def calls(document: dict[str, Any], role_name: str, side: str, *names: str) -> list[dict[str, Any]]:
    return [step for step in steps(document, role_name, side) if step["syscall"] in names]


def fd(step: dict[str, Any]) -> str:
    """The fd a call works on, without strace's decoration (which changes as the socket does)."""
    return str(step["args"][0]).split("<", 1)[0]


def text(step: dict[str, Any]) -> str:
    return " ".join(step["args"]) + f" = {step['result']} {step.get('errno') or ''}"


# --------------------------------------------------------------------------- the list


def test_scenarios_lists_every_story_on_one_line() -> None:
    done = run_tracer("scenarios")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(SCENARIOS)
    assert set(STORIES) | {"tcp-echo"} == set(SCENARIOS)
    for line, scenario in zip(lines, SCENARIOS.values(), strict=True):
        assert line.split(None, 1)[1].strip() == scenario.summary
        assert scenario.summary.endswith(".") and "\n" not in scenario.summary


def test_an_unknown_story_gets_the_closest_name() -> None:
    done = run_tracer("compare", "unix-ecko", "--runtime", "docker")
    assert done.returncode == 2
    assert "Did you mean 'unix-echo'?" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr


# --------------------------------------------------------------------------- every story runs


@pytest.mark.docker
@pytest.mark.parametrize("name", STORIES)
def test_each_story_runs_to_a_clean_end_on_both_sides(name: str) -> None:
    document = compared(name)
    assert [r["role"] for r in document["roles"]] == [r.name for r in SCENARIOS[name].roles]
    for found in document["roles"]:
        for side in SIDES:
            trace = found[side]
            assert trace["exit_code"] == 0, f"{side} {found['role']}: {trace}"
            assert not trace["timed_out"]
            assert steps(document, found["role"], side), f"{side} {found['role']} shows no step"
    assert document["observations"], "the scenario says nothing about its run"


# --------------------------------------------------------------------------- udp-echo


@pytest.mark.docker
def test_udp_echo_binds_a_datagram_socket_and_never_listens() -> None:
    document = compared("udp-echo")
    for side in SIDES:
        for name in ("server", "client"):
            sockets = calls(document, name, side, "socket")
            assert any("SOCK_DGRAM" in s["args"][1] for s in sockets), f"{side} {name}: {sockets}"
        assert calls(document, "server", side, "bind")
        assert not calls(document, "server", side, "listen", "accept", "accept4")
        # The server learns each sender from recvfrom and answers it with sendto.
        assert any(int(s["result"]) > 0 for s in calls(document, "server", side, "recvfrom"))
        assert any(int(s["result"]) > 0 for s in calls(document, "server", side, "sendto"))
    # Go's DialUDP connects the socket (no packet: it records the peer) and then
    # writes and reads; Python names the peer on each sendto.
    assert [s["result"] for s in calls(document, "client", "go", "connect")] == ["0"]
    assert calls(document, "client", "go", "write") and calls(document, "client", "go", "read")
    assert not calls(document, "client", "python", "connect")
    assert calls(document, "client", "python", "sendto") and calls(document, "client", "python", "recvfrom")


# --------------------------------------------------------------------------- unix-echo


@pytest.mark.docker
def test_unix_echo_binds_a_path_that_only_go_removes() -> None:
    document = compared("unix-echo")
    for side in SIDES:
        assert any(UNIX_PATH in s["args"][1] for s in calls(document, "server", side, "bind"))
        assert any(UNIX_PATH in s["args"][1] for s in calls(document, "client", side, "connect"))
    said = " ".join(document["observations"])
    assert f"the Go server removed {UNIX_PATH} itself" in said
    assert f"the Python server closed its listening socket and made no unlink of {UNIX_PATH} after bind" in said
    assert f"the Python server looked for {UNIX_PATH}: still there" in said
    assert f"the Go server looked for {UNIX_PATH}: gone" in said


@pytest.mark.docker
def test_unix_echo_every_call_shows_go_unlink_on_close_and_none_in_python() -> None:
    """The unlink is no socket call, so it is checked among every call (--all)."""
    document = compared("unix-echo", "--all")

    def after_bind(side: str) -> list[dict[str, Any]]:
        made = steps(document, "server", side)
        bound = next(i for i, s in enumerate(made) if s["syscall"] == "bind" and UNIX_PATH in s["args"][1])
        return [s for s in made[bound:] if s["syscall"] in ("unlink", "unlinkat") and UNIX_PATH in " ".join(s["args"])]

    go = after_bind("go")
    assert [s["result"] for s in go] == ["0"], go
    made = steps(document, "server", "go")
    listener = fd(next(s for s in made if s["syscall"] == "bind" and UNIX_PATH in s["args"][1]))
    closes = [s for s in made if s["syscall"] == "close" and fd(s) == listener]
    assert closes and closes[-1]["seq"] > go[0]["seq"], "Go unlinks the path as its listener closes"
    assert after_bind("python") == []


# --------------------------------------------------------------------------- connect-refused


@pytest.mark.docker
def test_connect_refused_on_both_sides_each_time_on_a_new_socket() -> None:
    document = compared("connect-refused")
    for side in SIDES:
        made = steps(document, "client", side)
        refusals = [s for s in made if "ECONNREFUSED" in text(s)]
        assert len(refusals) == 2, f"{side}: {[text(s) for s in made]}"
        created = [i for i, s in enumerate(made) if s["syscall"] == "socket"]
        assert len(created) == 2, f"{side} made {len(created)} sockets"
        first_fd = made[created[0]]["result"]
        closed = [i for i, s in enumerate(made) if s["syscall"] == "close" and s["args"][0].split("<")[0] == first_fd]
        assert closed and closed[0] < created[1], f"{side} made the second socket before closing the first"
        # The holder's port is bound and never listened on: that is why it refuses.
        assert calls(document, "holder", side, "bind")
        assert not calls(document, "holder", side, "listen")
    # Python's blocking connect fails by itself; Go's non-blocking one reads the error with SO_ERROR.
    assert all(s["errno"] == "ECONNREFUSED" for s in calls(document, "client", "python", "connect"))
    assert len([s for s in calls(document, "client", "go", "getsockopt") if "[ECONNREFUSED]" in s["args"]]) == 2
    said = " ".join(document["observations"])
    assert "the Go client: 2 of 2 attempts refused" in said
    assert "the Python client: 2 of 2 attempts refused" in said


# --------------------------------------------------------------------------- backlog


@pytest.mark.docker
def test_backlog_fills_the_accept_queue_and_drops_later_syns() -> None:
    document = compared("backlog")
    said = document["observations"]
    for side, lang in (("go", "Go"), ("python", "Python")):
        # Both servers end with a backlog of 2: Go's through syscall.Listen after net.Listen.
        backlogs = [s["args"][1] for s in calls(document, "server", side, "listen")]
        assert backlogs[-1] == "2", backlogs
        assert not calls(document, "server", side, "accept", "accept4")

        sentence = next(s for s in said if s.startswith(f"the {lang} client: "))
        counts = re.match(
            rf"the {lang} client: (\d+) of (\d+) connections completed, (\d+) timed out.*, none refused", sentence
        )
        assert counts, sentence
        completed, tried, timed_out = map(int, counts.groups())
        assert (completed, tried, timed_out) == (3, 6, 3), sentence  # backlog + 1 complete, the rest wait
        assert not any("ECONNREFUSED" in text(s) for s in steps(document, "client", side))

        counters = role(document, "client")[side].get("tcp_counters", {})
        assert counters.get("ListenOverflows", 0) > 0, counters
        assert any(s.startswith(f"during the {lang} run the kernel counted ListenOverflows") for s in said), said


# --------------------------------------------------------------------------- http-get


@pytest.mark.docker
def test_http_get_sends_a_request_and_receives_a_response() -> None:
    document = compared("http-get")
    sends = ("write", "writev", "send", "sendto", "sendmsg")
    receives = ("read", "readv", "recv", "recvfrom", "recvmsg")
    for side in SIDES:
        assert calls(document, "client", side, "connect")
        assert any("GET /" in text(s) for s in calls(document, "client", side, *sends)), side
        assert any("HTTP/1." in text(s) for s in calls(document, "client", side, *receives)), side
        assert calls(document, "server", side, "accept", "accept4")
        assert any("GET /" in text(s) for s in calls(document, "server", side, *receives)), side
        assert any("HTTP/1." in text(s) for s in calls(document, "server", side, *sends)), side
    said = " ".join(document["observations"])
    assert 'the Go client sent "GET / HTTP/1.1"' in said and 'the Python client sent "GET / HTTP/1.1"' in said


# --------------------------------------------------------------------------- dns-lookup


@pytest.mark.docker
def test_dns_lookup_reads_etc_hosts_on_both_sides_and_asks_no_server() -> None:
    document = compared("dns-lookup")
    for side in SIDES:
        opened = {
            s["args"][1].strip('"'): s["result"]
            for s in calls(document, "resolver", side, "openat", "open")
            if len(s["args"]) > 1
        }
        assert int(opened.get("/etc/hosts", "-1")) >= 0, f"{side} opened {opened}"
        assert "/etc/nsswitch.conf" in opened, f"{side} opened {opened}"
        assert all(s["kind"] == "config" for s in calls(document, "resolver", side, "openat", "open"))
        for step in steps(document, "resolver", side):
            assert "htons(53)" not in text(step), f"{side} asked a name server: {text(step)}"
    said = document["observations"]
    assert any(s.startswith("Go's own resolver opened") and "/etc/hosts" in s and "made no socket" in s for s in said)
    assert any(s.startswith("Python's getaddrinfo") and "/etc/hosts" in s for s in said)
    assert "neither side sent anything to a name server (port 53)." in said


@pytest.mark.docker
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_scenario_shows_an_unexplained_difference(name: str) -> None:
    """Every row that differs or stands alone carries a note that explains it."""
    from tracer.compare import compare
    from tracer.render.table import short_call
    from tracer.runtime.docker import DockerRuntime

    comparison = compare(SCENARIOS[name], DockerRuntime.connect(), lambda _: None)
    unexplained = [
        (role.role, row.status, short_call((row.go or row.python).call), row.uncovered)  # type: ignore[union-attr]
        for role in comparison.roles
        for row in role.rows
        if not row.explained
    ]
    assert unexplained == []


def test_every_syscall_a_story_or_note_reads_is_recorded() -> None:
    # GIVEN what strace records when not asked for everything
    from importlib import resources

    import yaml

    from tracer import stories
    from tracer.focus import TRACED

    # WHEN a note or a story looks for a syscall by name (x86-64's names: fstatat64 is 32-bit only)
    noted = set()
    for note in yaml.safe_load(resources.files("tracer").joinpath("notes.yaml").read_text())["notes"]:
        wanted = note["when"].get("syscall", [])
        noted.update([wanted] if isinstance(wanted, str) else wanted)
    read = stories.SENDS | stories.RECEIVES | stories.UNLINKS | (stories.STATS - {"fstatat64"})
    # THEN strace records it
    assert noted and noted <= TRACED, noted - TRACED
    assert read <= TRACED, read - TRACED
