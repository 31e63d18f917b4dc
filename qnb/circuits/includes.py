"""Where an ``include "name";`` may read from, for both OpenQASM front ends (FR-014).

Only the bundled include directory (:data:`~qnb.circuits.limits.BUNDLED_INCLUDE_DIR`), the
directories of ``parse.include_path`` and, for a file the user loaded by path, that file's own
directory. Names are checked before the file system sees them: at most 255 characters, relative,
no ``..`` component; a name that resolves (through symlinks) outside its directory is not found.
The library names ``stdgates.inc`` and ``qelib1.inc`` are built in and never read from disk.

Errors name the include as written, never the directories searched nor anything read.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .expr import ExprError, LimitError
from .limits import BUNDLED_INCLUDE_DIR, MAX_INCLUDE_NAME, Budget

__all__ = ["resolve_include", "read_include"]

_DRIVE = re.compile(r"[A-Za-z]:")


def _shown(name: str) -> str:
    return name if len(name) <= 80 else name[:80] + "..."


def resolve_include(name: str, dirs) -> Path:
    """The file ``name`` denotes in the first of ``dirs`` that has it; ExprError otherwise."""
    if not isinstance(name, str) or not name:
        raise ExprError("include needs a file name", construct="include")
    if len(name) > MAX_INCLUDE_NAME or "\x00" in name or any(ch in name for ch in "\r\n"):
        raise ExprError(f"include file name '{_shown(name)}' is not a valid file name (at most "
                        f"{MAX_INCLUDE_NAME} characters, no control characters)", construct="include")
    pure = name.replace("\\", "/")
    if pure.startswith("/") or _DRIVE.match(pure) or os.path.isabs(name):
        raise LimitError(f"include of the absolute path '{_shown(name)}' is refused: includes are read from the "
                         "bundled include directory and parse.include_path only", "parse.include_path",
                         construct="include")
    if ".." in pure.split("/"):
        raise LimitError(f"include '{_shown(name)}' is refused: '..' may not leave the include directories",
                         "parse.include_path", construct="include")
    for d in dirs:
        try:
            real = (d / pure).resolve()
            if d == BUNDLED_INCLUDE_DIR and real.suffix in (".py", ".pyc"):
                continue  # the package's own files are not includes
            if real.is_relative_to(d) and real.is_file():
                return real
        except (OSError, ValueError, RuntimeError):
            continue
    raise ExprError(f"cannot find include file '{_shown(name)}' in the include directories (the bundled "
                    "directory, parse.include_path and the directory of a circuit file loaded by path)",
                    construct="include")


def read_include(path: Path, name: str, budget: Budget) -> str:
    """The text of a resolved include, counted against the source size limit."""
    remaining = budget.limits.max_source_bytes - budget.source_bytes
    try:
        with open(path, "rb") as f:
            data = f.read(max(remaining, 0) + 1)
    except OSError as e:
        raise ExprError(f"cannot read include file '{_shown(name)}': {e.strerror}", construct="include") from None
    budget.add_source(len(data), f"include file '{_shown(name)}'")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ExprError(f"include file '{_shown(name)}' is not UTF-8 text (byte {e.start})",
                        construct="include") from None
