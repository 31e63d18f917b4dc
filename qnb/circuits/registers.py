"""Recover register declarations from IR labels, so exports keep the source's register names.

Labels such as ``data[0] data[1] anc`` come from ``qubit[2] data; qubit anc;``. When the labels of a
circuit still form whole registers in order, the exporters declare those registers; otherwise they
fall back to one register with a default name (labels are display-only, never semantic).
"""

from __future__ import annotations

import re

__all__ = ["group_registers", "physical_labels"]

_INDEXED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\[(\d+)\]\Z")
_SINGLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PHYSICAL = re.compile(r"\$(\d+)\Z")


def group_registers(labels: tuple[str, ...] | list[str], reserved: set[str] | frozenset[str] = frozenset()
                    ) -> list[tuple[str, int | None]] | None:
    """``[(name, size or None for a single bit/qubit), ...]`` covering ``labels`` in order, or None."""
    groups: list[tuple[str, int | None]] = []
    names: set[str] = set()
    i = 0
    while i < len(labels):
        m = _INDEXED.match(labels[i])
        if m:
            name, k = m.group(1), 0
            while i < len(labels):
                m2 = _INDEXED.match(labels[i])
                if not m2 or m2.group(1) != name or int(m2.group(2)) != k:
                    break
                k, i = k + 1, i + 1
            if k == 0:
                return None
            groups.append((name, k))
        elif _SINGLE.match(labels[i]):
            name = labels[i]
            groups.append((name, None))
            i += 1
        else:
            return None
        if name in names or name in reserved:
            return None
        names.add(name)
    return groups


def physical_labels(labels: tuple[str, ...] | list[str]) -> bool:
    """True when every label is ``$n`` with ``n`` strictly increasing (reloads to the same order)."""
    last = -1
    for label in labels:
        m = _PHYSICAL.match(label)
        if not m or int(m.group(1)) <= last:
            return False
        last = int(m.group(1))
    return bool(labels)
