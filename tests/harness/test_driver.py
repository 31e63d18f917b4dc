"""The fault driver on a real 2-node embedded mesh: triggers, logging, and self-ending faults (FR-013)."""

import threading
import time

import pytest

import qnb
from qnb.harness.driver import FaultDriver, apply_before_submit, ensure_central_runner, wait_ready
from qnb.harness.scenarios import ResolvedFault

from .conftest import harness_settings


@pytest.fixture(scope="module")
def mesh():
    m = qnb.start(topology="all-to-all:2:3", seed=1, store=":memory:", settings=harness_settings())
    try:
        assert wait_ready(m)
        yield m
    finally:
        m.stop()


def _until(cond, timeout=10.0):
    """Wait for a condition (not a fixed sleep): re-check every 10 ms until it holds or time is up."""
    deadline = time.monotonic() + timeout
    ev = threading.Event()
    while not cond():
        if time.monotonic() > deadline:
            return False
        ev.wait(0.01)
    return True


def test_progress_trigger_fires_during_execution_and_late_events_are_not_reached(mesh):
    faults = (ResolvedFault(0, "latency", "n01", None, 0.0, (("ms", 1.0),)),
              ResolvedFault(1, "latency", "n00", 600.0, None, (("ms", 1.0),)))
    driver = FaultDriver(mesh, "driver-test-1", faults).start()
    res = mesh.submit("ghz_5", shots=64, seed=1, name="driver-test-1").wait(60)
    assert res.ok
    first, late = driver.wait(10)
    assert first["applied"] and first["state"] == "EXECUTING" and first["phase"] == "in_run"
    assert first["t_rel_s"] >= 0 and 0.0 <= first["progress"] < 1.0
    assert late["applied"] is False and late["reason"] == "not reached"
    mesh.fault("restore", "n01")


def test_link_latency_with_duration_is_undone_and_the_planner_saw_it(mesh):
    svc = mesh.node_service("n00")
    (entry,) = apply_before_submit(mesh, [ResolvedFault(0, "link_latency", "n00", 0.0, None,
                                                        (("duration_s", 0.3), ("ms", 40.0), ("peer", "n01")))])
    assert entry["applied"] and entry["advertised"] is True      # the registry holds the newer advert
    assert svc.link_latency_ms["n01"] == 40.0
    assert _until(lambda: svc.link_latency_ms.get("n01") == 0.0)  # the driver's undo after 0.3 s


def test_a_fault_that_cannot_be_applied_is_logged_not_raised(mesh):
    (entry,) = apply_before_submit(mesh, [ResolvedFault(0, "drop", "n99", 0.0, None)])
    assert entry["applied"] is False and "n99" in entry["error"]


def test_central_runner_inventory_is_frozen_at_creation(mesh):
    ensure_central_runner(mesh)
    policy = mesh.call_sync(mesh.coordinator.policy, "centralized")
    before = policy.inventory.node("n00").fidelity_2q
    mesh.fault("fidelity", "n00", factor=10.0)
    assert _until(lambda: any(r["name"] == "n00" and r["fidelity_2q"] < before for r in mesh.nodes()))
    assert policy.inventory.node("n00").fidelity_2q == before     # the live registry moved, the inventory did not
    mesh.fault("restore", "n00")
