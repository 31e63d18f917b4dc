"""Aggregates of the tidy comparison rows: the tables and the written summary of a report (FR-013).

Everything here is computed from rows (from :func:`qnb.harness.compare.compare` or from DuckDB via
:func:`qnb.harness.results.load_runs`), so a report can be regenerated from the database alone
and its text never disagrees with its numbers.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from .stats import bootstrap_ci, finite, mean, median, p95, wilson_interval

__all__ = ["summarize", "headline", "narrative", "paired_differences", "TIMING_METRICS"]

TIMING_METRICS = ("wall_ms", "compile_ms", "execution_ms", "orchestration_overhead_ms")


def _order(values: Iterable[str], preferred: Sequence[str]) -> list[str]:
    vals = list(dict.fromkeys(values))
    return [v for v in preferred if v in vals] + sorted(v for v in vals if v not in preferred)


def summarize(rows: Sequence[dict], by: Sequence[str] = ("scenario", "mode"), *, confidence: float = 0.95,
              seed: int = 0) -> list[dict]:
    """One dict per group: runs, success rate with a Wilson CI, median/p95 of the timings, mean
    fidelities (successful runs) with bootstrap CIs (fixed ``seed``), ebits, retries, fallbacks."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(k) for k in by), []).append(r)
    scen_order = _order((r.get("scenario") for r in rows), ("none", "latency-spike", "node-drop", "fidelity-drop"))
    mode_order = _order((r.get("mode") for r in rows), ("distributed", "centralized"))

    def key(item):
        g = dict(zip(by, item[0]))
        return (scen_order.index(g["scenario"]) if "scenario" in g and g["scenario"] in scen_order else 0,
                mode_order.index(g["mode"]) if "mode" in g and g["mode"] in mode_order else 0,
                tuple(str(x) for x in item[0]))

    out = []
    for k, rs in sorted(groups.items(), key=key):
        ok = [r for r in rs if r.get("success")]
        lo, hi = wilson_interval(len(ok), len(rs), confidence)
        d = dict(zip(by, k))
        d.update(runs=len(rs), successes=len(ok), success_rate=len(ok) / len(rs), success_ci_lo=lo, success_ci_hi=hi)
        for m in TIMING_METRICS:
            vals = [r.get(m) for r in ok]
            d[f"{m}_p50"] = median(vals)
            d[f"{m}_p95"] = p95(vals)
        for m in ("measured_fidelity", "estimated_fidelity"):
            vals = finite(r.get(m) for r in ok)
            d[f"{m}_mean"] = mean(vals)
            d[f"{m}_ci_lo"], d[f"{m}_ci_hi"] = bootstrap_ci(vals, confidence=confidence, seed=seed)
        d["ebits_p50"] = median(r.get("ebits") for r in rs)
        d["retries"] = sum(int(r.get("retries") or 0) for r in rs)
        d["fallbacks"] = sum(int(r.get("fallbacks") or 0) for r in rs)
        d["replans"] = sum(int(r.get("replans") or 0) for r in rs)
        errors: dict[str, int] = {}
        for r in rs:
            if not r.get("success"):
                t = r.get("error_type") or r.get("status") or "unknown"
                errors[t] = errors.get(t, 0) + 1
        d["errors"] = errors
        out.append(d)
    return out


def paired_differences(rows: Sequence[dict], metric: str, scenario: str | None = None) -> list[float]:
    """``distributed - centralized`` of ``metric`` per pair (same circuit, scenario, repeat and seed)
    where both runs succeeded. The design is paired, so these differences are what to test."""
    pairs: dict[tuple, dict[str, float]] = {}
    for r in rows:
        if scenario is not None and r.get("scenario") != scenario:
            continue
        if not r.get("success") or r.get(metric) is None:
            continue
        key = (r.get("circuit"), r.get("scenario"), r.get("repeat"), r.get("seed"))
        pairs.setdefault(key, {})[r.get("mode")] = float(r[metric])
    return [p["distributed"] - p["centralized"] for _, p in sorted(pairs.items(), key=lambda kv: str(kv[0]))
            if "distributed" in p and "centralized" in p]


def headline(rows: Sequence[dict], confidence: float = 0.95) -> list[dict]:
    """Per scenario, distributed beside centralized: success rate (CI), median wall time, mean
    measured fidelity, and the differences (distributed minus centralized)."""
    table = summarize(rows, ("scenario", "mode"), confidence=confidence)
    by = {(t["scenario"], t["mode"]): t for t in table}
    out = []
    for scen in dict.fromkeys(t["scenario"] for t in table):
        d, c = by.get((scen, "distributed")), by.get((scen, "centralized"))
        row = {"scenario": scen}
        for tag, t in (("distributed", d), ("centralized", c)):
            if t is None:
                continue
            row[f"{tag}_success"] = t["success_rate"]
            row[f"{tag}_success_ci"] = (t["success_ci_lo"], t["success_ci_hi"])
            row[f"{tag}_wall_ms_p50"] = t["wall_ms_p50"]
            row[f"{tag}_wall_ms_p95"] = t["wall_ms_p95"]
            row[f"{tag}_measured_fidelity"] = t["measured_fidelity_mean"]
            row[f"{tag}_measured_fidelity_ci"] = (t["measured_fidelity_ci_lo"], t["measured_fidelity_ci_hi"])
            row[f"{tag}_runs"] = t["runs"]
        if d is not None and c is not None:
            row["success_delta"] = d["success_rate"] - c["success_rate"]
            row["fidelity_delta"] = _sub(d["measured_fidelity_mean"], c["measured_fidelity_mean"])
            row["wall_ms_ratio"] = _div(d["wall_ms_p50"], c["wall_ms_p50"])
            diffs = paired_differences(rows, "measured_fidelity", scen)
            row["paired_pairs"] = len(diffs)
            row["paired_fidelity_delta"] = mean(diffs)
            row["paired_fidelity_delta_ci"] = bootstrap_ci(diffs, confidence=confidence)
        out.append(row)
    return out


