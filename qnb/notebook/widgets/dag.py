"""DAG widget: the job's fragment DAG, one circle per fragment filled with the colour of the node
it runs on, updating as fragments run, fail or move by fallback (NB-3, FR-006/FR-007)."""

from __future__ import annotations

from typing import Any, Sequence

import traitlets

from ...render import node_color
from ...runtime.job import JobResult, JobSnapshot
from ..html import dag_svg, legend_html
from .base import LiveView
from .job import job_source

__all__ = ["DagWidget"]


class DagWidget(LiveView):
    """``DagWidget(job, nodes=None)``: ``nodes`` fixes the colour order (default: the mesh's nodes)."""

    css_class = "qnb-dag"

    job_id = traitlets.Unicode("")
    state = traitlets.Unicode("")
    fragment_nodes = traitlets.Dict(help="fragment id (str) -> node it runs/ran on")
    fragment_colors = traitlets.Dict(help="fragment id (str) -> fill colour of its node")
    fragment_status = traitlets.Dict(help="fragment id (str) -> pending/running/done/failed/moved")
    nodes_used = traitlets.List(help="distinct nodes of the fragments, sorted")
    edges = traitlets.List(help="[[from, to], ...] fragment dependencies")
    svg = traitlets.Unicode("")

    def __init__(self, job: Any, nodes: Sequence[str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.job = job
        self._source = job_source(job)
        if nodes is None and hasattr(job, "mesh") and hasattr(job.mesh, "node_names"):
            nodes = job.mesh.node_names() or None
        self._palette_nodes = list(nodes) if nodes else None
        self._snap: JobSnapshot | None = None

    def _fetch(self) -> tuple[JobSnapshot, JobResult | None]:
        return self._source()

    def _snapshot_key(self, snap: tuple) -> Any:
        return snap[0]          # the DAG depends on the snapshot only, not on the result

    def _apply(self, snap: tuple) -> None:
        s = snap[0]
        self._snap = s
        order = self._palette_nodes or sorted({f.node for f in s.fragments})
        self.job_id, self.state = s.job_id, s.state.value
        self.fragment_nodes = {str(f.fragment_id): f.node for f in s.fragments}
        self.fragment_colors = {str(f.fragment_id): node_color(f.node, order) for f in s.fragments}
        self.fragment_status = {str(f.fragment_id): f.status for f in s.fragments}
        self.nodes_used = sorted({f.node for f in s.fragments})
        self.edges = [[a, b] for a, b in s.edges]
        self.svg = dag_svg(s.fragments, s.edges, order)

    @property
    def finished(self) -> bool:
        return self._snap is not None and self._snap.done

    def _build(self, w: Any) -> Any:
        self._w_html = w.HTML()
        return w.VBox([self._w_html])

    def _sync(self, widget: Any) -> None:
        self._w_html.value = self._body()

    def _body(self) -> str:
        legend = legend_html(self.nodes_used, self._palette_nodes)
        return f"<div><small>fragment DAG of <code>{self.job_id[:8]}</code> ({self.state})</small></div>" \
               f"{self.svg}{legend}"

    def _html(self) -> str:
        return f"<div class='qnb-dag'>{self._body()}</div>"

    def _text(self) -> str:
        if self._snap is None:
            return "<DagWidget: no snapshot>"
        s = self._snap
        by = ", ".join(f"{f.fragment_id}@{f.node}:{f.status}" for f in s.fragments)
        return f"DAG {s.job_id[:8]} {s.state.value}: {len(s.fragments)} fragments, {len(s.edges)} edges [{by}]"
