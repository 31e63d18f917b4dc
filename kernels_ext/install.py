"""Install the ``qnb`` kernel spec (used by ``qnb kernel install``)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["SPEC_DIR", "kernel_spec", "install"]

SPEC_DIR = Path(__file__).resolve().parent / "qnb"


def kernel_spec(python: str | None = None, display_name: str | None = None) -> dict[str, Any]:
    """The committed kernel.json with ``argv[0]`` set to ``python`` (default: this interpreter)."""
    spec = json.loads((SPEC_DIR / "kernel.json").read_text())
    spec["argv"][0] = python or sys.executable
    if display_name:
        spec["display_name"] = display_name
    return spec


def install(*, user: bool = False, sys_prefix: bool = False, prefix: str | None = None, name: str = "qnb",
            display_name: str | None = None, python: str | None = None) -> str:
    """Register the spec; returns the directory it was installed to.

    Exactly one location: ``user`` (~/.local/share/jupyter), ``sys_prefix`` (this environment), an
    explicit ``prefix``, or, with none of them, the system-wide default of jupyter_client.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from qnb.errors import ConfigError
    if sum(bool(x) for x in (user, sys_prefix, prefix)) > 1:
        raise ConfigError("choose at most one of --user, --sys-prefix and --prefix", key="location",
                          value={"user": user, "sys_prefix": sys_prefix, "prefix": prefix},
                          rule="mutually exclusive")
    if not name or not all(c.isalnum() or c in "._-" for c in name):
        raise ConfigError(f"invalid kernel name {name!r}", key="name", value=name,
                          rule="letters, digits, '.', '_' and '-' only")
    if sys_prefix:
        prefix = sys.prefix
    with tempfile.TemporaryDirectory(prefix="qnb-kernelspec-") as tmp:
        spec_dir = Path(tmp) / name
        spec_dir.mkdir()
        (spec_dir / "kernel.json").write_text(json.dumps(kernel_spec(python, display_name), indent=2) + "\n")
        for extra in SPEC_DIR.iterdir():          # logos etc., if any are ever added
            if extra.name != "kernel.json" and extra.is_file():
                (spec_dir / extra.name).write_bytes(extra.read_bytes())
        return KernelSpecManager().install_kernel_spec(str(spec_dir), kernel_name=name, user=user, prefix=prefix)
