"""qnb.harness: distributed vs centralized orchestration under scheduled faults (FR-013).

``qnb.harness.compare.compare(...)`` runs the experiment and returns a tidy table;
``write_report(db)`` renders it from DuckDB; scenarios and statistics are importable on their
own. The two orchestration modes are the runtime's policies (:mod:`qnb.runtime.policies`),
re-exported here; the harness only selects one per job (``mode=``). See docs/experiments.md for
the definitions of both modes and of every column.
"""

from ..runtime.policies import Centralized, Distributed
from . import compare
from .compare import CompareConfig, CompareResult, default_circuits
from .scenarios import SCENARIOS, FaultEvent, PlanLoad, ResolvedFault, Scenario, get_scenario, plan_load, resolve_schedule
from .stats import bootstrap_ci, median, p95, percentile, wilson_interval
from .summary import headline, narrative, summarize

__all__ = ["compare", "CompareConfig", "CompareResult", "default_circuits",
           "Scenario", "FaultEvent", "ResolvedFault", "PlanLoad", "SCENARIOS", "get_scenario", "plan_load",
           "resolve_schedule", "percentile", "median", "p95", "wilson_interval", "bootstrap_ci",
           "summarize", "headline", "narrative", "write_report", "Centralized", "Distributed"]


def write_report(db, out="report.html", experiment_id=None, **kw):
    """Render the comparison stored in ``db`` to a self-contained HTML file; returns its path."""
    from .report import write_report as _w
    return _w(db, out, experiment_id, **kw)
