"""The coordinator's gateway to the nodes over libp2p (FR-005, FR-006): RPC calls and their errors.

It implements :class:`qnb.runtime.gateway.NodeGateway` for the runner and the node-control calls
faults use. Every RPC failure becomes a :class:`NodeCallError` whose ``kind`` the runner acts on
(timeout | transport | remote_error); every answer refreshes the node's registry TTL (a node that
answers is alive, however late its adverts are). Reservation-book events carried by answers are
persisted through ``book_events``.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from ..errors import QnbError
from ..mesh import rpc
from ..mesh.protocols import CONTROL, EXEC, RESERVE
from ..mesh.registry import Registry
from ..runtime.gateway import NodeCallError

__all__ = ["LibP2PGateway"]


class LibP2PGateway:
    """Node calls from the coordinator's host. ``host`` is set once the host runs."""

    def __init__(self, registry: Registry, *, max_frame: int, control_timeout: float,
                 book_events: Callable[[str, list[dict]], None]) -> None:
        self.registry = registry
        self.max_frame = max_frame
        self.control_timeout = control_timeout
        self.book_events = book_events
        self.host: Any = None

    def _peer(self, node: str) -> str:
        try:
            return self.registry.name_to_peer(node)
        except QnbError:
            raise NodeCallError(f"node {node} is not in the registry", "transport", node) from None

    async def call(self, node: str, protocol: str, header: dict, payload: bytes | None, timeout: float):
        pid = self._peer(node)
        try:
            out = await rpc.call(self.host, pid, protocol, header, payload, timeout=timeout, max_frame=self.max_frame)
        except rpc.RpcTimeout as e:
            raise NodeCallError(f"{node}: timed out after {timeout} s", "timeout", node) from e
        except rpc.RpcRemoteError as e:
            raise NodeCallError(f"{node}: {e.code}: {e.message}", "remote_error", node, e.code) from e
        except rpc.RpcError as e:
            raise NodeCallError(f"{node}: {e}", "transport", node) from e
        self.registry.touch(pid, time.time())   # an answer is a heartbeat too
        return out

    # ------------------------------------------------------------ NodeGateway
    async def reserve(self, node: str, request: dict, timeout: float) -> dict:
        resp, _ = await self.call(node, RESERVE, dict(request, type="reserve"), None, timeout)
        return resp

    async def cancel_reservation(self, node: str, reservation_id: str, timeout: float) -> None:
        resp, _ = await self.call(node, RESERVE, {"type": "reserve", "operation": "cancel",
                                                  "reservation_id": reservation_id}, None, timeout)
        self.book_events(node, resp.get("events") or [])

    async def execute(self, node: str, header: dict, payload: bytes | None, timeout: float):
        resp, out = await self.call(node, EXEC, header, payload, timeout)
        self.book_events(node, resp.get("events") or [])
        return resp, out

    def node_alive(self, node: str) -> bool:
        """False once the registry knows the node's connection dropped or its adverts expired."""
        e = self.registry.get(node, time.time())
        return e is not None and not (e.disconnected or e.expired)

    # ------------------------------------------------------------ control
    async def control(self, node: str, command: str, **kw: Any) -> dict:
        """Send a node-control command (:data:`qnb.mesh.vocabulary.NODE_COMMANDS`)."""
        resp, _ = await self.call(node, CONTROL, {"type": "control", "command": command, **kw}, None,
                                  self.control_timeout)
        return resp
