"""Health report of the coordinator and its dependencies (FR-012).

Why a model here: the HTTP API, ``%qnb status`` and ``qnb`` CLI all show the same report; the
integrator fills components ("registry", "store", "runtime", ...) and nodes, and the overall status
is derived by one rule: any critical component down -> "down"; anything not ok -> "degraded".
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ComponentHealth", "HealthReport", "STATUSES"]

STATUSES = ("ok", "degraded", "down")
_RANK = {s: i for i, s in enumerate(STATUSES)}


def _check_status(status: str, what: str) -> str:
    if status not in _RANK:
        raise ValueError(f"{what}: status {status!r} is not one of {', '.join(STATUSES)}")
    return status


@dataclass(frozen=True)
class ComponentHealth:
    status: str
    detail: str = ""

    def __post_init__(self) -> None:
        _check_status(self.status, "component")

    def to_json(self) -> dict:
        return {"status": self.status, "detail": self.detail}


def _component(value: ComponentHealth | Mapping | tuple | str) -> ComponentHealth:
    if isinstance(value, ComponentHealth):
        return value
    if isinstance(value, str):
        return ComponentHealth(value)
    if isinstance(value, tuple):
        return ComponentHealth(*value)
    return ComponentHealth(value["status"], value.get("detail", ""))


@dataclass(frozen=True)
class HealthReport:
    """``status`` in ok|degraded|down; ``components`` name -> ComponentHealth; ``nodes`` free-form
    dicts (conventionally node_id, name, status, available, degraded, fidelity_2q, queue_depth, last_seen_s)."""

    status: str
    components: Mapping[str, ComponentHealth]
    nodes: tuple[Mapping[str, Any], ...] = ()
    ts: _dt.datetime = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc))

    def __post_init__(self) -> None:
        _check_status(self.status, "report")
        object.__setattr__(self, "components", {k: _component(v) for k, v in self.components.items()})
        object.__setattr__(self, "nodes", tuple(dict(n) for n in self.nodes))

    @classmethod
    def build(cls, components: Mapping[str, ComponentHealth | Mapping | tuple | str],
              nodes: Iterable[Mapping[str, Any]] = (), *, critical: Iterable[str] | None = None) -> HealthReport:
        """Derive the overall status. ``critical`` names components whose "down" means the whole
        coordinator is down (default: all); a non-critical component down only degrades it."""
        comps = {k: _component(v) for k, v in components.items()}
        crit = set(comps) if critical is None else set(critical)
        status = "ok"
        for name, c in comps.items():
            effective = c.status if (c.status != "down" or name in crit) else "degraded"
            if _RANK[effective] > _RANK[status]:
                status = effective
        return cls(status=status, components=comps, nodes=tuple(nodes))

    def to_json(self) -> dict:
        return {"status": self.status, "ts": self.ts.isoformat(),
                "components": {k: v.to_json() for k, v in self.components.items()},
                "nodes": [dict(n) for n in self.nodes]}

    def to_text(self) -> str:
        lines = [f"qnb health: {self.status.upper()}"]
        for name, c in self.components.items():
            lines.append(f"  {name:<12} {c.status:<9} {c.detail}".rstrip())
        if self.nodes:
            lines.append(f"  nodes ({len(self.nodes)}):")
            for n in self.nodes:
                label = n.get("name") or n.get("node_id", "?")
                rest = " ".join(f"{k}={v}" for k, v in n.items() if k not in ("name", "node_id", "status"))
                lines.append(f"    {label:<12} {n.get('status', '?'):<9} {rest}".rstrip())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_json_(self) -> dict:   # pragma: no cover - notebook display hook
        return self.to_json()

    def dumps(self) -> str:
        return json.dumps(self.to_json(), default=str)
