"""QuantumState: construction, wire encoding and the checks decode makes (FR-006 state handoff)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qnb.errors import ProtocolError
from qnb.quantum.state import QuantumState, none_descriptor


def random_state(n: int, kind: str, seed: int) -> QuantumState:
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=2 ** n) + 1j * rng.normal(size=2 ** n)
    psi /= np.linalg.norm(psi)
    if kind == "statevector":
        return QuantumState("statevector", n, psi)
    # a mixed state: average of |psi><psi| and the maximally mixed state
    rho = 0.5 * np.outer(psi, psi.conj()) + 0.5 * np.eye(2 ** n) / 2 ** n
    return QuantumState("density_matrix", n, rho)


def test_initial_is_all_zero_basis_state():
    sv = QuantumState.initial(3)
    assert sv.data.shape == (8,) and sv.data[0] == 1 and np.count_nonzero(sv.data) == 1
    dm = QuantumState.initial(2, "density_matrix")
    assert dm.data.shape == (4, 4) and dm.data[0, 0] == 1 and np.count_nonzero(dm.data) == 1


def test_probabilities_use_little_endian_qubit_order():
    # |q1 q0> = |01>: qubit 0 is 1, so basis index 1
    data = np.zeros(4, complex)
    data[1] = 1
    s = QuantumState("statevector", 2, data)
    assert s.probabilities().tolist() == [0, 1, 0, 0]
    assert s.to_density_matrix().probabilities().tolist() == [0, 1, 0, 0]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 4), kind=st.sampled_from(["statevector", "density_matrix"]), seed=st.integers(0, 10 ** 6))
def test_encode_decode_round_trip_is_exact(n, kind, seed):
    s = random_state(n, kind, seed)
    desc, payload = s.encode()
    assert desc == {"kind": kind, "num_qubits": n, "dtype": "complex128", "nbytes": len(payload)}
    back = QuantumState.decode(desc, payload)
    assert back.kind == kind and back.num_qubits == n
    assert np.array_equal(back.data, s.data)
    back.data[0] = 0  # decoded arrays are writable copies, not views of the payload
    assert isinstance(payload, bytes)


def test_payload_is_little_endian_complex128():
    s = QuantumState.initial(1)
    _, payload = s.encode()
    assert payload == np.array([1, 0], dtype="<c16").tobytes()


def test_density_matrix_of_statevector_is_projector():
    s = random_state(2, "statevector", 1)
    rho = s.to_density_matrix().data
    assert np.allclose(rho @ rho, rho) and np.isclose(np.trace(rho), 1)


@pytest.mark.parametrize("mutate, field", [
    (lambda d, p: ({**d, "kind": "mps"}, p), "kind"),
    (lambda d, p: ({**d, "num_qubits": 3}, p), "nbytes"),            # descriptor claims a larger state
    (lambda d, p: ({**d, "num_qubits": 0}, p), "num_qubits"),
    (lambda d, p: ({**d, "num_qubits": True}, p), "num_qubits"),
    (lambda d, p: ({**d, "dtype": "complex64"}, p), "dtype"),
    (lambda d, p: ({**d, "nbytes": d["nbytes"] + 16}, p), "nbytes"),
    (lambda d, p: (d, p[:-16]), "payload"),                           # truncated payload
    (lambda d, p: (d, p + b"\0" * 16), "payload"),                    # extra bytes
    (lambda d, p: (d, np.array([2, 0, 0, 0], dtype="<c16").tobytes()), "payload"),   # not normalised
    (lambda d, p: (d, np.array([np.nan, 0, 0, 0], dtype="<c16").tobytes()), "payload"),
])
def test_decode_rejects_inconsistent_states(mutate, field):
    desc, payload = QuantumState.initial(2).encode()
    bad_desc, bad_payload = mutate(desc, payload)
    with pytest.raises(ProtocolError) as ei:
        QuantumState.decode(bad_desc, bad_payload)
    assert ei.value.code == "bad_state"
    assert ei.value.fields.get("field") == field


def test_decode_rejects_non_unit_trace_density_matrix():
    desc, _ = QuantumState.initial(1, "density_matrix").encode()
    with pytest.raises(ProtocolError, match="trace"):
        QuantumState.decode(desc, np.diag([0.5, 0.2]).astype("<c16").tobytes())


def test_constructor_rejects_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        QuantumState("statevector", 2, np.zeros(8, complex))
    with pytest.raises(ValueError, match="kind"):
        QuantumState.initial(2, "stabilizer")


def test_none_descriptor_has_no_payload():
    assert none_descriptor(30) == {"kind": "none", "num_qubits": 30, "dtype": "complex128", "nbytes": 0}
