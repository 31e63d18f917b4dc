"""How large a simulated state qnb will carry, and which representation a run uses.

A state vector of n qubits is ``16 * 2**n`` bytes (20 qubits: 16 MiB); a density matrix is
``16 * 4**n`` bytes (10 qubits: 16 MiB). Both travel in every EXEC request and response, so the
limits bound memory and frame size alike. Beyond them a job runs plan-and-timing only (mode
``"none"``) and its result must say so (see docs/quantum.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import QnbError

__all__ = ["StateLimits", "StateLimitError", "choose_mode", "MODES"]

MODES = ("statevector", "density_matrix", "none")


class StateLimitError(QnbError):
    """A state larger than the configured limit was requested or received."""

    type = "state_limit"


@dataclass(frozen=True)
class StateLimits:
    """Largest qubit counts simulated with each representation (config ``[limits]``)."""

    statevector_max_qubits: int = 20
    density_matrix_max_qubits: int = 10

    def __post_init__(self) -> None:
        for name in ("statevector_max_qubits", "density_matrix_max_qubits"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 32:
                raise ValueError(f"StateLimits.{name} must be an int in 1..32, got {v!r}")

    def max_qubits(self, kind: str) -> int:
        return self.statevector_max_qubits if kind == "statevector" else self.density_matrix_max_qubits

    def check(self, kind: str, num_qubits: int) -> None:
        """Raise :class:`StateLimitError` when a ``kind`` state of ``num_qubits`` is too large."""
        limit = self.max_qubits(kind)
        if num_qubits > limit:
            raise StateLimitError(f"{kind} of {num_qubits} qubits exceeds the limit of {limit} qubits",
                                  kind=kind, num_qubits=num_qubits, limit=limit)


def choose_mode(num_qubits: int, noisy: bool, limits: StateLimits | None = None) -> str:
    """``"statevector"`` for noiseless runs, ``"density_matrix"`` for noisy ones, ``"none"`` beyond
    the limit of the representation the run needs.

    A noisy run is never silently downgraded to a noiseless state vector: that would report a
    fidelity the nodes did not produce.
    """
    limits = limits or StateLimits()
    kind = "density_matrix" if noisy else "statevector"
    return kind if num_qubits <= limits.max_qubits(kind) else "none"
