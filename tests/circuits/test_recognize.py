"""User gate definitions that equal a library gate become that gate; anything else is inlined."""

import pytest

from qnb.circuits import Operation
from qnb.circuits.gates import GATES
from qnb.circuits.library import QNB_GATE_DEFS, STDGATES
from qnb.circuits.recognize import body_matches_gate

from ingest_helpers import qasm3


@pytest.mark.parametrize("name", sorted(QNB_GATE_DEFS))
def test_every_exported_definition_is_recognised(name):
    info = GATES[name]
    params = (0.2, -0.4, 0.9)[: info.num_params]
    args = f"({', '.join(map(str, params))})" if params else ""
    call = f"{name}{args} " + ", ".join(f"q[{i}]" for i in range(info.num_qubits)) + ";\n"
    c = qasm3(QNB_GATE_DEFS[name] + "\n" + call, f"qubit[{info.num_qubits}] q;\n")
    assert c.operations == (Operation(name, tuple(range(info.num_qubits)), (), params),)


def test_exported_definitions_cover_the_ir_gates_missing_from_stdgates():
    missing = {g for g in GATES if g not in STDGATES} - {"u"}  # u is written as the builtin U
    assert missing == set(QNB_GATE_DEFS)


def test_definition_off_by_a_global_phase_is_not_recognised():
    # iswap up to a global phase of -1: same physics alone, different once controlled
    body = "gate iswap a, b { s a; s b; h a; cx a, b; cx b, a; h b; gphase(pi); }\niswap q[0], q[1];\n"
    c = qasm3(body, "qubit[2] q;\n")
    assert [op.name for op in c.operations] == ["s", "s", "h", "cx", "cx", "h"]


def test_definition_with_a_different_parameter_dependence_is_not_recognised():
    c = qasm3("gate rzz(t) a, b { cx a, b; rz(2 * t) b; cx a, b; }\nrzz(0.1) q[0], q[1];\n", "qubit[2] q;\n")
    assert [op.name for op in c.operations] == ["cx", "rz", "cx"]
    assert c.operations[1].params == (0.2,)


def test_body_matches_gate_direct():
    assert body_matches_gate("rzz", lambda p: [Operation("cx", (0, 1)), Operation("rz", (1,), (), p),
                                               Operation("cx", (0, 1))])
    assert not body_matches_gate("rzz", lambda p: [Operation("rzz", (1, 0), (), (p[0] + 0.1,))])
    assert not body_matches_gate("h", lambda p: [Operation("measure", (0,), (0,))])


def test_recognised_gate_is_still_exact_under_ctrl():
    from ingest_helpers import exact_equal
    from qnb.circuits.export import ops_unitary
    body = QNB_GATE_DEFS["ecr"] + "\nctrl @ ecr q[0], q[1], q[2];\n"
    inlined = "gate myecr a, b { s a; sx b; cx a, b; x a; gphase(-pi/4); }\nctrl @ myecr q[0], q[1], q[2];\n"
    a = qasm3(body, "qubit[3] q;\n").operations
    b = qasm3(inlined, "qubit[3] q;\n").operations
    assert a == (Operation("ecr", (0, 1, 2), ctrl_qubits=1),) and len(b) > 1
    assert exact_equal(ops_unitary(list(a), 3), ops_unitary(list(b), 3))
