"""Fixtures for the notebook layer: a real IPython shell that re-raises cell errors (jupysql's
TestingShell pattern) and one real embedded mesh (libp2p hosts, qiskit-aer, a DuckDB file)
shared by the magic and widget tests and started through ``%qnb start`` itself."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from nb_support import MESH_ARGS
from qnb.notebook import current_session


class TestingShell(InteractiveShell):
    """An InteractiveShell whose ``run_cell`` raises the cell's exception instead of printing it."""

    def run_cell(self, raw_cell: str, *args: Any, **kwargs: Any):  # type: ignore[override]
        result = super().run_cell(raw_cell, *args, **kwargs)
        result.raise_error()
        return result


@pytest.fixture(scope="session")
def shell() -> TestingShell:
    ip = TestingShell.instance()
    ip.run_line_magic("load_ext", "qnb")
    yield ip
    current_session().shutdown()


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qnb-nb-store")


@pytest.fixture
def mesh(shell: TestingShell, store_dir: Path) -> Any:
    """The shared 4-node mesh; (re)started by the idempotent ``%qnb start`` if a lifecycle test
    stopped it, so tests can run in any order."""
    session = current_session()
    if not session.running:
        store = store_dir / f"shared-{time.monotonic_ns()}.duckdb"
        shell.run_line_magic("qnb", f"start {MESH_ARGS} --store {store}")
    return session.mesh
