"""Mesh lifecycle from the notebook: stop/start, --restart, Ctrl-C during a blocking wait, unload
and the shutdown hook (NB-2). Every test leaves the session usable by the ``mesh`` fixture."""

from __future__ import annotations

import _thread
import subprocess
import sys
import threading

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from qnb.notebook import current_session
from qnb.runtime.job import TERMINAL_STATES

from nb_support import BELL, GHZ4, MESH_ARGS, wait_for


def _mesh_threads(mesh) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"qnb-{mesh.name}"]


def test_stop_then_start(shell, mesh, store_dir):
    old = mesh
    with capture_output() as cap:
        assert shell.run_line_magic("qnb", "stop") is None
    assert f"stopped {old.name}" in cap.stdout
    assert not old.running and _mesh_threads(old) == []        # no leaked mesh thread (NB-2)
    assert shell.run_line_magic("qnb", "status") == {"running": False}
    with pytest.raises(UsageError, match="no qnb mesh is running"):
        shell.run_line_magic("qsql", "SELECT 1")
    with capture_output() as cap:
        assert shell.run_line_magic("qnb", "stop") is None         # stopping twice is harmless
    assert "no mesh running" in cap.stdout

    with capture_output():
        new = shell.run_line_magic("qnb", f"start {MESH_ARGS} --store {store_dir / 'restarted.duckdb'}")
    assert new is not old and new.running and new.store_path.endswith("restarted.duckdb")
    shell.user_ns["bell_src"] = BELL
    assert shell.run_line_magic("qsubmit", "bell_src --shots 64 --quiet").ok


def test_restart_replaces_the_running_mesh(shell, mesh, store_dir):
    with capture_output() as cap:
        new = shell.run_line_magic("qnb", f"start --restart --nodes 3 --store {store_dir / 'r3.duckdb'}")
    assert "started" in cap.stdout
    assert new is not mesh and not mesh.running and new.running and len(new.node_names()) == 3
    assert current_session().mesh is new


def test_start_quiets_mesh_logs_in_notebooks(shell, mesh, store_dir, monkeypatch):
    """ipykernel forwards the mesh thread's stderr into whichever cell runs, so %qnb start keeps
    qnb logs at WARNING unless asked (or QNB_LOGGING__LEVEL is set)."""
    import logging
    monkeypatch.delenv("QNB_LOGGING__LEVEL", raising=False)
    try:
        with capture_output():
            quiet = shell.run_line_magic("qnb", f"start --restart --nodes 2 --store {store_dir / 'log1.duckdb'}")
        assert quiet.settings.logging.level == "WARNING" and logging.getLogger("qnb").level == logging.WARNING
        with capture_output():
            loud = shell.run_line_magic("qnb", f"start --restart --nodes 2 --log-level info "
                                               f"--store {store_dir / 'log2.duckdb'}")
        assert loud.settings.logging.level == "INFO" and logging.getLogger("qnb").level == logging.INFO
    finally:
        shell.run_line_magic("qnb", "stop")      # the next test's fixture starts the shared mesh again


def test_interrupting_a_blocking_wait_keeps_the_mesh(shell, mesh):
    """``--no-wait`` returns at once; Ctrl-C inside ``%qsubmit --wait`` raises KeyboardInterrupt to
    the user; the mesh and the job keep running, and ``_qjob`` lets the user wait again."""
    nodes = mesh.node_names()
    for n in nodes:                          # slow every response so the job is surely still running
        mesh.fault("latency", n, ms=800)
    shell.user_ns["slow_src"] = GHZ4
    # the kernel stays responsive: --no-wait returns while the job still runs on the mesh thread
    background = shell.run_line_magic("qsubmit", "slow_src --no-wait --quiet --shots 64 --name slow-nowait")
    assert not background.done
    listed = shell.run_line_magic("qjobs", "--limit 5")
    assert background.id in set(listed["job_id"])

    def waiting() -> bool:
        # the magic stores the job in _qjob right before it starts waiting on it
        job = shell.user_ns.get("_qjob")
        return job is not None and job is not background and not job.done

    def interrupter() -> None:
        wait_for(waiting, timeout=30, step=0.01)
        _thread.interrupt_main()

    t = threading.Thread(target=interrupter, daemon=True)
    t.start()
    try:
        with pytest.raises(KeyboardInterrupt), capture_output() as cap:
            shell.run_line_magic("qsubmit", "slow_src --shots 64 --quiet --name slow-interrupt")
    finally:
        t.join(30)
        for n in nodes:
            mesh.fault("latency", n, ms=0)
    assert "keeps running" in cap.stderr
    job = shell.user_ns["_qjob"]
    assert mesh.running and job.snapshot.name == "slow-interrupt"
    result = job.result(timeout=90)           # the interrupted wait did not cancel the job
    assert result.status in {s.value for s in TERMINAL_STATES}
    assert background.result(timeout=90).status in {s.value for s in TERMINAL_STATES}


def test_unload_stops_the_mesh_and_removes_the_magics(shell, mesh):
    shell.run_line_magic("unload_ext", "qnb")
    try:
        assert not mesh.running and _mesh_threads(mesh) == []
        assert "qnb" not in shell.magics_manager.magics["line"]
        assert "qsubmit" not in shell.magics_manager.magics["cell"]
    finally:
        shell.run_line_magic("load_ext", "qnb")
    assert "qsql" in shell.magics_manager.magics["cell"]


def test_shutdown_hook_stops_a_running_mesh(shell, mesh):
    current_session().shutdown()           # what atexit runs when the kernel process exits
    assert not mesh.running and _mesh_threads(mesh) == []
    assert current_session().mesh is None


EXIT_SCRIPT = """
import atexit
from IPython.core.interactiveshell import InteractiveShell
from qnb.notebook import current_session
seen = {}
# registered before the extension: atexit runs callbacks last-in first-out, so this runs after
# the hook that load_ipython_extension registers
atexit.register(lambda: print("after-exit running=%s thread_alive=%s" % (seen["mesh"].running,
                                                                          seen["thread"].is_alive())))
ip = InteractiveShell.instance()
ip.run_line_magic("load_ext", "qnb")
ip.run_line_magic("qnb", "start --nodes 2 --qubits-per-node 2 --store :memory:")
seen["mesh"] = current_session().mesh
seen["thread"] = seen["mesh"]._thread
print("before-exit running=%s" % seen["mesh"].running)
"""


def test_interpreter_exit_stops_the_mesh_through_the_atexit_hook():
    """What happens when the kernel process exits without %qnb stop (NB-2)."""
    proc = subprocess.run([sys.executable, "-c", EXIT_SCRIPT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "before-exit running=True" in proc.stdout
    assert "after-exit running=False thread_alive=False" in proc.stdout
