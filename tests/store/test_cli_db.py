"""``qnb db status | upgrade | downgrade | query`` through the real CLI entry point (FR-010)."""

from __future__ import annotations

import json

from qnb.cli import main
from qnb.store import LATEST, Store


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_upgrade_status_downgrade_cycle(capsys, db_path):
    code, out, _ = run(capsys, "db", "upgrade", "--db", str(db_path), "--json")
    assert code == 0 and json.loads(out) == {"applied": list(range(1, LATEST + 1)), "version": LATEST}
    code, out, _ = run(capsys, "db", "downgrade", "--db", str(db_path), "--json")     # one step by default
    assert code == 0 and json.loads(out) == {"reverted": [LATEST], "version": LATEST - 1}
    code, out, _ = run(capsys, "db", "status", "--db", str(db_path), "--json")
    st = json.loads(out)
    assert st["version"] == LATEST - 1 and [p["version"] for p in st["pending"]] == [LATEST]
    assert st["tables"]["jobs"] == 0
    code, out, _ = run(capsys, "db", "downgrade", "--to", "0", "--db", str(db_path))
    assert code == 0 and "now at version 0" in out
    code, out, _ = run(capsys, "db", "upgrade", "--to", "2", "--db", str(db_path))
    assert code == 0 and "applied 1, 2" in out
    code, out, _ = run(capsys, "db", "status", "--db", str(db_path))
    assert f"schema version: 2 (latest {LATEST})" in out and "pending 3" in out


def test_query_outputs_table_and_json_read_only(capsys, db_path):
    with Store.open(db_path) as store:
        store.sql("INSERT INTO jobs (job_id, state, submitted_at) VALUES ('a', 'COMPLETED', TIMESTAMP '2024-01-01'), "
                  "('b', 'FAILED', TIMESTAMP '2024-01-02')")
    code, out, _ = run(capsys, "db", "query", "SELECT job_id, state FROM jobs ORDER BY job_id", "--db", str(db_path),
                       "--json")
    assert code == 0 and json.loads(out) == [{"job_id": "a", "state": "COMPLETED"}, {"job_id": "b", "state": "FAILED"}]
    code, out, _ = run(capsys, "db", "query", "SELECT job_id, submitted_at FROM job_summary ORDER BY 1",
                       "--db", str(db_path))
    lines = out.splitlines()
    assert code == 0 and lines[0].split("|")[0].strip() == "job_id" and "2024-01-02 00:00:00" in out
    code, out, _ = run(capsys, "db", "query", "DELETE FROM jobs", "--db", str(db_path), "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "read_only"
    with Store.open(db_path, read_only=True) as ro:
        assert ro.sql("SELECT count(*) FROM jobs").scalar() == 2


def test_errors_exit_2_with_structured_json(capsys, tmp_path):
    code, out, _ = run(capsys, "db", "status", "--db", str(tmp_path / "missing.duckdb"), "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "not_found"
    db = tmp_path / "x.duckdb"
    run(capsys, "db", "upgrade", "--db", str(db))
    code, out, _ = run(capsys, "db", "query", "SELEC nonsense", "--db", str(db), "--json")
    assert code == 2 and json.loads(out)["error"]["type"] == "store_error"
    code, out, _ = run(capsys, "db", "upgrade", "--to", "99", "--db", str(db), "--json")
    assert code == 2 and "does not exist" in json.loads(out)["error"]["message"]


def test_db_path_defaults_to_the_configured_store(capsys, tmp_path):
    cfg = tmp_path / "qnb.toml"
    cfg.write_text('[store]\npath = "data/mesh.duckdb"\n')       # relative to the config file
    code, out, _ = run(capsys, "--config", str(cfg), "db", "upgrade", "--json")
    assert code == 0 and json.loads(out)["version"] == LATEST
    assert (tmp_path / "data" / "mesh.duckdb").is_file()
