"""The notebook session: the one mesh the magics act on, and its clean shutdown (NB-1, NB-2).

Why a separate object: the magics, the kernel's atexit hook and ``unload_ipython_extension`` all
need the same "current mesh", and ``%qnb start`` must be idempotent (a second call returns the
running mesh) while ``--restart`` and stop-then-start must work.
"""

from __future__ import annotations

import logging
from typing import Any

from IPython.core.error import UsageError

__all__ = ["Session", "current_session", "current_mesh", "attach"]

log = logging.getLogger("qnb.notebook")


class Session:
    """Holds the current mesh. ``start`` returns ``(mesh, started)``; ``started`` is False when an
    already running mesh was returned unchanged."""

    def __init__(self) -> None:
        self.mesh: Any = None

    @property
    def running(self) -> bool:
        return self.mesh is not None and bool(self.mesh.running)

    def start(self, *, restart: bool = False, log_level: str | None = None, **kw: Any) -> tuple[Any, bool]:
        """Start (or return the running) mesh; ``log_level`` overrides the configured qnb log level."""
        if self.running and not restart:
            return self.mesh, False
        self.stop()
        import qnb
        kw = {k: v for k, v in kw.items() if v is not None}
        if log_level is not None:
            from ..config import Settings
            kw["settings"] = Settings.load(kw.pop("config", None), overrides={"logging.level": log_level})
        self.mesh = qnb.start(**kw)
        return self.mesh, True

    def stop(self) -> bool:
        """Stop the current mesh (bounded in time, see ``Mesh.stop``); True if one was running."""
        mesh, self.mesh = self.mesh, None
        if mesh is None:
            return False
        was_running = bool(mesh.running)
        mesh.stop()
        return was_running

    def attach(self, mesh: Any) -> Any:
        """Make a mesh started with the Python API the target of the magics."""
        if self.mesh is not None and self.mesh is not mesh and self.mesh.running:
            raise UsageError(f"mesh {self.mesh.name} is already attached and running; %qnb stop it first")
        self.mesh = mesh
        return mesh

    def require(self) -> Any:
        if not self.running:
            raise UsageError("no qnb mesh is running: start one with %qnb start [--nodes N]")
        return self.mesh

    def shutdown(self) -> None:
        """atexit / unload hook: stop the mesh, never raise (the kernel is going away)."""
        try:
            self.stop()
        except Exception as e:  # noqa: BLE001
            log.warning("qnb mesh did not stop cleanly at shutdown: %s", e)


_session = Session()


def current_session() -> Session:
    return _session


def current_mesh() -> Any:
    """The mesh the magics act on, or None."""
    return _session.mesh if _session.running else None


def attach(mesh: Any) -> Any:
    """``qnb.notebook.attach(qnb.start(...))``: let ``%qsql``, ``%qjobs`` ... use that mesh."""
    return _session.attach(mesh)
