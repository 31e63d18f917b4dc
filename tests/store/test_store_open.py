"""Opening the store: migrations for writers, read-only readers, and clear errors (FR-010)."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from qnb.store import LATEST, Store, StoreError

HOLDER = r"""
import sys
from qnb.store import Store
s = Store.open(sys.argv[1])
print("ready", flush=True)
sys.stdin.read()
s.close()
"""


def test_writer_open_creates_directories_and_migrates(tmp_path):
    path = tmp_path / "deep" / "dir" / "m.duckdb"
    with Store.open(path) as store:
        assert store.version() == LATEST
        assert {"jobs", "attempts", "audit_events", "schema_version"} <= set(store.schema())
    assert path.is_file()


def test_read_only_open_reads_but_never_writes(db_path):
    with Store.open(db_path) as store:
        store.sql("INSERT INTO jobs (job_id, state, submitted_at) VALUES ('j', 'QUEUED', now())")
    with Store.open(db_path, read_only=True) as ro:
        assert ro.sql("SELECT job_id FROM jobs").rows == [("j",)]
        with pytest.raises(StoreError) as e:
            ro.sql("DELETE FROM jobs")
        assert e.value.code == "read_only"
        with pytest.raises(StoreError, match="read-only"):
            ro.upgrade()
        with pytest.raises(StoreError, match="read-only"):
            ro.writer()


def test_missing_file_read_only_and_memory_read_only_are_errors(tmp_path):
    with pytest.raises(StoreError) as e:
        Store.open(tmp_path / "nope.duckdb", read_only=True)
    assert e.value.code == "not_found" and "nope.duckdb" in str(e.value)
    with pytest.raises(StoreError, match="in-memory"):
        Store.open(":memory:", read_only=True)
    with pytest.raises(StoreError, match="empty"):
        Store.open("")


def test_newer_schema_is_refused(db_path):
    with Store.open(db_path):
        pass
    con = duckdb.connect(str(db_path))
    con.execute("INSERT INTO schema_version VALUES (?, now(), 'from the future')", [LATEST + 5])
    con.close()
    for read_only in (False, True):
        with pytest.raises(StoreError) as e:
            Store.open(db_path, read_only=read_only)
        assert e.value.code == "schema_newer" and str(LATEST + 5) in str(e.value)


def test_a_file_held_by_another_process_gives_a_locked_error(db_path):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db_path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        for read_only in (True, False):
            with pytest.raises(StoreError) as e:
                Store.open(db_path, read_only=read_only)
            assert e.value.code == "locked" and "another process" in str(e.value)
    finally:
        proc.stdin.close()
        proc.wait(30)
        proc.stdout.close()
    with Store.open(db_path, read_only=True) as ro:      # released: readable again
        assert ro.version() == LATEST


def test_sql_errors_and_closed_store_are_structured(store):
    with pytest.raises(StoreError) as e:
        store.sql("SELEC 1")
    assert e.value.code == "sql" and "syntax" in str(e.value).lower()
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.sql("SELECT 1")


def test_result_views(store):
    store.sql("INSERT INTO jobs (job_id, state, submitted_at, parameters) VALUES "
              "('a', 'QUEUED', TIMESTAMP '2024-01-01 00:00:00', '{\"x\": 1}'), "
              "('b', 'FAILED', TIMESTAMP '2024-01-02 00:00:00', NULL)")
    r = store.sql("SELECT job_id, state, submitted_at, parameters FROM jobs ORDER BY job_id")
    assert r.columns == ("job_id", "state", "submitted_at", "parameters") and len(r) == 2
    assert r.to_json_rows()[0] == {"job_id": "a", "state": "QUEUED", "submitted_at": "2024-01-01T00:00:00",
                                   "parameters": '{"x": 1}'}
    text = r.to_text()
    assert text.splitlines()[0].split("|")[0].strip() == "job_id" and "(2 rows)" in text and "NULL" in text
    df = r.df()
    assert list(df.columns) == list(r.columns) and df["state"].tolist() == ["QUEUED", "FAILED"]
    table = r.to_arrow()
    assert table.num_rows == 2 and table.column("job_id").to_pylist() == ["a", "b"]
    assert store.sql("SELECT count(*) FROM jobs WHERE state = ?", ["FAILED"]).scalar() == 1
    assert "<table>" in r._repr_html_()
