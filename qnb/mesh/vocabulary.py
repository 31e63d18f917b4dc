"""The mesh's words, defined once (FR-013, FR-014): control commands, fault kinds, reservation operations.

The wire schemas (:mod:`qnb.mesh.schema`), the node and coordinator handlers, the fault API
(:mod:`qnb.faults`), the ``%qfault`` magic and the harness scenarios all read these tuples, so a
command is declared exactly where it is implemented; ``tests/mesh/test_vocabulary.py`` checks
that every declared word has a handler.
"""

from __future__ import annotations

__all__ = ["NODE_COMMANDS", "COORDINATOR_COMMANDS", "CONTROL_COMMANDS", "FAULT_KINDS", "RESERVE_OPERATIONS",
           "SERVICE_TYPES", "STATE_KINDS"]

#: ``/qnb/control`` commands a node obeys: ``hello`` (a coordinator introduces itself) and the faults
NODE_COMMANDS = ("hello", "drop", "restore", "latency", "link_latency", "fidelity", "available")

#: ``/qnb/control`` commands a coordinator answers for cross-process clients (``qnb submit``, ``qnb health``)
COORDINATOR_COMMANDS = ("submit", "status", "result", "jobs", "nodes", "health")

CONTROL_COMMANDS = NODE_COMMANDS + COORDINATOR_COMMANDS

#: what ``mesh.fault(kind, node, ...)`` applies; all but ``flap`` reach ``qnb node`` processes as
#: the node command of the same name
FAULT_KINDS = ("drop", "restore", "latency", "link_latency", "fidelity", "flap", "available")

#: ``/qnb/reserve`` operations a node's book implements
RESERVE_OPERATIONS = ("reserve", "cancel", "status")

SERVICE_TYPES = ("qpu", "simulator", "optimizer", "validator")
STATE_KINDS = ("statevector", "density_matrix", "none")
