"""Widget state against a real embedded mesh, live pumping on a real asyncio loop, and the static
HTML fallback when ipywidgets is not installed (NB-3)."""

from __future__ import annotations

import asyncio
import re
import sys

import pytest
from IPython.utils.capture import capture_output

from qnb.notebook import DagWidget, FidelityWidget, GanttWidget, JobWidget, Pump

from nb_support import BELL, WIDGET_MIME, wait_for


GHZ6 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[6];
creg c[6];
h q[0];
cx q[0], q[1];
cx q[1], q[2];
cx q[2], q[3];
cx q[3], q[4];
cx q[4], q[5];
measure q -> c;
"""


@pytest.fixture
def ghz6_job(mesh):
    """A finished 6-qubit GHZ job: it cannot fit on one 4-qubit node, so it spans >= 2 nodes."""
    job = mesh.submit(GHZ6, shots=400, name="ghz6-widgets")
    job.result(timeout=60)
    return job


def test_job_widget_state_after_completion(ghz6_job):
    result = ghz6_job.result()
    w = JobWidget(ghz6_job)
    w.refresh()
    assert w.state == "COMPLETED" and w.progress == 1.0 and w.finished
    assert w.fragments_done == w.fragments_total == len(result.fragments)
    assert sum(w.counts.values()) == 400 and w.counts == result.counts
    assert w.measured_fidelity == result.measured_fidelity
    header, progress, detail, res = w.widget.children
    assert "COMPLETED" in header.value and progress.value == 1.0 and progress.bar_style == "success"
    assert res.value.count("class='qnb-bar'") == min(16, len(result.counts))     # at most 16 bars


def test_dag_widget_colours_one_per_node_used(ghz6_job):
    result = ghz6_job.result()
    d = DagWidget(ghz6_job)
    d.refresh()
    used = {f.node for f in result.fragments}
    assert len(used) >= 2
    assert set(d.nodes_used) == used
    assert len(set(d.fragment_colors.values())) == len(used)
    assert set(d.fragment_status.values()) == {"done"}
    assert len(re.findall(r"class='qnb-frag'", d.svg)) == len(result.fragments)
    # the legend shows exactly the fill colours used in the drawing, one per node
    legend = d._body().split("qnb-legend", 1)[1]
    assert set(re.findall(r"background:(#\w+)", legend)) == set(d.fragment_colors.values())
    assert "qnb-dag" in d.widget._dom_classes


def test_mimebundle_carries_widget_html_and_text(ghz6_job):
    bundle = JobWidget(ghz6_job)._repr_mimebundle_()
    assert WIDGET_MIME in bundle
    assert "qnb-job" in bundle["text/html"] and "COMPLETED" in bundle["text/plain"]


def test_gantt_shows_the_jobs_reservations(ghz6_job):
    result = ghz6_job.result()
    g = GanttWidget(ghz6_job.mesh, ghz6_job)
    g.refresh()
    assert g.windows, "a completed job reserved windows"
    assert {w["job_id"] for w in g.windows} == {ghz6_job.id}
    # every node that ran a fragment claimed (used) its reservation
    assert {f.node for f in result.fragments} == {w["node"] for w in g.windows if w["outcome"] == "used"}
    assert sum(g.status_counts.values()) == len(g.windows)
    assert "<svg" in g.svg and "qnb-gantt" in g._repr_html_()
    assert f"{len(g.windows)} reservation windows" in repr(g)


def test_fidelity_widget_sees_an_injected_fault(shell, mesh):
    f = FidelityWidget(mesh, chart=False)
    wait_for(lambda: f.refresh() or set(f.latest) == set(mesh.node_names()), timeout=15)
    node = mesh.node_names()[1]
    before = f.latest[node]["fidelity_2q"]
    shell.run_line_magic("qfault", f"fidelity {node} --factor 5")
    try:
        wait_for(lambda: f.refresh() or f.latest[node]["fidelity_2q"] < before, timeout=15)
    finally:
        shell.run_line_magic("qfault", f"restore {node}")
    assert f.samples > 0 and node in repr(f)


def test_pump_follows_a_real_job_on_an_asyncio_loop(mesh):
    rate = 8.0
    pump = Pump(rate=rate)

    async def main():
        loop = asyncio.get_running_loop()
        job = mesh.submit(BELL, shots=200, name="pumped")
        view = JobWidget(job, pump=pump)
        t0 = loop.time()
        assert view.watch()                    # a loop is running: ticks are scheduled
        while not view.finished:
            await asyncio.sleep(0.02)
        return view, loop.time() - t0

    view, elapsed = asyncio.run(asyncio.wait_for(main(), 60))
    assert view.state == "COMPLETED" and view.progress == 1.0
    assert 1 <= view.updates <= rate * elapsed + 1
    assert not pump.running or view not in pump.views


def test_html_fallback_without_ipywidgets(shell, mesh, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)      # "not installed": import raises ImportError
    with pytest.raises(ImportError):
        import ipywidgets  # noqa: F401
    shell.user_ns["bell_src"] = BELL
    with capture_output() as cap:
        r = shell.run_line_magic("qsubmit", "bell_src --shots 100 --name fallback")
    assert r.ok
    outs = [o.data for o in cap.outputs]
    assert outs and all(WIDGET_MIME not in d for d in outs)
    assert "qnb-job" in outs[-1]["text/html"] and "COMPLETED" in outs[-1]["text/html"]
    w = JobWidget(shell.user_ns["_qjob"])
    assert w.widget is None
    bundle = w._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"} and "qnb-hist" in bundle["text/html"]
    for view in (DagWidget(shell.user_ns["_qjob"]), GanttWidget(mesh), FidelityWidget(mesh, chart=False)):
        assert view.widget is None
        assert view.css_class in view._repr_html_() and repr(view)
