"""A small synchronous client for a coordinator process, over the ``/qnb/control`` protocol.

It runs its own libp2p host on a background trio thread (the same pattern as the embedded mesh).
Used by ``qnb submit`` and the crash-recovery tests; the HTTP API will come later (FR-009).
"""

from __future__ import annotations

import threading
from typing import Any

import multiaddr
import trio

from .mesh import rpc
from .mesh.host import connect, make_host
from .mesh.protocols import CONTROL

__all__ = ["CoordinatorClient"]


class CoordinatorClient:
    """``with CoordinatorClient(addr, settings=...) as c: c.submit(qasm)``.

    ``settings`` (default: :meth:`qnb.config.Settings.load`, i.e. the config file and ``QNB_*``
    environment) supplies the mesh's secure channel and pre-shared key (``mesh.psk``), so a
    client reaches a coordinator of a private network (FR-014).
    """

    def __init__(self, coordinator: str, timeout: float = 10.0, *, settings: Any = None) -> None:
        if settings is None:
            from .config import Settings
            settings = Settings.load()
        self.settings = settings
        self.coordinator = coordinator
        self.peer = coordinator.rsplit("/p2p/", 1)[-1]
        self.timeout = timeout
        self._token = None
        self._stop: trio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, daemon=True, name="qnb-client")
        self.host = None

    def __enter__(self) -> "CoordinatorClient":
        self._thread.start()
        self._ready.wait(30)
        if self._error:
            raise self._error
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _main(self) -> None:
        async def amain() -> None:
            self._token = trio.lowlevel.current_trio_token()
            self._stop = trio.Event()
            self.host = make_host(psk=self.settings.mesh.psk, security=self.settings.mesh.security)
            async with self.host.run([multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]):
                try:
                    await connect(self.host, self.coordinator, timeout=self.timeout)
                except BaseException as e:  # noqa: BLE001 - reported to the caller
                    self._error = e
                    self._ready.set()
                    return
                self._ready.set()
                await self._stop.wait()
        try:
            trio.run(amain)
        except BaseException as e:  # noqa: BLE001
            self._error = e
        finally:
            self._ready.set()

    def _cmd(self, **header: Any) -> dict:
        async def go():
            resp, _ = await rpc.call(self.host, self.peer, CONTROL, dict(header, type="control"),
                                     timeout=self.timeout)
            return resp
        return trio.from_thread.run(go, trio_token=self._token)

    def submit(self, source: str, **options: Any) -> str:
        return self._cmd(command="submit", source=source, options=options)["job_id"]

    def status(self, job_id: str) -> dict:
        return self._cmd(command="status", job_id=job_id)

    def result(self, job_id: str) -> dict:
        return self._cmd(command="result", job_id=job_id)

    def jobs(self) -> list[dict]:
        return self._cmd(command="jobs")["jobs"]

    def health(self) -> dict:
        return self._cmd(command="health")["health"]

    def nodes(self) -> list[dict]:
        return self._cmd(command="nodes")["nodes"]

    def close(self) -> None:
        if self._token is not None and self._stop is not None and self._thread.is_alive():
            try:
                trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
            except trio.RunFinishedError:
                pass
        self._thread.join(10)
