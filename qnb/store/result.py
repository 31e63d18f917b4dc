"""Query results as a small immutable object: rows + column names, with table/JSON/Arrow/pandas views."""

from __future__ import annotations

import datetime as _dt
import decimal
import html
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Result"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (decimal.Decimal,)):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Result:
    columns: tuple[str, ...]
    rows: list[tuple]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.rows)

    def __getitem__(self, i: int) -> tuple:
        return self.rows[i]

    def scalar(self) -> Any:
        """The first column of the first row (None if there are no rows)."""
        return self.rows[0][0] if self.rows else None

    def to_dicts(self) -> list[dict]:
        return [dict(zip(self.columns, r)) for r in self.rows]

    def to_json_rows(self) -> list[dict]:
        """Like :meth:`to_dicts` with datetimes as ISO text, so ``json.dumps`` accepts it."""
        return [{c: _jsonable(v) for c, v in zip(self.columns, r)} for r in self.rows]

    def to_arrow(self):
        import pyarrow as pa
        return pa.table({c: [r[i] for r in self.rows] for i, c in enumerate(self.columns)})

    def df(self):
        import pandas as pd
        return pd.DataFrame.from_records(self.rows, columns=list(self.columns))

    def to_text(self, max_rows: int = 50, max_width: int = 40) -> str:
        """A fixed-width table for terminals."""
        def cell(v: Any) -> str:
            s = "NULL" if v is None else str(v)
            return s if len(s) <= max_width else s[: max_width - 3] + "..."
        shown = [[cell(v) for v in r] for r in self.rows[:max_rows]]
        widths = [max([len(c)] + [len(r[i]) for r in shown]) for i, c in enumerate(self.columns)]
        lines = [" | ".join(c.ljust(w) for c, w in zip(self.columns, widths)),
                 "-+-".join("-" * w for w in widths)]
        lines += [" | ".join(v.ljust(w) for v, w in zip(r, widths)) for r in shown]
        more = len(self.rows) - len(shown)
        lines.append(f"({len(self.rows)} row{'s' if len(self.rows) != 1 else ''}"
                     + (f", {more} not shown)" if more > 0 else ")"))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape('NULL' if v is None else str(v))}</td>" for v in r)
                       + "</tr>" for r in self.rows[:100])
        note = f"<p>{len(self.rows)} rows</p>"
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"

    def __repr__(self) -> str:
        return f"Result(columns={list(self.columns)}, rows={len(self.rows)})"
