"""The comparison report: altair charts rendered to static SVG (vl-convert) inside one HTML file (FR-013).

The HTML is self-contained: no script tags, no external URLs, charts inlined as SVG, so it reads
the same in a browser, a mail attachment or a CI artifact. Every number comes from rows (the
``bench_runs`` table), through :mod:`qnb.harness.summary`.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
from pathlib import Path
from typing import Any, Sequence

from ..errors import QnbError
from .summary import headline, narrative, summarize

__all__ = ["charts", "chart_svg", "chart_png", "render_html", "build_report", "write_report"]

MODE_COLORS = {"distributed": "#1f77b4", "centralized": "#d62728"}


def _frame(rows: Sequence[dict]):
    import pandas as pd
    return pd.DataFrame(list(rows))


def _color():
    import altair as alt
    return alt.Color("mode:N", scale=alt.Scale(domain=list(MODE_COLORS), range=list(MODE_COLORS.values())),
                     title="mode")


def _clean(records: list[dict]) -> list[dict]:
    """NaN -> None so vega-lite sees missing values, not strings."""
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in records]


def charts(rows: Sequence[dict]) -> dict[str, Any]:
    """The report's altair charts keyed by name: latency, success, fidelity, ebits."""
    import altair as alt

    summ = _clean(summarize(rows))
    for s in summ:
        s.pop("errors", None)
    sdf = _frame(summ)
    scen = list(dict.fromkeys(s["scenario"] for s in summ))
    x = alt.X("scenario:N", sort=scen, title="scenario", axis=alt.Axis(labelAngle=0))
    out: dict[str, Any] = {}

    base = alt.Chart(sdf).encode(x=x, xOffset=alt.XOffset("mode:N", sort=list(MODE_COLORS)), color=_color())
    bars = base.mark_bar().encode(y=alt.Y("wall_ms_p50:Q", title="wall time (ms): bar median, tick p95"),
                                  tooltip=["scenario", "mode", "wall_ms_p50", "wall_ms_p95", "runs"])
    ticks = base.mark_tick(thickness=2).encode(y="wall_ms_p95:Q", color=alt.value("black"))
    out["latency"] = (bars + ticks).properties(title="Job wall time by scenario and mode (successful runs)",
                                               width=360, height=220)

    sbars = base.mark_bar().encode(y=alt.Y("success_rate:Q", title="success rate", scale=alt.Scale(domain=[0, 1])),
                                   tooltip=["scenario", "mode", "successes", "runs"])
    err = base.mark_errorbar(thickness=1.5).encode(y=alt.Y("success_ci_lo:Q", title=""), y2="success_ci_hi:Q",
                                                color=alt.value("black"))
    out["success"] = (sbars + err).properties(title="Success rate with 95 % Wilson intervals",
                                              width=360, height=220)

    fid = _frame(_clean([{"mode": r["mode"], "scenario": r["scenario"], "circuit": r["circuit"],
                          "estimated": r.get("estimated_fidelity"), "measured": r.get("measured_fidelity")}
                         for r in rows if r.get("success") and r.get("measured_fidelity") is not None]))
    if len(fid):
        # hollow marks, shape by mode: a distributed and a centralized run at the same spot both show
        pts = alt.Chart(fid).mark_point(filled=False, size=90, strokeWidth=2).encode(
            x=alt.X("estimated:Q", scale=alt.Scale(zero=False), title="estimated fidelity (cost model)"),
            y=alt.Y("measured:Q", scale=alt.Scale(zero=False), title="measured fidelity (Hellinger)"),
            color=alt.Color("scenario:N", sort=scen),
            shape=alt.Shape("mode:N", sort=list(MODE_COLORS), scale=alt.Scale(range=["circle", "diamond"])),
            tooltip=["circuit", "scenario", "mode", "estimated", "measured"])
        lo = float(min(fid["estimated"].min(), fid["measured"].min()))
        diag = alt.Chart(_frame([{"v": lo}, {"v": 1.0}])).mark_line(color="gray", strokeDash=[4, 4]).encode(
            x="v:Q", y="v:Q")
        out["fidelity"] = (diag + pts).properties(title="Estimated vs measured fidelity (dashed: equal)",
                                                  width=360, height=260)

    eb = _frame(_clean([{"mode": r["mode"], "circuit": r["circuit"], "ebits": r.get("ebits")}
                        for r in rows if r.get("ebits") is not None]))
    if len(eb):
        out["ebits"] = alt.Chart(eb).mark_bar().encode(
            x=alt.X("circuit:N", title="circuit", axis=alt.Axis(labelAngle=0)), xOffset=alt.XOffset("mode:N", sort=list(MODE_COLORS)),
            y=alt.Y("median(ebits):Q", title="ebits (median over runs)"), color=_color(),
            tooltip=["circuit", "mode", "median(ebits)"]).properties(
            title="Entanglement consumed per job", width=360, height=220)
    return out


