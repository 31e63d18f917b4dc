"""``qnb report [--db PATH] [--out FILE]``: render a stored comparison as one self-contained HTML file (FR-013)."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("report", help="render a stored distributed-vs-centralized comparison as HTML",
                       description=__doc__)
    p.add_argument("--db", default=None, help="DuckDB file (default: store.path from the config)")
    p.add_argument("--out", default="report.html", help="output file (default report.html)")
    p.add_argument("--experiment", default=None, help="experiment id (default: the latest comparison)")
    p.add_argument("--png", action="store_true", help="embed PNG charts instead of SVG")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=main)


def main(args) -> int:
    from pathlib import Path

    from qnb.config import Settings
    from qnb.errors import QnbError
    from qnb.harness.report import write_report

    db = args.db or Settings.load(getattr(args, "config", None)).store.path
    if not db or db == ":memory:" or not Path(db).expanduser().is_file():
        raise QnbError(f"no database at {db!r}; pass --db PATH of a file written by `qnb bench compare`",
                       field="db", value=db)
    path = write_report(str(Path(db).expanduser()), args.out, args.experiment,
                        chart_format="png" if args.png else "svg")
    if args.json:
        print(json.dumps({"out": str(path), "bytes": path.stat().st_size}))
    else:
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0
