"""The docker runtime: build the project image, run a scenario in one hardened container.

Contract: ``DockerRuntime.connect()`` returns a runtime or raises
``RuntimeUnavailable``; ``run(scenario, report)`` returns one ``Trace`` per
(language, role). This is the only module that imports the Docker SDK.

The image is tagged with a hash of its build context (the Dockerfile, go.mod
and the .go files, and the base image's id), so it is built once and reused
until one of those changes. Python samples and the driver are mounted read-only
at run time: editing them never rebuilds anything.

Every container runs as an unprivileged user with all capabilities dropped,
no network but its own loopback, a read-only root and a tmpfs for scratch,
no-new-privileges, pid and memory limits, and a wall-clock limit; it is
removed whatever happens, Ctrl-C included. strace tracing its own child needs
no capability.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
import tarfile
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests.exceptions
from docker.types import Mount

from tracer.errors import BuildError, RunError, RuntimeUnavailable, TracerError, UsageError
from tracer.model import Trace
from tracer.runtime.base import (
    DRIVER,
    PYBOOT,
    Placed,
    Program,
    Report,
    Run,
    check_python,
    collect,
    plan,
    read_environment,
    writable_dir,
    write_plan,
)
from tracer.runtime.gobuild import BUILD_FLAGS, GoTarget, go_target
from tracer.scenarios import samples_dir

DEFAULT_BASE = "golang:1.27-bookworm"
OFFLINE_BASE = "tracer-base:bookworm"  # what ./build-base-image.sh builds
IMAGE = "tracer-runtime"
USER = "10001:10001"
LABEL = "tracer.run"
# Each runtime object labels its containers with its own session, so that two
# tracer runs at once (or a test) can tell their containers apart.
SESSION_LABEL = "tracer.session"
# The id of the base image a project image was built on.
BASE_LABEL = "tracer.base"

# Generous enough for Go's runtime threads and a small HTTP server, small
# enough that a fork bomb or a leak stops inside the container.
LIMITS: dict[str, Any] = {"pids_limit": 256, "mem_limit": "512m", "memswap_limit": "512m"}
# The driver enforces each scenario's timeout itself; the container's own
# wall-clock limit is the backstop should the driver hang.
GRACE = 30.0
BUILD_TIMEOUT = 300.0
# A named volume that keeps users' compiled programs and Go's build cache
# between runs (the image's /cache is owned by the unprivileged user, and a new
# volume takes that ownership).
CACHE_VOLUME = "tracer-cache"
# Where each language's sources are inside the image: Go was compiled in /src
# (its binaries remember that), Python samples are mounted read-only.
SOURCES = {"go": "/src", "python": "/opt/tracer/samples"}


def dockerfile() -> Path:
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "Dockerfile", here.parent / "Dockerfile"):
        if candidate.is_file():
            return candidate
    raise BuildError("The Dockerfile is missing from this installation.")


def build_context() -> tuple[bytes, str]:
    """A tar of what the image build needs, and a hash of its content."""
    samples = samples_dir()
    files = [(dockerfile(), "Dockerfile")]
    files += [
        (p, f"go_samples/{p.relative_to(samples)}")
        for p in sorted(samples.rglob("*"))
        if p.name in ("go.mod", "go.sum") or p.suffix == ".go"
    ]
    digest = hashlib.sha256()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, name in files:
            data = path.read_bytes()
            digest.update(name.encode() + b"\0" + data + b"\0")
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue(), digest.hexdigest()


class DockerRuntime:
    name = "docker"

    def __init__(self, client: docker.DockerClient, why: str) -> None:
        self.client = client
        self.why = why
        self.environment: dict[str, str] = {}
        self.session = uuid.uuid4().hex[:12]

    @classmethod
    def connect(cls) -> DockerRuntime:
        try:
            # Asking the engine which API version it speaks is the proof that it answers.
            client = docker.from_env(timeout=120)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            where = os.environ.get("DOCKER_HOST", "the default socket")
            raise RuntimeUnavailable(
                f"No Docker engine answers at {where} ({_unreachable(exc)}); start it, or use --runtime local."
            ) from None
        return cls(client, f"Docker engine answered, API {client.api.api_version}")

    def engine_version(self) -> str:
        return str(self.client.version().get("Version", "?"))

    def _failure(self, exc: BaseException, what: str) -> TracerError:
        """An engine that stopped answering, or a container that failed while the engine is fine."""
        if not _engine_answers(self.client):
            return RuntimeUnavailable(f"The Docker engine stopped answering during the run ({_unreachable(exc)}).")
        return RunError(f"In Docker, {what}: {_short(exc)}.")

    # -- image ---------------------------------------------------------------

    def base_image(self, report: Report) -> tuple[str, str]:
        """The base image to build on, and its id: as asked, else the official one, else the offline one."""
        asked = os.environ.get("TRACER_BASE_IMAGE")
        for name in [asked] if asked else [DEFAULT_BASE, OFFLINE_BASE]:
            found = self._image(name)
            if found is not None:
                if name == OFFLINE_BASE:
                    report(f"using the offline base image {OFFLINE_BASE} ({DEFAULT_BASE} is not here)")
                return name, found
        wanted = asked or DEFAULT_BASE
        report(f"pulling {wanted}")
        try:
            pulled = self.client.images.pull(wanted)
        except docker.errors.DockerException as exc:
            raise BuildError(
                f"The base image {wanted} is not here and cannot be pulled ({_short(exc)}); "
                f"build one offline with ./build-base-image.sh (it makes {OFFLINE_BASE})."
            ) from None
        return wanted, str(pulled.id)

    def _image(self, name: str) -> str | None:
        """The id of the image of that name, or None when there is none."""
        try:
            return str(self.client.images.get(name).id)
        except docker.errors.ImageNotFound:
            return None

    def _has_image(self, name: str) -> bool:
        return self._image(name) is not None

    def image(self, report: Report) -> str:
        """The project image for the current samples, built only when its context changed."""
        base, base_id = self.base_image(report)
        context, digest = build_context()
        tag = f"{IMAGE}:{hashlib.sha256((digest + base_id).encode()).hexdigest()[:16]}"
        if self._has_image(tag):
            return tag
        previous = self._previous_image(base_id)
        if previous is None:
            why = "first run only: installs strace and Python, compiles the Go samples"
        else:
            why = f"the Dockerfile or a Go sample changed; samples still current come from {previous}"
        report(f"building image {tag} on {base} ({why})")
        try:
            for chunk in self.client.api.build(
                fileobj=io.BytesIO(context),
                custom_context=True,
                tag=tag,
                buildargs={"BASE": base, **({"PREVIOUS": previous} if previous else {})},
                pull=False,
                rm=True,
                forcerm=True,
                decode=True,
                labels={LABEL: "image", BASE_LABEL: base_id},
            ):
                if "error" in chunk:
                    raise BuildError(f"The image build failed: {chunk['error'].strip()}")
                for line in str(chunk.get("stream", "")).splitlines():
                    if line.strip():
                        report(line.strip())
        except docker.errors.DockerException as exc:
            raise BuildError(f"The image build failed: {_short(exc)}") from None
        return tag

    def _previous_image(self, base_id: str) -> str | None:
        """The newest project image built on this base, whose compiled samples may still be current."""
        try:
            found = self.client.api.images(filters={"label": [f"{LABEL}=image", f"{BASE_LABEL}={base_id}"]})
        except docker.errors.DockerException:
            return None  # only a shortcut: the build then compiles every sample
        tagged = [
            (image.get("Created", 0), tag)
            for image in found
            for tag in (image.get("RepoTags") or [])[:1]
            if tag != "<none>:<none>"
        ]
        return max(tagged)[1] if tagged else None

    # -- run -----------------------------------------------------------------

    def run(self, run: Run, report: Report, meanwhile: Callable[[], None] | None = None) -> list[Trace]:
        image = self.image(report)
        mounts = [
            _bind(DRIVER, "/opt/tracer/driver.py"),
            _bind(PYBOOT, "/opt/tracer/pyboot.py"),
            _bind(samples_dir(), SOURCES["python"]),
            Mount("/cache", CACHE_VOLUME, type="volume", read_only=True),
        ]
        placed = {p.key: self._place(p, image, mounts, report) for session in run.sessions for p in session}
        with tempfile.TemporaryDirectory(prefix="tracer-") as tmp:
            out = writable_dir(Path(tmp))
            mounts.append(_bind(out, "/out", read_only=False))
            write_plan(out, plan(run, placed, "/out", addr2line="/opt/tracer/addr2line"))
            labels = ", then ".join(session[0].label for session in run.sessions if session)
            report(f"running {run.name} in a container ({labels})")
            engine: list[str] = []

            def alongside() -> None:  # while the engine starts the container
                if meanwhile is not None:
                    meanwhile()
                engine.append(self.engine_version())

            status, logs = self._run_container(
                image,
                mounts=mounts,
                # -S: the driver uses the standard library only; skipping site saves its start-up
                command=["python3", "-S", "/opt/tracer/driver.py", "/out/plan.json"],
                wall_clock=run.timeout * len(run.sessions) + GRACE,
                meanwhile=alongside,
                logs_on_success=False,
            )
            if status not in (0, None):  # None: killed at the wall clock, read as a cut run
                raise RunError(f"The runner in the container failed (exit {status}): {_last_line(logs)}")
            self.environment = {**read_environment(out, run), "docker": engine[0], "image": image}
            return collect(run, out, placed)

    def _place(self, program: Program, image: str, mounts: list[Mount], report: Report) -> Placed:
        """Where the program is inside the container; mounts what it needs, read-only."""
        if program.sample is not None:
            if program.kind == "go":
                return Placed((f"/opt/tracer/bin/{program.sample}",), f"{SOURCES['go']}/{program.sample}")
            where = f"{SOURCES['python']}/{program.sample}"
            check_python(samples_dir() / program.sample / "main.py")
            return Placed(("python3", "/opt/tracer/pyboot.py", f"{where}/main.py"), where)
        if program.kind == "command":
            mounts.append(_bind(Path.cwd(), "/work"))
            return Placed(program.command, "/work", cwd="/work")
        assert program.source is not None
        mount = f"/src/user/{program.key}"
        if program.kind == "python":
            source = program.source.resolve()
            check_python(source)
            _check_readable(source.parent, [source])
            mounts.append(_bind(source.parent, mount))
            return Placed(("python3", "/opt/tracer/pyboot.py", f"{mount}/{source.name}"), mount, cwd=mount)
        target = go_target(program.source)
        _check_readable(target.root, sorted(target.root.rglob("*.go")))
        mounts.append(_bind(target.root, mount))
        binary = self._build_go(image, target, mount, report)
        return Placed((binary,), f"{mount}/{target.package}".rstrip("/."), cwd=mount)

    def _build_go(self, image: str, target: GoTarget, mount: str, report: Report) -> str:
        """Compile a user's Go program into the cache volume, unless this exact code is there already."""
        out = f"/cache/bin/{target.digest}"
        script = (
            f"if [ -x {out}/prog ]; then echo tracer:cached; exit 0; fi; "
            f"mkdir -p {out}.$$ && go build {' '.join(BUILD_FLAGS)} -o {out}.$$/prog {' '.join(target.files)} "
            f"&& mv {out}.$$ {out} 2>/dev/null || {{ rm -rf {out}.$$; [ -x {out}/prog ]; }}"
        )
        status, logs = self._run_container(
            image,
            mounts=[_bind(target.root, mount), Mount("/cache", CACHE_VOLUME, type="volume")],
            command=["sh", "-c", script],
            wall_clock=BUILD_TIMEOUT,
            working_dir=mount,
            environment={"GOCACHE": "/cache/go-build", "GOMODCACHE": "/cache/mod", "GOPATH": "/tmp/go"},
            memory="1g",
        )
        if status != 0:
            hint = (
                " (the container has no network: vendor the module's dependencies with `go mod vendor`)"
                if ("dial tcp" in logs or "lookup" in logs)
                else ""
            )
            raise BuildError(f"go build of {target.package_dir} failed{hint}:\n{logs.strip()}")
        if "tracer:cached" in logs:
            report(f"reusing the build of {target.package_dir} (unchanged since it was compiled)")
        else:
            report(f"compiled {target.package_dir} in the container")
        return f"{out}/prog"

    def _run_container(
        self,
        image: str,
        mounts: list[Mount],
        command: list[str] | tuple[str, ...],
        wall_clock: float,
        working_dir: str = "/tmp",
        environment: dict[str, str] | None = None,
        memory: str = LIMITS["mem_limit"],
        meanwhile: Callable[[], None] | None = None,
        logs_on_success: bool = True,
    ) -> tuple[int | None, str]:
        """Run one hardened container to its end (or its wall-clock limit); return its status and output.

        The container is removed whatever happens. If the engine stops
        answering meanwhile, that is a ``RuntimeUnavailable`` naming the
        container to remove once it is back. ``meanwhile`` runs while the
        container does (the caller's own preparation, so it costs no time);
        the output is fetched only on failure unless ``logs_on_success``.
        """
        name = f"tracer-{uuid.uuid4().hex[:12]}"
        status: int | None = None
        logs = ""
        failure: TracerError | None = None
        try:
            # Inside the try: a Ctrl-C that lands as the engine creates it must still remove it.
            container = self.client.containers.create(
                image,
                command=list(command),
                name=name,
                labels={LABEL: "container", SESSION_LABEL: self.session},
                user=USER,
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                network_mode="none",
                read_only=True,
                tmpfs={"/tmp": "rw,nosuid,nodev,size=256m"},
                environment={"HOME": "/tmp", **(environment or {})},
                working_dir=working_dir,
                mounts=mounts,
                pids_limit=LIMITS["pids_limit"],
                mem_limit=memory,
                memswap_limit=memory,
            )
            if meanwhile is None:
                container.start()
            else:
                _start_meanwhile(container, meanwhile)
            try:
                status = int(container.wait(timeout=wall_clock).get("StatusCode", -1))
            except requests.exceptions.RequestException:
                # Past the wall clock (the driver itself hung): kill it; the
                # logs written so far stay in the bind-mounted directory and
                # are read as a cut run. If the engine is gone, kill fails too.
                with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                    container.kill()  # (a container that just exited answers 409)
                if not _engine_answers(self.client):
                    raise
            if status != 0 or logs_on_success:
                logs = container.logs(stdout=True, stderr=True).decode(errors="replace")
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            failure = self._failure(exc, f"the container {name} failed")
        finally:
            try:
                self.client.api.remove_container(name, force=True)
            except docker.errors.NotFound:
                pass  # never created
            except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
                failure = failure or self._failure(exc, f"the container {name} could not be removed")
                if isinstance(failure, RuntimeUnavailable):
                    failure = RuntimeUnavailable(f"{failure} Once it is back: docker rm -f {name}")
        if failure is not None:
            raise failure
        return status, logs


