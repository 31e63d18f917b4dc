"""Symbol tables for the OpenQASM 3 lowering: what a name means at a point of the program.

Scopes nest (global -> subroutine/gate body -> loop/if blocks). Crossing into a ``gate`` body hides
everything but constants, gates and subroutines; crossing into a ``def`` body also hides global
qubits and bits (they must be passed as arguments), as the OpenQASM 3 scoping rules say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Symbol", "Scope", "GateDef", "SubroutineDef", "Bits", "Unknown", "QUBITS", "BITS", "CONST", "VAR",
           "INPUT", "GATE", "DEF"]

QUBITS, BITS, CONST, VAR, INPUT, GATE, DEF = "qubits", "bits", "const", "var", "input", "gate", "def"

_VISIBLE_IN_GATE = {CONST, GATE, DEF}
_VISIBLE_IN_DEF = {CONST, GATE, DEF, INPUT}


@dataclass
class Symbol:
    kind: str
    value: Any
    node: Any = None


@dataclass
class GateDef:
    name: str
    params: list[str]
    qubits: list[str]
    body: list
    node: Any
    #: None until checked; True when the body equals the IR library gate of the same name
    recognized: bool | None = None


@dataclass
class SubroutineDef:
    name: str
    arguments: list
    body: list
    node: Any


@dataclass(frozen=True)
class Bits:
    """A classical value that is a set of clbits (a measurement result returned by a subroutine)."""

    clbits: tuple[int, ...]


@dataclass(frozen=True)
class Unknown:
    """A classical variable whose value is only known at run time (it was computed from measurements)."""

    reason: str
    line: int | None = None


@dataclass
class Scope:
    parent: "Scope | None" = None
    #: "gate" or "def" when this scope is the body of one (restricts what outer names are visible)
    barrier: str | None = None
    names: dict[str, Symbol] = field(default_factory=dict)

    def lookup(self, name: str) -> Symbol | None:
        scope, allowed = self, None
        while scope is not None:
            sym = scope.names.get(name)
            if sym is not None and (allowed is None or sym.kind in allowed):
                return sym
            if sym is not None:
                return Symbol("hidden", sym.kind, sym.node)
            if scope.barrier == "gate":
                allowed = _VISIBLE_IN_GATE
            elif scope.barrier == "def" and allowed is None:
                allowed = _VISIBLE_IN_DEF
            scope = scope.parent
        return None

    def local(self, name: str) -> Symbol | None:
        return self.names.get(name)

    def is_global(self) -> bool:
        return self.parent is None
