"""``qnb bench compare``: distributed vs centralized orchestration under scheduled faults (FR-013).

One command runs every (repeat, scenario, circuit, mode) cell on a fresh embedded mesh, stores each
run in DuckDB (``bench_runs``, one experiment id) and prints the headline table, or one JSON object
with ``--json``. ``qnb report --db PATH`` renders the stored experiment as HTML. Definitions of the
two modes, the scenarios and every column: docs/experiments.md.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any, Sequence

__all__ = ["register_bench", "add_arguments", "main", "run_compare", "render"]


def register_bench(subparsers) -> None:
    p = subparsers.add_parser("compare", help="distributed vs centralized orchestration under faults (FR-013)",
                              description=__doc__.split("\n\n")[0])
    add_arguments(p)
    p.set_defaults(func=main)


def add_arguments(p) -> None:
    from ..harness.compare import DEFAULT_TOPOLOGY
    from ..harness.scenarios import DEFAULT_SCENARIOS, SCENARIOS
    p.add_argument("--circuits", default=None,
                   help="comma-separated bundled names or .qasm paths (default: GHZ, QFT, QAOA and an adder)")
    p.add_argument("--topology", default=DEFAULT_TOPOLOGY, help=f"TOML path, bundled name or generator spec "
                                                                f"(default {DEFAULT_TOPOLOGY})")
    p.add_argument("--faults", "--scenarios", dest="faults", default=",".join(DEFAULT_SCENARIOS),
                   help=f"comma-separated scenarios: {', '.join(SCENARIOS)} (default {','.join(DEFAULT_SCENARIOS)})")
    p.add_argument("--modes", default="distributed,centralized", help="distributed, centralized or both")
    p.add_argument("--repeat", type=int, default=3, help="repeats per cell; repeat r uses seed + r (default 3)")
    p.add_argument("--shots", type=int, default=1024)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--db", default=None, help="DuckDB file for the runs (default: store.path from the config)")
    p.add_argument("--noiseless", action="store_true", help="ideal nodes and links")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds one job may take (default 120)")
    p.add_argument("--no-warmup", dest="warmup", action="store_false", help="skip the untimed warm-up job")
    p.add_argument("--name", default=None, help="a label stored with the experiment")
    p.add_argument("--report", default=None, metavar="FILE", help="also write the HTML report to FILE")
    p.add_argument("--rows", action="store_true", help="with --json: include every row (default: summary only)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _nan_to_none(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, dict):
        return {k: _nan_to_none(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_nan_to_none(x) for x in v]
    return v


def run_compare(*, circuits: str | Sequence[str] | None = None, topology: str | None = None,
                faults: str | Sequence[str] | None = None, modes: str | Sequence[str] = "distributed,centralized",
                repeat: int = 3, shots: int = 1024, seed: int = 7, db: str | None = None, noiseless: bool = False,
                timeout: float = 120.0, warmup: bool = True, name: str | None = None, report: str | None = None,
                include_rows: bool = True, settings: Any = None, progress=None) -> dict:
    """Run the comparison; return a JSON-able dict (experiment id, db, wall time, headline, summary, rows)."""
    from ..harness.compare import DEFAULT_TOPOLOGY, compare
    from ..harness.scenarios import DEFAULT_SCENARIOS
    from ..harness.summary import headline, narrative

    res = compare(circuits, topology=topology or DEFAULT_TOPOLOGY, scenarios=faults or DEFAULT_SCENARIOS,
                  modes=modes, repeat=repeat, shots=shots, seed=seed, db=db, noiseless=noiseless, timeout_s=timeout,
                  warmup=warmup, name=name, settings=settings, progress=progress)
    out = {"experiment_id": res.experiment_id, "db": res.db, "wall_s": round(res.wall_s, 3),
           "config": res.config.to_json(), "runs": len(res.rows), "headline": headline(res.rows),
           "summary": res.summary(), "text": narrative(res.rows)}
    if report:
        from ..harness.report import render_html
        from pathlib import Path
        Path(report).write_text(render_html(res.rows, meta={"experiment": res.experiment_id,
                                                            "config": res.config.to_json()}), encoding="utf-8")
        out["report"] = str(report)
    if include_rows:
        out["rows"] = res.rows
    return _nan_to_none(out)


def _fmt(v, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def render(result: dict) -> str:
    """The human-readable headline of a :func:`run_compare` result."""
    lines = [f"experiment {result['experiment_id']}: {result['runs']} runs in {result['wall_s']:.1f} s"
             + (f", stored in {result['db']}" if result.get("db") else " (not stored: no --db)"), ""]
    lines.append(f"{'scenario':<18} {'mode':<12} {'runs':>4} {'success':>8} {'Wilson 95 %':>15} {'wall p50':>9} "
                 f"{'wall p95':>9} {'meas. F':>8} {'est. F':>8} {'ebits':>6} {'fallbacks':>9} {'re-plans':>8}")
    for s in result["summary"]:
        ci = f"[{_fmt(s['success_ci_lo'], '.2f')}, {_fmt(s['success_ci_hi'], '.2f')}]"
        lines.append(f"{s['scenario']:<18} {s['mode']:<12} {s['runs']:>4} {_fmt(s['success_rate'], '.0%'):>8} "
                     f"{ci:>15} {_fmt(s['wall_ms_p50'], '.1f'):>9} {_fmt(s['wall_ms_p95'], '.1f'):>9} "
                     f"{_fmt(s['measured_fidelity_mean'], '.4f'):>8} {_fmt(s['estimated_fidelity_mean'], '.4f'):>8} "
                     f"{_fmt(s['ebits_p50'], '.0f'):>6} {s['fallbacks']:>9} {s['replans']:>8}")
    lines.append("")
    lines += [f"- {t}" for t in result.get("text", [])]
    if result.get("report"):
        lines.append(f"report: {result['report']}")
    return "\n".join(lines)


def main(args) -> int:
    from ..config import Settings
    from ..errors import QnbError

    db = args.db
    settings = None
    if getattr(args, "config", None):
        settings = Settings.load(args.config)
    if db is None:
        db = (settings or Settings.load()).store.path
    if db == ":memory:":
        db = None
    progress = None
    if not args.json:
        def progress(row):
            print(f"  [{row['run_index'] + 1}] {row['mode']:<11} {row['circuit']:<16} {row['scenario']:<16} "
                  f"rep {row['repeat']}: {row['status']} {_fmt(row['wall_ms'], '.1f')} ms", file=sys.stderr)
    if args.repeat < 1:
        raise QnbError(f"--repeat must be >= 1, got {args.repeat}", field="repeat")
    result = run_compare(circuits=args.circuits, topology=args.topology, faults=args.faults, modes=args.modes,
                         repeat=args.repeat, shots=args.shots, seed=args.seed, db=db, noiseless=args.noiseless,
                         timeout=args.timeout, warmup=args.warmup, name=args.name, report=args.report,
                         include_rows=args.rows, settings=settings, progress=progress)
    print(json.dumps(result, default=str) if args.json else render(result))
    return 0
