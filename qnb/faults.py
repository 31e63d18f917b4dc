"""Fault injection on a live mesh (FR-013, used by tests, the harness and ``%qfault``).

Faults are real where they can be: ``drop`` stops the node's libp2p host (its listener closes and
in-flight streams fail), ``latency`` delays every response frame the node sends, ``fidelity``
changes the noise model the node executes with and is re-advertised at once, ``flap`` drops and
restores a node repeatedly. Embedded nodes are driven directly; external nodes (``qnb node``
processes) through the ``/qnb/control`` protocol, with the node command of the same name.
The kinds are defined once, in :data:`qnb.mesh.vocabulary.FAULT_KINDS`.
"""

from __future__ import annotations

from typing import Any, Callable

import trio

from .errors import QnbError
from .mesh.vocabulary import FAULT_KINDS

__all__ = ["FAULT_KINDS", "apply_fault"]


def _check_node(mesh: Any, node: str | None) -> None:
    if node is None:
        raise QnbError("this fault needs a node name", field="node")
    if mesh.node_service(node) is None and node not in mesh.coordinator.registry:
        known = mesh.node_names() or sorted(e.name for e in mesh.coordinator.registry.entries())
        raise QnbError(f"unknown node {node!r}; known: {known}", field="node")


async def apply_fault(mesh: Any, kind: str, node: str | None, kw: dict) -> dict:
    """Apply one fault inside the mesh's trio run; returns a description of what was done."""
    if kind not in FAULT_KINDS:
        raise QnbError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}", field="kind")
    _check_node(mesh, node)
    kw = dict(kw)
    svc = mesh.node_service(node)
    coord = mesh.coordinator
    duration = kw.pop("duration_s", None)

    async def remote(command: str, **args: Any) -> None:
        await coord.control(node, command, **args)

    if kind == "drop":
        if svc is not None:
            svc.drop()
            if kw.get("return_after_s"):
                coord.spawn(_later, float(kw["return_after_s"]), svc.restore)
        else:
            await remote("drop", return_after_s=kw.get("return_after_s"))
    elif kind == "restore":
        if svc is not None:
            svc.restore()
        else:
            await remote("restore")
    elif kind == "latency":
        ms = float(kw.get("ms", 50.0))
        if svc is not None:
            svc.set_latency(ms)
        else:
            await remote("latency", ms=ms)
        if duration and svc is not None:
            coord.spawn(_later, float(duration), lambda: svc.set_latency(0.0))
    elif kind == "link_latency":
        if "peer" not in kw:
            raise QnbError("link_latency needs peer=<node name>", field="peer")
        peer, ms = str(kw["peer"]), float(kw.get("ms", 50.0))
        if svc is not None:
            svc.set_link_latency(peer, ms)
        else:
            await remote("link_latency", peer=peer, ms=ms)
    elif kind == "fidelity":
        factor, f2 = kw.get("factor"), kw.get("fidelity_2q")
        if factor is None and f2 is None:
            factor = 10.0
        if svc is not None:
            svc.degrade(factor, fidelity_2q=f2)
        else:
            await remote("fidelity", factor=factor, fidelity_2q=f2)
        if duration and svc is not None:
            coord.spawn(_later, float(duration), svc.restore)
    elif kind == "available":
        flag = bool(kw.get("available", False))
        if svc is not None:
            svc.set_available(flag)
        else:
            await remote("available", available=flag)
    elif kind == "flap":
        if svc is None:
            raise QnbError("flap is only supported on embedded nodes", field="node")
        coord.spawn(_flap, svc, float(kw.get("period_s", 0.5)), int(kw.get("cycles", 3)))
    return {"fault": kind, "node": node, **kw, **({"duration_s": duration} if duration else {})}


async def _later(delay: float, fn: Callable[[], Any]) -> None:
    await trio.sleep(delay)
    fn()


async def _flap(svc: Any, period: float, cycles: int) -> None:
    for _ in range(cycles):
        svc.drop()
        await trio.sleep(period / 2)
        svc.restore()
        await trio.sleep(period / 2)
