"""Static HTML/SVG fragments for the views: counts histogram, fragment DAG, Gantt and fidelity
tables. Pure functions of plain values, so they render identically in a live widget, in
``_repr_html_`` for GitHub/papermill, and in tests without ipywidgets (NB-3).
"""

from __future__ import annotations

import html
from typing import Any, Iterable, Mapping, Sequence

from ..render import node_color

__all__ = ["counts_html", "dag_svg", "dag_layout", "status_style", "windows_html", "fidelity_table_html",
           "legend_html"]

_esc = html.escape
_DEGRADED = "<b style='color:#c62828'>yes</b>"


def counts_html(counts: Mapping[str, int], shots: int | None = None, max_bars: int = 16) -> str:
    """Horizontal bars, one per outcome (all outcomes sorted when few, else the most frequent)."""
    if not counts:
        return "<div class='qnb-hist'><small>no counts</small></div>"
    items = sorted(counts.items()) if len(counts) <= max_bars else \
        sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:max_bars]
    total = shots or sum(counts.values()) or 1
    top = max(v for _, v in items) or 1
    rows = "".join(
        f"<div style='display:flex;align-items:center;height:16px'><code style='width:9em;text-align:right;"
        f"margin-right:6px'>{_esc(k)}</code><div class='qnb-bar' title='{v} shots' style='background:#4e79a7;"
        f"height:12px;width:{max(1, round(200 * v / top))}px'></div><small style='margin-left:4px'>"
        f"{v} ({100 * v / total:.1f}%)</small></div>" for k, v in items)
    more = "" if len(items) == len(counts) else f"<small>{len(counts) - len(items)} more outcomes not shown</small>"
    return f"<div class='qnb-hist' style='font-size:12px'>{rows}{more}</div>"


def status_style(status: str) -> dict[str, str]:
    """How a fragment's status looks in the DAG: opacity and stroke (colour, width, dash)."""
    return {
        "pending": {"opacity": "0.35", "stroke": "#555", "width": "1", "dash": ""},
        "running": {"opacity": "0.8", "stroke": "#ff9800", "width": "3", "dash": ""},
        "done": {"opacity": "1", "stroke": "#222", "width": "1", "dash": ""},
        "failed": {"opacity": "1", "stroke": "#d32f2f", "width": "3", "dash": ""},
        "moved": {"opacity": "0.6", "stroke": "#d32f2f", "width": "2", "dash": "4 2"},
    }.get(status, {"opacity": "0.5", "stroke": "#555", "width": "1", "dash": "2 2"})


def dag_layout(fragment_ids: Sequence[int], edges: Iterable[tuple[int, int]]) -> dict[int, tuple[float, float]]:
    """Layered layout: x = longest-path depth (topological generation), y = position in layer.

    Uses networkx's ``multipartite_layout`` over the topological generations so dependent
    fragments always sit to the right of their predecessors.
    """
    import networkx as nx
    g = nx.DiGraph()
    g.add_nodes_from(fragment_ids)
    g.add_edges_from((a, b) for a, b in edges if a in g and b in g)
    if not nx.is_directed_acyclic_graph(g):   # defensive: never loop on a malformed snapshot
        return {f: (float(i), 0.0) for i, f in enumerate(fragment_ids)}
    for depth, layer in enumerate(nx.topological_generations(g)):
        for f in layer:
            g.nodes[f]["layer"] = depth
    if not fragment_ids:
        return {}
    pos = nx.multipartite_layout(g, subset_key="layer", align="vertical")
    return {f: (float(x), float(y)) for f, (x, y) in pos.items()}


