"""Turn a validated circuit plus submit options into a :class:`JobSpec` (FR-009 input rules).

Shared by the Python API, the coordinator's ``submit`` control command and the CLI, so every
entry point applies the same limits and errors.
"""

from __future__ import annotations

import uuid
from typing import Mapping

from ..circuits.ir import Circuit
from ..errors import JobError
from .job import JobSpec

__all__ = ["make_spec"]


def make_spec(c: Circuit, settings, *, default_seed: int = 0, noiseless: bool = False, shots: int = 1024,
              min_fidelity: float | None = None, seed: int | None = None, name: str | None = None,
              parameters: Mapping[str, float] | None = None, noisy: bool | None = None,
              idempotency_key: str | None = None, mode: str = "distributed") -> JobSpec:
    lim = settings.limits
    if isinstance(shots, bool) or not isinstance(shots, int) or not 1 <= shots <= lim.max_shots:
        raise JobError(f"shots must be an integer in 1..{lim.max_shots}, got {shots!r}", field="shots")
    if min_fidelity is not None and not 0.0 <= float(min_fidelity) <= 1.0:
        raise JobError(f"min_fidelity must be in [0, 1], got {min_fidelity!r}", field="min_fidelity")
    if mode not in ("distributed", "centralized"):
        raise JobError(f"mode must be 'distributed' or 'centralized', got {mode!r}", field="mode")
    params = {k: float(v) for k, v in (parameters or {}).items()}
    if set(params) != set(c.parameters):
        try:
            c.bind(params)
        except KeyError as e:
            raise JobError(str(e.args[0]), field="parameters") from None
    source = c.source if c.source and c.source_format in ("qasm2", "qasm3") else c.to_qasm3()
    size = len(source.encode())
    if size > lim.max_qasm_bytes:
        raise JobError(f"circuit source is {size} bytes; the limit is {lim.max_qasm_bytes}", field="source")
    return JobSpec(
        job_id=str(uuid.uuid4()), name=name or c.name or "job", source=source,
        source_format=c.source_format if c.source else "qasm3", fingerprint=c.fingerprint(),
        num_qubits=c.num_qubits, num_ops=c.num_ops, shots=shots,
        seed=default_seed if seed is None else int(seed), min_fidelity=min_fidelity, parameters=params,
        noisy=(not noiseless) if noisy is None else bool(noisy), idempotency_key=idempotency_key, mode=mode)