def _vl_version() -> str | None:
    import altair as alt
    import vl_convert as vlc
    v = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    try:
        return v if v in vlc.get_vegalite_versions() else None
    except AttributeError:  # pragma: no cover - older vl-convert
        return None


def chart_svg(chart: Any) -> str:
    """A chart as static SVG text (vl-convert; no browser, no network)."""
    import vl_convert as vlc
    return vlc.vegalite_to_svg(chart.to_dict(), vl_version=_vl_version())


def chart_png(chart: Any, scale: float = 1.0) -> bytes:
    import vl_convert as vlc
    return vlc.vegalite_to_png(chart.to_dict(), vl_version=_vl_version(), scale=scale)


# ------------------------------------------------------------------------------- HTML
def _fmt(v: Any, digits: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        return f"{v:.{digits}f}"
    if isinstance(v, tuple) and len(v) == 2:
        return f"[{_fmt(v[0], digits)}, {_fmt(v[1], digits)}]"
    return html.escape(str(v))


def _table(records: Sequence[dict], columns: Sequence[tuple[str, str]], digits: int = 3) -> str:
    head = "".join(f"<th>{html.escape(t)}</th>" for _, t in columns)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(r.get(k), digits)}</td>" for k, _ in columns) + "</tr>"
                   for r in records)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:16px}
