"""NB-4 / FR-013: both benchmark notebooks run under papermill with tiny parameters and write DuckDB rows."""

import json
from pathlib import Path

import duckdb
import papermill

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks" / "benchmarks"


def _outputs(nb_path: Path) -> list[dict]:
    nb = json.loads(nb_path.read_text())
    return [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]


def test_compare_notebook(tmp_path):
    db = tmp_path / "compare.duckdb"
    out = tmp_path / "compare.out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / "compare.ipynb"), str(out), kernel_name="python3", cwd=str(tmp_path), progress_bar=False,
        parameters={"circuits": "ghz_5", "topology": "all-to-all:3:3", "scenarios": "none,fidelity-drop",
                    "repeats": 1, "shots": 128, "seed": 3, "db_path": str(db), "warmup": False,
                    "report_path": str(tmp_path / "report.html")})
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT mode, circuit, scenario, repeat, seed, shots, success, job_id FROM bench_runs "
                           "ORDER BY run_index").fetchall()
        jobs = con.execute("SELECT count(*) FROM jobs WHERE experiment_run_id IS NOT NULL").fetchone()[0]
    finally:
        con.close()
    assert sorted((m, s) for m, _, s, *_ in rows) == sorted(
        (m, s) for m in ("distributed", "centralized") for s in ("none", "fidelity-drop"))
    assert all(c == "ghz_5" and rep == 0 and seed == 3 and shots == 128 for _, c, _, rep, seed, shots, _, _ in rows)
    assert all(ok for *_, ok, _ in rows)          # neither scenario makes a job fail on this mesh
    assert jobs == 4
    outs = _outputs(out)
    svgs = [o for o in outs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 4                          # static charts, readable without a widget manager
    text = " ".join("".join(o["data"]["text/markdown"]) for o in outs if "text/markdown" in o.get("data", {}))
    assert "fidelity-drop: success distributed 100 %" in text
    assert "<svg" in (tmp_path / "report.html").read_text()


def test_nfr_notebook(tmp_path):
    db = tmp_path / "nfr.duckdb"
    out = tmp_path / "nfr.out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / "nfr.ipynb"), str(out), kernel_name="python3", cwd=str(tmp_path), progress_bar=False,
        parameters={"compile_runs": 2, "overhead_jobs": 1, "throughput_jobs": 4, "scale_nodes": 4,
                    "circuits": "ghz_5", "db_path": str(db)})
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT benchmark, metric, value, target, passed, detail FROM nfr_results").fetchall()
    finally:
        con.close()
    by = {}
    for b, m, v, t, p, d in rows:
        by.setdefault(b, []).append((m, v, t, p, json.loads(d)))
    assert set(by) == {f"NFR-00{i}" for i in range(1, 8)}
    errors = [(b, e[4].get("error")) for b, es in by.items() for e in es if e[0] == "error"]
    assert not errors
    assert all(v is not None for es in by.values() for _, v, *_ in es)
    # the non-timing targets must hold; timing targets are reported, not asserted (they are benchmarks)
    assert all(p for _, _, _, p, _ in by["NFR-001"])
    assert all(p for _, _, _, p, _ in by["NFR-007"])
    assert all(p for _, _, _, p, _ in by["NFR-002"])
    assert any(m.startswith("raw libp2p RTT") for m, *_ in by["NFR-004"])   # raw RTT reported beside overhead
    md = " ".join("".join(o["data"]["text/markdown"]) for o in _outputs(out) if "text/markdown" in o.get("data", {}))
    assert "NFR-003" in md and "target <=" in md
