"""Where programs run: ``select`` picks a runtime by name and says why.

``auto`` takes docker when an engine answers, else local; the chosen runtime's
``why`` tells the user which it is and, for a fallback, what docker lacked.
"""

from __future__ import annotations

from tracer.errors import RuntimeUnavailable, UsageError
from tracer.runtime.base import Report, Runtime

NAMES = ("auto", "docker", "local")


def select(name: str) -> Runtime:
    if name == "docker":
        from tracer.runtime.docker import DockerRuntime

        return DockerRuntime.connect()
    if name == "local":
        from tracer.runtime.local import LocalRuntime

        return LocalRuntime.check()
    if name == "auto":
        try:
            return select("docker")
        except RuntimeUnavailable as no_docker:
            try:
                runtime = select("local")
            except RuntimeUnavailable as no_local:
                raise RuntimeUnavailable(f"Neither runtime can work here: {no_docker} {no_local}") from None
            runtime.why = f"{runtime.why}; docker was not used: {no_docker}"
            return runtime
    raise UsageError(f"Unknown runtime '{name}' (choose from {', '.join(NAMES)}).")


__all__ = ["NAMES", "Report", "Runtime", "select"]
