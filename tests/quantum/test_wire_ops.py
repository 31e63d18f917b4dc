"""Fragment ops on the wire: exact round trip and strict validation on the node."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qnb.circuits.ir import Operation, ParamExpr
from qnb.errors import ProtocolError
from qnb.quantum.wire_ops import decode_ops, ops_from_wire, ops_to_wire

from .strategies import circuits


@settings(max_examples=60, deadline=None)
@given(circuits(max_qubits=5, max_gates=20), st.data())
def test_round_trip_through_json_is_exact(circuit, data):
    ops = list(circuit.operations)
    idx = data.draw(st.lists(st.integers(0, max(len(ops) - 1, 0)), max_size=3)) if ops else []
    link = {i: data.draw(st.floats(0.01, 1.0)) for i in idx}
    wire = json.loads(json.dumps(ops_to_wire(ops, link)))
    back, back_link = decode_ops(wire, circuit.num_qubits)
    assert back == ops          # params compare as exact floats: no rounding on the wire
    assert back_link == link


def test_symbolic_parameters_never_go_on_the_wire():
    with pytest.raises(ProtocolError, match="unbound parameter") as ei:
        ops_to_wire([Operation("h", (0,)), Operation("rz", (0,), params=(ParamExpr("2*theta"),))])
    assert ei.value.code == "bad_ops" and ei.value.fields["op_index"] == 1


def test_link_fidelity_key_must_index_an_op():
    with pytest.raises(ProtocolError, match="link_fidelity key 3"):
        ops_to_wire([Operation("cx", (0, 1))], {3: 0.9})


GOOD = {"name": "cx", "qubits": [0, 1]}


@pytest.mark.parametrize("item, problem", [
    ("cx", "must be an object"),
    ({"name": "foo", "qubits": [0]}, "unknown operation name 'foo'"),
    ({"qubits": [0]}, "unknown operation name None"),
    ({"name": "cx", "qubits": [0]}, "acts on 2 qubit(s), got 1"),
    ({"name": "h", "qubits": [0, 1]}, "acts on 1 qubit(s), got 2"),
    ({"name": "h", "qubits": [0, 1], "ctrl_qubits": 2}, "acts on 3 qubit(s), got 2"),
    ({"name": "cx", "qubits": [0, 3]}, "qubit 3 is outside 0..2"),
    ({"name": "cx", "qubits": [-1, 0]}, "qubit -1 is outside"),
    ({"name": "cx", "qubits": [1, 1]}, "duplicate qubits"),
    ({"name": "cx", "qubits": [0, 1.0]}, "qubits must be a list of integers"),
    ({"name": "cx", "qubits": [True, 0]}, "qubits must be a list of integers"),
    ({"name": "rz", "qubits": [0]}, "takes 1 parameter(s), got 0"),
    ({"name": "h", "qubits": [0], "params": [0.1]}, "takes 0 parameter(s), got 1"),
    ({"name": "rz", "qubits": [0], "params": ["theta"]}, "is not a number"),
    ({"name": "rz", "qubits": [0], "params": [float("nan")]}, "not finite"),
    ({"name": "rz", "qubits": [0], "params": 0.5}, "params must be a list"),
    ({"name": "h", "qubits": [0], "ctrl_qubits": -1}, "ctrl_qubits must be a non-negative integer"),
    ({"name": "measure", "qubits": [0]}, "measure needs exactly 1 qubit and 1 clbit"),
    ({"name": "measure", "qubits": [0], "clbits": [-2]}, "clbit -2 is negative"),
    ({"name": "reset", "qubits": [0, 1]}, "reset needs exactly 1 qubit"),
    ({"name": "barrier", "qubits": []}, "barrier needs at least 1 qubit"),
    ({"name": "h", "qubits": [0], "clbits": [0]}, "gate h cannot have clbits"),
    ({"name": "reset", "qubits": [0], "ctrl_qubits": 1}, "reset cannot have ctrl_qubits"),
    ({"name": "cx", "qubits": [0, 1], "link_fidelity": 1.5}, "link_fidelity must be a number in (0, 1]"),
    ({"name": "cx", "qubits": [0, 1], "condition": [0, 1]}, "unknown field(s) ['condition']"),
])
def test_each_malformed_op_is_rejected_with_its_index(item, problem):
    wire = [GOOD, item]          # the bad op is op 1: the message must say so
    with pytest.raises(ProtocolError) as ei:
        ops_from_wire(wire, 3)
    err = ei.value
    assert err.code == "bad_ops"
    assert err.fields["op_index"] == 1
    assert err.message.startswith("op 1: ")
    assert problem in err.message


def test_ops_must_be_a_list():
    with pytest.raises(ProtocolError, match="ops must be a list") as ei:
        ops_from_wire({"name": "h"}, 1)
    assert ei.value.code == "bad_ops"


def test_valid_ops_decode_to_ir_operations():
    ops = ops_from_wire([{"name": "h", "qubits": [0, 2], "ctrl_qubits": 1},
                         {"name": "u", "qubits": [1], "params": [1, 2.5, -3]},
                         {"name": "measure", "qubits": [1], "clbits": [4]}], 3)
    assert ops == [Operation("h", (0, 2), ctrl_qubits=1), Operation("u", (1,), params=(1.0, 2.5, -3.0)),
                   Operation("measure", (1,), (4,))]
