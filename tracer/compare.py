"""Wire the stages for one scenario: runtime → traces → focus → align → Comparison.

Contract: ``compare(scenario, runtime, report, everything=False)`` runs the
scenario once and returns a ``Comparison`` with one ``RoleComparison`` per role.
It raises ``RunError`` when a program failed in a way that leaves nothing to
compare (the server never became ready), and otherwise keeps whatever was
traced, marking programs that timed out or exited non-zero.
"""

from __future__ import annotations

from dataclasses import replace

from tracer import align as aligner
from tracer import focus as focuser
from tracer import notes
from tracer.errors import RunError
from tracer.model import Comparison, RoleComparison, Trace
from tracer.runtime import Report, Runtime
from tracer.scenarios import Scenario


def compare(scenario: Scenario, runtime: Runtime, report: Report, everything: bool = False) -> Comparison:
    traces = runtime.run(scenario, report)
    by_key = {(t.label, t.role): t for t in traces}
    for trace in traces:
        if not trace.events:
            raise RunError(_never_ran(scenario, trace))
    select = focuser.everything if everything else focuser.focus
    roles = []
    for role in scenario.roles:
        go, python = by_key[("go", role.name)], by_key[("python", role.name)]
        rows = notes.explain(aligner.align(select(go), select(python)))
        roles.append(RoleComparison(role.name, go, python, tuple(rows)))
    comparison = Comparison(scenario.name, runtime.name, tuple(roles))
    if scenario.observe is not None:
        comparison = replace(comparison, observations=scenario.observe(comparison))
    return comparison


def _never_ran(scenario: Scenario, trace: Trace) -> str:
    said = (trace.stderr.strip().splitlines() or ["it printed nothing"])[-1]
    return f"The {trace.label} {trace.role} of {scenario.name} left no trace ({said})."