def _start_meanwhile(container: Any, meanwhile: Callable[[], None]) -> None:
    """Start the container while ``meanwhile`` runs here: the engine takes a
    fifth of a second to start it, time this process would otherwise spend waiting."""
    failed: list[BaseException] = []

    def start() -> None:
        try:
            container.start()
        except BaseException as exc:  # handed to the caller below
            failed.append(exc)

    starter = threading.Thread(target=start, name="tracer-start", daemon=True)
    starter.start()
    try:
        meanwhile()
    finally:
        starter.join()  # also on Ctrl-C: the container is removed only once its start is settled
    if failed:
        raise failed[0]


def _check_readable(directory: Path, files: list[Path]) -> None:
    """The container's user is not the caller: it reads the sources through the "other" permissions."""
    for parent in (directory, *directory.parents):
        if not parent.stat().st_mode & stat.S_IXOTH:
            raise UsageError(
                f"The container's unprivileged user (uid {USER.split(':')[0]}) cannot enter {parent}: "
                f"make it readable (chmod o+rx {parent}) or use --runtime local."
            )
    for path in [directory, *files]:
        if not path.stat().st_mode & stat.S_IROTH:
            raise UsageError(
                f"The container's unprivileged user (uid {USER.split(':')[0]}) cannot read {path}: "
                f"make it readable (chmod o+r {path}) or use --runtime local."
            )


def _engine_answers(client: docker.DockerClient) -> bool:
    try:
        return bool(client.ping())
    except (docker.errors.DockerException, requests.exceptions.RequestException):
        return False


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "it printed nothing"


def _bind(host: Path, target: str, read_only: bool = True) -> Mount:
    return Mount(target, str(host), type="bind", read_only=read_only)


def _unreachable(exc: BaseException) -> str:
    """Why the engine did not answer, in words rather than the SDK's nested exception text."""
    text = str(exc)
    for needle, why in (
        ("No such file", "no socket there"),
        ("Connection refused", "connection refused"),
        ("Permission denied", "permission denied: join the docker group or use sudo"),
        ("timed out", "it did not answer in time"),
    ):
        if needle in text:
            return why
    return _short(exc)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
