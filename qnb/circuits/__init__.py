"""Circuit ingestion: OpenQASM 2, OpenQASM 3 and qiskit normalise to one immutable IR (FR-003)."""

from .gates import GATES, STANDARD_GATE_SET
from .ir import Circuit, Operation, ParamExpr

__all__ = ["Circuit", "Operation", "ParamExpr", "GATES", "STANDARD_GATE_SET", "load"]


def load(source, name: str | None = None) -> Circuit:
    """Load a circuit from QASM 2/3 text, a path to a ``.qasm`` file, a qiskit circuit or a Circuit."""
    from .loader import load as _load
    return _load(source, name=name)
