"""One vocabulary (FR-013, FR-014): every declared command, fault kind and reserve operation is implemented."""

from __future__ import annotations

import inspect

from qnb.coordinator.control import ControlService
from qnb.faults import apply_fault
from qnb.harness.scenarios import FAULT_KINDS as SCENARIO_KINDS
from qnb.mesh import vocabulary as voc
from qnb.mesh.schema import SCHEMAS
from qnb.node import NodeService
from qnb.testing import test_settings
from qnb.topology import NodeSpec


def test_node_handles_exactly_the_node_commands():
    svc = NodeService(NodeSpec("n0", 2), test_settings())
    assert set(svc._control_handlers()) == set(voc.NODE_COMMANDS)


def test_coordinator_handles_exactly_the_coordinator_commands():
    class _C:   # ControlService only needs its coordinator when a command runs
        pass
    assert set(ControlService(_C()).handlers) == set(voc.COORDINATOR_COMMANDS)


def test_every_fault_kind_is_applied_and_every_remote_one_is_a_node_command():
    source = inspect.getsource(apply_fault)
    for kind in voc.FAULT_KINDS:
        assert f'kind == "{kind}"' in source, kind
    # every fault except flap (embedded only) reaches a `qnb node` process as the command of its name
    assert set(voc.FAULT_KINDS) - {"flap"} <= set(voc.NODE_COMMANDS)
    assert set(SCENARIO_KINDS) == set(voc.FAULT_KINDS) | {"fidelity_drift"}


def test_schemas_read_the_vocabulary():
    assert SCHEMAS["control.request"].fields["command"].choices == frozenset(voc.CONTROL_COMMANDS)
    assert SCHEMAS["reserve.request"].fields["operation"].choices == frozenset(voc.RESERVE_OPERATIONS)
