"""Shared constants and helpers of the notebook-layer tests (imported by conftest and tests)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

MESH_ARGS = "--nodes 4 --qubits-per-node 4 --seed 7"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

BELL = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
"""

GHZ4 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
bit[4] c;
h q[0];
cx q[0], q[1];
cx q[1], q[2];
cx q[2], q[3];
c = measure q;
"""


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, step: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with a clear message on timeout."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        pause.wait(step)
