"""Noise from node fidelities: the depolarizing conversion, the NoiseModel, and monotonic effect."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import average_gate_fidelity
from qiskit_aer import AerSimulator

from qnb.circuits.gates import GATES
from qnb.circuits.ir import Operation as Op
from qnb.quantum.executor import execute_ops
from qnb.quantum.fidelity import ideal_state, state_fidelity
from qnb.quantum.noise import (NoiseError, NoiseParams, depolarizing_error_for, depolarizing_lambda,
                               gate_fidelity, noise_model, two_qubit_count)
from qnb.quantum.state import QuantumState
from qnb.circuits.ir import Circuit


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("fidelity", [0.999999, 0.999, 0.99, 0.9, 0.6])
def test_depolarizing_channel_has_the_node_average_gate_fidelity(k, fidelity):
    err = depolarizing_error_for(fidelity, k)
    assert abs(average_gate_fidelity(err.to_quantumchannel()) - fidelity) < 1e-9


@pytest.mark.parametrize("k", [1, 2])
def test_lowest_representable_fidelity_is_one_over_d_plus_one(k):
    d = 2 ** k
    f_min = 1 / (d + 1)
    err = depolarizing_error_for(f_min, k)      # lam = d^2/(d^2-1), aer's maximum
    assert abs(average_gate_fidelity(err.to_quantumchannel()) - f_min) < 1e-9
    with pytest.raises(NoiseError, match="below"):
        depolarizing_lambda(f_min - 0.01, k)


def test_saturation_is_the_fully_depolarizing_channel():
    assert depolarizing_lambda(0.01, 3, saturate=True) == 1.0
    assert depolarizing_lambda(0.9, 1) == pytest.approx(0.2)      # (1 - F) d/(d-1) with d = 2
    assert depolarizing_lambda(0.9, 2) == pytest.approx(0.4 / 3)  # d = 4


@pytest.mark.parametrize("kw, field", [({"fidelity_1q": 0.0}, "fidelity_1q"), ({"fidelity_2q": 1.2}, "fidelity_2q"),
                                       ({"fidelity_readout": float("nan")}, "fidelity_readout"),
                                       ({"fidelity_1q": 0.2}, "fidelity_1q"),   # below 1/3
                                       ({"fidelity_2q": "0.9"}, "fidelity_2q")])
def test_noise_params_validate_each_field(kw, field):
    with pytest.raises(NoiseError) as ei:
        NoiseParams(**kw)
    assert ei.value.fields["field"] == field


def test_three_qubit_gates_compose_the_two_qubit_fidelity():
    p = NoiseParams(0.999, 0.99, 1.0)
    assert gate_fidelity(p, "ccx", 3) == pytest.approx(0.99 ** 6)
    assert gate_fidelity(p, "cswap", 3) == pytest.approx(0.99 ** 8)
    # a 3-controlled X decomposes into more CX gates than a Toffoli
    assert two_qubit_count("x", 3) > two_qubit_count("ccx")
    assert gate_fidelity(NoiseParams(0.99, 1.0, 1.0), "ccx", 3) == 1.0


def test_noiseless_params_give_no_noise_model():
    assert noise_model(None) is None
    assert noise_model(NoiseParams()) is None


def test_noise_model_covers_every_library_gate_and_readout():
    nm = noise_model(NoiseParams(0.999, 0.99, 0.98))
    assert set(GATES) <= set(nm.noise_instructions)
    assert "measure" in nm.noise_instructions   # readout error


def test_noise_model_readout_error_is_symmetric_flip():
    nm = noise_model(NoiseParams(1.0, 1.0, 0.9))
    probs = nm.to_dict()["errors"][0]["probabilities"]
    assert np.allclose(probs, [[0.9, 0.1], [0.1, 0.9]])


OPS = [Op("h", (0,)), Op("cx", (0, 1)), Op("rx", (2,), params=(0.7,)), Op("ccx", (0, 1, 2)),
       Op("swap", (0, 2)), Op("sx", (1,)), Op("rz", (0,), params=(0.3,)), Op("cz", (1, 2))]


def test_executor_applies_exactly_the_noise_model_channels():
    """Two independent routes to the same noisy state: aer applying NoiseModel by gate name, and
    the executor's explicit channels. They must agree."""
    p = NoiseParams(0.99, 0.95, 0.97)
    sim = AerSimulator(method="density_matrix", noise_model=noise_model(p))
    qc = QuantumCircuit(3)
    qc.h(0); qc.cx(0, 1); qc.rx(0.7, 2); qc.ccx(0, 1, 2); qc.swap(0, 2); qc.sx(1); qc.rz(0.3, 0); qc.cz(1, 2)
    qc.save_density_matrix(label="rho")
    rho = np.asarray(sim.run(qc).result().data(0)["rho"])
    out, stats = execute_ops(OPS, QuantumState.initial(3), p)
    assert stats.mode == "density_matrix"
    assert np.allclose(out.data, rho, atol=1e-12)


def test_lower_node_fidelity_lowers_state_fidelity_monotonically():
    ideal = ideal_state(Circuit(3, 0, tuple(OPS)))
    fids = []
    for f in [1.0, 0.9999, 0.999, 0.99, 0.95, 0.9, 0.8]:
        out, _ = execute_ops(OPS, QuantumState.initial(3), NoiseParams(f, f, 1.0))
        fids.append(state_fidelity(out, ideal))
    assert fids[0] == pytest.approx(1.0, abs=1e-12)
    assert all(a > b for a, b in zip(fids, fids[1:])), fids


def test_noisy_output_is_a_valid_density_matrix():
    out, _ = execute_ops(OPS, QuantumState.initial(3), NoiseParams(0.9, 0.8, 1.0), {1: 0.7})
    rho = out.data
    assert np.isclose(np.trace(rho).real, 1.0)
    assert np.allclose(rho, rho.conj().T)
    assert np.linalg.eigvalsh(rho).min() > -1e-12


def test_lower_link_fidelity_lowers_state_fidelity():
    ideal = ideal_state(Circuit(3, 0, tuple(OPS)))
    fids = [state_fidelity(execute_ops(OPS, QuantumState.initial(3), None, {1: f, 7: f})[0], ideal)
            for f in [1.0, 0.99, 0.9, 0.7]]
    assert fids[0] == pytest.approx(1.0, abs=1e-12)
    assert all(a > b for a, b in zip(fids, fids[1:])), fids
