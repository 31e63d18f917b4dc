"""Live views of a mesh: job status, fragment DAG, reservation Gantt and node fidelity (NB-3).

Each view is a ``traitlets.HasTraits`` updated from immutable snapshots on the kernel's loop (see
:mod:`qnb.notebook.pump`), shown as an ipywidgets container when ipywidgets is importable, and
always renderable as HTML (``_repr_html_``) and text (``repr``).
"""

from .base import LiveView
from .dag import DagWidget
from .fidelity import FidelityWidget
from .gantt import GanttWidget
from .job import JobWidget

__all__ = ["LiveView", "JobWidget", "DagWidget", "GanttWidget", "FidelityWidget"]
