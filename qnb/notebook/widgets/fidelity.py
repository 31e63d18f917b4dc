"""Live fidelity: per-node fidelity and per-link RTT over time from ``mesh.quality()``, updating
while the mesh runs, so a fault injected with ``%qfault`` shows up within seconds (NB-3, FR-008)."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import traitlets

from .. import _optional
from ..html import fidelity_table_html
from .base import LiveView, to_seconds

__all__ = ["FidelityWidget", "fidelity_spec", "latest_quality"]


def latest_quality(samples: Sequence[Mapping[str, Any]]) -> tuple[dict, dict]:
    """Fold samples (oldest first) into the latest node record per node and latest RTT per link."""
    nodes: dict[str, dict] = {}
    links: dict[str, float] = {}
    for s in samples:
        if s.get("kind") == "node":
            nodes[str(s["node"])] = {k: s.get(k) for k in ("at", "fidelity_1q", "fidelity_2q", "fidelity_readout",
                                                              "available", "degraded", "queue_depth")}
        elif s.get("kind") == "link" and s.get("rtt_ms") is not None:
            links[f"{s['a']}-{s['b']}"] = float(s["rtt_ms"])
    return nodes, links


def fidelity_spec(samples: Sequence[Mapping[str, Any]], window_s: float = 300.0) -> dict | None:
    """Vega-Lite: 2-qubit fidelity per node over the last ``window_s`` seconds, and RTT per link
    below it. None without samples."""
    if not samples:
        return None
    t_end = max(to_seconds(s["at"]) for s in samples)
    recent = [s for s in samples if to_seconds(s["at"]) >= t_end - window_s]
    t0 = min(to_seconds(s["at"]) for s in recent)
    node_vals = [{"t": round(to_seconds(s["at"]) - t0, 3), "node": str(s["node"]),
                  "fidelity_2q": float(s["fidelity_2q"]), "degraded": bool(s.get("degraded"))}
                 for s in recent if s.get("kind") == "node" and s.get("fidelity_2q") is not None]
    link_vals = [{"t": round(to_seconds(s["at"]) - t0, 3), "link": f"{s['a']}-{s['b']}", "rtt_ms": float(s["rtt_ms"])}
                 for s in recent if s.get("kind") == "link" and s.get("rtt_ms") is not None]
    x = {"field": "t", "type": "quantitative", "title": "seconds"}
    charts = []
    if node_vals:
        charts.append({"title": "2-qubit fidelity per node", "width": 520, "height": 160,
                       "data": {"values": node_vals}, "mark": {"type": "line", "point": True},
                       "encoding": {"x": x, "y": {"field": "fidelity_2q", "type": "quantitative",
                                                  "scale": {"zero": False}},
                                    "color": {"field": "node", "type": "nominal"},
                                    "tooltip": [{"field": "node", "type": "nominal"}, x,
                                                {"field": "fidelity_2q", "type": "quantitative"},
                                                {"field": "degraded", "type": "nominal"}]}})
    if link_vals:
        charts.append({"title": "link RTT", "width": 520, "height": 120, "data": {"values": link_vals},
                       "mark": "line",
                       "encoding": {"x": x, "y": {"field": "rtt_ms", "type": "quantitative", "title": "RTT (ms)"},
                                    "color": {"field": "link", "type": "nominal"},
                                    "tooltip": [{"field": "link", "type": "nominal"}, x,
                                                {"field": "rtt_ms", "type": "quantitative"}]}})
    if not charts:
        return None
    return charts[0] if len(charts) == 1 else {"vconcat": charts}


class FidelityWidget(LiveView):
    """``FidelityWidget(mesh)``: latest fidelities as traits plus a chart over time."""

    css_class = "qnb-fidelity"
    min_interval = 1.0

    latest = traitlets.Dict(help="node -> latest quality record (fidelity_1q/2q/readout, degraded, ...)")
    rtt = traitlets.Dict(help="'a-b' -> latest link RTT in ms")
    degraded = traitlets.List(help="nodes currently marked degraded")
    samples = traitlets.Int(0, help="quality samples seen")
    svg = traitlets.Unicode("")

    def __init__(self, mesh: Any, *, window_s: float = 300.0, samples: Callable[[], list[dict]] | None = None,
                 chart: bool = True, **kw: Any) -> None:
        super().__init__(**kw)
        self.mesh = mesh
        self.window_s = window_s
        self.draw_chart = chart
        self._samples_fn = samples or mesh.quality
        self._last: list[dict] = []
        self._stopped = False

    def _fetch(self) -> list[dict]:
        if self.mesh is not None and not getattr(self.mesh, "running", True):
            self._stopped = True
            return self._last
        self._last = list(self._samples_fn())
        return self._last

    def _snapshot_key(self, samples: list[dict]) -> tuple:
        last = samples[-1] if samples else {}
        return (len(samples), to_seconds(last.get("at")) or 0.0, str(last.get("node") or last.get("a") or ""))

    def _apply(self, samples: list[dict]) -> None:
        nodes, links = latest_quality(samples)
        self.latest, self.rtt = nodes, links
        self.degraded = sorted(n for n, q in nodes.items() if q.get("degraded"))
        self.samples = len(samples)
        if self.draw_chart:
            self.svg = _optional.chart_svg(fidelity_spec(samples, self.window_s)) or ""

    @property
    def finished(self) -> bool:
        return self._stopped

    def _build(self, w: Any) -> Any:
        self._w_html = w.HTML()
        return w.VBox([self._w_html])

    def _sync(self, widget: Any) -> None:
        self._w_html.value = self._body()

    def _body(self) -> str:
        deg = ", ".join(self.degraded) or "none"
        head = f"<div><small>{self.samples} quality samples &middot; degraded: {deg}</small></div>"
        return head + (self.svg or fidelity_table_html(self.latest, self.rtt))

    def _html(self) -> str:
        return f"<div class='qnb-fidelity'>{self._body()}</div>"

    def _text(self) -> str:
        parts = [f"{n} F2q={_f(q.get('fidelity_2q'))}{' DEGRADED' if q.get('degraded') else ''}"
                 for n, q in sorted(self.latest.items())]
        return f"Fidelity ({self.samples} samples): " + ", ".join(parts)

    def chart(self) -> Any:
        """The chart as an altair object, for further composition (None without altair)."""
        self._ensure()
        return _optional.altair_chart(fidelity_spec(self._last, self.window_s))


def _f(v: Any) -> str:
    return "-" if v is None else f"{float(v):.4f}"
