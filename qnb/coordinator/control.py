"""The coordinator's ``/qnb/control`` service for cross-process clients (FR-009, FR-012).

One handler per command of :data:`qnb.mesh.vocabulary.COORDINATOR_COMMANDS`, looked up in a table:
``submit`` (circuit text + options; parsed in a worker thread), ``status`` and ``result`` of a
job, ``jobs``, ``nodes`` (the registry) and ``health``. ``qnb submit`` and ``qnb health
--coordinator`` are its clients (:mod:`qnb.client`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable

import trio

from ..circuits import loads
from ..errors import QnbError
from ..mesh.vocabulary import COORDINATOR_COMMANDS
from ..runtime.job import TERMINAL_STATES
from ..runtime.submission import make_spec

if TYPE_CHECKING:
    from .service import Coordinator

__all__ = ["ControlService", "SUBMIT_OPTIONS"]

#: the ``options`` keys ``submit`` passes on to :func:`qnb.runtime.submission.make_spec`
SUBMIT_OPTIONS = ("shots", "min_fidelity", "seed", "name", "parameters", "noisy", "idempotency_key", "mode",
                  "plan_only")

Handler = Callable[[dict, str], Awaitable[dict]]


class ControlService:
    def __init__(self, coordinator: "Coordinator") -> None:
        self.c = coordinator
        self.handlers: dict[str, Handler] = {
            "submit": self._submit, "status": self._status, "result": self._result, "jobs": self._jobs,
            "nodes": self._nodes, "health": self._health}

    async def on_control(self, header: dict, payload: bytes | None, peer_id: str):
        cmd = header.get("command")
        handler = self.handlers.get(cmd)
        if handler is None:
            raise QnbError(f"unknown coordinator command {cmd!r}; expected one of {', '.join(COORDINATOR_COMMANDS)}",
                           code="bad_command")
        self.c.access.require("client", peer_id, f"coordinator command {cmd!r}")
        return {"ok": True, **await handler(header, peer_id)}, None

    async def _submit(self, header: dict, peer_id: str) -> dict:
        opts = header.get("options") or {}
        source = header.get("source")
        if not isinstance(source, str):
            raise QnbError("submit needs a 'source' string (OpenQASM 2 or 3)", field="source")
        settings = self.c.settings
        if len(source.encode()) > settings.limits.max_qasm_bytes:   # before any parsing
            raise QnbError(f"circuit source exceeds limits.max_qasm_bytes = {settings.limits.max_qasm_bytes}",
                           field="source", limit="limits.max_qasm_bytes")
        # a client's program is parsed in a worker thread under a deadline: a hostile submit costs
        # its sender a refusal, never the mesh's event loop (the thread is abandoned, not awaited)
        deadline = settings.parse.deadline_s
        with trio.move_on_after(deadline) as scope:
            # text only: a client's string is never read as a path or a bundled name
            circuit = await trio.to_thread.run_sync(lambda: loads(source, settings=settings),
                                                    abandon_on_cancel=True)
        if scope.cancelled_caught:
            raise QnbError(f"parsing the circuit took longer than parse.deadline_s = {deadline:g} s",
                           code="parse_timeout", field="source", limit="parse.deadline_s")
        spec = make_spec(circuit, settings, default_seed=settings.mesh.seed or 0, noiseless=settings.mesh.noiseless,
                         **{k: v for k, v in opts.items() if k in SUBMIT_OPTIONS})
        return {"job_id": await self.c.submit(spec, circuit)}

    def _job_body(self, header: dict) -> tuple[Any, dict]:
        rec = self.c.queue.get(str(header.get("job_id")))
        snap = rec.published
        return rec, {"job_id": rec.spec.job_id, "state": snap.state.value, "fragments_done": snap.fragments_done,
                     "fragments_total": snap.fragments_total, "run": rec.run, "resumed": rec.resumed}

    async def _status(self, header: dict, peer_id: str) -> dict:
        return self._job_body(header)[1]

    async def _result(self, header: dict, peer_id: str) -> dict:
        rec, body = self._job_body(header)
        if rec.result is not None and rec.published.state in TERMINAL_STATES:
            body["result"] = rec.result.to_json()
        return body

    async def _jobs(self, header: dict, peer_id: str) -> dict:
        return {"jobs": [{"job_id": r.spec.job_id, "name": r.spec.name, "state": r.published.state.value,
                          "run": r.run, "resumed": r.resumed} for r in self.c.queue.jobs.values()]}

    async def _nodes(self, header: dict, peer_id: str) -> dict:
        return {"nodes": self.c.registry_rows()}

    async def _health(self, header: dict, peer_id: str) -> dict:
        return {"health": (await self.c.health()).to_json()}
