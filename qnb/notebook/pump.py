"""The snapshot pump: applies mesh snapshots to live views on the kernel's own event loop.

Why: ipykernel 7 misroutes output sent from non-main threads, and the mesh publishes immutable
snapshots from its trio thread. So nothing is pushed from the mesh; instead this pump, scheduled
with ``call_later`` on the asyncio loop the kernel runs cells on (the main thread), polls each
registered view at a bounded rate (default 8 Hz, within the 5-10 Hz of DESIGN.md). A view only
touches its traits when its snapshot object changed, so a burst of N snapshot changes costs at
most ``rate * elapsed + 1`` updates per view. Without a running loop (plain scripts, a bare
InteractiveShell) nothing is scheduled and views update on an explicit ``refresh()``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Protocol

__all__ = ["Pump", "Refreshable", "default_pump", "DEFAULT_RATE_HZ"]

log = logging.getLogger("qnb.notebook.pump")

DEFAULT_RATE_HZ = 8.0


class Refreshable(Protocol):
    """What the pump needs from a view."""

    min_interval: float      # seconds between two pump-driven refreshes of this view

    @property
    def finished(self) -> bool: ...

    def refresh(self) -> bool: ...


class Pump:
    """Polls registered views at ``rate`` Hz on an asyncio loop; stops itself when idle."""

    def __init__(self, rate: float = DEFAULT_RATE_HZ, clock: Callable[[], float] = time.monotonic) -> None:
        from ..errors import ConfigError
        if not (0.5 <= float(rate) <= 30.0):
            raise ConfigError(f"pump rate {rate!r} Hz is outside 0.5..30", key="rate", value=rate,
                              rule="0.5 <= rate <= 30 (5-10 Hz recommended)")
        self.rate = float(rate)
        self.interval = 1.0 / self.rate
        self._clock = clock
        self._views: list[Any] = []
        self._last: dict[int, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self.ticks = 0

    # ------------------------------------------------------------ registry
    @property
    def views(self) -> tuple[Any, ...]:
        return tuple(self._views)

    def add(self, view: Refreshable, *, start: bool = True) -> bool:
        """Register ``view`` and start ticking; returns True if ticks are scheduled.

        With ``start=True`` and no running loop the view is not kept (nothing would ever tick it,
        and holding it would keep its mesh alive); ``start=False`` keeps it for explicit
        :meth:`tick` calls or a later :meth:`start`."""
        if view.finished:
            return self.running
        if start and not self.start():
            return False
        if view not in self._views:
            self._views.append(view)
        return self.running

    def discard(self, view: Refreshable) -> None:
        if view in self._views:
            self._views.remove(view)
        self._last.pop(id(view), None)

    # ------------------------------------------------------------ ticking
    def tick(self) -> int:
        """Refresh every due view once; drop finished or broken views. Returns how many applied."""
        self.ticks += 1
        applied = 0
        now = self._clock()
        for view in list(self._views):
            last = self._last.get(id(view))
            if last is not None and now - last < getattr(view, "min_interval", 0.0):
                continue
            self._last[id(view)] = now
            try:
                applied += bool(view.refresh())
            except Exception as e:  # noqa: BLE001 - one broken view must not stop the others
                log.warning("dropping view %r from the pump: %s", type(view).__name__, e)
                self.discard(view)
                continue
            if view.finished:
                self.discard(view)
        return applied

    @property
    def running(self) -> bool:
        return self._handle is not None

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> bool:
        """Schedule ticks on ``loop`` (default: the loop running in this thread, if any)."""
        if self._handle is not None:
            return True
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return False
        if loop.is_closed():
            return False
        self._loop = loop
        self._handle = loop.call_later(self.interval, self._run)
        return True

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None

    def _run(self) -> None:
        self._handle = None
        self.tick()
        if self._views and self._loop is not None and not self._loop.is_closed():
            self._handle = self._loop.call_later(self.interval, self._run)


_default: Pump | None = None


def default_pump() -> Pump:
    """The process-wide pump the widgets register with."""
    global _default
    if _default is None:
        _default = Pump()
    return _default
