"""Circuit ingestion: OpenQASM 2, OpenQASM 3 and qiskit normalise to one immutable IR (FR-003)."""

from .gates import GATES, STANDARD_GATE_SET
from .ir import Circuit, Operation, ParamExpr, check_runnable

__all__ = ["Circuit", "Operation", "ParamExpr", "GATES", "STANDARD_GATE_SET", "load", "loads", "check_runnable",
           "ParseLimits"]


def load(source, name: str | None = None, *, settings=None) -> Circuit:
    """Load a circuit from QASM 2/3 text, a path to a ``.qasm`` file, a bundled circuit name, a qiskit
    circuit or a Circuit (for local use; text from anyone else goes to :func:`loads`)."""
    from .loader import load as _load
    return _load(source, name=name, settings=settings)


def loads(text: str, *, name: str | None = None, settings=None) -> Circuit:
    """Load a circuit from OpenQASM 2/3 text only: never a path or a bundled name. ``settings``
    (Settings, ParseSettings or ParseLimits; default ``ParseSettings()``) bound the work."""
    from .loader import loads as _loads
    return _loads(text, name=name, settings=settings)

# Added by the ingestion layer (FR-003): bundled benchmark circuits, random circuits, exporters.
from .export import to_qasm3, to_qiskit  # noqa: E402
from .from_qiskit import from_qiskit  # noqa: E402
from .loader import bundled  # noqa: E402
from .random_circuit import random_circuit  # noqa: E402
from .limits import ParseLimits  # noqa: E402

__all__ += ["bundled", "random_circuit", "to_qiskit", "to_qasm3", "from_qiskit"]
