"""One DuckDB file per mesh (FR-010): open, migrate, read.

DuckDB allows one writing process per file; inside it, every thread needs its own cursor. So the
:class:`Store` hands each thread a cursor for reads (:meth:`sql`, :meth:`reader`), and all writes
of the running system go through one :class:`qnb.store.writer.StoreWriter` thread.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import Any

import duckdb

from . import migrations
from .errors import StoreError
from .result import Result

__all__ = ["Store", "MEMORY"]

MEMORY = ":memory:"


def _translate(e: Exception, path: str) -> StoreError:
    text = str(e)
    if "lock" in text.lower():
        return StoreError(f"{path}: the database is locked by another process (a running coordinator owns "
                          f"the write lock; query through it, e.g. mesh.sql(), or stop it): {text}",
                          code="locked", path=path)
    if "read-only" in text.lower() or "read only" in text.lower():
        return StoreError(f"read-only connection: {text}", code="read_only", path=path)
    return StoreError(f"{path}: {text}", code="sql", path=path)


class Store:
    """An open DuckDB database. Build with :meth:`open`; close with :meth:`close` (or ``with``)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str, read_only: bool) -> None:
        self._con = con
        self.path = path
        self.read_only = read_only
        self._admin = threading.RLock()          # guards self._con (migrations, schema introspection)
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._writers: weakref.WeakSet = weakref.WeakSet()
        self._closed = False

    # ------------------------------------------------------------------------------------- open
    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False, migrate: bool = True) -> Store:
        """Open (creating if needed) the database at ``path``; writers apply pending migrations.

        ``":memory:"`` is an in-process database (only when asked for explicitly). ``read_only``
        opens an existing file without taking the write lock and never migrates."""
        path = str(path)
        if not path:
            raise StoreError("store path is empty", code="bad_path")
        if path == MEMORY:
            if read_only:
                raise StoreError("an in-memory store cannot be opened read-only", code="bad_path", path=path)
        else:
            p = Path(path).expanduser()
            if read_only and not p.is_file():
                raise StoreError(f"no database at {p}", code="not_found", path=str(p))
            if not read_only:
                p.parent.mkdir(parents=True, exist_ok=True)
            path = str(p)
        try:
            con = duckdb.connect(path, read_only=read_only)
        except duckdb.Error as e:
            raise _translate(e, path) from None
        store = cls(con, path, read_only)
        try:
            version = store.version()
            if version > migrations.LATEST:
                raise StoreError(f"{path}: database schema version {version} is newer than this qnb knows "
                                 f"({migrations.LATEST}); upgrade qnb", code="schema_newer", version=version)
            if not read_only:
                with store._admin:
                    migrations.ensure_version_table(con)
                    if migrate:
                        migrations.upgrade(con)
        except BaseException:
            con.close()
            raise
        return store

    # ------------------------------------------------------------------------------- migrations
    def version(self) -> int:
        with self._admin:
            return migrations.current_version(self._con)

    def status(self) -> dict:
        """Current and latest version, applied steps, pending steps, row counts per table."""
        with self._admin:
            version = migrations.current_version(self._con)
            tables = [r[0] for r in self._con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name").fetchall()]
            counts = {t: self._con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
            return {"path": self.path, "version": version, "latest": migrations.LATEST,
                    "applied": migrations.applied(self._con),
                    "pending": [{"version": m.version, "description": m.description}
                                for m in migrations.MIGRATIONS if m.version > version],
                    "tables": counts}

    def upgrade(self, to: int | None = None) -> list[int]:
        self._check_writable()
        with self._admin:
            done = migrations.upgrade(self._con, to)
        self._schema_changed()
        return done

    def downgrade(self, to: int) -> list[int]:
        self._check_writable()
        with self._admin:
            done = migrations.downgrade(self._con, to)
        self._schema_changed()
        return done

    def _schema_changed(self) -> None:
        for w in list(self._writers):
            w.refresh_schema()

    def _check_writable(self) -> None:
        self._check_open()
        if self.read_only:
            raise StoreError("the store was opened read-only", code="read_only", path=self.path)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed", code="closed", path=self.path)

    # ---------------------------------------------------------------------------------- reading
    def reader(self) -> duckdb.DuckDBPyConnection:
        """A new cursor for the calling thread (DuckDB cursors are not shared between threads).
        The caller closes it; the store closes any left open when it closes."""
        self._check_open()
        with self._admin:
            cur = self._con.cursor()
            self._cursors.append(cur)
        return cur

    def _thread_cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self.reader()
        return cur

    def sql(self, query: str, params: Any = None) -> Result:
        """Run ``query`` on this thread's cursor; returns rows and column names."""
        self._check_open()
        cur = self._thread_cursor()
        try:
            cur.execute(query, params) if params is not None else cur.execute(query)
            columns = tuple(d[0] for d in cur.description) if cur.description else ()
            rows = cur.fetchall() if cur.description else []
        except duckdb.Error as e:
            raise _translate(e, self.path) from None
        return Result(columns, rows)

    def schema(self) -> dict[str, dict[str, str]]:
        """``{table: {column: type}}`` of the user tables, in column order."""
        with self._admin:
            rows = self._con.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'main' AND table_name IN "
                "(SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main') "
                "ORDER BY table_name, ordinal_position").fetchall()
        out: dict[str, dict[str, str]] = {}
        for table, column, dtype in rows:
            out.setdefault(table, {})[column] = dtype
        return out

    def unique_keys(self) -> dict[str, list[tuple[str, ...]]]:
        """``{table: [key columns, ...]}`` of primary keys and unique constraints (upsert targets)."""
        with self._admin:
            rows = self._con.execute(
                "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
                "WHERE schema_name = 'main' AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchall()
        out: dict[str, list[tuple[str, ...]]] = {}
        for table, cols in rows:
            out.setdefault(table, []).append(tuple(cols))
        return out

    def views(self) -> list[str]:
        with self._admin:
            return [r[0] for r in self._con.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' "
                "ORDER BY view_name").fetchall()]

    # ------------------------------------------------------------------------------------ write
    def writer(self, **kwargs: Any):
        """Start a :class:`StoreWriter` on this store (keyword arguments: batch_ms, batch_max)."""
        from .writer import StoreWriter
        return StoreWriter(self, **kwargs)

    def _register_writer(self, writer: Any) -> None:
        self._check_writable()
        self._writers.add(writer)

    def _new_cursor(self) -> duckdb.DuckDBPyConnection:
        with self._admin:
            return self._con.cursor()

    # ------------------------------------------------------------------------------------ close
    def close(self) -> None:
        """Close writers (flushing them), cursors, and the database. Idempotent."""
        if self._closed:
            return
        for w in list(self._writers):
            w.close()
        with self._admin:
            self._closed = True
            for cur in self._cursors:
                try:
                    cur.close()
                except duckdb.Error:  # pragma: no cover - already closed
                    pass
            self._cursors.clear()
            self._con.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.path!r}, read_only={self.read_only}, closed={self._closed})"
