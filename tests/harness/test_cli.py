"""``qnb bench compare`` and ``qnb report`` through the real CLI entry point (FR-013)."""

import json

import duckdb

from qnb.cli import main


def test_bad_input_is_a_structured_error_before_any_mesh_starts(capsys):
    assert main(["bench", "compare", "--modes", "distributed,sideways", "--circuits", "ghz_5", "--json"]) == 2
    err = json.loads(capsys.readouterr().out)["error"]
    assert err["field"] == "modes" and "sideways" in err["message"]
    assert main(["bench", "compare", "--circuits", "no_such_circuit", "--json"]) == 2
    assert "no_such_circuit" in json.loads(capsys.readouterr().out)["error"]["message"]
    assert main(["bench", "compare", "--circuits", "ghz_5", "--faults", "none,meteor", "--json"]) == 2
    assert "meteor" in json.loads(capsys.readouterr().out)["error"]["message"]
    # 5 qubits cannot be placed on 2 nodes x 2 qubits: named before anything runs
    assert main(["bench", "compare", "--circuits", "ghz_5", "--topology", "all-to-all:2:2", "--json"]) == 2
    assert "ghz_5" in json.loads(capsys.readouterr().out)["error"]["message"]


def test_compare_then_report(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    rc = main(["bench", "compare", "--circuits", "ghz_5", "--topology", "all-to-all:3:3", "--faults", "none",
               "--modes", "distributed,centralized", "--repeat", "1", "--shots", "64", "--seed", "5",
               "--db", str(db), "--no-warmup", "--json", "--rows"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["runs"] == 2 and len(out["rows"]) == 2
    assert {r["mode"] for r in out["rows"]} == {"distributed", "centralized"}
    assert [h["scenario"] for h in out["headline"]] == ["none"]
    con = duckdb.connect(str(db), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM bench_runs WHERE experiment_id = ?", [out["experiment_id"]]).fetchone()[0]
    finally:
        con.close()
    assert n == 2

    html_path = tmp_path / "r.html"
    assert main(["report", "--db", str(db), "--out", str(html_path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    page = html_path.read_text()
    assert info["out"] == str(html_path) and info["bytes"] == len(page.encode())
    assert out["experiment_id"] in page and page.count("<svg") >= 3 and "<script" not in page
