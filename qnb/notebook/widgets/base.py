"""The shared shape of every qnb view: traits from immutable snapshots, three renderings.

A view is a ``traitlets.HasTraits`` (always importable with IPython) whose traits are set only in
:meth:`LiveView.refresh`, only when the snapshot changed, and only on the thread that calls it
(the kernel's main thread, via the pump). When ipywidgets is importable the view also owns an
ipywidgets container that mirrors the traits; otherwise it renders static HTML. Every view has
``_repr_html_`` and ``__repr__`` so viewers without a widget manager (GitHub, papermill output,
nbconvert) still show something meaningful (NB-3).
"""

from __future__ import annotations

from typing import Any

import traitlets

from .. import _optional
from ..pump import Pump, default_pump

__all__ = ["LiveView", "to_seconds"]


class LiveView(traitlets.HasTraits):
    """Base class: subclasses implement ``_fetch``, ``_apply``, ``_html``, ``_text``, ``_build``."""

    #: CSS class of the outer element, also used by the browser test to find the widget
    css_class = "qnb-view"
    #: minimum seconds between two pump-driven refreshes (expensive views raise this)
    min_interval = 0.0

    updates = traitlets.Int(0, help="how many snapshot changes were applied")

    def __init__(self, *, live: bool = True, pump: Pump | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.live = live
        self._pump = pump
        self._key: Any = _UNSET
        self._widget: Any = None
        self._widget_built = False

    # ------------------------------------------------------- subclass API
    def _fetch(self) -> Any:
        """Return the current snapshot (cheap; called at the pump rate)."""
        raise NotImplementedError

    def _snapshot_key(self, snap: Any) -> Any:
        """What identifies a snapshot; by default the object itself (compared with ``is``)."""
        return snap

    def _apply(self, snap: Any) -> None:
        """Set traits from ``snap``."""
        raise NotImplementedError

    def _build(self, widgets: Any) -> Any:
        """Create the ipywidgets container (called once, only when ipywidgets is importable)."""
        raise NotImplementedError

    def _sync(self, widget: Any) -> None:
        """Copy traits into the ipywidgets children (inside ``hold_sync``)."""
        raise NotImplementedError

    def _html(self) -> str:
        raise NotImplementedError

    def _text(self) -> str:
        raise NotImplementedError

    @property
    def finished(self) -> bool:
        """True when no further snapshot can change the view (the pump then forgets it)."""
        return False

    # ------------------------------------------------------------- public
    def refresh(self) -> bool:
        """Pull the latest snapshot and apply it if it changed. Returns True if anything changed."""
        snap = self._fetch()
        key = self._snapshot_key(snap)
        if self._key is not _UNSET and (key is self._key or _same(key, self._key)):
            return False
        self._key = key
        with self.hold_trait_notifications():
            self._apply(snap)
            self.updates += 1
        w = self.widget
        if w is not None:
            with w.hold_sync():
                self._sync(w)
        return True

    @property
    def widget(self) -> Any:
        """The ipywidgets container, built on first use; None without ipywidgets."""
        if not self._widget_built:
            widgets = _optional.ipywidgets()
            self._widget_built = True
            if widgets is not None:
                if self._key is _UNSET:
                    self.refresh()
                self._widget = self._build(widgets)
                self._widget.add_class(self.css_class)
                with self._widget.hold_sync():
                    self._sync(self._widget)
        return self._widget

    @property
    def pump(self) -> Pump:
        return self._pump if self._pump is not None else default_pump()

    def watch(self) -> bool:
        """Register with the pump so the view follows the mesh; True if ticks are scheduled."""
        if not self.live or self.finished:
            return False
        return self.pump.add(self)

    def unwatch(self) -> None:
        self.pump.discard(self)

    def close(self) -> None:
        """Stop following the mesh and close the widget's comm."""
        self.unwatch()
        if self._widget is not None:
            self._widget.close()

    # ---------------------------------------------------------- rendering
    def _ensure(self) -> None:
        if self._key is _UNSET:
            self.refresh()

    def _repr_html_(self) -> str:
        self._ensure()
        return self._html()

    def __repr__(self) -> str:
        self._ensure()
        return self._text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        """Widget view when a widget manager can show it, plus HTML and text for everyone else."""
        self.refresh()
        data = {"text/plain": self._text(), "text/html": self._html()}
        w = self.widget
        if w is not None:
            bundle = w._repr_mimebundle_()
            view = bundle.get("application/vnd.jupyter.widget-view+json") if isinstance(bundle, dict) else None
            if view is not None:
                data["application/vnd.jupyter.widget-view+json"] = view
            self.watch()
        return data


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_UNSET = _Unset()


def _same(a: Any, b: Any) -> bool:
    """Keys are snapshot objects (compared by identity), plain values (a digest string), or tuples
    of snapshots and plain values."""
    if isinstance(a, (str, int, float)) and type(a) is type(b):
        return a == b
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return all(x is y or (isinstance(x, (int, float, str)) and type(x) is type(y) and x == y)
                   for x, y in zip(a, b))
    return False


def to_seconds(v: Any) -> float | None:
    """Timestamps arrive as epoch floats or datetimes depending on where they were read from."""
    if v is None:
        return None
    if hasattr(v, "timestamp"):
        return float(v.timestamp())
    return float(v)
