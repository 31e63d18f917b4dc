"""The runner's view of the nodes (FR-005, FR-006): a :class:`NodeGateway` and its one error type.

The coordinator implements the gateway over libp2p (:mod:`qnb.coordinator.gateway`);
:class:`qnb.testing.ScriptedGateway` implements it by replaying scripted answers so the runner's
retry, backoff and fallback logic can be unit-tested against real plans and real states.
"""

from __future__ import annotations

from typing import Protocol

from ..errors import QnbError

__all__ = ["NodeGateway", "NodeCallError", "CALL_ERROR_KINDS"]

#: how a node call can fail (``Attempt.status`` uses the same words)
CALL_ERROR_KINDS = ("timeout", "transport", "remote_error", "rejected")


class NodeCallError(QnbError):
    """A node call failed. ``kind``: timeout | transport | remote_error | rejected."""

    type = "node_call_error"

    def __init__(self, message: str, kind: str, node: str, code: str | None = None) -> None:
        super().__init__(message, kind=kind, node=node, code=code)
        self.kind, self.node, self.code = kind, node, code


class NodeGateway(Protocol):
    """What the runner needs from the transport."""

    async def reserve(self, node: str, request: dict, timeout: float) -> dict:
        """Send a ``/qnb/reserve`` request; returns the node's response header."""

    async def cancel_reservation(self, node: str, reservation_id: str, timeout: float) -> None:
        """Release a window the job holds on ``node``."""

    async def execute(self, node: str, header: dict, payload: bytes | None,
                      timeout: float) -> tuple[dict, bytes | None]:
        """Run one fragment (``/qnb/exec``); returns the response header and the state payload."""

    def node_alive(self, node: str) -> bool:
        """False once the node's connection is known to be gone (retrying it would only delay fallback)."""
