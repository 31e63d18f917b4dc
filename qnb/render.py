"""HTML and text renderings of jobs and meshes for viewers without a widget manager (NB-3).

Pure string building from immutable snapshots: no IPython import, usable from the core.
"""

from __future__ import annotations

import html
from typing import Any

from .runtime.job import JobResult, JobSnapshot

__all__ = ["job_html", "job_text", "mesh_html", "STATE_COLORS", "node_color"]

STATE_COLORS = {"QUEUED": "#9e9e9e", "COMPILING": "#7e57c2", "RESERVING": "#29b6f6", "EXECUTING": "#ffa726",
                "COMPLETED": "#66bb6a", "FAILED": "#ef5350", "CANCELLED": "#bdbdbd"}
_PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
            "#9c755f", "#bab0ac"]


def node_color(node: str, nodes: list[str] | None = None) -> str:
    """Stable colour per node name (by position in ``nodes`` when given, else by a name hash)."""
    if nodes and node in nodes:
        return _PALETTE[nodes.index(node) % len(_PALETTE)]
    return _PALETTE[sum(node.encode()) % len(_PALETTE)]


def job_text(snap: JobSnapshot, result: JobResult | None = None) -> str:
    line = (f"{snap.name} [{snap.job_id[:8]}] {snap.state.value} "
            f"{snap.fragments_done}/{snap.fragments_total} fragments, retries={snap.retries}, "
            f"fallbacks={snap.fallbacks}")
    if result is not None and result.ok:
        mf = "-" if result.measured_fidelity is None else f"{result.measured_fidelity:.4f}"
        ef = "-" if result.estimated_fidelity is None else f"{result.estimated_fidelity:.4f}"
        line += f"; ebits={result.ebits} est={ef} measured={mf} wall={result.wall_ms:.1f} ms"
    if snap.error:
        line += f"; error: {snap.error.get('message')}"
    return line


def job_html(snap: JobSnapshot, result: JobResult | None = None) -> str:
    color = STATE_COLORS.get(snap.state.value, "#999")
    pct = int(round(100 * snap.progress))
    nodes = sorted({f.node for f in snap.fragments})
    cells = "".join(
        f"<span title='fragment {f.fragment_id} on {html.escape(f.node)}: {f.status}' style='display:inline-block;"
        f"width:14px;height:14px;margin:1px;border-radius:3px;background:{node_color(f.node, nodes)};"
        f"opacity:{1.0 if f.status == 'done' else 0.35};border:{'2px solid #d32f2f' if f.status in ('failed', 'moved') else '1px solid #555'}'>"
        f"</span>" for f in snap.fragments)
    extra = ""
    if result is not None and result.ok:
        extra = html.escape(job_text(snap, result).split("; ", 1)[-1])
    if snap.error:
        extra = f"<span style='color:#c62828'>{html.escape(str(snap.error.get('message')))}</span>"
    return (f"<div class='qnb-job' style='font-family:sans-serif;font-size:13px'>"
            f"<b>{html.escape(snap.name)}</b> <code>{snap.job_id[:8]}</code> "
            f"<span style='background:{color};color:white;padding:1px 6px;border-radius:4px'>{snap.state.value}</span>"
            f"<div style='background:#eee;width:240px;height:8px;margin:4px 0'><div style='background:{color};"
            f"width:{pct}%;height:8px'></div></div>"
            f"<div>{cells}</div><small>{snap.fragments_done}/{snap.fragments_total} fragments &middot; "
            f"retries {snap.retries} &middot; fallbacks {snap.fallbacks}</small><div>{extra}</div></div>")


def mesh_html(mesh: Any) -> str:
    state = "running" if mesh.running else "stopped"
    rows = ""
    if mesh.running:
        for r in mesh.nodes():
            rows += (f"<tr><td>{html.escape(r['name'])}</td><td>{r['qubits']}</td><td>{r['fidelity_2q']:.4f}</td>"
                     f"<td>{'yes' if r['available'] else 'no'}</td><td>{r['queue_depth']}</td></tr>")
    return (f"<div class='qnb-mesh'><b>qnb mesh {html.escape(mesh.name)}</b> ({state})"
            f"<table><tr><th>node</th><th>qubits</th><th>F2q</th><th>available</th><th>queue</th></tr>{rows}"
            f"</table></div>")
