"""check_executable: only terminal measurements, initial resets and bound parameters run."""

from __future__ import annotations

import pytest

from qnb.circuits.ir import Circuit, Operation as Op, ParamExpr
from qnb.errors import UnsupportedConstructError
from qnb.quantum.checks import check_executable


def circ(*ops, n=2, c=2):
    return Circuit(n, c, tuple(ops))


def test_terminal_measurements_initial_resets_and_barriers_are_fine():
    check_executable(circ(Op("reset", (0,)), Op("reset", (1,)), Op("h", (0,)), Op("cx", (0, 1)),
                          Op("measure", (0,), (0,)), Op("barrier", (0, 1)), Op("measure", (1,), (1,)),
                          Op("measure", (0,), (1,))))


def test_reset_of_an_untouched_qubit_after_gates_elsewhere_is_fine():
    check_executable(circ(Op("h", (0,)), Op("reset", (1,)), Op("cx", (0, 1))))


@pytest.mark.parametrize("ops, construct, index, qubit", [
    ((Op("measure", (0,), (0,)), Op("x", (0,))), "mid_circuit_measurement", 1, 0),
    ((Op("measure", (1,), (0,)), Op("cx", (0, 1))), "mid_circuit_measurement", 1, 1),
    ((Op("measure", (0,), (0,)), Op("reset", (0,))), "reset_after_measure", 1, 0),
    ((Op("h", (0,)), Op("reset", (0,))), "mid_circuit_reset", 1, 0),
    ((Op("cx", (1, 0)), Op("h", (1,)), Op("reset", (0,))), "mid_circuit_reset", 2, 0),
])
def test_non_terminal_constructs_are_named(ops, construct, index, qubit):
    with pytest.raises(UnsupportedConstructError) as ei:
        check_executable(circ(*ops))
    err = ei.value
    assert err.construct == construct
    assert err.fields["op_index"] == index and err.fields["qubit"] == qubit
    assert f"op {index}" in err.message and f"qubit {qubit}" in err.message


def test_unbound_parameters_are_named():
    c = Circuit(1, 0, (Op("rz", (0,), params=(ParamExpr("2*theta + phi"),)),), parameters=("theta", "phi"))
    with pytest.raises(UnsupportedConstructError) as ei:
        check_executable(c)
    assert ei.value.construct == "unbound_parameter"
    assert ei.value.fields["parameters"] == ["phi", "theta"]
    check_executable(c.bind(theta=0.1, phi=0.2))
