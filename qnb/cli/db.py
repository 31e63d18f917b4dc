"""``qnb db status | upgrade | downgrade | query``: inspect and migrate the mesh's DuckDB file (FR-010).

``--db PATH`` defaults to ``store.path`` of the settings (``qnb --config FILE`` or ./qnb.toml).
``query`` opens the file read-only, so it never changes data; while a coordinator holds the write
lock DuckDB refuses even readers from other processes, and the error says so.
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("db", help="inspect, migrate and query the DuckDB store",
                              description="Inspect, migrate and query the DuckDB store (FR-010).")
    sub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)

    def common(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--db", metavar="PATH", help="database file (default: store.path from the settings)")
        sp.add_argument("--json", action="store_true", help="machine-readable output")
        return sp

    common(sub.add_parser("status", help="schema version, pending migrations, row counts")).set_defaults(func=_status)
    up = common(sub.add_parser("upgrade", help="apply migrations (default: to the latest)"))
    up.add_argument("--to", type=int, metavar="N", help="target schema version")
    up.set_defaults(func=_upgrade)
    down = common(sub.add_parser("downgrade", help="revert migrations (default: one step)"))
    down.add_argument("--to", type=int, metavar="N", help="target schema version (0 = empty)")
    down.set_defaults(func=_downgrade)
    q = common(sub.add_parser("query", help="run one SQL statement on a read-only connection"))
    q.add_argument("sql", help="the SQL text")
    q.add_argument("--max-rows", type=int, default=200, metavar="N", help="rows shown in table output (default 200)")
    q.set_defaults(func=_query)


def _db_path(args: argparse.Namespace) -> str:
    if args.db:
        return args.db
    from ..config import Settings
    return Settings.load(getattr(args, "config", None)).store.path


def _out(args: argparse.Namespace, payload: dict, text: str) -> None:
    print(json.dumps(payload, default=str) if args.json else text)


def _status(args: argparse.Namespace) -> int:
    from ..store import Store
    path = _db_path(args)
    with Store.open(path, read_only=True) as store:
        st = store.status()
    lines = [f"database: {st['path']}", f"schema version: {st['version']} (latest {st['latest']})"]
    lines += [f"  applied {a['version']}: {a['description']} ({a['applied_at']})" for a in st["applied"]]
    lines += [f"  pending {m['version']}: {m['description']}" for m in st["pending"]]
    lines += [f"  {t}: {n} rows" for t, n in st["tables"].items()]
    _out(args, st, "\n".join(lines))
    return 0


def _upgrade(args: argparse.Namespace) -> int:
    from ..store import Store
    with Store.open(_db_path(args), migrate=False) as store:
        done = store.upgrade(args.to)
        version = store.version()
    _out(args, {"applied": done, "version": version},
         f"applied {', '.join(map(str, done))}; now at version {version}" if done else f"already at version {version}")
    return 0


def _downgrade(args: argparse.Namespace) -> int:
    from ..store import Store
    with Store.open(_db_path(args), migrate=False) as store:
        current = store.version()
        target = args.to if args.to is not None else max(0, current - 1)
        done = store.downgrade(target)
        version = store.version()
    _out(args, {"reverted": done, "version": version},
         f"reverted {', '.join(map(str, done))}; now at version {version}" if done else f"already at version {version}")
    return 0


def _query(args: argparse.Namespace) -> int:
    from ..store import Store
    with Store.open(_db_path(args), read_only=True) as store:
        result = store.sql(args.sql)
    if args.json:
        print(json.dumps(result.to_json_rows(), default=str))
    else:
        print(result.to_text(max_rows=args.max_rows))
    sys.stdout.flush()
    return 0
