"""Tabular returns of the magics: a pandas DataFrame when pandas is importable, else a list of
dicts (still a value that composes with code, NB-1)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from . import _optional

__all__ = ["frame", "jobs_rows", "JOB_COLUMNS"]

JOB_COLUMNS = ("job_id", "name", "state", "progress", "fragments_done", "fragments_total", "retries",
               "fallbacks", "submitted_at", "updated_at", "error")


def frame(rows: Sequence[dict], columns: Sequence[str] | None = None) -> Any:
    pd = _optional.pandas()
    if pd is None:
        return list(rows)
    return pd.DataFrame(list(rows), columns=list(columns) if columns else None)


def _ts(t: float | None) -> datetime | None:
    return None if t is None else datetime.fromtimestamp(t, tz=timezone.utc)


def jobs_rows(snapshots: Iterable[Any], limit: int | None = 20, state: str | None = None) -> list[dict]:
    """Most recent first; ``state`` filters case-insensitively on the lifecycle state."""
    snaps = sorted(snapshots, key=lambda s: s.submitted_at, reverse=True)
    if state:
        snaps = [s for s in snaps if s.state.value == state.upper()]
    if limit is not None:
        snaps = snaps[:limit]
    return [{"job_id": s.job_id, "name": s.name, "state": s.state.value, "progress": round(s.progress, 3),
             "fragments_done": s.fragments_done, "fragments_total": s.fragments_total, "retries": s.retries,
             "fallbacks": s.fallbacks, "submitted_at": _ts(s.submitted_at), "updated_at": _ts(s.updated_at),
             "error": (s.error or {}).get("message")} for s in snaps]
