"""Versioned, reversible schema migrations (FR-010).

Each migration is a module ``mNNN_*.py`` with ``VERSION``, ``DESCRIPTION``, ``UP`` and ``DOWN``
(tuples of SQL statements). A step runs in one transaction together with its ``schema_version``
row, so a failed step leaves the database at the previous version. Migrations are history: never
edit a released one; add a new one (and its down step) instead.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from ..errors import StoreError
from . import m001_base, m002_views, m003_experiments, m004_harness

__all__ = ["Migration", "MIGRATIONS", "LATEST", "current_version", "applied", "upgrade", "downgrade",
           "ensure_version_table"]


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    up: tuple[str, ...]
    down: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = tuple(
    Migration(m.VERSION, m.DESCRIPTION, tuple(m.UP), tuple(m.DOWN)) for m in (m001_base, m002_views, m003_experiments,
                                                                        m004_harness))
LATEST = MIGRATIONS[-1].version
assert [m.version for m in MIGRATIONS] == list(range(1, LATEST + 1)), "migration versions must be 1..N without gaps"

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version      INTEGER PRIMARY KEY,
    applied_at   TIMESTAMP NOT NULL,
    description  VARCHAR NOT NULL
)"""


def ensure_version_table(con) -> None:
    con.execute(_VERSION_TABLE)


def _has_version_table(con) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version' "
                            "AND schema_name = 'main'").fetchone()[0])


def current_version(con) -> int:
    """0 for an empty database (no ``schema_version`` table or no rows)."""
    if not _has_version_table(con):
        return 0
    return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])


def applied(con) -> list[dict]:
    if not _has_version_table(con):
        return []
    rows = con.execute("SELECT version, applied_at, description FROM schema_version ORDER BY version").fetchall()
    return [{"version": v, "applied_at": a, "description": d} for v, a, d in rows]


def _step(con, migration: Migration, direction: str) -> None:
    statements = migration.up if direction == "up" else migration.down
    con.execute("BEGIN TRANSACTION")
    try:
        for sql in statements:
            con.execute(sql)
        if direction == "up":
            con.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                        [migration.version, _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None),
                         migration.description])
        else:
            con.execute("DELETE FROM schema_version WHERE version = ?", [migration.version])
        con.execute("COMMIT")
    except Exception as e:
        con.execute("ROLLBACK")
        raise StoreError(f"migration {migration.version} {direction} failed: {e}", code="migration",
                         version=migration.version, direction=direction) from e


def _check_target(target: int) -> None:
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target <= LATEST:
        raise StoreError(f"schema version {target!r} does not exist (known: 0..{LATEST})", code="bad_version",
                         version=target)


def upgrade(con, to: int | None = None) -> list[int]:
    """Apply up steps until version ``to`` (default latest); returns the versions applied."""
    to = LATEST if to is None else to
    _check_target(to)
    ensure_version_table(con)
    now = current_version(con)
    if now > LATEST:
        raise StoreError(f"database schema version {now} is newer than this qnb knows ({LATEST}); "
                         "upgrade qnb", code="schema_newer", version=now, latest=LATEST)
    if to < now:
        raise StoreError(f"cannot upgrade to {to}: database is at {now} (use downgrade)", code="bad_version",
                         version=to, current=now)
    done = []
    for m in MIGRATIONS:
        if now < m.version <= to:
            _step(con, m, "up")
            done.append(m.version)
    return done


def downgrade(con, to: int) -> list[int]:
    """Apply down steps until version ``to``; returns the versions reverted (newest first)."""
    _check_target(to)
    now = current_version(con)
    if now > LATEST:
        raise StoreError(f"database schema version {now} is newer than this qnb knows ({LATEST})",
                         code="schema_newer", version=now, latest=LATEST)
    if to > now:
        raise StoreError(f"cannot downgrade to {to}: database is at {now} (use upgrade)", code="bad_version",
                         version=to, current=now)
    done = []
    for m in reversed(MIGRATIONS):
        if to < m.version <= now:
            _step(con, m, "down")
            done.append(m.version)
    return done
