"""Fault injection on a live mesh (FR-013, used by tests, the harness and ``%qfault``).

Faults are real where they can be: ``drop`` stops the node's libp2p host (its listener closes and
in-flight streams fail), ``latency`` delays every response frame the node sends, ``fidelity``
changes the noise model the node executes with and is re-advertised at once, ``flap`` drops and
restores a node repeatedly. Embedded nodes are driven directly; external nodes (``qnb node``
processes) through the ``/qnb/control`` protocol.
"""

from __future__ import annotations

from typing import Any

import trio

from .errors import QnbError

__all__ = ["FAULT_KINDS", "apply_fault"]

FAULT_KINDS = ("drop", "restore", "latency", "link_latency", "fidelity", "flap", "available")


def _check_node(mesh: Any, node: str | None) -> None:
    if node is None:
        raise QnbError("this fault needs a node name", field="node")
    if node not in mesh._nodes and mesh._coordinator.registry.name_to_peer(node) is None:
        raise QnbError(f"unknown node {node!r}; known: {sorted(mesh._nodes) or mesh.node_names()}", field="node")


async def apply_fault(mesh: Any, kind: str, node: str | None, kw: dict) -> dict:
    """Apply one fault inside the mesh's trio run; returns a description of what was done."""
    if kind not in FAULT_KINDS:
        raise QnbError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}", field="kind")
    _check_node(mesh, node)
    svc = mesh._nodes.get(node)
    coord = mesh._coordinator
    duration = kw.pop("duration_s", None)
    if kind == "drop":
        if svc is not None:
            svc.drop()
            if kw.get("return_after_s"):
                coord._nursery.start_soon(_later, float(kw["return_after_s"]), svc.restore)
        else:
            await coord.control(node, "drop", return_after_s=kw.get("return_after_s"))
    elif kind == "restore":
        if svc is not None:
            svc.restore()
        else:
            await coord.control(node, "restore")
    elif kind == "latency":
        ms = float(kw.get("ms", 50.0))
        if svc is not None:
            svc.set_latency(ms)
        else:
            await coord.control(node, "latency", ms=ms)
        if duration:
            coord._nursery.start_soon(_later, float(duration), lambda: mesh._nodes[node].set_latency(0.0)
                                      if node in mesh._nodes else None)
    elif kind == "link_latency":
        peer, ms = str(kw["peer"]), float(kw.get("ms", 50.0))
        if svc is not None:
            svc.set_link_latency(peer, ms)
        else:
            await coord.control(node, "link_latency", peer=peer, ms=ms)
    elif kind == "fidelity":
        factor, f2 = kw.get("factor"), kw.get("fidelity_2q")
        if factor is None and f2 is None:
            factor = 10.0
        if svc is not None:
            svc.degrade(factor, fidelity_2q=f2)
        else:
            await coord.control(node, "fidelity", factor=factor, fidelity_2q=f2)
        if duration and svc is not None:
            coord._nursery.start_soon(_later, float(duration), svc.restore)
    elif kind == "available":
        flag = bool(kw.get("available", False))
        if svc is not None:
            svc.set_available(flag)
        else:
            await coord.control(node, "available", available=flag)
    elif kind == "flap":
        if svc is None:
            raise QnbError("flap is only supported on embedded nodes", field="node")
        period, cycles = float(kw.get("period_s", 0.5)), int(kw.get("cycles", 3))
        coord._nursery.start_soon(_flap, svc, period, cycles)
    return {"fault": kind, "node": node, **kw, **({"duration_s": duration} if duration else {})}


async def _later(delay: float, fn) -> None:
    await trio.sleep(delay)
    fn()


async def _flap(svc: Any, period: float, cycles: int) -> None:
    for _ in range(cycles):
        svc.drop()
        await trio.sleep(period / 2)
        svc.restore()
        await trio.sleep(period / 2)
