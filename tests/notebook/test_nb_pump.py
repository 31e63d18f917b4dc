"""The snapshot pump: bounded update rate on a real asyncio loop, identity-based change detection,
and comm traffic that stays within ``rate * elapsed + 1`` messages under a burst (NB-3, DESIGN
"Concurrency"). Snapshots here are real ``JobSnapshot`` values replayed quickly, because a real
job cannot produce hundreds of state changes per second on demand."""

from __future__ import annotations

import asyncio
import time

import comm
import pytest
from comm.base_comm import BaseComm

from qnb.errors import ConfigError
from qnb.notebook.pump import Pump
from qnb.notebook.widgets import JobWidget
from qnb.runtime.job import FragmentRun, JobSnapshot, JobState

N_FRAGMENTS = 200


def _snapshots() -> list[JobSnapshot]:
    """A job running through N fragments: one new immutable snapshot per finished fragment."""
    base = JobSnapshot(job_id="j" * 32, name="burst", state=JobState.EXECUTING, submitted_at=time.time(),
                       updated_at=time.time(), fragments_total=N_FRAGMENTS)
    out = []
    for done in range(N_FRAGMENTS + 1):
        frags = tuple(FragmentRun(i, f"n{i % 3:02d}", "local", 2, "done" if i < done else "pending")
                      for i in range(N_FRAGMENTS))
        state = JobState.COMPLETED if done == N_FRAGMENTS else JobState.EXECUTING
        out.append(base.evolve(fragments_done=done, fragments=frags, state=state))
    return out


class RecordingComm(BaseComm):
    """A real ``comm`` implementation that records what would go to the frontend."""

    sent: list[tuple[str, str, dict]] = []

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):  # noqa: D401
        RecordingComm.sent.append((self.comm_id, msg_type, data or {}))


@pytest.fixture
def recording_comm(monkeypatch):
    RecordingComm.sent = []
    monkeypatch.setattr(comm, "create_comm", lambda *a, **kw: RecordingComm(*a, **kw))
    return RecordingComm.sent


def test_burst_of_snapshots_is_throttled_to_the_pump_rate(recording_comm):
    snaps = _snapshots()
    current = {"snap": snaps[0]}
    view = JobWidget(lambda: current["snap"], live=True)
    progress_comm = view.widget.children[1].comm.comm_id      # builds the widget (ipywidgets installed)
    recording_comm.clear()
    rate = 8.0
    pump = Pump(rate=rate)

    async def main() -> float:
        loop = asyncio.get_running_loop()
        assert pump.start(loop)
        t0 = loop.time()
        for s in snaps[1:]:                     # ~N changes as fast as the loop allows
            current["snap"] = s
            await asyncio.sleep(0.001)
        while not view.finished:                # let the pump pick up the terminal snapshot
            await asyncio.sleep(0.01)
        return loop.time() - t0

    pump.add(view, start=False)
    elapsed = asyncio.run(main())
    pump.stop()
    updates = [m for m in recording_comm if m[0] == progress_comm and m[2].get("method") == "update"]
    bound = rate * elapsed + 1
    assert view.state == "COMPLETED" and view.progress == 1.0
    assert 1 <= len(updates) <= bound, (len(updates), bound)
    assert view.updates <= bound + 1      # +1: the refresh that built the widget before the pump started
    assert view.updates < len(snaps) / 4  # the burst really was coalesced
    assert view not in pump.views         # finished views leave the pump


def test_refresh_only_applies_changed_snapshots():
    snaps = _snapshots()
    current = {"snap": snaps[0]}
    view = JobWidget(lambda: current["snap"], live=False)
    changes = []
    view.observe(lambda ch: changes.append(ch["name"]), names=["state", "progress", "fragments_done"])
    assert view.refresh() is True
    n = len(changes)
    assert view.refresh() is False and len(changes) == n      # same object: nothing touched
    current["snap"] = snaps[5]
    assert view.refresh() is True and view.fragments_done == 5


def test_pump_without_a_running_loop_does_not_schedule_or_hold_views():
    pump = Pump()
    view = JobWidget(lambda: _snapshots()[0], live=True)
    assert pump.add(view) is False and not pump.running
    assert pump.views == ()        # nothing would tick it: not kept (it would pin its mesh)
    assert pump.add(view, start=False) is False and pump.views == (view,)
    assert pump.tick() == 1        # explicit ticks still work (scripts call view.refresh())


def test_broken_view_is_dropped_without_stopping_others():
    snaps = _snapshots()
    good = JobWidget(lambda: snaps[3])
    bad = JobWidget(lambda: 1 / 0)
    pump = Pump()
    pump.add(bad, start=False)
    pump.add(good, start=False)
    assert pump.tick() == 1
    assert bad not in pump.views and good in pump.views and good.fragments_done == 3


def test_min_interval_limits_expensive_views():
    clock = {"t": 0.0}
    pump = Pump(rate=10, clock=lambda: clock["t"])
    snaps = iter(_snapshots())
    view = JobWidget(lambda: next(snaps))
    view.min_interval = 1.0
    pump.add(view, start=False)
    assert pump.tick() == 1
    clock["t"] = 0.5
    assert pump.tick() == 0        # due again only after one second
    clock["t"] = 1.0
    assert pump.tick() == 1


@pytest.mark.parametrize("rate", [0, 0.1, 100])
def test_rate_outside_bounds_is_a_config_error(rate):
    with pytest.raises(ConfigError, match="outside 0.5..30"):
        Pump(rate=rate)
