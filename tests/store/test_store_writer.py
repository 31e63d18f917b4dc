"""FR-010: the batched writer thread. Real DuckDB files; the batched result is compared with the
same operations applied one by one on a separate plain DuckDB connection."""

from __future__ import annotations

import datetime as dt
import json
import threading

import duckdb
import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qnb.store import Store, StoreError, StoreWriter
from qnb.store.migrations import m001_base

T0 = dt.datetime(2024, 5, 1, 12, 0, 0)


def job(job_id: str, **extra) -> dict:
    return {"job_id": job_id, "state": "QUEUED", "submitted_at": T0, **extra}


def test_insert_update_upsert_semantics(store, writer):
    writer.insert("jobs", job("j1", parameters={"theta": [0.5, 1.5]}, shots=100))
    writer.update("jobs", {"state": "COMPLETED", "finished_at": T0 + dt.timedelta(seconds=3)}, {"job_id": "j1"})
    writer.update("jobs", {"state": "FAILED"}, {"job_id": "no-such-job"})      # matches nothing, creates nothing
    writer.upsert("results", {"job_id": "j1", "status": "COMPLETED", "counts": {"00": 7, "11": 9},
                              "created_at": T0}, key="job_id")
    writer.upsert("results", {"job_id": "j1", "status": "COMPLETED", "wall_ms": 12.5, "created_at": T0},
                  key=("job_id",))
    writer.flush(10)
    assert store.sql("SELECT state, shots, finished_at FROM jobs").rows == [
        ("COMPLETED", 100, T0 + dt.timedelta(seconds=3))]
    params = store.sql("SELECT parameters FROM jobs").scalar()
    assert json.loads(params) == {"theta": [0.5, 1.5]}
    # the second upsert changed wall_ms and kept the counts the first one wrote
    counts, wall = store.sql("SELECT counts, wall_ms FROM results").rows[0]
    assert json.loads(counts) == {"00": 7, "11": 9} and wall == 12.5
    assert writer.dead_letters == []


def test_update_with_empty_where_touches_every_row(store, writer):
    for i in range(3):
        writer.upsert("registry_cache", {"node_id": f"p{i}", "name": f"n{i}", "stale": False}, key="node_id")
    writer.update("registry_cache", {"stale": True}, {})
    writer.upsert("registry_cache", {"node_id": "p3", "name": "n3", "stale": False}, key="node_id")   # after it
    writer.flush(10)
    assert sorted(store.sql("SELECT node_id, stale FROM registry_cache").rows) == [
        ("p0", True), ("p1", True), ("p2", True), ("p3", False)]


def test_aware_datetimes_and_epoch_seconds_are_stored_as_utc(store, writer):
    plus2 = dt.timezone(dt.timedelta(hours=2))
    writer.insert("quality_snapshots", {"ts": dt.datetime(2024, 5, 1, 14, 0, tzinfo=plus2), "node": "a"})
    writer.insert("quality_snapshots", {"ts": dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc).timestamp(),
                                        "node": "b"})
    writer.flush(10)
    assert sorted(store.sql("SELECT node, ts FROM quality_snapshots").rows) == [("a", T0), ("b", T0)]


@pytest.mark.parametrize("call, code, text", [
    (lambda w: w.insert("jbos", {"job_id": "x"}), "bad_table", "did you mean 'jobs'"),
    (lambda w: w.insert("jobs", {"job_idd": "x"}), "bad_column", "did you mean 'job_id'"),
    (lambda w: w.insert("jobs", {}), "bad_value", "empty row"),
    (lambda w: w.upsert("attempts", {"job_id": "x", "node": "n"}, key="job_id"), "bad_key", "not a primary key"),
    (lambda w: w.upsert("results", {"status": "OK"}, key="job_id"), "bad_key", "lacks key"),
    (lambda w: w.update("jobs", {"state": "X"}, {"job_id": None}), "bad_value", "must not be None"),
    (lambda w: w.update("jobs", {}, {"job_id": "x"}), "bad_value", "at least one"),
    (lambda w: w.update("jobs", {"state": "X"}, None), "bad_value", "must be a mapping"),
    (lambda w: w.insert("jobs", {"job_id": "x", "submitted_at": "yesterday"}), "bad_value", "jobs.submitted_at"),
    (lambda w: w.insert("audit_events", {"seq": 1}), "bad_table", "append_audit"),
    (lambda w: w.append_audit("k", None, {"x": float("nan")}), "bad_value", "canonical JSON"),
])
def test_bad_operations_fail_at_the_call_site(writer, call, code, text):
    with pytest.raises(StoreError, match=text) as e:
        call(writer)
    assert e.value.code == code


