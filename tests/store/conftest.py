"""Fixtures for the store tests: real DuckDB files in tmp_path, never mocks."""

from __future__ import annotations

import shutil

import pytest

from qnb.store import Store


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """A file migrated once to the latest schema; tests get a copy (migrating costs ~0.2 s each)."""
    path = tmp_path_factory.mktemp("template") / "template.duckdb"
    Store.open(path).close()                  # closing checkpoints: the file alone holds everything
    return path


@pytest.fixture
def db_path(tmp_path):
    """A path where no database exists yet."""
    return tmp_path / "mesh.duckdb"


@pytest.fixture
def store(db_path, migrated_template):
    shutil.copyfile(migrated_template, db_path)
    s = Store.open(db_path)
    yield s
    s.close()


@pytest.fixture
def writer(store):
    w = store.writer(batch_ms=5, batch_max=500)
    yield w
    w.close()
