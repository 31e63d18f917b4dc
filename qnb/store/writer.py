"""The single writer of a mesh's DuckDB file: one worker thread, batched transactions (FR-010).

Why a thread: DuckDB admits one writing process and each thread needs its own cursor; the trio
loop must never block on disk. Callers (trio tasks or any thread) enqueue without blocking;
the worker commits what has accumulated after ``batch_ms`` or ``batch_max`` operations, in one
transaction. Consecutive operations of the same shape become one statement over ``unnest``-ed
column lists: DuckDB costs ~0.3-0.8 ms per statement here, ~10-20 us per row inside one.

Failure model: if a batch fails, it is rolled back and every operation of it is replayed alone
in its own transaction, in order; an operation that still fails is logged with its statement
and kept in :attr:`StoreWriter.dead_letters`. Nothing else in the batch is lost and the worker
keeps running. :meth:`flush` returns once everything enqueued before it is committed (or
dead-lettered), so a row confirmed by ``flush()`` survives a crash of the process (SIGKILL).
"""

from __future__ import annotations

import atexit
import datetime as _dt
import difflib
import itertools
import json
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from .audit import audit_row, chain_head
from .batching import AUDIT_COLS, Op, build_sql, schedule
from .errors import StoreError
from .values import canonical_json, to_db

__all__ = ["StoreWriter", "DeadLetter"]

log = logging.getLogger("qnb.store.writer")


@dataclass(frozen=True)
class DeadLetter:
    """An operation that failed even when retried alone."""

    kind: str                 # insert | upsert | update | call | audit
    table: str | None
    row: dict | None          # the converted values, by column (for update: set + where)
    sql: str | None
    error: str
    ts: _dt.datetime


class _Marker:
    __slots__ = ("event", "stop")

    def __init__(self, stop: bool = False) -> None:
        self.event = threading.Event()
        self.stop = stop


_live: weakref.WeakSet = weakref.WeakSet()


def _resolve(future: Future | None, result: Any = None, error: BaseException | None = None) -> None:
    """Complete a caller's future; one the caller cancelled is left alone (never kills the worker)."""
    if future is None or future.done():
        return
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    except Exception:  # pragma: no cover - InvalidStateError race with cancel()
        pass


@atexit.register
def _close_all() -> None:  # pragma: no cover - interpreter shutdown
    for w in list(_live):
        try:
            w.close(timeout=10)
        except Exception:
            pass


