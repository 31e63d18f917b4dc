"""Reservation Gantt: every reservation window per node over time, including rejected and expired
ones, read from the event-sourced ``reservation_events`` table in DuckDB (NB-3, FR-005).

The chart is a Vega-Lite spec (``chart()`` gives it as an altair object) rendered to SVG with
vl-convert, so no JavaScript is needed; without a renderer the view falls back to an HTML table
of the same windows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Iterable, Mapping, Sequence

import traitlets

from .. import _optional
from ..html import windows_html
from .base import LiveView, to_seconds

__all__ = ["GanttWidget", "reservation_windows", "gantt_spec", "RESERVATION_QUERY"]

RESERVATION_QUERY = "select * from reservation_events"


def reservation_windows(rows: Iterable[Mapping[str, Any]], job_id: str | None = None) -> list[dict]:
    """Fold reservation events into one window per reservation.

    Events are taken in (time, seq) order and grouped by reservation id; an id that comes back with
    a different window or a restarted ``seq`` (a new mesh writing into the same store) starts a new
    window. ``status`` is the kind of the latest event, ``kinds`` the whole history, ``outcome`` the
    colouring class (rejected > expired > used (claimed) > latest kind), ``job_id`` the first one
    seen (``job_id=`` keeps only that job's windows). Times are seconds since the earliest start.
    """
    latest: dict[str, dict] = {}
    windows: list[dict] = []
    ordered = sorted(rows, key=lambda r: (to_seconds(_when(r)) or 0.0, r.get("seq") or 0))
    for i, r in enumerate(ordered):
        rid = str(r.get("reservation_id") or f"event-{i}")
        kind = str(r.get("kind"))
        start, seq = to_seconds(r.get("window_start")), r.get("seq")
        w = latest.get(rid)
        if w is not None and ((start is not None and w["start"] is not None and start != w["start"])
                              or (seq is not None and w["seq"] is not None and seq <= w["seq"])):
            w = None            # the id was reused (a new mesh on the same store): a new reservation
        if w is None:
            w = {"reservation_id": rid, "node": r.get("node"), "job_id": None, "start": None, "end": None,
                 "kinds": [], "seq": None}
            latest[rid] = w
            windows.append(w)
        w["kinds"].append(kind)
        w["status"] = kind
        w["seq"] = seq if seq is not None else w["seq"]
        w["job_id"] = w["job_id"] or r.get("job_id")
        if w["start"] is None and start is not None:
            w["start"] = start
            w["end"] = to_seconds(r.get("window_end"))
    windows = [w for w in windows if w["start"] is not None and (job_id is None or w["job_id"] == job_id)]
    if not windows:
        return []
    t0 = min(w["start"] for w in windows)
    for w in windows:
        w["outcome"] = _outcome(w["kinds"])
        w["start"] -= t0
        w["end"] = w["start"] if w["end"] is None else w["end"] - t0
        w["t0"] = t0
    windows.sort(key=lambda w: (str(w["node"]), w["start"]))
    return windows


def _when(row: Mapping[str, Any]) -> Any:
    """The event time column is ``at`` in the spec and ``ts`` in the store; accept both."""
    return row.get("at", row.get("ts"))


def _outcome(kinds: list[str]) -> str:
    """What happened to a reservation, for colouring: a rejection or expiry beats everything, a
    claimed (executed-in) window is "used", otherwise the latest event kind."""
    for k in ("rejected", "expired"):
        if k in kinds:
            return k
    return "used" if "claimed" in kinds else kinds[-1]


def gantt_spec(windows: Sequence[Mapping[str, Any]]) -> dict | None:
    """Vega-Lite bar chart: node on y, the reserved window on x, coloured by outcome."""
    if not windows:
        return None
    values = [{"node": str(w["node"]), "start": round(w["start"], 4), "end": round(max(w["end"], w["start"]), 4),
               "outcome": str(w["outcome"]), "last_event": str(w["status"]), "job": str(w.get("job_id") or "")[:8],
               "reservation": str(w["reservation_id"])[:16]} for w in windows]
    nodes = len({v["node"] for v in values})
    return {
        "title": "reservation windows", "width": 520, "height": max(60, 22 * nodes),
        "data": {"values": values},
        "mark": {"type": "bar", "opacity": 0.75, "stroke": "black", "strokeWidth": 0.3},
        "encoding": {
            "y": {"field": "node", "type": "nominal", "title": "node"},
            "x": {"field": "start", "type": "quantitative", "title": "seconds since first window"},
            "x2": {"field": "end"},
            "color": {"field": "outcome", "type": "nominal", "title": "outcome"},
            "tooltip": [{"field": f, "type": "nominal"} for f in ("node", "outcome", "last_event", "job",
                                                                  "reservation")]
            + [{"field": "start", "type": "quantitative"}, {"field": "end", "type": "quantitative"}],
        },
    }


class GanttWidget(LiveView):
    """``GanttWidget(mesh, job=None)``: reservation windows of the whole mesh or of one job."""

    css_class = "qnb-gantt"
    min_interval = 1.0

    windows = traitlets.List(help="one dict per reservation: node, status, start, end, job_id, kinds")
    status_counts = traitlets.Dict(help="outcome (rejected/expired/used/cancelled/...) -> number of windows")
    svg = traitlets.Unicode("")

    def __init__(self, mesh: Any, job: Any = None, *, rows: Callable[[], list[dict]] | None = None,
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.mesh = mesh
        self.job_id = getattr(job, "id", job)
        self._rows = rows or self._query
        self._stopped = False
        self._last_rows: list[dict] | None = None

    def _query(self) -> list[dict]:
        # all events: only the first event of a reservation names the job, so filter after folding
        res = self.mesh.sql(RESERVATION_QUERY)
        return [dict(zip(res.columns, row)) for row in res.rows]

    def _fetch(self) -> list[dict]:
        if self.mesh is not None and not getattr(self.mesh, "running", True):
            self._stopped = True
            if self._last_rows is not None:     # the store is closed: keep showing the last rows
                return self._last_rows
        self._last_rows = self._rows()
        return self._last_rows

    def _snapshot_key(self, rows: list[dict]) -> str:
        return repr(rows)       # event rows are append-only plain values: equal text = no change

    def _apply(self, rows: list[dict]) -> None:
        windows = reservation_windows(rows, self.job_id)
        self.windows = windows
        self.status_counts = dict(Counter(w["outcome"] for w in windows))
        self.svg = _optional.chart_svg(gantt_spec(windows)) or ""

    @property
    def finished(self) -> bool:
        return self._stopped

    def _build(self, w: Any) -> Any:
        self._w_html = w.HTML()
        return w.VBox([self._w_html])

    def _sync(self, widget: Any) -> None:
        self._w_html.value = self._body()

    def _body(self) -> str:
        summary = ", ".join(f"{k} {v}" for k, v in sorted(self.status_counts.items())) or "no reservations yet"
        chart = self.svg or windows_html(self.windows)
        return f"<div><small>reservations: {summary}</small></div>{chart}"

    def _html(self) -> str:
        return f"<div class='qnb-gantt'>{self._body()}</div>"

    def _text(self) -> str:
        nodes = len({w["node"] for w in self.windows})
        summary = ", ".join(f"{k}={v}" for k, v in sorted(self.status_counts.items()))
        return f"Gantt: {len(self.windows)} reservation windows on {nodes} nodes ({summary})"

    def chart(self) -> Any:
        """The chart as an altair object, for further composition (None without altair)."""
        self._ensure()
        return _optional.altair_chart(gantt_spec(self.windows))

