"""The notebook layer (NB-1..NB-4): ``%load_ext qnb`` magics, live widgets, the snapshot pump.

The only package that imports IPython/ipywidgets/altair (DESIGN.md); the core never imports it.
``load_ipython_extension`` registers the magics and an atexit hook that stops the mesh when the
kernel shuts down; ``unload_ipython_extension`` stops the mesh and removes the magics.
"""

from __future__ import annotations

import atexit
from typing import Any

from .pump import Pump, default_pump
from .session import Session, attach, current_mesh, current_session
from .widgets import DagWidget, FidelityWidget, GanttWidget, JobWidget, LiveView

__all__ = ["load_ipython_extension", "unload_ipython_extension", "current_mesh", "current_session", "attach",
           "Session", "Pump", "default_pump", "JobWidget", "DagWidget", "GanttWidget", "FidelityWidget",
           "LiveView"]

_loaded: dict[int, Any] = {}


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext qnb`` (also run by the ``qnb`` kernel through ``--ext=qnb``)."""
    from .magics import QnbMagics
    session = current_session()
    magics = QnbMagics(ipython, session)
    ipython.register_magics(magics)
    _loaded[id(ipython)] = magics
    atexit.unregister(session.shutdown)     # idempotent under %reload_ext
    atexit.register(session.shutdown)


def unload_ipython_extension(ipython: Any) -> None:
    """Stop the mesh, stop the pump and remove exactly the magics we registered."""
    from .magics import MAGIC_NAMES
    session = current_session()
    session.shutdown()
    atexit.unregister(session.shutdown)
    default_pump().stop()
    table = ipython.magics_manager.magics
    for kind, name in MAGIC_NAMES:
        table[kind].pop(name, None)
    _loaded.pop(id(ipython), None)
