"""The qnb magics (NB-1): thin dispatchers over the Python API that RETURN objects.

``%qnb start|stop|status|nodes``, ``%%qsubmit`` / ``%qsubmit VAR``, ``%qjobs``, ``%qsql`` (line and
cell), ``%qfault``. One function per subcommand; argument errors are ``UsageError``; domain errors
(bad QASM, unknown node ...) are the structured :mod:`qnb.errors` exceptions from the API.

``%qsubmit`` and ``%qsql`` opt out of IPython's ``$var``/``{var}`` expansion: OpenQASM 3 uses
``$0`` for physical qubits and SQL uses ``$1`` for parameters, and both must arrive verbatim.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class, no_var_expand
from IPython.display import display

from ..faults import FAULT_KINDS
from . import _optional
from .args import (MagicArgumentParser, non_negative_float, non_negative_int, positive_float, positive_int,
                   probability)
from .pump import DEFAULT_RATE_HZ
from .session import Session, current_session
from .tables import JOB_COLUMNS, frame, jobs_rows
from .widgets import JobWidget

__all__ = ["QnbMagics", "MAGIC_NAMES"]

#: (kind, name) of every magic this module registers; unload removes exactly these
MAGIC_NAMES = (("line", "qnb"), ("line", "qsubmit"), ("cell", "qsubmit"), ("line", "qjobs"), ("line", "qsql"),
               ("cell", "qsql"), ("line", "qfault"))


# ------------------------------------------------------------------ parsers
def _qnb_parser() -> MagicArgumentParser:
    p = MagicArgumentParser(prog="%qnb", description="Start, stop and inspect the embedded qnb mesh.")
    sub = p.add_subparsers(dest="command", metavar="{start,stop,status,nodes}")
    s = sub.add_parser("start", help="start the embedded mesh (idempotent)")
    s.add_argument("--nodes", type=positive_int, help="number of simulated QPU nodes (default from config)")
    s.add_argument("--topology", help="topology TOML path or generator spec (overrides --nodes)")
    s.add_argument("--seed", type=non_negative_int, help="seed for topology, planning and sampling")
    s.add_argument("--restart", action="store_true", help="stop a running mesh and start a new one")
    s.add_argument("--noiseless", action="store_true", help="perfect nodes and links (statevector runs)")
    s.add_argument("--qubits-per-node", type=positive_int, help="qubit slots per node")
    s.add_argument("--store", help="DuckDB file (':memory:' for none; default from config)")
    s.add_argument("--config", help="qnb TOML config file")
    s.add_argument("--log-level", type=str.upper, choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
                   help="qnb log level (default WARNING in notebooks unless QNB_LOGGING__LEVEL is set): "
                        "ipykernel forwards the mesh thread's stderr into whichever cell runs")
    sub.add_parser("stop", help="stop the mesh and close its store")
    sub.add_parser("status", help="mesh state, node count and jobs by state")
    sub.add_parser("nodes", help="the registry as a table")
    return p


def _submit_parser() -> MagicArgumentParser:
    p = MagicArgumentParser(prog="%qsubmit", description="Submit OpenQASM 2/3 (cell body) or a circuit variable.")
    p.add_argument("circuit", nargs="?", help="line form only: name of a variable holding a circuit or QASM")
    p.add_argument("--shots", type=positive_int, default=1024)
    p.add_argument("--name", help="job name (default: derived from the circuit)")
    p.add_argument("--min-fidelity", type=probability, help="reject plans estimated below this fidelity")
    p.add_argument("--seed", type=non_negative_int, help="sampling/planning seed (default: the mesh seed)")
    w = p.add_mutually_exclusive_group()
    w.add_argument("--wait", dest="wait", action="store_true", default=True,
                   help="block until done and return the JobResult (default)")
    w.add_argument("--no-wait", dest="wait", action="store_false", help="return the Job at once")
    p.add_argument("-o", "--out", metavar="VAR", help="also store the returned object in this variable")
    p.add_argument("--timeout", type=positive_float, help="with --wait: give up waiting after this many seconds")
    p.add_argument("--quiet", action="store_true", help="do not display the job widget")
    return p


def _jobs_parser() -> MagicArgumentParser:
    p = MagicArgumentParser(prog="%qjobs", description="Recent jobs, most recent first.")
    p.add_argument("--limit", type=positive_int, default=20)
    p.add_argument("--state", type=str.upper, choices=["QUEUED", "COMPILING", "RESERVING", "EXECUTING", "COMPLETED",
                                                       "FAILED", "CANCELLED"])
    p.add_argument("--all", action="store_true", help="no limit")
    p.add_argument("-o", "--out", metavar="VAR")
    return p


def _fault_parser() -> MagicArgumentParser:
    p = MagicArgumentParser(prog="%qfault", description="Inject a fault into the running mesh (FR-013).")
    p.add_argument("kind", choices=FAULT_KINDS)
    p.add_argument("node", help="node name, e.g. n01")
    p.add_argument("--ms", type=non_negative_float, help="latency / link_latency: added delay in ms")
    p.add_argument("--peer", help="link_latency: the other end of the link")
    p.add_argument("--factor", type=positive_float, help="fidelity: multiply the node's error rates by this")
    p.add_argument("--fidelity-2q", type=probability, help="fidelity: set the 2-qubit fidelity directly")
    p.add_argument("--duration", type=positive_float, help="latency/fidelity: undo the fault after S seconds")
    p.add_argument("--return-after", type=positive_float, help="drop: restore the node after S seconds")
    p.add_argument("--period", type=positive_float, help="flap: seconds per down/up cycle")
    p.add_argument("--cycles", type=positive_int, help="flap: number of down/up cycles")
    p.add_argument("--on", action="store_true", help="available: mark available (default: unavailable)")
    return p


_SQL_OUT = re.compile(r"^\s*(?:(?:-o|--out)\s+([A-Za-z_][A-Za-z0-9_]*)\s*)?(.*)$", re.S)


@magics_class
class QnbMagics(Magics):
    """Registered by ``%load_ext qnb``. Every magic returns a value (Job, JobResult, DataFrame, dict)."""

    def __init__(self, shell: Any, session: Session | None = None) -> None:
        super().__init__(shell)
        self.session = session or current_session()
        self._qnb = _qnb_parser()
        self._submit = _submit_parser()
        self._jobs = _jobs_parser()
        self._fault = _fault_parser()

    # ============================================================== %qnb
    @line_magic("qnb")
    def qnb(self, line: str = "") -> Any:
        """%qnb start|stop|status|nodes -- see ``%qnb --help`` and ``%qnb start --help``."""
        args = self._qnb.parse_line(line)
        if args is None:
            return None
        if not args.command:
            raise UsageError("%qnb needs a subcommand: start, stop, status or nodes\n" +
                             self._qnb.format_usage().strip())
        return getattr(self, f"_qnb_{args.command}")(args)

    def _qnb_start(self, args: argparse.Namespace) -> Any:
        kw = dict(nodes=args.nodes, topology=args.topology, seed=args.seed, store=args.store,
                  qubits_per_node=args.qubits_per_node, noiseless=True if args.noiseless else None,
                  config=args.config)
        level = args.log_level or (None if "QNB_LOGGING__LEVEL" in os.environ else "WARNING")
        mesh, started = self.session.start(restart=args.restart, log_level=level, **kw)
        if started:
            print(f"qnb: started {mesh.name} with {len(mesh.node_names())} nodes (store: {mesh.store_path})")
        else:
            print(f"qnb: {mesh.name} is already running with {len(mesh.node_names())} nodes; returning it "
                  f"(use --restart to start a new one)")
        return mesh

    def _qnb_stop(self, args: argparse.Namespace) -> None:
        name = self.session.mesh.name if self.session.mesh is not None else None
        if self.session.stop():
            print(f"qnb: stopped {name}")
        else:
            print("qnb: no mesh running")
        return None

    def _qnb_status(self, args: argparse.Namespace) -> dict:
        if not self.session.running:
            return {"running": False}
        mesh = self.session.mesh
        states: dict[str, int] = {}
        for s in mesh.jobs():
            states[s.state.value] = states.get(s.state.value, 0) + 1
        return {"running": True, "mesh": mesh.name, "nodes": len(mesh.node_names()), "addr": mesh.addr,
                "store": mesh.store_path, "seed": mesh.seed, "noiseless": mesh.noiseless, "jobs": states,
                "uptime_s": round(time.time() - (mesh.started_at or time.time()), 1)}

    def _qnb_nodes(self, args: argparse.Namespace) -> Any:
        return frame(self.session.require().nodes())

    # ========================================================== %qsubmit
    @no_var_expand
    @line_cell_magic("qsubmit")
    def qsubmit(self, line: str = "", cell: str | None = None) -> Any:
        """%%qsubmit [--shots N] [--name NAME] [--min-fidelity F] [--seed S] [--wait|--no-wait] [-o VAR]
        with OpenQASM in the cell body; or %qsubmit VAR [options] with a circuit/QASM variable."""
        args = self._submit.parse_line(line)
        if args is None:
            return None
        if cell is None:
            if not args.circuit:
                raise UsageError("%qsubmit VAR needs a variable holding a circuit or QASM text "
                                 "(or use %%qsubmit with the QASM in the cell body)")
            source = self._lookup(args.circuit)
        else:
            if args.circuit:
                raise UsageError(f"%%qsubmit takes the circuit from the cell body; unexpected {args.circuit!r}")
            if not cell.strip():
                raise UsageError("%%qsubmit: the cell body is empty; put OpenQASM 2 or 3 source in it")
            source = cell
        mesh = self.session.require()
        job = mesh.submit(source, shots=args.shots, min_fidelity=args.min_fidelity, seed=args.seed, name=args.name)
        self.shell.user_ns["_qjob"] = job
        out = self._wait(job, args) if args.wait else self._no_wait(job, args)
        if args.out:
            self.shell.user_ns[args.out] = out
        return out

    def _lookup(self, name: str) -> Any:
        ns = self.shell.user_ns
        if name not in ns:
            raise UsageError(f"%qsubmit: no variable named {name!r} in the notebook namespace")
        return ns[name]

    def _no_wait(self, job: Any, args: argparse.Namespace) -> Any:
        if not args.quiet:
            view = JobWidget(job)
            display(view)     # with ipywidgets: a live widget the pump keeps updating
        return job

    def _wait(self, job: Any, args: argparse.Namespace) -> Any:
        view = None if args.quiet else JobWidget(job)
        live = view is not None and _optional.ipywidgets() is not None
        if live:
            display(view)
        deadline = None if args.timeout is None else time.monotonic() + args.timeout
        slice_s = 1.0 / DEFAULT_RATE_HZ
        try:
            while True:
                step = slice_s if deadline is None else max(0.0, min(slice_s, deadline - time.monotonic()))
                try:
                    result = job.wait(step)
                    break
                except TimeoutError:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise
                    if live:
                        view.refresh()     # main thread, bounded rate: the blocked cell still shows progress
        except KeyboardInterrupt:
            print(f"qnb: stopped waiting for job {job.id[:8]} ({job.status.value}); it keeps running on the "
                  f"mesh -- _qjob.result() waits again, _qjob.cancel() cancels it", file=sys.stderr)
            raise
        if view is not None:
            view.refresh()
            if not live:
                display(view)      # static HTML of the final state
        return result

    # ============================================================ %qjobs
    @line_magic("qjobs")
    def qjobs(self, line: str = "") -> Any:
        """%qjobs [--limit N] [--state STATE] [--all] [-o VAR]: recent jobs as a DataFrame."""
        args = self._jobs.parse_line(line)
        if args is None:
            return None
        rows = jobs_rows(self.session.require().jobs(), limit=None if args.all else args.limit, state=args.state)
        out = frame(rows, JOB_COLUMNS)
        if args.out:
            self.shell.user_ns[args.out] = out
        return out

    # ============================================================= %qsql
    @no_var_expand
    @line_cell_magic("qsql")
    def qsql(self, line: str = "", cell: str | None = None) -> Any:
        """%qsql [-o VAR] SELECT ...  or  %%qsql [-o VAR] with the query in the cell body."""
        m = _SQL_OUT.match(line or "")
        out_var, rest = (m.group(1), m.group(2)) if m else (None, line)
        query = (cell if cell is not None else rest).strip()
        if cell is not None and rest.strip():
            raise UsageError(f"%%qsql takes only [-o VAR] on its first line, got {rest.strip()!r}")
        if not query:
            raise UsageError("%qsql needs a query, e.g. %qsql SELECT * FROM jobs")
        mesh = self.session.require()
        out = mesh.sql(query, df=_optional.pandas() is not None)
        if out_var:
            self.shell.user_ns[out_var] = out
        return out

    # =========================================================== %qfault
    @line_magic("qfault")
    def qfault(self, line: str = "") -> dict | None:
        """%qfault KIND NODE [--ms X] [--factor F] [--duration S] [--peer P] ... -> what was done."""
        args = self._fault.parse_line(line)
        if args is None:
            return None
        kw: dict[str, Any] = {}
        if args.kind == "link_latency" and not args.peer:
            raise UsageError("%qfault link_latency NODE needs --peer OTHER_NODE")
        for opt, key in (("ms", "ms"), ("peer", "peer"), ("factor", "factor"), ("fidelity_2q", "fidelity_2q"),
                         ("duration", "duration_s"), ("return_after", "return_after_s"), ("period", "period_s"),
                         ("cycles", "cycles")):
            value = getattr(args, opt)
            if value is not None:
                kw[key] = value
        if args.kind == "available":
            kw["available"] = bool(args.on)
        return self.session.require().fault(args.kind, args.node, **kw)