def test_a_failing_row_is_dead_lettered_and_nothing_else_is_lost(store, writer):
    writer.insert("jobs", job("dup"))
    writer.flush(10)
    for i in range(5):
        writer.insert("jobs", job(f"ok{i}"))
        if i == 2:
            writer.insert("jobs", job("dup", name="second copy"))      # violates the primary key
        writer.insert("job_events", {"job_id": f"ok{i}", "state": "QUEUED", "ts": T0})
    writer.flush(10)
    assert store.sql("SELECT count(*) FROM jobs").scalar() == 6
    assert store.sql("SELECT count(*) FROM job_events").scalar() == 5
    assert store.sql("SELECT name FROM jobs WHERE job_id = 'dup'").scalar() is None   # the first row stayed
    [letter] = writer.dead_letters
    assert letter.table == "jobs" and letter.row["job_id"] == "dup" and letter.row["name"] == "second copy"
    assert "INSERT INTO \"jobs\"" in letter.sql and "job_id" in letter.error.lower()
    assert writer.stats["failed_batches"] >= 1
    writer.insert("jobs", job("after"))                # the worker is still alive
    writer.flush(10)
    assert store.sql("SELECT count(*) FROM jobs WHERE job_id = 'after'").scalar() == 1


def test_call_runs_in_queue_order_and_reports_errors_on_its_future(store, writer):
    writer.insert("jobs", job("a"))
    seen = writer.call(lambda cur: cur.execute("SELECT count(*) FROM jobs").fetchone()[0])
    boom = writer.call(lambda cur: cur.execute("SELECT * FROM no_such_table"))
    writer.insert("jobs", job("b"))
    thread_name = writer.call(lambda cur: threading.current_thread().name)
    writer.flush(10)
    assert seen.result(0) == 1              # saw the insert queued before it, not the one after
    with pytest.raises(duckdb.Error):
        boom.result(0)
    assert thread_name.result(0) == "qnb-store-writer"
    assert store.sql("SELECT count(*) FROM jobs").scalar() == 2
    assert [d.kind for d in writer.dead_letters] == ["call"]


def test_flush_times_out_while_the_writer_is_blocked_then_succeeds(store, writer):
    release = threading.Event()
    writer.call(lambda cur: release.wait(30))
    writer.insert("jobs", job("late"))
    with pytest.raises(TimeoutError):
        writer.flush(timeout=0.05)
    release.set()
    writer.flush(10)
    assert store.sql("SELECT count(*) FROM jobs").scalar() == 1


def test_close_commits_everything_and_refuses_more(store):
    w = StoreWriter(store, batch_ms=10_000, batch_max=100_000)     # nothing would commit on its own soon
    for i in range(50):
        w.insert("jobs", job(f"j{i}"))
    w.close()
    w.close()                                           # idempotent
    assert store.sql("SELECT count(*) FROM jobs").scalar() == 50
    with pytest.raises(StoreError, match="closed"):
        w.insert("jobs", job("x"))


def test_batch_max_bounds_the_transaction_size(store):
    w = StoreWriter(store, batch_ms=10_000, batch_max=4)
    release = threading.Event()
    w.call(lambda cur: release.wait(30))                # hold the worker so the queue fills up first
    for i in range(12):
        w.insert("jobs", job(f"j{i}"))
    release.set()
    w.flush(10)
    # 1 call + 12 inserts in batches of at most 4 operations -> at least 4 batches
    assert w.stats["batches"] >= 4 and w.stats["ops"] == 13
    w.close()


def test_many_threads_write_concurrently(store, writer):
    def work(t: int) -> None:
        for i in range(200):
            writer.insert("metrics_samples", {"ts": T0, "name": f"t{t}", "labels": {"i": i}, "value": i})
    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    writer.flush(30)
    rows = store.sql("SELECT name, count(*), sum(value) FROM metrics_samples GROUP BY name ORDER BY name").rows
    assert rows == [(f"t{t}", 200, sum(range(200))) for t in range(4)]


async def test_trio_tasks_enqueue_without_blocking_and_flush_in_a_thread(store, writer):
    async def task(n: int) -> None:
        for i in range(20):
            writer.insert("job_events", {"job_id": f"t{n}", "state": "EXECUTING", "ts": T0, "detail": {"i": i}})
            await trio.sleep(0)
    async with trio.open_nursery() as nursery:
        for n in range(5):
            nursery.start_soon(task, n)
    await trio.to_thread.run_sync(writer.flush, 10)
    assert store.sql("SELECT count(DISTINCT job_id), count(*) FROM job_events").rows == [(5, 100)]
    # the global sequence orders every event without gaps
    seqs = [r[0] for r in store.sql("SELECT seq FROM job_events ORDER BY seq").rows]
    assert seqs == list(range(1, 101))