code{background:#f5f5f5;padding:1px 4px}.meta td{text-align:left}"""


def render_html(rows: Sequence[dict], *, title: str = "qnb: distributed vs centralized orchestration",
                meta: dict | None = None, nfr: Sequence[dict] = (), chart_format: str = "svg") -> str:
    """The whole report as one HTML string."""
    import base64

    if not rows:
        raise QnbError("no rows to report", field="rows")
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"]
    meta = dict(meta or {})
    if meta:
        parts.append("<table class='meta'>" + "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(json.dumps(v, default=str) if not isinstance(v, str) else v)}</td></tr>"
            for k, v in meta.items()) + "</table>")
    parts.append("<h2>Summary</h2><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in narrative(rows)) + "</ul>")
    parts.append("<h2>Headline</h2>")
    parts.append(_table(headline(rows), [
        ("scenario", "scenario"), ("distributed_success", "distributed success"),
        ("distributed_success_ci", "95 % CI"), ("centralized_success", "centralized success"),
        ("centralized_success_ci", "95 % CI"), ("distributed_wall_ms_p50", "distributed wall p50 (ms)"),
        ("centralized_wall_ms_p50", "centralized wall p50 (ms)"),
        ("distributed_measured_fidelity", "distributed measured F"), ("distributed_measured_fidelity_ci", "95 % CI"),
        ("centralized_measured_fidelity", "centralized measured F"), ("centralized_measured_fidelity_ci", "95 % CI"),
        ("paired_fidelity_delta", "paired ΔF (d - c)"), ("paired_fidelity_delta_ci", "bootstrap 95 %"),
        ("paired_pairs", "pairs")]))
    parts.append("<h2>Charts</h2><div class='charts'>")
    for name, chart in charts(rows).items():
        if chart_format == "png":
            b64 = base64.b64encode(chart_png(chart, 1.5)).decode()
            parts.append(f"<figure><img alt='{name}' src='data:image/png;base64,{b64}'></figure>")
        else:
            parts.append(f"<figure>{chart_svg(chart)}</figure>")
    parts.append("</div>")
    summ = summarize(rows)
    parts.append("<h2>By scenario and mode</h2><p>Timings over successful runs: median (p50) and 95th percentile; "
                 "fidelity means with 95 % percentile-bootstrap intervals (seed 0).</p>")
    parts.append(_table([dict(s, success_ci=(s["success_ci_lo"], s["success_ci_hi"]),
                              measured_ci=(s["measured_fidelity_ci_lo"], s["measured_fidelity_ci_hi"]),
                              estimated_ci=(s["estimated_fidelity_ci_lo"], s["estimated_fidelity_ci_hi"]),
                              errors=", ".join(f"{k} x{v}" for k, v in s["errors"].items()) or None)
                         for s in summ], [
        ("scenario", "scenario"), ("mode", "mode"), ("runs", "runs"), ("success_rate", "success"),
        ("success_ci", "Wilson 95 %"), ("wall_ms_p50", "wall p50"), ("wall_ms_p95", "wall p95"),
        ("compile_ms_p50", "compile p50"), ("compile_ms_p95", "compile p95"),
        ("execution_ms_p50", "exec p50"), ("execution_ms_p95", "exec p95"),
        ("orchestration_overhead_ms_p50", "overhead p50"), ("orchestration_overhead_ms_p95", "overhead p95"),
        ("measured_fidelity_mean", "measured F"), ("measured_ci", "bootstrap 95 %"),
        ("estimated_fidelity_mean", "estimated F"), ("estimated_ci", "bootstrap 95 %"),
        ("ebits_p50", "ebits p50"), ("retries", "retries"), ("fallbacks", "fallbacks"), ("replans", "replans"),
        ("errors", "failures")], digits=3))
    parts.append("<h2>By circuit, scenario and mode</h2>")
    parts.append(_table(summarize(rows, ("circuit", "scenario", "mode")), [
        ("circuit", "circuit"), ("scenario", "scenario"), ("mode", "mode"), ("runs", "runs"),
        ("success_rate", "success"), ("wall_ms_p50", "wall p50"), ("wall_ms_p95", "wall p95"),
        ("measured_fidelity_mean", "measured F"), ("estimated_fidelity_mean", "estimated F"),
        ("ebits_p50", "ebits"), ("fallbacks", "fallbacks")]))
    if nfr:
        parts.append("<h2>Measured targets (NFR)</h2>")
        parts.append(_table(nfr, [("benchmark", "benchmark"), ("metric", "metric"), ("value", "measured"),
                                  ("unit", "unit"), ("comparison", ""), ("target", "target"), ("passed", "met")]))
    parts.append("<h2>Runs</h2>")
    short = [dict(r, plan_hash=(r.get("plan_hash") or "")[:12] or None) for r in rows]
    parts.append(_table(short, [("run_index", "#"), ("mode", "mode"), ("circuit", "circuit"), ("scenario", "scenario"),
                               ("repeat", "rep"), ("seed", "seed"), ("status", "status"), ("error_type", "error"),
                               ("wall_ms", "wall ms"), ("compile_ms", "compile ms"), ("retries", "retries"),
                               ("fallbacks", "fallbacks"), ("replans", "replans"), ("ebits", "ebits"),
                               ("estimated_fidelity", "est. F"), ("measured_fidelity", "meas. F"),
                               ("plan_hash", "plan")], digits=3))
    parts.append("</body></html>")
    return "".join(parts)


def build_report(db: str, experiment_id: str | None = None, *, chart_format: str = "svg") -> str:
    """Render the report of one experiment (the latest comparison by default) from DuckDB."""
    from . import results
    rows = results.load_runs(db, experiment_id)
    exp = rows[0]["experiment_id"]
    info = next((e for e in results.experiments(db) if e["run_id"] == exp), {})
    params = info.get("params") or {}
    meta = {"experiment": exp, "database": str(db), "qnb version": rows[0].get("version"),
            "started": str(info.get("started_at")), "config": params.get("config"), "host": params.get("host"),
            "rendered": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    return render_html(rows, meta=meta, nfr=results.load_nfr(db), chart_format=chart_format)


def write_report(db: str, out: str | Path = "report.html", experiment_id: str | None = None, *,
                 chart_format: str = "svg") -> Path:
    path = Path(out)
    path.write_text(build_report(db, experiment_id, chart_format=chart_format), encoding="utf-8")
    return path
