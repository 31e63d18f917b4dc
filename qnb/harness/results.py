"""Experiment rows in DuckDB: ``experiment_runs`` (one per experiment), ``bench_runs`` (one per
comparison run) and ``nfr_results`` (one per NFR measurement), so every report is a SQL query.

The harness writes between meshes (a running coordinator owns the file's write lock), opening
the file through :class:`qnb.store.Store`, which applies pending migrations (``bench_runs`` and
``nfr_results`` come from the harness migration).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import qnb

from ..errors import QnbError

__all__ = ["start_experiment", "finish_experiment", "save_run", "save_nfr", "load_runs", "load_nfr",
           "experiments", "latest_experiment", "host_info", "open_store", "import_run", "COPIED_TABLES"]

#: the job-level tables copied from each run's own database into the experiment database
COPIED_TABLES = ("jobs", "job_events", "plans", "fragments", "attempts", "reservation_events", "results",
                 "quality_snapshots")
#: columns filled by the destination (global sequences), never copied
_GENERATED = {("job_events", "seq")}


def _ts(t: float | None):
    if t is None:
        return None
    return _dt.datetime.fromtimestamp(float(t), _dt.timezone.utc).replace(tzinfo=None)


def host_info() -> dict:
    return {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
            "qnb": qnb.__version__}


@contextmanager
def open_store(db: str, *, read_only: bool = False) -> Iterator[Any]:
    from ..store import Store
    store = Store.open(db, read_only=read_only)
    try:
        yield store
    finally:
        store.close()


def _columns(store, table: str) -> list[str]:
    cols = store.schema().get(table)
    if not cols:
        raise QnbError(f"{store.path}: no table {table!r}; this database predates the harness migration "
                       f"(run `qnb db upgrade --db {store.path}`)", field="db", table=table)
    return list(cols)


def _insert(store, table: str, row: dict) -> None:
    cols = [c for c in _columns(store, table) if c in row]
    marks = ", ".join("?" for _ in cols)
    names = ", ".join(f'"{c}"' for c in cols)
    store.sql(f'INSERT OR REPLACE INTO {table} ({names}) VALUES ({marks})', [row[c] for c in cols])


def start_experiment(db: str, experiment_id: str, config: Any, *, name: str | None = None,
                     kind: str = "compare") -> None:
    params = {"kind": kind, "config": config.to_json() if hasattr(config, "to_json") else config,
              "version": qnb.__version__, "host": host_info()}
    with open_store(db) as store:
        row = {"run_id": experiment_id, "started_at": _ts(_now()), "params": json.dumps(params, default=str),
               "name": name or kind}
        _insert(store, "experiment_runs", row)


def finish_experiment(db: str, experiment_id: str, wall_s: float, runs: int) -> None:
    with open_store(db) as store:
        cols = _columns(store, "experiment_runs")
        if "finished_at" in cols and "report" in cols:
            store.sql("UPDATE experiment_runs SET finished_at = ?, report = ? WHERE run_id = ?",
                      [_ts(_now()), json.dumps({"wall_s": round(wall_s, 3), "runs": runs}), experiment_id])


def _now() -> float:
    import time
    return time.time()


def save_run(db: str, row: dict) -> None:
    r = dict(row, started_at=_ts(row.get("started_at")), finished_at=_ts(row.get("finished_at")))
    with open_store(db) as store:
        _insert(store, "bench_runs", r)


def import_run(db: str, run_db: str, *, experiment_id: str | None = None) -> dict[str, int]:
    """Copy the job-level rows of one run's database into the experiment database.

    Each comparison run has its own mesh and its own DuckDB file (a coordinator opening a file
    re-runs the unfinished jobs and reloads the registry cache it finds there, which must not leak
    between runs); afterwards its rows join the experiment's file, tagged with the experiment id.
    """
    counts: dict[str, int] = {}
    with open_store(db) as store:
        src = str(run_db).replace("'", "''")
        store.sql(f"ATTACH '{src}' AS qnb_run_src (READ_ONLY)")
        try:
            dst_schema = store.schema()
            src_cols = {}
            for t, c in store.sql("SELECT table_name, column_name FROM duckdb_columns() "
                                  "WHERE database_name = 'qnb_run_src' AND schema_name = 'main'").rows:
                src_cols.setdefault(t, []).append(c)
            for table in COPIED_TABLES:
                if table not in dst_schema or table not in src_cols:
                    continue
                cols = [c for c in dst_schema[table] if c in src_cols[table] and (table, c) not in _GENERATED]
                names = ", ".join(f'"{c}"' for c in cols)
                before = store.sql(f"SELECT count(*) FROM {table}").scalar()
                store.sql(f"INSERT INTO {table} ({names}) SELECT {names} FROM qnb_run_src.main.{table}")
                counts[table] = store.sql(f"SELECT count(*) FROM {table}").scalar() - before
            if experiment_id and "experiment_run_id" in dst_schema.get("jobs", {}):
                ids = [r[0] for r in store.sql("SELECT job_id FROM qnb_run_src.main.jobs").rows]
                for job_id in ids:
                    store.sql("UPDATE jobs SET experiment_run_id = ? WHERE job_id = ?", [experiment_id, job_id])
        finally:
            store.sql("DETACH qnb_run_src")
    return counts


def save_nfr(db: str, experiment_id: str, rows: Sequence[dict]) -> None:
    with open_store(db) as store:
        for r in rows:
            _insert(store, "nfr_results", dict(r, experiment_id=experiment_id,
                                               params=json.dumps(r.get("params") or {}, default=str),
                                               detail=json.dumps(r.get("detail") or {}, default=str),
                                               measured_at=_ts(r.get("measured_at") or _now()),
                                               version=qnb.__version__))


def experiments(db: str, kind: str | None = None) -> list[dict]:
    with open_store(db, read_only=True) as store:
        rows = store.sql("SELECT * FROM experiment_runs ORDER BY started_at").to_dicts()
    out = []
    for r in rows:
        params = json.loads(r.get("params") or "{}")
        if kind is None or params.get("kind") == kind:
            out.append(dict(r, params=params))
    return out


def latest_experiment(db: str, kind: str = "compare") -> str | None:
    exps = experiments(db, kind)
    return exps[-1]["run_id"] if exps else None


def _epoch(v):
    if isinstance(v, _dt.datetime):
        return v.replace(tzinfo=_dt.timezone.utc).timestamp()
    return v


def load_runs(db: str, experiment_id: str | None = None) -> list[dict]:
    """The ``bench_runs`` rows of one experiment (the latest comparison if not given), in run order."""
    exp = experiment_id or latest_experiment(db, "compare")
    if exp is None:
        raise QnbError(f"{db}: no comparison experiment found (run `qnb bench compare --db {db}` first)",
                       field="db")
    with open_store(db, read_only=True) as store:
        rows = store.sql("SELECT * FROM bench_runs WHERE experiment_id = ? ORDER BY run_index", [exp]).to_dicts()
    if not rows:
        raise QnbError(f"{db}: experiment {exp!r} has no bench_runs rows", field="experiment", value=exp)
    for r in rows:
        r["started_at"], r["finished_at"] = _epoch(r["started_at"]), _epoch(r["finished_at"])
    return rows


def load_nfr(db: str, experiment_id: str | None = None) -> list[dict]:
    exp = experiment_id or latest_experiment(db, "nfr")
    if exp is None:
        return []
    with open_store(db, read_only=True) as store:
        rows = store.sql("SELECT * FROM nfr_results WHERE experiment_id = ? ORDER BY benchmark, metric",
                         [exp]).to_dicts()
    for r in rows:
        for k in ("params", "detail"):
            if isinstance(r.get(k), str):
                r[k] = json.loads(r[k])
    return rows
