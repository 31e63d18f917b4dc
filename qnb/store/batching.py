"""How queued operations become statements: the operation model, grouping, and SQL (FR-010).

Why grouping: DuckDB costs ~0.3-2 ms per statement here but ~10-20 us per row inside one, and the
runtime interleaves shapes (insert an attempt, update it, append an event). :func:`schedule` moves
an operation back into an earlier group of the same shape only across operations it provably
commutes with, so executing the groups in order equals executing the operations one by one in queue
order (``tests/store/test_store_writer.py`` checks exactly that against a plain connection).
Each group then runs as one statement over ``unnest``-ed column lists (:func:`build_sql`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future

__all__ = ["Op", "Group", "schedule", "build_sql", "AUDIT_COLS"]

AUDIT_COLS = ("seq", "ts", "kind", "job_id", "payload", "prev_hash", "hash")


class Op:
    """One queued operation: insert | upsert | update | audit | call.
    ``extra`` holds the upsert key or the update's where columns; values are already converted."""

    __slots__ = ("kind", "table", "cols", "values", "extra", "future", "fn", "sig", "_ident", "_map")

    def __init__(self, kind: str, table: str | None, cols: tuple = (), values: tuple = (), extra: tuple = (),
                 future: Future | None = None, fn: Callable | None = None) -> None:
        self.kind, self.table, self.cols, self.values, self.extra = kind, table, cols, values, extra
        self.future, self.fn = future, fn
        self.sig = (kind, table, cols, extra)
        self._ident: tuple | None = None
        self._map: dict | None = None

    def signature(self) -> tuple:
        return self.sig

    def colmap(self) -> dict:
        """Written column -> value (inserts and upserts)."""
        if self._map is None:
            self._map = dict(zip(self.cols, self.values))
        return self._map

    def row(self) -> dict:
        """The values by column, for error reports (update: set columns, then ``where.<col>``)."""
        names = self.cols + tuple(f"where.{c}" for c in self.extra) if self.kind == "update" else self.cols
        return dict(zip(names, self.values))


# ---------------------------------------------------------------------------------- scheduling

class Group:
    """Operations of one shape that run as one statement, with what later ops must not collide with."""

    __slots__ = ("sig", "kind", "table", "ops", "keycols", "keys", "_proj")

    def __init__(self, op: Op) -> None:
        self.sig, self.kind, self.table = op.signature(), op.kind, op.table
        self.ops: list[Op] = []
        self.keycols = frozenset(op.extra) if op.kind in ("upsert", "update") else None
        self.keys: set = set()
        self._proj: dict[frozenset, set | None] = {}
        self.add(op)

    def add(self, op: Op) -> None:
        self.ops.append(op)
        if self.keycols is not None:
            self.keys.add(_identity(op))
        for cols in list(self._proj):
            if self._proj[cols] is not None:
                p = _project(op, cols)
                if p is None:
                    self._proj[cols] = None
                else:
                    self._proj[cols].add(p)

    def projection(self, cols: frozenset) -> set | None:
        """Values of the rows this group writes on ``cols`` (None: some row leaves a column out)."""
        if cols not in self._proj:
            values: set | None = set()
            for op in self.ops:
                p = _project(op, cols)
                if p is None:
                    values = None
                    break
                values.add(p)
            self._proj[cols] = values
        return self._proj[cols]


def _identity(op: Op) -> tuple:
    """The key/where values sorted by column name, so different shapes compare."""
    ident = op._ident
    if ident is None:
        if op.kind == "upsert":
            m = op.colmap()
            ident = tuple(m[k] for k in sorted(op.extra))
        else:
            pairs = sorted(zip(op.extra, op.values[len(op.cols):]))
            ident = tuple(v for _, v in pairs)
        op._ident = ident
    return ident


def _project(op: Op, cols: frozenset) -> tuple | None:
    """An inserted/upserted row's values on ``cols`` (None if it leaves one out: default unknown)."""
    if op.kind == "update":
        return None
    m = op.colmap()
    try:
        return tuple(m[c] for c in sorted(cols))
    except KeyError:
        return None


def _setcols(op: Op) -> frozenset:
    """Columns an update changes on existing rows (an upsert only changes non-key columns)."""
    if op.kind == "update":
        return frozenset(op.cols)
    if op.kind == "upsert":
        return frozenset(op.cols) - frozenset(op.extra)
    return frozenset()


