"""FR-010: versioned, reversible migrations walked up and down on a POPULATED database.

Rows are generated from each version's own column types, so every table (and any table a future
migration adds) gets representative rows; each step must keep every row, and every value of the
columns both versions share, and leave every view queryable."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from qnb.store import LATEST, MIGRATIONS, Store, StoreError
from qnb.store import migrations as mig

BASE = dt.datetime(2024, 1, 1)


def _value(table: str, column: str, ctype: str, i: int):
    if ctype == "VARCHAR":
        return f"{table}.{column}.{i}"
    if ctype in ("INTEGER", "BIGINT"):
        return i
    if ctype == "DOUBLE":
        return i + 0.25
    if ctype == "BOOLEAN":
        return i % 2 == 0
    if ctype == "TIMESTAMP":
        return BASE + dt.timedelta(seconds=i)
    if ctype == "JSON":
        return f'{{"i": {i}, "table": "{table}"}}'
    raise AssertionError(f"no sample value for type {ctype} ({table}.{column}); extend the test")


def _schema(con) -> dict[str, dict[str, str]]:
    rows = con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = 'main' AND table_name IN (SELECT table_name FROM duckdb_tables()) "
                       "AND table_name <> 'schema_version' ORDER BY table_name, ordinal_position").fetchall()
    out: dict[str, dict[str, str]] = {}
    for t, c, ty in rows:
        out.setdefault(t, {})[c] = ty
    return out


def _populate(con, start: int, n: int = 3) -> None:
    for table, cols in _schema(con).items():
        names = list(cols)
        con.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                        [[_value(table, c, cols[c], i) for c in names] for i in range(start, start + n)])


def _snapshot(con) -> dict[str, dict[str, list]]:
    """table -> column -> sorted values (rows identified by content; all generated values are unique)."""
    out = {}
    for table, cols in _schema(con).items():
        rows = con.execute(f"SELECT {', '.join(f'{chr(34)}{c}{chr(34)}' for c in cols)} FROM {table}").fetchall()
        out[table] = {c: sorted((r[i] for r in rows), key=repr) for i, c in enumerate(cols)}
    return out


def _views_work(con) -> list[str]:
    names = [r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
    for v in names:
        con.execute(f"SELECT * FROM {v}").fetchall()     # a view naming a dropped column fails here
    return names


def _assert_kept(before: dict, after: dict) -> None:
    for table in before.keys() & after.keys():
        for column in before[table].keys() & after[table].keys():
            assert after[table][column] == before[table][column], f"{table}.{column} changed"


def test_walk_up_and_down_on_populated_database(db_path):
    con = duckdb.connect(str(db_path))
    mig.ensure_version_table(con)
    assert mig.current_version(con) == 0
    for m in MIGRATIONS:                             # up, inserting rows at every version
        before = _snapshot(con)
        assert mig.upgrade(con, m.version) == [m.version]
        assert mig.current_version(con) == m.version
        _assert_kept(before, _snapshot(con))
        _views_work(con)
        _populate(con, start=100 * m.version)
    populated = {t: len(c[next(iter(c))]) for t, c in _snapshot(con).items()}
    assert populated["jobs"] == 3 * LATEST and populated["audit_events"] == 3 * LATEST

    for m in reversed(MIGRATIONS):                   # down, one step at a time
        before = _snapshot(con)
        assert mig.downgrade(con, m.version - 1) == [m.version]
        after = _snapshot(con)
        _assert_kept(before, after)
        for table in before.keys() & after.keys():      # a table both versions hold keeps every row
            assert len(next(iter(after[table].values()))) == populated[table], table
        if m.version > 1:
            assert {"jobs", "attempts", "audit_events"} <= after.keys()
        _views_work(con)
        assert [r["version"] for r in mig.applied(con)] == list(range(1, m.version))
    assert _schema(con) == {}
    assert con.execute("SELECT count(*) FROM duckdb_sequences() WHERE schema_name = 'main'").fetchone()[0] == 0

    assert mig.upgrade(con) == [m.version for m in MIGRATIONS]     # and back up from empty
    assert set(_views_work(con)) >= {"job_summary", "node_reliability", "fidelity_over_time",
                                     "metrics_queue_depth", "metrics_success_rate", "experiment_summary"}
    con.close()


def test_upgrade_from_old_version_keeps_rows_and_fills_new_columns_with_null(db_path):
    con = duckdb.connect(str(db_path))
    mig.ensure_version_table(con)
    mig.upgrade(con, 1)
    con.execute("INSERT INTO jobs (job_id, state, submitted_at) VALUES ('old-job', 'COMPLETED', '2024-01-01')")
    con.close()
    with Store.open(db_path) as store:           # a writer open migrates to the latest
        assert store.version() == LATEST
        row = store.sql("SELECT state, experiment_run_id FROM jobs WHERE job_id = 'old-job'").rows
        assert row == [("COMPLETED", None)]
        assert store.sql("SELECT state FROM job_summary").rows == [("COMPLETED",)]


def test_failed_step_rolls_back_to_previous_version(db_path):
    con = duckdb.connect(str(db_path))
    mig.ensure_version_table(con)
    mig.upgrade(con, 2)
    con.execute("CREATE VIEW experiment_summary AS SELECT 1 AS x")   # makes step 3's CREATE VIEW fail
    with pytest.raises(StoreError) as e:
        mig.upgrade(con)
    assert e.value.code == "migration" and e.value.fields["version"] == 3
    assert mig.current_version(con) == 2
    cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'jobs'").fetchall()]
    assert "experiment_run_id" not in cols           # the ALTER of the failed step was rolled back
    con.close()


def test_bad_targets_are_structured_errors(store):
    with pytest.raises(StoreError, match="does not exist"):
        store.downgrade(LATEST + 1)
    with pytest.raises(StoreError, match="use downgrade"):
        store.upgrade(1)
    with pytest.raises(StoreError, match="does not exist"):
        store.downgrade(-1)
    assert store.downgrade(1) == list(range(LATEST, 1, -1))
    with pytest.raises(StoreError, match="use upgrade"):
        store.downgrade(2)


def test_every_migration_is_documented(store):
    doc = (__import__("pathlib").Path(__file__).resolve().parents[2] / "docs" / "store.md").read_text()
    for m in MIGRATIONS:
        assert f"| {m.version} |" in doc, f"migration {m.version} missing from docs/store.md"
    for view in store.views():
        assert f"`{view}`" in doc, f"view {view} missing from docs/store.md"
    for table in store.schema():
        assert f"`{table}`" in doc, f"table {table} missing from docs/store.md"
