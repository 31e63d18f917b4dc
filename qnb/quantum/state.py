"""The simulated quantum state that is handed from node to node along a plan (FR-006, NFR-007).

One global state travels through ``Plan.fragments`` in order: the coordinator sends it with each
EXEC request, the node applies the fragment's operations on qiskit-aer and returns the new state.
On the wire a state is a small JSON *descriptor* plus a raw byte *payload*::

    {"kind": "statevector" | "density_matrix", "num_qubits": n, "dtype": "complex128", "nbytes": b}

The payload is the array in C (row-major) order as little-endian complex128, so it means the same
on every machine. Qubit ordering is qiskit's little-endian convention: qubit 0 is the least
significant bit of a basis-state index; a density matrix is ``rho[i, j]`` with the same indexing.
``decode`` checks every size and the normalisation before a node trusts a state from the wire,
because aer's own checks are skipped on the fast path (see ``executor.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ProtocolError

__all__ = ["QuantumState", "STATE_KINDS", "NONE_KIND", "WIRE_DTYPE", "none_descriptor"]

STATE_KINDS = ("statevector", "density_matrix")
#: descriptor kind for "plan-and-timing only" runs beyond the state limits (no payload)
NONE_KIND = "none"
WIRE_DTYPE = "complex128"
_NP_WIRE_DTYPE = np.dtype("<c16")
#: hard ceiling on the qubits a descriptor may claim, far above any configurable limit; it stops
#: an absurd ``num_qubits`` from reaching ``2 ** n`` arithmetic.
_MAX_DESCRIPTOR_QUBITS = 40
#: tolerance for the norm / trace check on decode (aer's own validity check uses 1e-8 atol)
_NORM_TOL = 1e-6


def _bad(message: str, **fields) -> ProtocolError:
    return ProtocolError(message, code="bad_state", **fields)


def _expected_nbytes(kind: str, num_qubits: int) -> int:
    dim = 1 << num_qubits
    return 16 * (dim if kind == "statevector" else dim * dim)


def none_descriptor(num_qubits: int) -> dict:
    """Descriptor for a run that carries no state (mode ``"none"``, beyond the limits)."""
    return {"kind": NONE_KIND, "num_qubits": int(num_qubits), "dtype": WIRE_DTYPE, "nbytes": 0}


@dataclass(frozen=True, eq=False)
class QuantumState:
    """A pure state vector (``kind="statevector"``, shape ``(2**n,)``) or a density matrix
    (``kind="density_matrix"``, shape ``(2**n, 2**n)``), complex128, qiskit qubit order."""

    kind: str
    num_qubits: int
    data: np.ndarray

    def __post_init__(self) -> None:
        if self.kind not in STATE_KINDS:
            raise ValueError(f"state kind must be one of {STATE_KINDS}, got {self.kind!r}")
        if not isinstance(self.num_qubits, int) or self.num_qubits < 1:
            raise ValueError(f"num_qubits must be an int >= 1, got {self.num_qubits!r}")
        dim = 1 << self.num_qubits
        shape = (dim,) if self.kind == "statevector" else (dim, dim)
        if self.data.shape != shape:
            raise ValueError(f"{self.kind} of {self.num_qubits} qubits needs shape {shape}, "
                             f"got {self.data.shape}")
        if self.data.dtype != np.complex128:
            object.__setattr__(self, "data", self.data.astype(np.complex128))

    # ------------------------------------------------------------ construction
    @classmethod
    def initial(cls, num_qubits: int, kind: str = "statevector") -> "QuantumState":
        """|0...0> as a state vector or as the density matrix |0><0|."""
        if kind not in STATE_KINDS:
            raise ValueError(f"state kind must be one of {STATE_KINDS}, got {kind!r}")
        dim = 1 << num_qubits
        if kind == "statevector":
            data = np.zeros(dim, dtype=np.complex128)
            data[0] = 1.0
        else:
            data = np.zeros((dim, dim), dtype=np.complex128)
            data[0, 0] = 1.0
        return cls(kind, num_qubits, data)

    def to_density_matrix(self) -> "QuantumState":
        """The same state as a density matrix (|psi><psi| for a state vector)."""
        if self.kind == "density_matrix":
            return self
        return QuantumState("density_matrix", self.num_qubits, np.outer(self.data, self.data.conj()))

    def probabilities(self) -> np.ndarray:
        """Computational-basis probabilities (index = basis state, qubit 0 least significant)."""
        if self.kind == "statevector":
            p = np.abs(self.data) ** 2
        else:
            p = np.real(np.diagonal(self.data)).copy()
        np.clip(p, 0.0, None, out=p)
        return p

    # ------------------------------------------------------------------- wire
    @property
    def nbytes(self) -> int:
        return _expected_nbytes(self.kind, self.num_qubits)

    def descriptor(self) -> dict:
        return {"kind": self.kind, "num_qubits": self.num_qubits, "dtype": WIRE_DTYPE,
                "nbytes": self.nbytes}

    def encode(self) -> tuple[dict, bytes]:
        """``(descriptor, payload)`` for an EXEC request or response."""
        payload = np.ascontiguousarray(self.data, dtype=_NP_WIRE_DTYPE).tobytes()
        return self.descriptor(), payload

    @classmethod
    def decode(cls, descriptor: dict, payload: bytes | bytearray | memoryview) -> "QuantumState":
        """Rebuild a state from the wire; any inconsistency is ``ProtocolError(code="bad_state")``."""
        if not isinstance(descriptor, dict):
            raise _bad(f"state descriptor must be an object, got {type(descriptor).__name__}")
        kind = descriptor.get("kind")
        if kind not in STATE_KINDS:
            raise _bad(f"state descriptor kind must be one of {list(STATE_KINDS)}, got {kind!r}",
                       field="kind")
        n = descriptor.get("num_qubits")
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= _MAX_DESCRIPTOR_QUBITS:
            raise _bad(f"state descriptor num_qubits must be an int in 1..{_MAX_DESCRIPTOR_QUBITS}, "
                       f"got {n!r}", field="num_qubits")
        if descriptor.get("dtype") != WIRE_DTYPE:
            raise _bad(f"state descriptor dtype must be {WIRE_DTYPE!r}, got {descriptor.get('dtype')!r}",
                       field="dtype")
        expected = _expected_nbytes(kind, n)
        nbytes = descriptor.get("nbytes")
        if nbytes != expected:
            raise _bad(f"state descriptor nbytes={nbytes!r} does not match a {n}-qubit {kind} "
                       f"({expected} bytes)", field="nbytes", expected=expected)
        if len(payload) != expected:
            raise _bad(f"state payload has {len(payload)} bytes, descriptor says {expected}",
                       field="payload", expected=expected, got=len(payload))
        flat = np.frombuffer(payload, dtype=_NP_WIRE_DTYPE).astype(np.complex128)
        dim = 1 << n
        data = flat if kind == "statevector" else flat.reshape(dim, dim)
        if not np.all(np.isfinite(data)):
            raise _bad("state payload contains NaN or infinite amplitudes", field="payload")
        norm = (float(np.vdot(data, data).real) if kind == "statevector"
                else float(np.trace(data).real))
        if abs(norm - 1.0) > _NORM_TOL:
            what = "norm" if kind == "statevector" else "trace"
            raise _bad(f"state is not normalised: {what} = {norm!r}", field="payload")
        return cls(kind, n, data)