class StoreWriter:
    """Non-blocking, batched writes to ``store`` from any thread. Use one per store (the coordinator's)."""

    def __init__(self, store: Any, *, batch_ms: float = 50.0, batch_max: int = 500,
                 name: str = "qnb-store-writer") -> None:
        if batch_ms < 0 or batch_max < 1:
            raise StoreError(f"batch_ms must be >= 0 and batch_max >= 1 (got {batch_ms}, {batch_max})",
                             code="bad_value")
        store._register_writer(self)
        self.store = store
        self.batch_s = batch_ms / 1000.0
        self.batch_max = int(batch_max)
        self._q: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._close_lock = threading.Lock()
        self._dead: list[DeadLetter] = []
        self._dead_lock = threading.Lock()
        self._sql_cache: dict[tuple, str] = {}
        self._head: tuple[int, str] | None = None        # audit chain head as committed
        self._enqueued = itertools.count()
        self.stats = {"batches": 0, "ops": 0, "failed_batches": 0, "dead_letters": 0, "statements": 0}
        self.refresh_schema()
        self._cur = store._new_cursor()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        _live.add(self)

    @classmethod
    def from_settings(cls, store: Any, settings: Any) -> StoreWriter:
        """``settings`` is a :class:`qnb.config.StoreSettings` (or the whole ``Settings``)."""
        s = getattr(settings, "store", settings)
        return cls(store, batch_ms=s.batch_ms, batch_max=s.batch_max)

    def refresh_schema(self) -> None:
        """Re-read tables, column types and unique keys (the store calls this after migrations)."""
        self._schema = self.store.schema()
        self._keys = {t: set(ks) for t, ks in self.store.unique_keys().items()}
        self._sql_cache = {}

    # ----------------------------------------------------------------------------- enqueueing
    def insert(self, table: str, row: Mapping[str, Any]) -> None:
        """Queue one row; columns left out take their defaults."""
        cols, values = self._convert(table, row)
        self._put(Op("insert", table, cols, values))

    def insert_many(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.insert(table, row)

    def upsert(self, table: str, row: Mapping[str, Any], key: Sequence[str] | str) -> None:
        """Insert, or update the non-key columns given in ``row`` if a row with this ``key`` exists.
        ``key`` must be the table's primary key or a unique constraint."""
        key = (key,) if isinstance(key, str) else tuple(key)
        cols, values = self._convert(table, row)
        if set(key) not in [set(k) for k in self._keys.get(table, ())]:
            known = [list(k) for k in self._keys.get(table, ())]
            raise StoreError(f"upsert into {table}: key {list(key)} is not a primary key or unique constraint "
                             f"(keys: {known})", code="bad_key", table=table, key=list(key))
        missing = [k for k in key if k not in cols]
        if missing:
            raise StoreError(f"upsert into {table}: row lacks key column(s) {missing}", code="bad_key",
                             table=table, key=list(key))
        self._put(Op("upsert", table, cols, values, key))

    def update(self, table: str, set: Mapping[str, Any], where: Mapping[str, Any]) -> None:
        """``UPDATE table SET set... WHERE col = value AND ...``; a row that does not exist is not
        created. An empty ``where`` ({}) updates every row of the table (e.g. mark the registry stale)."""
        if not set:
            raise StoreError(f"update of {table} needs at least one column to set", code="bad_value", table=table)
        if not isinstance(where, Mapping):
            raise StoreError(f"update of {table}: where must be a mapping, got {where!r}", code="bad_value",
                             table=table)
        set_cols, set_values = self._convert(table, set)
        where_cols, where_values = self._convert(table, where) if where else ((), ())
        if any(v is None for v in where_values):
            raise StoreError(f"update of {table}: where values must not be None ({dict(where)})", code="bad_value",
                             table=table)
        self._put(Op("update", table, set_cols, set_values + where_values, where_cols))

    def append_audit(self, kind: str, job_id: str | None, payload: Any, *, ts: _dt.datetime | None = None) -> Future:
        """Append to the hash-chained audit log (GOV-5). Seq and hash are assigned in the writer
        thread, in queue order; the future resolves to the stored row after commit."""
        if not isinstance(kind, str) or not kind:
            raise StoreError("audit kind must be a non-empty string", code="bad_value", table="audit_events")
        try:
            payload = json.loads(canonical_json(payload))   # a frozen copy: later mutation cannot alter it
        except (TypeError, ValueError) as e:
            raise StoreError(f"audit payload is not canonical JSON: {e}", code="bad_value",
                             table="audit_events") from None
        future: Future = Future()
        ts = ts or _dt.datetime.now(_dt.timezone.utc)
        self._put(Op("audit", "audit_events", (), (kind, job_id, payload, ts), future=future))
        return future

    def call(self, fn: Callable[[Any], Any]) -> Future:
        """Run ``fn(cursor)`` in the writer thread, inside the batch transaction, in queue order.
        The future resolves to its return value after commit. ``fn`` must only touch the database:
        if its batch fails it is re-run alone."""
        future: Future = Future()
        self._put(Op("call", None, future=future, fn=fn))
        return future

    def _convert(self, table: str, row: Mapping[str, Any]) -> tuple[tuple, tuple]:
        if table == "audit_events":
            raise StoreError("audit_events is append-only through append_audit() (it keeps the hash chain)",
                             code="bad_table", table=table)
        columns = self._schema.get(table)
        if columns is None:
            hint = difflib.get_close_matches(table, list(self._schema), n=1)
            raise StoreError(f"unknown table {table!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""),
                             code="bad_table", table=table)
        if not row:
            raise StoreError(f"empty row for {table}", code="bad_value", table=table)
        cols, values = tuple(row), []
        for col, value in row.items():
            ctype = columns.get(col)
            if ctype is None:
                hint = difflib.get_close_matches(col, list(columns), n=1)
                raise StoreError(f"unknown column {table}.{col}" + (f" (did you mean {hint[0]!r}?)" if hint else ""),
                                 code="bad_column", table=table, column=col)
            values.append(to_db(value, ctype, table=table, column=col))
        return cols, tuple(values)

    def _put(self, item: Any) -> None:
        if self._closed:
            raise StoreError("the store writer is closed", code="closed")
        next(self._enqueued)
        self._q.put(item)

    # -------------------------------------------------------------------------- synchronising
    def flush(self, timeout: float | None = None) -> None:
        """Block until everything enqueued before this call is committed (or dead-lettered).
        Raises ``TimeoutError`` if that takes longer than ``timeout`` seconds."""
        if threading.current_thread() is self._thread:
            raise StoreError("flush() called from inside the writer thread (from a call() function)", code="deadlock")
        if not self._thread.is_alive():
            if self._closed:
                return          # close() already committed everything
            raise StoreError("the store writer thread is not running", code="closed")
        marker = _Marker()
        self._q.put(marker)
        if not marker.event.wait(timeout):
            raise TimeoutError(f"store writer did not commit within {timeout} s "
                               f"({self._q.qsize()} items still queued)")

    def close(self, timeout: float | None = 30.0) -> None:
        """Commit everything queued, stop the thread and close its cursor. Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        if threading.current_thread() is self._thread:  # pragma: no cover - misuse
            raise StoreError("close() called from inside the writer thread", code="deadlock")
        self._q.put(_Marker(stop=True))
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"store writer did not stop within {timeout} s")
        _live.discard(self)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> int:
        """Items waiting in the queue (approximate)."""
        return self._q.qsize()

    @property
    def dead_letters(self) -> list[DeadLetter]:
        with self._dead_lock:
            return list(self._dead)

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---------------------------------------------------------------------------- the worker
    def _run(self) -> None:
        try:
            stop = False
            while not stop:
                items = [self._q.get()]
                try:
                    stop = self._cycle(items)
                except Exception:   # pragma: no cover - a bug here must not silently stop all writes
                    log.exception("store writer cycle failed")
                    for i in items:
                        if isinstance(i, _Marker):
                            stop = stop or i.stop
                            i.event.set()
            # Items enqueued concurrently with close() still get written.
            rest = []
            while True:
                try:
                    rest.append(self._q.get_nowait())
                except queue.Empty:
                    break
            ops = [i for i in rest if isinstance(i, Op)]
            if ops:
                self._process(ops)
            for i in rest:
                if isinstance(i, _Marker):
                    i.event.set()
        finally:
            try:
                self._cur.close()
            except Exception:  # pragma: no cover
                pass

    def _cycle(self, items: list) -> bool:
        """Collect one batch after ``items[0]``, commit it, release flush markers; True on stop."""
        deadline = time.monotonic() + self.batch_s
        while len(items) < self.batch_max and not isinstance(items[-1], _Marker):
            remaining = deadline - time.monotonic()
            try:
                items.append(self._q.get(timeout=remaining) if remaining > 0 else self._q.get_nowait())
            except queue.Empty:
                break
        ops = [i for i in items if isinstance(i, Op)]
        if ops:
            self._process(ops)
        stop = False
        for i in items:
            if isinstance(i, _Marker):
                stop = stop or i.stop
                if not i.stop:
                    i.event.set()
        return stop

    def _process(self, ops: list[Op]) -> None:
        try:
            self._cur.execute("BEGIN TRANSACTION")
            head = self._head
            results, head = self._execute(ops, head)
            self._cur.execute("COMMIT")
        except Exception as e:
            self._rollback()
            self.stats["failed_batches"] += 1
            log.warning("store batch of %d operations failed (%s); retrying each alone", len(ops), e)
            self._head = None
            for op in ops:
                self._process_alone(op)
            return
        self._head = head
        self.stats["batches"] += 1
        self.stats["ops"] += len(ops)
        for op, result in results:
            _resolve(op.future, result)

    def _process_alone(self, op: Op) -> None:
        sql = None
        try:
            self._cur.execute("BEGIN TRANSACTION")
            head = self._head
            if op.kind in ("insert", "upsert", "update", "audit"):
                sql = self._sql(op)
            results, head = self._execute([op], head)
            self._cur.execute("COMMIT")
        except Exception as e:
            self._rollback()
            self._head = None
            self.stats["dead_letters"] += 1
            letter = DeadLetter(op.kind, op.table, op.row() if op.kind != "call" else None, sql,
                                f"{type(e).__name__}: {e}", _dt.datetime.now(_dt.timezone.utc))
            with self._dead_lock:
                self._dead.append(letter)
            log.error("store write failed and was dead-lettered: %s", letter.error,
                      extra={"sql": sql, "table": op.table, "op": op.kind, "row": _short(letter.row)})
            _resolve(op.future, error=e)
            return
        self._head = head
        self.stats["ops"] += 1
        for o, result in results:
            _resolve(o.future, result)

    def _rollback(self) -> None:
        try:
            self._cur.execute("ROLLBACK")
        except Exception:
            pass    # the transaction may already be aborted/closed

    def _execute(self, ops: list[Op], head: tuple[int, str] | None) -> tuple[list, tuple | None]:
        """Run ops inside the open transaction. Calls are barriers; between them, ops are grouped by
        table (order kept within a table: no foreign keys, so tables are independent) and runs of the
        same shape go out as one statement."""
        results: list = []
        segment: list[Op] = []
        for op in ops:
            if op.kind == "call":
                head = self._run_segment(segment, head, results)
                segment = []
                results.append((op, op.fn(self._cur)))
                if op.fn is not None:
                    head = None      # the function may have touched audit_events
            else:
                segment.append(op)
        head = self._run_segment(segment, head, results)
        return results, head

    def _run_segment(self, ops: list[Op], head: tuple[int, str] | None, results: list) -> tuple | None:
        for group in schedule(ops, self._keys):
            head = self._run_group(group.ops, head, results)
        return head

    def _run_group(self, group: list[Op], head: tuple[int, str] | None, results: list) -> tuple | None:
        first = group[0]
        if first.kind == "audit":
            if head is None:
                head = chain_head(self._cur)
            rows = []
            for op in group:
                kind, job_id, payload, ts = op.values
                row = audit_row(head, kind, job_id, payload, ts)
                head = (row["seq"], row["hash"])
                rows.append(tuple(row[c] for c in AUDIT_COLS))
                results.append((op, row))
            columns = list(zip(*rows))
        else:
            columns = list(zip(*(op.values for op in group)))
            results.extend((op, None) for op in group)
        self._cur.execute(self._sql(first), [list(c) for c in columns])
        self.stats["statements"] += 1
        return head

    def _sql(self, op: Op) -> str:
        sig = op.signature()
        sql = self._sql_cache.get(sig)
        if sql is None:
            sql = self._sql_cache[sig] = build_sql(op, self._schema[op.table])
        return sql

    def __repr__(self) -> str:
        return f"StoreWriter({self.store.path!r}, pending={self.pending}, closed={self._closed})"


def _short(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {k: (v[:200] + "..." if isinstance(v, str) and len(v) > 200 else v) for k, v in row.items()}
