"""Optional rich-display dependencies, imported lazily so that every view degrades to HTML/text.

Why a module of its own: tests simulate "ipywidgets is not installed" by putting ``None`` into
``sys.modules['ipywidgets']``; every lookup goes through here at call time, so that switch takes
effect without reloading any qnb module (NB-3).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

__all__ = ["ipywidgets", "pandas", "altair", "chart_svg", "altair_chart"]

log = logging.getLogger("qnb.notebook")


def _optional(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def ipywidgets() -> Any | None:
    """The ipywidgets module, or None when it is not importable (views then render static HTML)."""
    return _optional("ipywidgets")


def pandas() -> Any | None:
    return _optional("pandas")


def altair() -> Any | None:
    return _optional("altair")


def chart_svg(spec: Any) -> str | None:
    """Render a Vega-Lite spec (a dict, or an altair chart) to a self-contained SVG string with
    vl-convert: no JavaScript and no CDN, so it shows in JupyterLab without internet, in GitHub's
    viewer and in papermill output. None when vl-convert is missing or fails, so callers fall
    back to their own HTML."""
    vlc = _optional("vl_convert")
    if vlc is None or spec is None:
        return None
    try:
        return vlc.vegalite_to_svg(spec if isinstance(spec, dict) else spec.to_dict())
    except Exception as e:  # noqa: BLE001 - a chart that fails to render must not break a cell
        log.warning("chart rendering failed: %s", e)
        return None


def altair_chart(spec: dict | None) -> Any:
    """The altair object for a Vega-Lite spec (for users who compose charts); None without altair.

    The views build plain Vega-Lite dicts instead of altair objects because importing altair pulls
    in jsonschema's format checkers, which took 3-10 s on the test machine (measured with
    ``python -X importtime -c "import altair"``); that cost is only paid when ``.chart()`` is used.
    """
    alt = altair()
    if alt is None or spec is None:
        return None
    cls = alt.VConcatChart if "vconcat" in spec else alt.Chart
    return cls.from_dict(spec)