def _sub(a, b):
    return math.nan if a is None or b is None or math.isnan(a) or math.isnan(b) else a - b


def _div(a, b):
    return math.nan if a is None or b is None or math.isnan(a) or math.isnan(b) or b == 0 else a / b


def _pct(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.0f} %"


def _f(x: float, digits: int = 3) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.{digits}f}"


def _ms(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.1f} ms"




def narrative(rows: Sequence[dict], confidence: float = 0.95) -> list[str]:
    """Sentences computed from the rows; nothing here is written by hand per experiment."""
    if not rows:
        return ["No runs recorded."]
    lines = []
    n = len(rows)
    circuits = sorted({r["circuit"] for r in rows})
    scen = list(dict.fromkeys(r["scenario"] for r in rows))
    reps = len({r["repeat"] for r in rows})
    lines.append(f"{n} runs: {len(circuits)} circuit(s) ({', '.join(circuits)}) x {len(scen)} scenario(s) "
                 f"({', '.join(scen)}) x {len({r['mode'] for r in rows})} mode(s) x {reps} repeat(s).")
    for h in headline(rows, confidence):
        s = h["scenario"]
        if "distributed_success" in h and "centralized_success" in h:
            dlo, dhi = h["distributed_success_ci"]
            clo, chi = h["centralized_success_ci"]
            overlap = not (dlo > chi or clo > dhi)
            verdict = ("the intervals overlap, so this sample does not separate the modes" if overlap else
                       ("distributed succeeds more often" if h["success_delta"] > 0 else
                        "centralized succeeds more often"))
            dci, cci = h["distributed_measured_fidelity_ci"], h["centralized_measured_fidelity_ci"]
            plo, phi = h["paired_fidelity_delta_ci"]
            if h["paired_pairs"] < 2 or math.isnan(plo):
                fverdict = ""
            elif plo > 0 or phi < 0:
                fverdict = (f"; paired by circuit and seed ({h['paired_pairs']} pairs) the difference is "
                            f"{_f(h['paired_fidelity_delta'])} [{_f(plo)}, {_f(phi)}], excluding 0: "
                            + ("distributed keeps the higher fidelity" if plo > 0 else
                               "centralized keeps the higher fidelity"))
            else:
                fverdict = (f"; paired by circuit and seed ({h['paired_pairs']} pairs) the difference "
                            f"{_f(h['paired_fidelity_delta'])} [{_f(plo)}, {_f(phi)}] includes 0")
            lines.append(
                f"{s}: success distributed {_pct(h['distributed_success'])} "
                f"[{_pct(dlo)}, {_pct(dhi)}] vs centralized {_pct(h['centralized_success'])} "
                f"[{_pct(clo)}, {_pct(chi)}] ({int(confidence * 100)} % Wilson); {verdict}. "
                f"Median wall time {_ms(h['distributed_wall_ms_p50'])} vs {_ms(h['centralized_wall_ms_p50'])}; "
                f"mean measured fidelity {_f(h['distributed_measured_fidelity'])} [{_f(dci[0])}, {_f(dci[1])}] vs "
                f"{_f(h['centralized_measured_fidelity'])} [{_f(cci[0])}, {_f(cci[1])}]{fverdict}.")
        else:
            mode = "distributed" if "distributed_success" in h else "centralized"
            lines.append(f"{s}: {mode} only, success {_pct(h[f'{mode}_success'])}, median wall time "
                         f"{_ms(h[f'{mode}_wall_ms_p50'])}.")
    rec = [r for r in rows if r.get("success") and ((r.get("fallbacks") or 0) + (r.get("replans") or 0)) > 0]
    if rec:
        lines.append(f"{len(rec)} successful run(s) recovered by re-planning or fallback (NFR-002), all in "
                     f"{', '.join(sorted({r['mode'] for r in rec}))} mode.")
    errs: dict[str, int] = {}
    for r in rows:
        if not r.get("success"):
            key = f"{r['mode']}/{r.get('error_type') or r.get('status')}"
            errs[key] = errs.get(key, 0) + 1
    if errs:
        lines.append("Failures by mode and error type: " + ", ".join(f"{k} x{v}" for k, v in sorted(errs.items())) + ".")
    est = [(r["estimated_fidelity"], r["measured_fidelity"]) for r in rows
           if r.get("success") and r.get("estimated_fidelity") is not None and r.get("measured_fidelity") is not None]
    if est:
        gap = mean(e - m for e, m in est)
        lines.append(f"Across {len(est)} successful runs the cost model's estimated fidelity exceeds the measured "
                     f"(Hellinger) fidelity by {_f(gap)} on average." if gap >= 0 else
                     f"Across {len(est)} successful runs the measured (Hellinger) fidelity exceeds the cost model's "
                     f"estimate by {_f(-gap)} on average.")
    return lines
