"""Node-side quantum execution on qiskit-aer: the handed-along state, noise from node fidelities,
wire encoding of fragment ops, limits, and the fidelity metrics of a job (docs/quantum.md)."""

from .checks import check_executable
from .executor import ExecStats, ExecutionError, estimate_duration_ns, execute_mode_none, execute_ops
from .fidelity import (distribution, hellinger_fidelity, ideal_distribution, ideal_state, sample_counts,
                       state_fidelity)
from .limits import MODES, StateLimitError, StateLimits, choose_mode
from .noise import NoiseError, NoiseParams, noise_model
from .state import NONE_KIND, STATE_KINDS, QuantumState, none_descriptor
from .wire_ops import decode_ops, ops_from_wire, ops_to_wire

__all__ = [
    "QuantumState", "STATE_KINDS", "NONE_KIND", "none_descriptor",
    "StateLimits", "StateLimitError", "choose_mode", "MODES",
    "NoiseParams", "NoiseError", "noise_model",
    "ExecStats", "ExecutionError", "execute_ops", "execute_mode_none", "estimate_duration_ns",
    "ideal_state", "ideal_distribution", "distribution", "sample_counts", "hellinger_fidelity",
    "state_fidelity",
    "ops_to_wire", "ops_from_wire", "decode_ops",
    "check_executable",
]
