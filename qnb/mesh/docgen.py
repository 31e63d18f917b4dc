"""Regenerate the schema tables embedded in docs/protocol.md from :mod:`qnb.mesh.schema`.

A table follows a marker line ``<!-- schema:NAME -->`` and ends at the next blank line. The test
suite checks that the committed file equals what this produces, so the docs cannot drift.

    python -m qnb.mesh.docgen docs/protocol.md
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .schema import SCHEMAS, schema_markdown

__all__ = ["render"]

_BLOCK = re.compile(r"(<!-- schema:([\w.]+) -->\n)(?:\|[^\n]*\n)*")


def render(text: str) -> str:
    """``text`` with every marked table replaced by the current schema table."""
    def table(m: re.Match) -> str:
        name = m.group(2)
        if name not in SCHEMAS:
            raise KeyError(f"docs marker names unknown schema {name!r}; known: {sorted(SCHEMAS)}")
        return f"{m.group(1)}{schema_markdown(name)}\n"
    return _BLOCK.sub(table, text)


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "docs/protocol.md")
    old = path.read_text()
    new = render(old)
    if new != old:
        path.write_text(new)
        print(f"updated {path}")
    else:
        print(f"{path} is up to date")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
