"""Wire the stages: runtime → traces → focus → align → notes → Comparison.

Contract: ``compare(scenario, runtime, report)`` runs a scenario once and
returns a ``Comparison`` with one ``RoleComparison`` per role;
``compare_programs(run, ...)`` does the same for two of the user's programs
(one role, ``main``). Both raise ``RunError`` when a program failed in a way
that leaves nothing to compare (the server never became ready), and otherwise
keep whatever was traced, marking programs that timed out or exited non-zero.
While the programs run, ``warm_up`` loads what reading their results needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from tracer.errors import RunError
from tracer.model import Comparison, RoleComparison, Trace
from tracer.runtime import Report, Runtime
from tracer.runtime.base import Run, scenario_run
from tracer.scenarios import Scenario


def compare(
    scenario: Scenario, runtime: Runtime, report: Report, everything: bool = False, timeout: float | None = None
) -> Comparison:
    run = scenario_run(scenario)
    traces = runtime.run(replace(run, timeout=timeout or run.timeout, everything=everything), report, meanwhile=warm_up)
    by_key = {(t.label, t.role): t for t in traces}
    pairs = [(by_key[("go", role.name)], by_key[("python", role.name)]) for role in scenario.roles]
    comparison = replace(
        compare_traces(scenario.name, runtime.name, pairs, everything), environment=runtime.environment
    )
    if scenario.observe is not None:
        comparison = replace(comparison, observations=scenario.observe(comparison))
    return comparison


def compare_programs(run: Run, runtime: Runtime, report: Report, everything: bool = False) -> Comparison:
    """Two of the user's programs, one session each (see ``tracer.programs.compare_run``)."""
    left, right = runtime.run(replace(run, everything=everything), report, meanwhile=warm_up)
    comparison = compare_traces(run.name, runtime.name, [(left, right)], everything)
    return replace(comparison, environment=runtime.environment)


def compare_traces(
    name: str, runtime: str, pairs: Sequence[tuple[Trace, Trace]], everything: bool = False
) -> Comparison:
    """Focus, align and explain each (left, right) pair of traces of one role.

    Raises ``RunError`` when a program left no trace at all (it never started).
    """
    from tracer import align as aligner
    from tracer import focus as focuser
    from tracer import notes

    traces = [t for pair in zip(*pairs, strict=True) for t in pair] if pairs else []
    for index, trace in enumerate(traces):
        if not trace.events:
            raise RunError(_never_ran(name, trace, traces[:index]))
    select = focuser.everything if everything else focuser.focus
    roles = []
    for left, right in pairs:
        rows = notes.explain(aligner.align(select(left), select(right)))
        roles.append(RoleComparison(left.role, left, right, tuple(rows)))
    return Comparison(name, runtime, tuple(roles))


def warm_up() -> None:
    """Load what reading the results needs (the parser, the notes, the table) while the programs start."""
    import tracer.align
    import tracer.link
    import tracer.render.table  # and Rich's tables with it
    import tracer.strace.parser  # noqa: F401
    from tracer import notes

    notes.load()


def _never_ran(name: str, trace: Trace, before: Sequence[Trace]) -> str:
    """Why a program left no trace: usually a program before it that failed, or strace itself."""
    for earlier in before:
        if earlier.label == trace.label and (earlier.timed_out or earlier.exit_code not in (0, None)):
            how = "never got ready" if earlier.timed_out else f"exited with status {earlier.exit_code}"
            said = (earlier.stderr.strip().splitlines() or ["it printed nothing"])[-1]
            return f"The {earlier.label} {earlier.role} of {name} {how} before the {trace.role} could start ({said})."
    strace_said = [p.text for p in trace.problems if p.line_no == 0]
    said = (strace_said or trace.stderr.strip().splitlines() or ["it printed nothing"])[-1]
    hint = " Is ptrace allowed here? `tracer doctor` checks." if "not permitted" in said else ""
    return f"The {trace.label} {trace.role} of {name} left no trace ({said}).{hint}"
