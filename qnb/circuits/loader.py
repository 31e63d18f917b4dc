"""``qnb.circuits.load`` / ``loads``: the entry points for every circuit source (FR-003, FR-014).

:func:`loads` takes OpenQASM 2 or 3 *text* and nothing else: it never treats its argument as a
path or a bundled name, so it is what a service must call with text from a client. Its includes
resolve only in the bundled include directory and ``parse.include_path``.

:func:`load` is the convenience for local users: OpenQASM text, a path to a ``.qasm`` file
(``str`` or ``Path``), the stem of a bundled benchmark circuit (``"ghz_5"``), a qiskit
``QuantumCircuit`` or an existing ``Circuit``. A file loaded by path may also include files from its
own directory (and below).

Both take ``settings`` (a :class:`qnb.config.Settings`, its ``ParseSettings`` or a
:class:`~qnb.circuits.limits.ParseLimits`; default ``ParseSettings()``): the bounds checked while the
program is read (docs/circuit-limits.md). The OpenQASM version comes from the ``OPENQASM`` header;
no header means OpenQASM 3. Every failure is a :class:`~qnb.errors.QasmError` (or subclass) with
line and column where the text has them; an unexpected exception inside a front end is reported as
one too, marked ``internal: true`` (the fuzz tests treat those as bugs).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import QasmError, QnbError
from .ir import Circuit
from .limits import BUNDLED_INCLUDE_DIR, ParseLimits, activate, check_size, deep_recursion

__all__ = ["load", "loads", "bundled", "detect_version", "BUNDLED_DIR", "BUNDLED_INCLUDE_DIR"]

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
    if m.group(1) not in ("2", "3") or (m.group(2) is not None and len(m.group(2)) > 6):  # qiskit panics on 2.<20 digits>
        line = text.count("\n", 0, pos) + 1
        version = m.group(1)[:10] + (("." + m.group(2)[:10]) if m.group(2) else "")
        raise QasmError(f"unsupported OpenQASM version {version} (qnb reads 2.x and 3.x)", line=line,
                        column=pos - (text.rfind("\n", 0, pos) + 1) + 1, construct="version")
    return int(m.group(1))


def _is_qiskit_circuit(obj) -> bool:
    return any(c.__name__ == "QuantumCircuit" and c.__module__.startswith("qiskit") for c in type(obj).__mro__)


def _read(path: Path, limits: ParseLimits) -> str:
    """A circuit file's text; never more than the size limit is read."""
    limit = limits.max_source_bytes
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise QasmError(f"cannot read {path}: {e.strerror}", construct="file", file=str(path)) from None
    if len(data) > limit:
        raise QasmError(f"{path} is larger than the circuit source limit of {limit} bytes", line=1, column=1,
                        construct="source size", limit="limits.max_qasm_bytes", file=str(path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise QasmError(f"{path} is not UTF-8 text: {e.reason} at byte {e.start}", construct="file",
                        file=str(path)) from None


def _resolve_text(source, limits: ParseLimits) -> tuple[str, str | None, Path | None]:
    """``(text, file, base_dir)`` for a str/Path source."""
    if isinstance(source, Path):
        if not source.is_file():
            raise QasmError(f"no such circuit file: {source}", construct="file", file=str(source))
        return _read(source, limits), str(source), source.parent
    s = source
    if ";" in s or "\n" in s or "{" in s or len(s) > 4096:
        return s, None, None
    if not s.strip():
        raise QasmError("empty circuit source", line=1, column=1, construct="source")
    path = Path(s)
    try:
        is_file = path.is_file()
    except (OSError, ValueError):
        is_file = False
    if is_file:
        return _read(path, limits), str(path), path.parent
    known = bundled()
    if s in known:
        return _read(known[s], limits), str(known[s]), known[s].parent
    if path.suffix in (".qasm", ".qasm2", ".qasm3", ".inc") or "/" in s or "\\" in s:
        raise QasmError(f"no such circuit file: {s}", construct="file", file=s)
    raise QasmError(f"'{s[:80]}' is not OpenQASM text, an existing file or a bundled circuit "
                    f"(bundled: {', '.join(known) or 'none'})", construct="source")


def _stem(file: str | None) -> str | None:
    return Path(file).stem if file else None


def loads(text: str, *, name: str | None = None, settings=None) -> Circuit:
    """OpenQASM 2 or 3 text -> Circuit, within the bounds of ``settings`` (default ``ParseSettings()``).

    Never reads a path or looks up a bundled name, whatever the text; includes come only from the
    bundled include directory and ``parse.include_path``. Raises :class:`~qnb.errors.QasmError` with
    line/column (and ``limit`` naming the setting when a bound was exceeded)."""
    if not isinstance(text, str):
        raise QasmError(f"loads() needs OpenQASM text (str), got {type(text).__name__}", construct="source")
    limits = ParseLimits.of(settings)
    check_size(text, limits)
    if not text.strip():
        raise QasmError("empty circuit source", line=1, column=1, construct="source")
    return _parse_text(text, name or "circuit", None, None, limits)


def load(source, name: str | None = None, *, settings=None) -> Circuit:
    """Load a circuit from QASM 2/3 text, a ``.qasm`` path, a bundled name, a qiskit circuit or a Circuit.

    For text from anyone but the local user, call :func:`loads` instead."""
    if isinstance(source, Circuit):
        return source
    limits = ParseLimits.of(settings)
    if _is_qiskit_circuit(source):
        from .from_qiskit import from_qiskit
        def convert():
            with deep_recursion(limits.max_expression_depth):
                return from_qiskit(source, name)
        with activate(limits):
            return _guarded(convert, None, limits)
    if not isinstance(source, (str, Path)):
        raise QasmError(f"cannot load a circuit from {type(source).__name__}; expected OpenQASM text, a path, "
                        "a bundled circuit name, a qiskit QuantumCircuit or a Circuit", construct="source")
    if isinstance(source, str):
        check_size(source, limits)
    text, file, base_dir = _resolve_text(source, limits)
    return _parse_text(text, name or _stem(file) or "circuit", file, base_dir, limits)


def _parse_text(text: str, name: str, file: str | None, base_dir: Path | None, limits: ParseLimits) -> Circuit:
    if text.startswith("\ufeff"):  # a byte-order mark is not part of the program
        text = text[1:]
    with activate(limits) as budget:
        budget.source_bytes = len(text)
        try:
            return _front_end(text, name, file, base_dir)
        except QnbError:
            raise
        except BaseException as e:
            raise _unstructured(e, file) from None


def _front_end(text: str, name: str, file: str | None, base_dir: Path | None) -> Circuit:
    if detect_version(text) == 2:
        from .qasm2 import loads_qasm2
        return loads_qasm2(text, name=name, file=file, base_dir=base_dir)
    from .qasm3_fast import try_fast
    circuit = try_fast(text, name=name)  # straight-line programs: no ANTLR parse needed
    if circuit is not None:
        return circuit
    from .qasm3 import loads_qasm3
    return loads_qasm3(text, name=name, file=file, base_dir=base_dir, fast=False)


def _guarded(work, file: str | None, limits: ParseLimits) -> Circuit:
    try:
        return work()
    except QnbError:
        raise
    except BaseException as e:
        raise _unstructured(e, file) from None


def _unstructured(e: BaseException, file: str | None) -> BaseException:
    """Anything but a QnbError out of a front end, as a QasmError marked ``internal``.

    The bounds of :mod:`.limits` are meant to stop every such failure earlier, with a located error;
    this is the last line, so no traceback ever reaches a user or a client. Interrupts (and trio's
    cancellation) are returned unchanged, to be re-raised."""
    fields = {"file": file} if file else {}
    if isinstance(e, RecursionError):
        return QasmError("the program nests too deeply to be read", construct="nesting depth",
                         limit="parse.max_expression_depth", internal=True, **fields)
    if isinstance(e, MemoryError):
        return QasmError("the program needs more memory than is available to be read", construct="memory",
                         internal=True, **fields)
    if isinstance(e, Exception) or type(e).__name__ == "PanicException":  # pyo3 panics are BaseExceptions
        return QasmError(f"the program could not be read ({type(e).__name__}: {str(e)[:200]})",
                         construct="internal", internal=True, exception=type(e).__name__, **fields)
    return e