def test_readers_in_other_threads_see_committed_rows(store, writer):
    writer.insert("jobs", job("visible"))
    writer.flush(10)
    out = []
    th = threading.Thread(target=lambda: out.append(store.sql("SELECT job_id FROM jobs").rows))
    th.start()
    th.join()
    assert out == [[("visible",)]]
    cur = store.reader()
    assert cur.execute("SELECT count(*) FROM jobs").fetchone()[0] == 1
    cur.close()


# ------------------------------------------------------------- batching == one-by-one (property)

KEYS = st.tuples(st.sampled_from(["a", "b"]), st.just(1), st.integers(0, 3))
NODE = st.sampled_from(["n1", "n2", None])
STATUS = st.sampled_from(["pending", "running", "ok"])
KINDS = ("insert", "insert_small", "upsert", "update_key", "update_node", "update_moves_node", "update_all",
         "update_key_col")


def draw_op(data, kind: str, key: tuple) -> tuple:
    key = {"job_id": key[0], "run": key[1], "fragment_id": key[2]}
    if kind == "insert":
        return ("insert", {**key, "node": data.draw(NODE), "status": data.draw(STATUS),
                           "ops": data.draw(st.integers(0, 9))})
    if kind == "insert_small":
        return ("insert", {**key, "status": data.draw(STATUS)})
    if kind == "upsert":
        return ("upsert", {**key, "status": data.draw(STATUS), "ops": data.draw(st.integers(0, 9))})
    if kind == "update_key":
        return ("update", {"status": data.draw(STATUS)}, key)
    if kind == "update_node":
        return ("update", {"ops": data.draw(st.integers(0, 9))}, {"node": data.draw(st.sampled_from(["n1", "n2"]))})
    if kind == "update_all":
        return ("update", {"status": data.draw(STATUS)}, {})
    if kind == "update_moves_node":
        return ("update", {"node": data.draw(st.sampled_from(["n1", "n2"]))},
                {"node": data.draw(st.sampled_from(["n1", "n2"]))})
    return ("update", {"fragment_id": data.draw(st.integers(0, 3))}, key)


def draw_ops(data, *, without_failures: bool) -> list:
    """Random fragment operations. ``without_failures``: no operation would fail if run one by one
    (every insert takes a key never written before, no key rewrites), so a correct writer commits
    them as grouped statements in one transaction and never falls back to the one-by-one replay."""
    ops, used = [], set()
    kinds = [k for k in KINDS if k != "update_key_col"] if without_failures else list(KINDS)
    for _ in range(data.draw(st.integers(1, 20))):
        kind = data.draw(st.sampled_from(kinds))
        key = data.draw(KEYS)
        if without_failures and kind.startswith("insert"):
            free = [k for k in [(j, 1, f) for j in "ab" for f in range(4)] if k not in used]
            if not free:
                continue
            key = data.draw(st.sampled_from(free))
        if kind.startswith("insert") or kind == "upsert":
            used.add(key)
        ops.append(draw_op(data, kind, key))
    return ops


FRAGMENTS_DDL = next(sql for sql in m001_base.UP if sql.startswith("CREATE TABLE fragments"))


@pytest.fixture(scope="module")
def pair():
    """One writer store and one reference connection for all examples (tables emptied per example):
    opening DuckDB costs tens of ms, which 60 examples should not pay each."""
    store = Store.open(":memory:", migrate=False)
    store.sql(FRAGMENTS_DDL)                        # just the table under test
    w = StoreWriter(store, batch_ms=10_000, batch_max=10_000)
    ref = duckdb.connect(":memory:")
    ref.execute(FRAGMENTS_DDL)
    yield store, w, ref
    w.close()
    store.close()
    ref.close()


