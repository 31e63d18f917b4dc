"""Health, metrics and SQL on a live mesh (FR-010, FR-012)."""

from __future__ import annotations

import pytest

from qnb.cli import main as cli_main
from qnb.testing import GHZ6, small_mesh, wait_for

pytestmark = pytest.mark.slow


def test_health_metrics_and_sql_reflect_a_run_and_a_dropped_node():
    with small_mesh(nodes=3, qubits_per_node=3) as mesh:
        assert mesh.health().status == "ok"
        res = mesh.run(GHZ6, shots=256, timeout=60)
        assert res.ok
        text = mesh.metrics_text()
        assert 'qnb_jobs_total{state="COMPLETED"} 1' in text
        assert "qnb_fragment_overhead_seconds_count" in text
        df = mesh.sql("select job_id, state from jobs", df=True)
        assert list(df["state"]) == ["COMPLETED"]
        mesh.fault("drop", "n02")
        wait_for(lambda: mesh.health().status != "ok", timeout=10, what="health to notice the drop")
        h = mesh.health().to_json()
        assert h["components"]["registry"]["status"] == "degraded"
        assert {n["name"]: n["status"] for n in h["nodes"]}["n02"] == "down"


def test_qnb_health_cli_reports_json(capsys):
    assert cli_main(["health", "--nodes", "2", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    import json
    body = json.loads(out)
    assert body["status"] == "ok" and len(body["nodes"]) == 2
