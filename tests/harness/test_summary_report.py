"""Tables, written summary and the static HTML report, computed from tidy rows (FR-013)."""

import math
import re

import pytest

from qnb.harness.compare import ROW_COLUMNS
from qnb.harness.report import charts, chart_svg, render_html
from qnb.harness.stats import median, wilson_interval
from qnb.harness.summary import headline, narrative, paired_differences, summarize


def _row(i, mode, scenario, success, wall, fid, circuit="ghz_8", ebits=3, fallbacks=0):
    r = {k: None for k in ROW_COLUMNS}
    r.update(experiment_id="exp-t", run_index=i, mode=mode, circuit=circuit, scenario=scenario, repeat=i % 3,
             seed=7 + i % 3, success=success, status="COMPLETED" if success else "FAILED",
             error_type=None if success else "fragment_error", wall_ms=wall, compile_ms=1.0 + i / 10,
             execution_ms=wall - 2, orchestration_overhead_ms=wall / 4, ebits=ebits, retries=0 if success else 2,
             fallbacks=fallbacks, replans=0, estimated_fidelity=fid + 0.01 if fid else 0.95,
             measured_fidelity=fid if success else None, plan_hash=f"{i:064x}")
    return r


def _rows(repeats):
    out = []
    i = 0
    for rep in range(repeats):
        for mode in ("distributed", "centralized"):
            out.append(_row(i, mode, "none", True, 20.0 + rep, 0.93 + 0.01 * rep)); i += 1
            ok = mode == "distributed"
            out.append(_row(i, mode, "node-drop", ok, 40.0 + rep if ok else 30.0, 0.9 if ok else None,
                            fallbacks=1 if ok else 0)); i += 1
    return out


@pytest.fixture
def rows():
    return _rows(3)


def test_summarize_counts_and_intervals(rows):
    table = {(t["scenario"], t["mode"]): t for t in summarize(rows)}
    d, c = table[("node-drop", "distributed")], table[("node-drop", "centralized")]
    assert (d["runs"], d["successes"], c["successes"]) == (3, 3, 0)
    assert (c["success_ci_lo"], c["success_ci_hi"]) == wilson_interval(0, 3)
    assert d["wall_ms_p50"] == median([40.0, 41.0, 42.0])
    assert math.isnan(c["wall_ms_p50"])                  # timings are over successful runs only
    assert c["errors"] == {"fragment_error": 3}
    n = table[("none", "distributed")]
    assert n["measured_fidelity_ci_lo"] <= n["measured_fidelity_mean"] <= n["measured_fidelity_ci_hi"]
    assert [t["scenario"] for t in summarize(rows)][:2] == ["none", "none"]   # control first


def test_headline_and_narrative_follow_the_data(rows):
    h = {r["scenario"]: r for r in headline(rows)}
    assert h["node-drop"]["success_delta"] == 1.0
    assert h["none"]["success_delta"] == 0.0
    text = " ".join(narrative(rows))
    assert "node-drop: success distributed 100 %" in text and "centralized 0 %" in text
    # 3/3 vs 0/3: Wilson intervals [44 %, 100 %] and [0 %, 56 %] overlap, and the text says so
    assert "do not separate the modes" in text or "does not separate the modes" in text
    assert "3 successful run(s) recovered" in text
    assert "centralized/fragment_error x3" in text
    # with 6 repeats the intervals separate; flipping the outcome flips the sentence
    more = _rows(6)
    assert "distributed succeeds more often" in " ".join(narrative(more))
    flipped = [dict(r, success=not r["success"]) if r["scenario"] == "node-drop" else r for r in more]
    assert "centralized succeeds more often" in " ".join(narrative(flipped))


def test_charts_render_to_static_svg(rows):
    cs = charts(rows)
    assert set(cs) == {"latency", "success", "fidelity", "ebits"}
    svg = chart_svg(cs["success"])
    assert svg.lstrip().startswith("<svg") and "success rate" in svg


def test_report_is_self_contained(rows):
    page = render_html(rows, meta={"experiment": "exp-t"}, nfr=[{"benchmark": "compile", "metric": "p95_ms",
                                                                "value": 3.2, "unit": "ms", "comparison": "<=",
                                                                "target": 20.0, "passed": True}])
    assert page.count("<svg") >= 4
    assert "<script" not in page
    assert not re.search(r"(src|href)=['\"]https?:", page)
    assert "exp-t" in page and "Wilson" in page and "p95" in page
    assert "compile" in page and "20.000" in page


def test_report_refuses_empty_rows():
    with pytest.raises(Exception, match="no rows"):
        render_html([])


def test_paired_differences_use_the_paired_design():
    rows = []
    for rep in range(4):
        for circuit, base in (("ghz_5", 0.9), ("qft_6", 0.6)):      # very different circuits...
            for mode, drop in (("distributed", 0.0), ("centralized", 0.2)):   # ...same effect of the mode
                r = _row(len(rows), mode, "fidelity-drop", True, 10.0, base + 0.01 * rep - drop, circuit=circuit)
                r["repeat"], r["seed"] = rep, 7 + rep
                rows.append(r)
    diffs = paired_differences(rows, "measured_fidelity")
    assert len(diffs) == 8 and all(d == pytest.approx(0.2) for d in diffs)
    (h,) = headline(rows)
    assert h["paired_pairs"] == 8 and h["paired_fidelity_delta"] == pytest.approx(0.2)
    text = " ".join(narrative(rows))
    assert "excluding 0: distributed keeps the higher fidelity" in text
    # a failed partner drops the pair instead of biasing the difference
    rows[1]["success"] = False
    assert len(paired_differences(rows, "measured_fidelity")) == 7
