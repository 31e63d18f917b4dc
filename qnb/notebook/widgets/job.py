"""Job widget: state badge, progress over fragments, retries/fallbacks and, once the job is
complete, a counts histogram with estimated and measured fidelity (NB-3, FR-009 states)."""

from __future__ import annotations

import html
from typing import Any, Callable

import traitlets

from ...render import STATE_COLORS, job_html, job_text
from ...runtime.job import JobResult, JobSnapshot
from ..html import counts_html
from .base import LiveView

__all__ = ["JobWidget", "job_source"]

_BAR_STYLE = {"COMPLETED": "success", "FAILED": "danger", "CANCELLED": "warning"}


def job_source(job: Any) -> Callable[[], tuple[JobSnapshot, JobResult | None]]:
    """A snapshot source for a :class:`qnb.mesh_api.Job` (or a callable returning a snapshot or a
    ``(snapshot, result)`` pair, e.g. a replay of recorded snapshots)."""
    if callable(job) and not hasattr(job, "snapshot"):
        def from_callable() -> tuple[JobSnapshot, JobResult | None]:
            out = job()
            return out if isinstance(out, tuple) else (out, None)
        return from_callable

    def from_job() -> tuple[JobSnapshot, JobResult | None]:
        snap = job.snapshot
        # The mesh stores a job's result before publishing its terminal snapshot, so this lookup
        # never blocks and never misses (mesh_api.Mesh._publish).
        result = job.mesh.result_of(job.id) if snap.done else None
        return snap, result
    return from_job


class JobWidget(LiveView):
    """Live view of one job. ``JobWidget(job)``; traits mirror the latest snapshot."""

    css_class = "qnb-job"

    job_id = traitlets.Unicode("")
    name = traitlets.Unicode("")
    state = traitlets.Unicode("")
    progress = traitlets.Float(0.0)
    fragments_done = traitlets.Int(0)
    fragments_total = traitlets.Int(0)
    retries = traitlets.Int(0)
    fallbacks = traitlets.Int(0)
    counts = traitlets.Dict()
    estimated_fidelity = traitlets.Float(None, allow_none=True)
    measured_fidelity = traitlets.Float(None, allow_none=True)
    error = traitlets.Unicode(None, allow_none=True)

    def __init__(self, job: Any, **kw: Any) -> None:
        super().__init__(**kw)
        self.job = job
        self._source = job_source(job)
        self._snap: JobSnapshot | None = None
        self._result: JobResult | None = None

    # ------------------------------------------------------------ LiveView
    def _fetch(self) -> tuple[JobSnapshot, JobResult | None]:
        return self._source()

    def _snapshot_key(self, snap: tuple) -> tuple:
        return snap

    def _apply(self, snap: tuple) -> None:
        s, r = snap
        self._snap, self._result = s, r
        self.job_id, self.name, self.state = s.job_id, s.name, s.state.value
        self.progress = float(s.progress)
        self.fragments_done, self.fragments_total = s.fragments_done, s.fragments_total
        self.retries, self.fallbacks = s.retries, s.fallbacks
        self.error = None if not s.error else str(s.error.get("message", s.error))
        if r is not None:
            self.counts = dict(r.counts)
            self.estimated_fidelity = r.estimated_fidelity
            self.measured_fidelity = r.measured_fidelity

    @property
    def finished(self) -> bool:
        return self._snap is not None and self._snap.done

    @property
    def snapshot(self) -> JobSnapshot | None:
        return self._snap

    @property
    def result(self) -> JobResult | None:
        return self._result

    def _build(self, w: Any) -> Any:
        self._w_header = w.HTML()
        self._w_progress = w.FloatProgress(min=0.0, max=1.0, layout=w.Layout(width="260px"))
        self._w_detail = w.HTML()
        self._w_result = w.HTML()
        return w.VBox([self._w_header, self._w_progress, self._w_detail, self._w_result])

    def _sync(self, widget: Any) -> None:
        color = STATE_COLORS.get(self.state, "#999")
        self._w_header.value = (f"<b>{html.escape(self.name)}</b> <code>{self.job_id[:8]}</code> <span "
                                f"class='qnb-state' style='background:{color};color:white;padding:1px 6px;"
                                f"border-radius:4px'>{self.state}</span>")
        self._w_progress.value = self.progress
        self._w_progress.bar_style = _BAR_STYLE.get(self.state, "info")
        self._w_detail.value = (f"<small>{self.fragments_done}/{self.fragments_total} fragments &middot; retries "
                                f"{self.retries} &middot; fallbacks {self.fallbacks}</small>")
        self._w_result.value = self._result_html()

    def _result_html(self) -> str:
        if self.error:
            return f"<span style='color:#c62828'>{html.escape(self.error)}</span>"
        r = self._result
        if r is None or not r.ok:
            return ""
        fid = (f"<small>estimated fidelity {_f(r.estimated_fidelity)} &middot; measured fidelity "
               f"{_f(r.measured_fidelity)} &middot; ebits {r.ebits} &middot; {r.wall_ms:.1f} ms</small>")
        return fid + counts_html(r.counts, r.shots)

    def _html(self) -> str:
        if self._snap is None:
            return "<div class='qnb-job'>no snapshot</div>"
        hist = counts_html(self._result.counts, self._result.shots) if self._result is not None and self._result.ok \
            else ""
        return job_html(self._snap, self._result) + hist

    def _text(self) -> str:
        return "<JobWidget: no snapshot>" if self._snap is None else job_text(self._snap, self._result)


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"