def _commutes(op: Op, group: Group, unique: list[frozenset]) -> bool:
    """True if running ``op`` before every op of ``group`` gives the same table state.
    ``unique`` holds the table's primary key / unique column sets. Conservative: when unsure, False."""
    try:
        if op.kind == "audit" or group.kind == "audit":
            return False
        first = group.ops[0]
        key_cols = frozenset().union(*unique) if unique else frozenset()
        for a, b in ((op, first), (first, op)):
            # an update that rewrites a key column or the other side's match columns moves rows
            # into or out of the other side's reach
            matched = frozenset(b.extra) if b.kind in ("upsert", "update") else frozenset()
            if a.kind == "update" and _setcols(a) & (key_cols | matched):
                return False
        if op.kind == "insert" and group.kind == "insert":
            for cols in unique:     # the same key twice: which row wins depends on the order
                p = _project(op, cols)
                if p is None:
                    continue
                proj = group.projection(cols)
                if (p in proj) if proj is not None else any(_project(o, cols) == p for o in group.ops):
                    return False
            return True
        if op.kind in ("upsert", "update") and group.kind in ("upsert", "update"):
            return frozenset(op.extra) == group.keycols and _identity(op) not in group.keys
        if group.kind in ("upsert", "update"):          # op is an insert
            p = _project(op, group.keycols)
            return p is not None and p not in group.keys
        # op is an upsert/update, group holds inserts
        proj = group.projection(frozenset(op.extra))
        return proj is not None and _identity(op) not in proj
    except TypeError:           # unhashable value: assume they interfere
        return False


def _joinable(op: Op, group: Group, unique: list[frozenset]) -> bool:
    """Can ``op`` run in the same statement as ``group`` (same shape)? One statement applies its
    rows simultaneously, so they must not touch the same row or move rows between each other's
    matches (an update that sets a match or key column)."""
    if op.kind not in ("upsert", "update"):
        return True
    if _identity(op) in group.keys:
        return False
    if op.kind == "update":
        key_cols = frozenset().union(*unique) if unique else frozenset()
        return not (_setcols(op) & (frozenset(op.extra) | key_cols))
    return True


def schedule(ops: list[Op], keys: Mapping[str, Iterable[tuple]]) -> list[Group]:
    """Group ops into statements (see the comment above); ``keys`` maps table -> unique key columns."""
    by_table: dict[str, list[Group]] = {}
    uniques: dict[str, list[frozenset]] = {}
    for op in ops:
        groups = by_table.setdefault(op.table, [])
        placed = False
        unique = uniques.get(op.table)
        if unique is None:
            unique = uniques[op.table] = [frozenset(k) for k in keys.get(op.table, ())]
        for group in reversed(groups):
            if group.sig == op.signature() and _joinable(op, group, unique):
                group.add(op)
                placed = True
                break
            if not _commutes(op, group, unique):
                break
        if not placed:
            groups.append(Group(op))
    return [g for groups in by_table.values() for g in groups]


def build_sql(op: Op, types: Mapping[str, str]) -> str:
    """The statement for a group of ops shaped like ``op``; ``types`` maps column -> DuckDB type."""

    def unnest(i: int, col: str, alias: str) -> str:
        return f'unnest(CAST(${i} AS {types[col]}[])) AS "{alias}"'

    if op.kind in ("insert", "upsert", "audit"):
        cols = AUDIT_COLS if op.kind == "audit" else op.cols
        select = ", ".join(unnest(i + 1, c, c) for i, c in enumerate(cols))
        names = ", ".join(f'"{c}"' for c in cols)
        sql = f'INSERT INTO "{op.table}" ({names}) SELECT {select}'
        if op.kind == "upsert":
            target = ", ".join(f'"{k}"' for k in op.extra)
            rest = [c for c in op.cols if c not in op.extra]
            sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in rest)
            action = f"DO UPDATE SET {sets}" if rest else "DO NOTHING"
            sql += f" ON CONFLICT ({target}) {action}"
        return sql
    # update
    n = len(op.cols)
    parts = [unnest(i + 1, c, f"s{i}") for i, c in enumerate(op.cols)]
    parts += [unnest(n + j + 1, c, f"w{j}") for j, c in enumerate(op.extra)]
    sets = ", ".join(f'"{c}" = v."s{i}"' for i, c in enumerate(op.cols))
    conds = " AND ".join(f'"{op.table}"."{c}" = v."w{j}"' for j, c in enumerate(op.extra))
    sql = f'UPDATE "{op.table}" SET {sets} FROM (SELECT {", ".join(parts)}) AS v'
    return f"{sql} WHERE {conds}" if conds else sql