def dag_svg(fragments: Sequence[Any], edges: Iterable[tuple[int, int]], nodes: Sequence[str] | None = None) -> str:
    """SVG of the fragment DAG: one circle per fragment filled with its node's colour, stroked by
    status; moved fragments (fallback) are dashed and name their planned node in the tooltip."""
    edges = list(edges)
    if not fragments:
        return "<svg class='qnb-dag-svg' width='200' height='30'><text x='4' y='20' font-size='12'>no fragments yet" \
               "</text></svg>"
    nodes = list(nodes) if nodes else sorted({f.node for f in fragments})
    ids = [f.fragment_id for f in fragments]
    pos = dag_layout(ids, edges)
    xs = sorted({p[0] for p in pos.values()})
    layers = len(xs)
    per_layer = max(sum(1 for p in pos.values() if p[0] == x) for x in xs)
    width, height, r = max(160, 64 * layers + 40), max(70, 44 * per_layer + 30), 13
    minx, maxx = min(xs), max(xs)
    ys = [p[1] for p in pos.values()]
    miny, maxy = min(ys), max(ys)

    def place(f: int) -> tuple[float, float]:
        x, y = pos[f]
        px = 30 + (0 if maxx == minx else (x - minx) / (maxx - minx) * (width - 60))
        py = height / 2 if maxy == miny else 20 + (y - miny) / (maxy - miny) * (height - 40)
        return round(px, 1), round(py, 1)

    parts = [f"<svg class='qnb-dag-svg' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}'><defs><marker id='qnb-arrow' viewBox='0 0 10 10' refX='10' refY='5' "
             f"markerWidth='6' markerHeight='6' orient='auto'><path d='M0,0 L10,5 L0,10 z' fill='#888'/></marker>"
             f"</defs>"]
    for a, b in edges:
        if a in pos and b in pos:
            (x1, y1), (x2, y2) = place(a), place(b)
            dx, dy = x2 - x1, y2 - y1
            d = max((dx * dx + dy * dy) ** 0.5, 1e-9)
            parts.append(f"<line x1='{x1 + dx / d * r:.1f}' y1='{y1 + dy / d * r:.1f}' x2='{x2 - dx / d * r:.1f}' "
                         f"y2='{y2 - dy / d * r:.1f}' stroke='#888' stroke-width='1.2' marker-end='url(#qnb-arrow)'/>")
    for f in fragments:
        x, y = place(f.fragment_id)
        st = status_style(f.status)
        fill = node_color(f.node, nodes)
        planned = getattr(f, "planned_node", None)
        moved = f" (planned on {planned})" if planned and planned != f.node else ""
        title = _esc(f"fragment {f.fragment_id}: {f.kind}, {f.ops} ops on {f.node}{moved}, {f.status}, "
                     f"{f.attempts} attempt(s)")
        dash = f" stroke-dasharray='{st['dash']}'" if st["dash"] else ""
        parts.append(f"<g class='qnb-frag' data-fragment='{f.fragment_id}' data-node='{_esc(f.node)}' "
                     f"data-status='{_esc(f.status)}'><title>{title}</title><circle cx='{x}' cy='{y}' r='{r}' "
                     f"fill='{fill}' fill-opacity='{st['opacity']}' stroke='{st['stroke']}' "
                     f"stroke-width='{st['width']}'{dash}/><text x='{x}' y='{y + 4}' font-size='10' "
                     f"text-anchor='middle' fill='white'>{f.fragment_id}</text></g>")
    parts.append("</svg>")
    return "".join(parts)


def legend_html(nodes: Sequence[str], order: Sequence[str] | None = None) -> str:
    """Colour key for ``nodes``; ``order`` is the palette order the DAG used (default: ``nodes``)."""
    palette = list(order) if order else list(nodes)
    return "<div class='qnb-legend' style='font-size:11px'>" + " ".join(
        f"<span style='white-space:nowrap'><span style='display:inline-block;width:10px;height:10px;"
        f"background:{node_color(n, palette)};margin-right:3px'></span>{_esc(n)}</span>" for n in nodes) + "</div>"


def windows_html(windows: Sequence[Mapping[str, Any]], limit: int = 50) -> str:
    """Reservation windows as a table (the Gantt's fallback when no chart renderer is available)."""
    rows = "".join(
        f"<tr><td>{_esc(str(w['node']))}</td><td>{_esc(str(w.get('outcome', w['status'])))}</td>"
        f"<td>{_esc(' > '.join(w.get('kinds', [])))}</td><td>{w['start']:.3f}</td>"
        f"<td>{w['end']:.3f}</td><td><code>{_esc(str(w.get('job_id') or '')[:8])}</code></td></tr>"
        for w in list(windows)[:limit])
    more = "" if len(windows) <= limit else f"<small>{len(windows) - limit} more windows</small>"
    return (f"<table class='qnb-windows'><tr><th>node</th><th>outcome</th><th>events</th><th>start (s)</th>"
            f"<th>end (s)</th>"
            f"<th>job</th></tr>{rows}</table>{more}")


def fidelity_table_html(latest: Mapping[str, Mapping[str, Any]], rtt: Mapping[str, float]) -> str:
    """Latest per-node fidelities and per-link RTTs (the live chart's fallback)."""
    def f4(v: Any) -> str:
        return "-" if v is None else f"{float(v):.4f}"
    rows = "".join(
        f"<tr><td>{_esc(n)}</td><td>{f4(q.get('fidelity_1q'))}</td><td>{f4(q.get('fidelity_2q'))}</td>"
        f"<td>{f4(q.get('fidelity_readout'))}</td><td>{'yes' if q.get('available', True) else 'no'}</td>"
        f"<td>{_DEGRADED if q.get('degraded') else 'no'}</td></tr>"
        for n, q in sorted(latest.items()))
    links = "".join(f"<tr><td>{_esc(k)}</td><td>{v:.2f}</td></tr>" for k, v in sorted(rtt.items()))
    return (f"<table class='qnb-fid-nodes'><tr><th>node</th><th>F1q</th><th>F2q</th><th>Fro</th><th>available</th>"
            f"<th>degraded</th></tr>{rows}</table><table class='qnb-fid-links'><tr><th>link</th><th>RTT (ms)</th>"
            f"</tr>{links}</table>")
