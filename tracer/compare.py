"""Wire the stages for one scenario: runtime → traces → focus → align → Comparison.

Contract: ``compare(scenario, runtime, report, everything=False)`` runs the
scenario once and returns a ``Comparison`` with one ``RoleComparison`` per role.
It raises ``RunError`` when a program failed in a way that leaves nothing to
compare (the server never became ready), and otherwise keeps whatever was
traced, marking programs that timed out or exited non-zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from tracer import align as aligner
from tracer import focus as focuser
from tracer import notes
from tracer.errors import RunError
from tracer.model import Comparison, RoleComparison, Trace
from tracer.runtime import Report, Runtime
from tracer.runtime.base import scenario_run
from tracer.scenarios import Scenario


def compare(scenario: Scenario, runtime: Runtime, report: Report, everything: bool = False) -> Comparison:
    traces = runtime.run(scenario_run(scenario), report)
    by_key = {(t.label, t.role): t for t in traces}
    pairs = [(by_key[("go", role.name)], by_key[("python", role.name)]) for role in scenario.roles]
    comparison = compare_traces(scenario.name, runtime.name, pairs, everything)
    if scenario.observe is not None:
        comparison = replace(comparison, observations=scenario.observe(comparison))
    return comparison


def compare_traces(
    name: str, runtime: str, pairs: Sequence[tuple[Trace, Trace]], everything: bool = False
) -> Comparison:
    """Focus, align and explain each (left, right) pair of traces of one role.

    Raises ``RunError`` when a program left no trace at all (it never started).
    """
    for trace in (t for pair in pairs for t in pair):
        if not trace.events:
            raise RunError(_never_ran(name, trace))
    select = focuser.everything if everything else focuser.focus
    roles = []
    for left, right in pairs:
        rows = notes.explain(aligner.align(select(left), select(right)))
        roles.append(RoleComparison(left.role, left, right, tuple(rows)))
    return Comparison(name, runtime, tuple(roles))


def _never_ran(name: str, trace: Trace) -> str:
    said = (trace.stderr.strip().splitlines() or ["it printed nothing"])[-1]
    return f"The {trace.label} {trace.role} of {name} left no trace ({said})."
