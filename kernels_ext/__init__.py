"""The ``qnb`` Jupyter kernel spec: a stock ipykernel that preloads the qnb extension (NB-1).

``kernels_ext/qnb/kernel.json`` is the spec as committed; :func:`kernels_ext.install.install`
copies it with ``argv[0]`` pointing at the running interpreter (so the kernel sees the same
environment as the installer) and registers it through jupyter_client's KernelSpecManager.
"""

from .install import SPEC_DIR, install, kernel_spec

__all__ = ["SPEC_DIR", "install", "kernel_spec"]
