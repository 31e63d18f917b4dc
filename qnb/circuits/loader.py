"""``qnb.circuits.load``: one entry point for every circuit source (FR-003).

Accepts OpenQASM 2 or 3 text, a path to a ``.qasm`` file (``str`` or ``Path``), the stem of a
bundled benchmark circuit (``"ghz_5"``), a qiskit ``QuantumCircuit`` or an existing ``Circuit``.
The OpenQASM version comes from the ``OPENQASM`` header; no header means OpenQASM 3.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import QasmError
from .ir import Circuit

__all__ = ["load", "bundled", "detect_version", "BUNDLED_DIR"]

#: Benchmark circuits shipped with the repository (``data/circuits`` at the repo root).
BUNDLED_DIR = Path(__file__).resolve().parents[2] / "data" / "circuits"

_LEADING = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)
_HEADER = re.compile(r"OPENQASM\s+(\d+)(?:\.(\d+))?\s*;")


def bundled() -> dict[str, Path]:
    """Bundled benchmark circuits by file stem, sorted by name."""
    if not BUNDLED_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(BUNDLED_DIR.glob("*.qasm"))}


def detect_version(text: str) -> int:
    """2 or 3 from the ``OPENQASM x.y;`` header (after comments); 3 when there is no header."""
    text = text.lstrip("\ufeff")
    pos = _LEADING.match(text).end()
    m = _HEADER.match(text, pos)
    if not m:
        return 3
    major = int(m.group(1))
    if major not in (2, 3):
        line = text.count("\n", 0, pos) + 1
        raise QasmError(f"unsupported OpenQASM version {m.group(1)}{'.' + m.group(2) if m.group(2) else ''} "
                        "(qnb reads 2.x and 3.x)", line=line, column=pos - (text.rfind("\n", 0, pos) + 1) + 1,
                        construct="version")
    return major


def _is_qiskit_circuit(obj) -> bool:
    return any(c.__name__ == "QuantumCircuit" and c.__module__.startswith("qiskit") for c in type(obj).__mro__)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise QasmError(f"{path} is not UTF-8 text: {e.reason} at byte {e.start}", construct="file",
                        file=str(path)) from None
    except OSError as e:
        raise QasmError(f"cannot read {path}: {e.strerror}", construct="file", file=str(path)) from None


def _resolve_text(source) -> tuple[str, str | None, Path | None]:
    """``(text, file, base_dir)`` for a str/Path source."""
    if isinstance(source, Path):
        if not source.is_file():
            raise QasmError(f"no such circuit file: {source}", construct="file", file=str(source))
        return _read(source), str(source), source.parent
    s = source
    if ";" in s or "\n" in s or "{" in s:
        return s, None, None
    if not s.strip():
        raise QasmError("empty circuit source", construct="source")
    path = Path(s)
    if path.is_file():
        return _read(path), str(path), path.parent
    known = bundled()
    if s in known:
        return _read(known[s]), str(known[s]), known[s].parent
    if path.suffix in (".qasm", ".qasm2", ".qasm3", ".inc") or "/" in s or "\\" in s:
        raise QasmError(f"no such circuit file: {s}", construct="file", file=s)
    raise QasmError(f"'{s}' is not OpenQASM text, an existing file or a bundled circuit "
                    f"(bundled: {', '.join(known) or 'none'})", construct="source")


def _stem(file: str | None) -> str | None:
    return Path(file).stem if file else None


def load(source, name: str | None = None) -> Circuit:
    """Load a circuit from QASM 2/3 text, a ``.qasm`` path, a bundled name, a qiskit circuit or a Circuit."""
    if isinstance(source, Circuit):
        return source
    if _is_qiskit_circuit(source):
        from .from_qiskit import from_qiskit
        return from_qiskit(source, name)
    if not isinstance(source, (str, Path)):
        raise QasmError(f"cannot load a circuit from {type(source).__name__}; expected OpenQASM text, a path, "
                        "a bundled circuit name, a qiskit QuantumCircuit or a Circuit", construct="source")
    text, file, base_dir = _resolve_text(source)
    name = name or _stem(file) or "circuit"
    if detect_version(text) == 2:
        from .qasm2 import loads_qasm2
        return loads_qasm2(text, name=name, file=file, base_dir=base_dir)
    from .qasm3_fast import try_fast
    circuit = try_fast(text, name=name)  # straight-line programs: no ANTLR parse needed
    if circuit is not None:
        return circuit
    from .qasm3 import loads_qasm3
    return loads_qasm3(text, name=name, file=file, base_dir=base_dir, fast=False)
