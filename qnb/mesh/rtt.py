"""Round-trip time measurement over the mesh (NFR-004 reporting, FR-008 link quality).

:func:`measure_rtt` times PROBE calls through the same :func:`qnb.mesh.rpc.call` path the runtime
uses. :func:`measure_raw_rtt` times a bare 8-byte echo on one persistent libp2p stream: the floor
that py-libp2p itself costs, reported beside our numbers so the overhead we add is visible.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable

import trio
from libp2p.abc import IHost
from libp2p.custom_types import TProtocol

from .framing import read_exact
from .protocols import PROBE
from .rpc import RpcError, call, serve

__all__ = ["ECHO", "serve_probe", "serve_echo", "measure_rtt", "measure_raw_rtt", "summarize"]

#: bare echo protocol used only as the libp2p baseline of RTT benchmarks.
ECHO = TProtocol("/qnb/echo/1.0.0")
_ECHO_SIZE = 8


def summarize(samples_ms: list[float]) -> dict:
    """p50/p95/max (nearest-rank percentiles) and mean of ``samples_ms``."""
    xs = sorted(samples_ms)
    if not xs:
        return {"samples": 0, "p50_ms": None, "p95_ms": None, "max_ms": None, "mean_ms": None}

    def rank(p: float) -> float:
        return xs[max(0, math.ceil(p * len(xs)) - 1)]

    return {"samples": len(xs), "p50_ms": rank(0.50), "p95_ms": rank(0.95), "max_ms": xs[-1],
            "mean_ms": sum(xs) / len(xs)}


def serve_probe(host: IHost, *, name: str | None = None, quality: Callable[[], dict] | None = None) -> None:
    """A PROBE responder: echoes, reports its clock and name, and ``quality()`` when asked for it."""

    async def handler(header: dict, payload: bytes | None, peer: str) -> tuple[dict, bytes | None]:
        resp: dict[str, Any] = {"time": time.time()}
        if name is not None:
            resp["node"] = name
        if "echo" in header:
            resp["echo"] = header["echo"]
        if header.get("quality") and quality is not None:
            resp.update(quality())
        return resp, None

    serve(host, PROBE, handler)


def serve_echo(host: IHost) -> None:
    """The raw baseline: echo fixed 8-byte messages on a stream until it ends."""

    async def on_stream(stream: Any) -> None:
        try:
            while True:
                await stream.write(await read_exact(stream, _ECHO_SIZE))
        except Exception:  # WORKAROUND(3.8): EOF/reset must not escape a raw handler
            pass
        try:
            await stream.close()
        except Exception:
            pass

    host.set_stream_handler(ECHO, on_stream)


async def measure_rtt(host: IHost, peer_id: str, n: int = 200, *, timeout: float = 2.0, reuse: bool = True,
                      warmup: int = 10) -> dict:
    """Time ``n`` sequential PROBE calls to ``peer_id``: ``{p50_ms, p95_ms, max_ms, mean_ms, samples,
    cpu_ms_per_call, errors}``. ``cpu_ms_per_call`` is this process's CPU time per call; on a shared
    machine it is steadier than wall time (both ends count when they share the process)."""
    for _ in range(warmup):
        await call(host, peer_id, PROBE, {}, timeout=timeout, reuse=reuse)
    samples, errors = [], 0
    cpu0 = time.process_time()
    for _ in range(n):
        t0 = time.perf_counter()
        try:
            await call(host, peer_id, PROBE, {}, timeout=timeout, reuse=reuse)
        except RpcError:
            errors += 1
            continue
        samples.append((time.perf_counter() - t0) * 1e3)
    out = summarize(samples)
    out["cpu_ms_per_call"] = (time.process_time() - cpu0) * 1e3 / max(1, n)
    out["errors"] = errors
    return out


async def measure_raw_rtt(host: IHost, peer_id: str, n: int = 200, *, timeout: float = 2.0, warmup: int = 10) -> dict:
    """Time ``n`` 8-byte echoes on one persistent stream (the peer must run :func:`serve_echo`)."""
    from .host import to_peer_id

    with trio.fail_after(timeout):
        stream = await host.new_stream(to_peer_id(peer_id), [ECHO])
    msg = b"qnb-echo"
    samples = []
    cpu0 = time.process_time()
    try:
        for i in range(warmup + n):
            t0 = time.perf_counter()
            with trio.fail_after(timeout):
                await stream.write(msg)
                await read_exact(stream, _ECHO_SIZE)
            if i >= warmup:
                samples.append((time.perf_counter() - t0) * 1e3)
    finally:
        try:
            await stream.close()
        except Exception:
            pass
    out = summarize(samples)
    out["cpu_ms_per_call"] = (time.process_time() - cpu0) * 1e3 / max(1, warmup + n)
    return out
