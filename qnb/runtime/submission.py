"""Turn a validated circuit plus submit options into a :class:`JobSpec` (FR-009 input rules).

Shared by the Python API, the coordinator's ``submit`` control command and the CLI, so every
entry point applies the same limits and errors.
"""

from __future__ import annotations

import math
import numbers
import uuid
from typing import Mapping

from ..circuits.ir import Circuit, check_runnable
from ..errors import JobError
from .job import JobSpec
from .policies import POLICY_NAMES

__all__ = ["make_spec"]


#: the longest job name and idempotency key accepted
MAX_NAME = 200
MAX_KEY = 200


def _int(value, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not lo <= value <= hi:
        raise JobError(f"{name} must be an integer in {lo}..{hi}, got {value!r}", field=name)
    return int(value)


def _fraction(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0.0 <= value <= 1.0:
        raise JobError(f"{name} must be a number in [0, 1], got {value!r}", field=name)
    return float(value)


def _text(value, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise JobError(f"{name} must be a non-empty string of at most {limit} characters, got {value!r:.80}",
                       field=name)
    return value


def _parameters(values) -> dict[str, float]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise JobError(f"parameters must be a mapping of name to number, got {type(values).__name__}",
                       field="parameters")
    out: dict[str, float] = {}
    for k, v in values.items():
        if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise JobError(f"parameter {k!r} must be a finite number, got {v!r}", field="parameters")
        out[k] = float(v)
    return out


def make_spec(c: Circuit, settings, *, default_seed: int = 0, noiseless: bool = False, shots: int = 1024,
              min_fidelity: float | None = None, seed: int | None = None, name: str | None = None,
              parameters: Mapping[str, float] | None = None, noisy: bool | None = None,
              idempotency_key: str | None = None, mode: str = "distributed", plan_only: bool = False) -> JobSpec:
    """Check every submit option and build the spec; a bad option raises :class:`JobError` naming it."""
    lim = settings.limits
    shots = _int(shots, "shots", 1, lim.max_shots)
    if min_fidelity is not None:
        min_fidelity = _fraction(min_fidelity, "min_fidelity")
    if seed is not None:
        seed = _int(seed, "seed", 0, 2**63 - 1)
    if mode not in POLICY_NAMES:
        raise JobError(f"mode must be one of {', '.join(POLICY_NAMES)}, got {mode!r}", field="mode")
    if noisy is not None and not isinstance(noisy, bool):
        raise JobError(f"noisy must be true or false, got {noisy!r}", field="noisy")
    if not isinstance(plan_only, bool):
        raise JobError(f"plan_only must be true or false, got {plan_only!r}", field="plan_only")
    name = _text(name, "name", MAX_NAME)
    idempotency_key = _text(idempotency_key, "idempotency_key", MAX_KEY)
    if c.num_qubits < 1:
        raise JobError("the circuit declares no qubits; there is nothing to run", field="source")
    check_runnable(c)   # every numeric gate parameter finite (a QasmError naming the construct)
    params = _parameters(parameters)
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
        seed=default_seed if seed is None else seed, min_fidelity=min_fidelity, parameters=params,
        noisy=(not noiseless) if noisy is None else noisy, idempotency_key=idempotency_key, mode=mode,
        plan_only=plan_only)
