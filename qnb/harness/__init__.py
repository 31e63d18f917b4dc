"""qnb.harness: distributed vs centralized orchestration under scheduled faults (FR-013).

``qnb.harness.compare.compare(...)`` runs the experiment and returns a tidy table;
``write_report(db)`` renders it from DuckDB; scenarios, statistics and the centralized baseline
are importable on their own. See docs/experiments.md for the definitions of both modes and of
every column.
"""

from . import compare
from .compare import CompareConfig, CompareResult, default_circuits
from .scenarios import SCENARIOS, FaultEvent, PlanLoad, ResolvedFault, Scenario, get_scenario, plan_load, resolve_schedule
from .stats import bootstrap_ci, median, p95, percentile, wilson_interval
from .summary import headline, narrative, summarize

__all__ = ["compare", "CompareConfig", "CompareResult", "default_circuits",
           "Scenario", "FaultEvent", "ResolvedFault", "PlanLoad", "SCENARIOS", "get_scenario", "plan_load",
           "resolve_schedule", "percentile", "median", "p95", "wilson_interval", "bootstrap_ci",
           "summarize", "headline", "narrative", "write_report", "make_central_runner"]


def write_report(db, out="report.html", experiment_id=None, **kw):
    """Render the comparison stored in ``db`` to a self-contained HTML file; returns its path."""
    from .report import write_report as _w
    return _w(db, out, experiment_id, **kw)


def make_central_runner(coordinator, **kw):
    """The centralized-baseline runner (see :mod:`qnb.harness.centralized`)."""
    from .centralized import make_central_runner as _m
    return _m(coordinator, **kw)
