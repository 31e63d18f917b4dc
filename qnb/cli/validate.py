"""``qnb validate FILE [--json]``: load a circuit and print its summary or the structured error (FR-003).

FILE is a ``.qasm`` path (OpenQASM 2 or 3), a bundled circuit name (``ghz_5``) or ``-`` for stdin.
Exit status 0 when the circuit loads, 2 with the error (``{"error": {...}}`` under ``--json``).
"""

from __future__ import annotations

import json
import sys
from collections import Counter

__all__ = ["register", "summary"]


def summary(circuit) -> dict:
    counts = Counter(op.name if not op.ctrl_qubits else f"{op.name}+{op.ctrl_qubits}ctrl"
                     for op in circuit.operations)
    return {
        "name": circuit.name,
        "source_format": circuit.source_format,
        "num_qubits": circuit.num_qubits,
        "num_clbits": circuit.num_clbits,
        "num_ops": circuit.num_ops,
        "num_measurements": len(circuit.measurements),
        "gate_counts": dict(sorted(counts.items())),
        "parameters": list(circuit.parameters),
        "fingerprint": circuit.fingerprint(),
    }


def _run(args) -> int:
    from ..circuits import load
    source = sys.stdin.read() if args.file == "-" else args.file
    info = summary(load(source))
    if args.json:
        print(json.dumps(info, sort_keys=True))
        return 0
    params = ", ".join(info["parameters"]) or "none"
    gates = ", ".join(f"{k}: {v}" for k, v in info["gate_counts"].items()) or "none"
    print(f"{info['name']}: valid {info['source_format']} circuit")
    print(f"  qubits {info['num_qubits']}, clbits {info['num_clbits']}, ops {info['num_ops']} "
          f"({info['num_measurements']} measurements)")
    print(f"  operations: {gates}")
    print(f"  parameters: {params}")
    print(f"  fingerprint: {info['fingerprint']}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("validate", help="check that a circuit file loads; print its summary",
                              description=__doc__.splitlines()[0])
    p.add_argument("file", metavar="FILE", help=".qasm file, bundled circuit name, or - for stdin")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_run)