def _reference(con, ops) -> list:
    """Each operation alone, in order, on a plain connection; a failing one is skipped."""
    con.execute("DELETE FROM fragments")
    for op in ops:
        try:
            if op[0] == "insert":
                cols = list(op[1])
                con.execute(f"INSERT INTO fragments ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                            list(op[1].values()))
            elif op[0] == "upsert":
                cols = list(op[1])
                rest = [c for c in cols if c not in ("job_id", "run", "fragment_id")]
                con.execute(f"INSERT INTO fragments ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                            f"ON CONFLICT (job_id, run, fragment_id) DO UPDATE SET "
                            + ", ".join(f"{c} = excluded.{c}" for c in rest), list(op[1].values()))
            else:
                sets = ", ".join(f"{c} = ?" for c in op[1])
                where = (" WHERE " + " AND ".join(f"{c} = ?" for c in op[2])) if op[2] else ""
                con.execute(f"UPDATE fragments SET {sets}{where}", [*op[1].values(), *op[2].values()])
        except duckdb.Error:
            pass
    rows = con.execute("SELECT job_id, run, fragment_id, node, status, ops FROM fragments").fetchall()
    return sorted(rows, key=repr)


def _apply_batched(w: StoreWriter, store: Store, ops: list) -> list:
    release = threading.Event()
    w.call(lambda cur: cur.execute("DELETE FROM fragments"))
    w.flush(30)
    w.call(lambda cur: release.wait(30))            # queue everything first: one batch holds all ops
    for op in ops:
        if op[0] == "insert":
            w.insert("fragments", op[1])
        elif op[0] == "upsert":
            w.upsert("fragments", op[1], key=("job_id", "run", "fragment_id"))
        else:
            w.update("fragments", op[1], op[2])
    release.set()
    w.flush(30)
    return sorted(store.sql("SELECT job_id, run, fragment_id, node, status, ops FROM fragments").rows, key=repr)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_batched_writes_equal_one_by_one_writes(pair, data):
    store, w, ref = pair
    ops = draw_ops(data, without_failures=False)
    assert _apply_batched(w, store, ops) == _reference(ref, ops)


@settings(max_examples=45, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_grouped_statements_equal_one_by_one_writes(pair, data):
    store, w, ref = pair
    ops = draw_ops(data, without_failures=True)
    failed = w.stats["failed_batches"]
    assert _apply_batched(w, store, ops) == _reference(ref, ops)
    assert w.stats["failed_batches"] == failed       # the grouped path itself was checked, not the replay


K0 = {"job_id": "a", "run": 1, "fragment_id": 0}
TRICKY = {
    # one statement applies its rows at once: n1->n2 and n2->n1 together is not n1->n2->n1
    "swap-in-one-statement": [("insert", {**K0, "node": "n1"}), ("update", {"node": "n2"}, {"node": "n1"}),
                              ("update", {"node": "n1"}, {"node": "n2"})],
    # the last update may not move before the one that moves the row into its reach
    "move-into-reach": [("insert", {**K0, "node": "n1", "ops": 0}), ("update", {"ops": 9}, {"node": "n1"}),
                        ("update", {"node": "n2"}, {"node": "n1"}), ("update", {"ops": 3}, {"node": "n2"})],
    # an insert may not move before an update whose match it satisfies
    "insert-into-reach": [("update", {"ops": 5}, {"node": "n2"}), ("insert", {**K0, "node": "n1", "ops": 0}),
                          ("update", {"ops": 5}, {"node": "n1"})],
    # upsert of a key inserted in the same batch, by another shape
    "upsert-after-insert": [("insert", {**K0, "status": "x"}), ("upsert", {**K0, "status": "y", "ops": 1}),
                            ("insert", {"job_id": "b", "run": 1, "fragment_id": 0, "status": "z"})],
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_orders_are_kept(pair, name):
    """Each case needs one scheduling rule; without it the grouped result silently differs."""
    store, w, ref = pair
    failed = w.stats["failed_batches"]
    assert _apply_batched(w, store, TRICKY[name]) == _reference(ref, TRICKY[name])
    assert w.stats["failed_batches"] == failed


def test_interleaved_lifecycle_writes_are_grouped_into_few_statements(store, writer):
    """The runtime's pattern (insert attempt, update it, append an event) must not cost one
    statement per row: the scheduler groups each shape of a batch into one statement."""
    release = threading.Event()
    writer.call(lambda cur: release.wait(30))
    for i in range(100):
        key = {"job_id": "j", "run": 1, "fragment_id": i, "attempt": 1}
        writer.insert("attempts", {**key, "node": "n1", "status": "running", "started_at": T0})
        writer.update("attempts", {"status": "ok", "sim_ms": 1.0}, key)
        writer.insert("job_events", {"job_id": "j", "state": "EXECUTING", "ts": T0})
    before = writer.stats["statements"]
    release.set()
    writer.flush(10)
    assert writer.stats["statements"] - before == 3
    assert store.sql("SELECT status, count(*) FROM attempts GROUP BY status").rows == [("ok", 100)]
