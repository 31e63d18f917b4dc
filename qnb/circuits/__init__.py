"""Circuit ingestion: OpenQASM 2, OpenQASM 3 and qiskit normalise to one immutable IR (FR-003)."""

from .gates import GATES, STANDARD_GATE_SET
from .ir import Circuit, Operation, ParamExpr

__all__ = ["Circuit", "Operation", "ParamExpr", "GATES", "STANDARD_GATE_SET", "load"]


def load(source, name: str | None = None) -> Circuit:
    """Load a circuit from QASM 2/3 text, a path to a ``.qasm`` file, a qiskit circuit or a Circuit."""
    from .loader import load as _load
    return _load(source, name=name)

# Added by the ingestion layer (FR-003): bundled benchmark circuits, random circuits, exporters.
from .export import to_qasm3, to_qiskit  # noqa: E402
from .from_qiskit import from_qiskit  # noqa: E402
from .loader import bundled  # noqa: E402
from .random_circuit import random_circuit  # noqa: E402

__all__ += ["bundled", "random_circuit", "to_qiskit", "to_qasm3", "from_qiskit"]
