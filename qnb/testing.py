"""A testing kit shipped with qnb (like ``trio.testing``): small real meshes and condition waits.

``with small_mesh(nodes=3) as mesh:`` starts a real embedded mesh (real libp2p hosts on
127.0.0.1, real qiskit-aer, a real DuckDB file in a temporary directory) and stops it afterwards.
``wait_for(predicate, timeout)`` waits for a condition instead of sleeping a fixed time.
The pytest fixture ``qnb_mesh`` (enable with ``pytest_plugins = ["qnb.testing"]``) yields one.

:class:`ScriptedGateway` drives the runner without a network: it replays scripted node answers
(``ok``, ``timeout``, ``error``, ``drop``) so retry, backoff, fallback and cancellation can be unit
tested. It replaces the *transport* only: an ``ok`` answer executes the fragment for real on
qiskit-aer through the node's own execution path (:func:`qnb.node.run_fragment`), and
reservations go to real :class:`~qnb.reservations.ReservationBook` objects, one per node.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

__all__ = ["small_mesh", "wait_for", "test_settings", "GHZ6", "qnb_mesh", "ScriptedGateway", "EXEC_ANSWERS",
           "RESERVE_ANSWERS"]

#: what a scripted node can answer to an EXEC
EXEC_ANSWERS = ("ok", "timeout", "error", "drop")
#: what a scripted node can answer to a reservation request ("book" = ask its real book)
RESERVE_ANSWERS = ("book", "refuse", "timeout")

GHZ6 = ('OPENQASM 3.0; include "stdgates.inc"; qubit[6] q; bit[6] c; h q[0]; cx q[0], q[1]; cx q[1], q[2]; '
        'cx q[2], q[3]; cx q[3], q[4]; cx q[4], q[5]; c = measure q;')


def test_settings(**overrides: Any):
    """Settings for tests: no config file, no environment, quiet logs, fast adverts."""
    from .config import Settings
    base = {"logging": {"destination": "none"}, "intervals": {"advertise_s": 0.5, "ttl_s": 2.0}}
    for k, v in overrides.items():
        base[k] = {**base.get(k, {}), **v}
    return Settings.load(None, env={}, overrides=base)


test_settings.__test__ = False  # not a pytest test despite the name


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.01,
             what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns a truthy value; raise ``TimeoutError`` naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        time.sleep(interval)


@contextlib.contextmanager
def small_mesh(nodes: int = 3, *, store: str | Path | None = None, settings: Any = None, **kw: Any) -> Iterator[Any]:
    """A real embedded mesh with its DuckDB file in a temporary directory (unless ``store`` is given)."""
    from .mesh_api import Mesh
    with tempfile.TemporaryDirectory(prefix="qnb-test-") as tmp:
        path = store if store is not None else str(Path(tmp) / "mesh.duckdb")
        mesh = Mesh(nodes=nodes if kw.get("topology") is None else None, store=path,
                    settings=settings or test_settings(), **kw)
        mesh.start()
        try:
            yield mesh
        finally:
            mesh.stop()


class ScriptedGateway:
    """A :class:`~qnb.runtime.gateway.NodeGateway` whose nodes answer from a script.

    ``script_exec("n01", "timeout", "ok")`` makes n01's next two EXEC answers a timeout, then a real
    execution; an empty script answers ``ok``. ``drop`` makes the node unreachable from then on
    (every later call is a transport error and :meth:`node_alive` is False). Reservation answers
    work the same way with :data:`RESERVE_ANSWERS`. ``calls`` logs every call as
    ``(kind, node, detail, trio time)``; ``reservations`` holds each node's real book.
    """

    def __init__(self, topology: Any, *, settings: Any = None) -> None:
        from .quantum.limits import StateLimits
        from .reservations import ReservationBook
        self.topology = topology
        lim = (settings or test_settings()).limits
        self.limits = StateLimits(lim.statevector_max_qubits, lim.density_matrix_max_qubits)
        self.reservations = {n.id: ReservationBook(n.id) for n in topology.nodes}
        self.calls: list[tuple[str, str, Any, float]] = []
        self.dropped: set[str] = set()
        #: every EXEC header sent, in order (what a node would have received)
        self.exec_headers: list[dict] = []
        self._exec: dict[str, list[str]] = {}
        self._reserve: dict[str, list[str]] = {}

    # ------------------------------------------------------------- scripting
    def script_exec(self, node: str, *answers: str) -> "ScriptedGateway":
        bad = [a for a in answers if a not in EXEC_ANSWERS]
        if bad:
            raise ValueError(f"unknown exec answer(s) {bad}; expected {EXEC_ANSWERS}")
        self._exec.setdefault(node, []).extend(answers)
        return self

    def script_reserve(self, node: str, *answers: str) -> "ScriptedGateway":
        bad = [a for a in answers if a not in RESERVE_ANSWERS]
        if bad:
            raise ValueError(f"unknown reserve answer(s) {bad}; expected {RESERVE_ANSWERS}")
        self._reserve.setdefault(node, []).extend(answers)
        return self

    def calls_of(self, kind: str) -> list[tuple[str, Any]]:
        return [(node, detail) for k, node, detail, _t in self.calls if k == kind]

    def _log(self, kind: str, node: str, detail: Any) -> None:
        import trio
        self.calls.append((kind, node, detail, trio.current_time()))

    def _next(self, table: dict[str, list[str]], node: str, default: str) -> str:
        queue = table.get(node)
        return queue.pop(0) if queue else default

    def _reachable(self, node: str) -> None:
        from .runtime.gateway import NodeCallError
        if node in self.dropped or node not in self.topology.by_id:
            raise NodeCallError(f"{node}: connection refused (scripted drop)", "transport", node)

    # ------------------------------------------------------------ NodeGateway
    async def reserve(self, node: str, request: dict, timeout: float) -> dict:
        from .runtime.gateway import NodeCallError
        self._log("reserve", node, (request["window_start"], request["window_end"]))
        self._reachable(node)
        answer = self._next(self._reserve, node, "book")
        if answer == "timeout":
            raise NodeCallError(f"{node}: timed out after {timeout} s (scripted)", "timeout", node)
        if answer == "refuse":
            return {"ok": True, "operation": "reserve", "accepted": False, "reservation_id": None,
                    "reason": "fidelity", "next_window": None, "events": []}
        book = self.reservations[node]
        seq = book.seq
        d = book.reserve(operation="exec", start=request["window_start"], end=request["window_end"],
                         min_fidelity=request.get("min_fidelity"),
                         current_fidelity=self.topology.node(node).fidelity_2q,
                         correlation={"job_id": request.get("job_id")}, now=time.time(), ttl_s=request.get("hold_s"))
        return {"ok": True, "operation": "reserve", **d.to_json(),
                "events": [e.to_json() for e in book.events_since(seq)]}

    async def cancel_reservation(self, node: str, reservation_id: str, timeout: float) -> None:
        self._log("cancel", node, reservation_id)
        self._reachable(node)
        self.reservations[node].cancel(reservation_id, time.time())

    async def execute(self, node: str, header: dict, payload: bytes | None, timeout: float):
        import trio

        from .node import run_fragment
        from .runtime.gateway import NodeCallError
        self._log("exec", node, (header["fragment_id"], header["attempt"]))
        self.exec_headers.append(header)
        self._reachable(node)
        answer = self._next(self._exec, node, "ok")
        if answer == "timeout":
            raise NodeCallError(f"{node}: timed out after {timeout} s (scripted)", "timeout", node)
        if answer == "error":
            raise NodeCallError(f"{node}: scripted: the node reported an error", "remote_error", node, "scripted")
        if answer == "drop":
            self.dropped.add(node)
            raise NodeCallError(f"{node}: stream reset (scripted drop)", "transport", node)
        desc, out, sim_ms, n = await trio.to_thread.run_sync(
            run_fragment, self.topology.node(node), header, payload, self.limits)
        return {"ok": True, "state": desc, "sim_ms": sim_ms, "node": node, "num_ops": n, "events": []}, out

    def node_alive(self, node: str) -> bool:
        return node not in self.dropped


try:  # the fixture is only defined when pytest is importable
    import pytest

    @pytest.fixture(scope="module")
    def qnb_mesh():
        with small_mesh(nodes=3, qubits_per_node=3) as mesh:
            yield mesh
except ImportError:  # pragma: no cover
    pass
