"""A testing kit shipped with qnb (like ``trio.testing``): small real meshes and condition waits.

``with small_mesh(nodes=3) as mesh:`` starts a real embedded mesh (real libp2p hosts on
127.0.0.1, real qiskit-aer, a real DuckDB file in a temporary directory) and stops it afterwards.
``wait_for(predicate, timeout)`` waits for a condition instead of sleeping a fixed time.
The pytest fixture ``qnb_mesh`` (enable with ``pytest_plugins = ["qnb.testing"]``) yields one.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

__all__ = ["small_mesh", "wait_for", "test_settings", "GHZ6", "qnb_mesh"]

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


try:  # the fixture is only defined when pytest is importable
    import pytest

    @pytest.fixture(scope="module")
    def qnb_mesh():
        with small_mesh(nodes=3, qubits_per_node=3) as mesh:
            yield mesh
except ImportError:  # pragma: no cover
    pass
