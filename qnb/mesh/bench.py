"""Mesh micro-benchmark: the numbers quoted in docs/libp2p.md come from this module.

    python -m qnb.mesh.bench [--proc] [--n 500] [--json]

Measures, from a client host to a server host on 127.0.0.1: connect time, PROBE round trips with
pooled streams and with a new stream per call, the raw libp2p echo floor on one stream, and
EXEC-style 1 MiB / 16 MiB payload echoes beside the same echo as one plain ``stream.write``.
``cpu`` is this process's CPU time per call: steadier than wall time on a shared machine. ``--proc`` runs the server in a child process (as in a
cross-process mesh); otherwise both hosts share one trio loop (as in the notebook kernel), so each
number then includes the work of both ends.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import trio

from libp2p.custom_types import TProtocol

from .framing import LENGTH, read_exact
from .host import HealthSettings, connect, make_host, open_host, run_host, to_peer_id
from .protocols import EXEC
from .rpc import call, serve
from .rtt import measure_raw_rtt, measure_rtt, serve_echo, serve_probe, summarize

#: raw baseline for big payloads: one plain stream.write of prefix+payload, echoed back the same way.
RAW_BULK = TProtocol("/qnb/bench-bulk/1.0.0")


def _serve_all(host) -> None:
    serve_probe(host, name="bench")
    serve_echo(host)

    async def echo(header, payload, peer):
        return {"state": header["state"], "sim_ms": 0.0, "elapsed_ms": 0.0}, payload

    serve(host, EXEC, echo)

    async def bulk(stream) -> None:
        try:
            while True:
                (n,) = LENGTH.unpack(await read_exact(stream, 4))
                data = await read_exact(stream, n)
                await stream.write(LENGTH.pack(n) + data)
        except Exception:  # EOF ends the loop; nothing may escape a raw handler (notes 3.8)
            pass

    host.set_stream_handler(RAW_BULK, bulk)


async def _raw_bulk(host, peer: str, size: int, reps: int) -> dict:
    stream = await host.new_stream(to_peer_id(peer), [RAW_BULK])
    payload = bytes(size)
    samples = []
    cpu0 = time.process_time()
    try:
        for _ in range(reps):
            t = time.perf_counter()
            await stream.write(LENGTH.pack(size) + payload)
            (n,) = LENGTH.unpack(await read_exact(stream, 4))
            await read_exact(stream, n)
            samples.append((time.perf_counter() - t) * 1e3)
    finally:
        await stream.close()
    return {**summarize(samples), "cpu_ms_per_call": (time.process_time() - cpu0) * 1e3 / reps}


def _exec_header(nbytes: int) -> dict:
    n = (nbytes // 16).bit_length() - 1
    return {"job_id": "bench", "fragment_id": 0, "num_qubits": n, "ops": [], "noise": False,
            "state": {"kind": "statevector", "num_qubits": n, "dtype": "complex128", "nbytes": nbytes}}


async def _client(addr: str, n: int) -> dict:
    out: dict = {}
    async with open_host() as client:
        t0 = time.perf_counter()
        peer = await connect(client.host, addr)
        out["connect_ms"] = (time.perf_counter() - t0) * 1e3
        out["probe_pooled"] = await measure_rtt(client.host, peer, n)
        out["probe_new_stream"] = await measure_rtt(client.host, peer, max(20, n // 5), reuse=False)
        out["raw_echo_one_stream"] = await measure_raw_rtt(client.host, peer, n)
        for size, reps in ((1 << 20, 20), (16 << 20, 5)):
            payload = bytes(size)
            samples = []
            cpu0 = time.process_time()
            for _ in range(reps):
                t = time.perf_counter()
                _, back = await call(client.host, peer, EXEC, _exec_header(size), payload, timeout=120)
                samples.append((time.perf_counter() - t) * 1e3)
                assert back is not None and len(back) == size
            out[f"exec_echo_{size >> 20}MiB"] = {**summarize(samples),
                                                "cpu_ms_per_call": (time.process_time() - cpu0) * 1e3 / reps}
            out[f"raw_echo_{size >> 20}MiB"] = await _raw_bulk(client.host, peer, size, reps)
    return out


async def _inproc(n: int) -> dict:
    async with open_host() as server:
        _serve_all(server.host)
        return await _client(server.addr, n)


async def _serve_forever() -> None:
    host = make_host()
    _serve_all(host)
    async with trio.open_nursery() as nursery:
        handle = await nursery.start(run_host, host)
        print(handle.addr, flush=True)
        await trio.sleep_forever()


async def _idle(hosts: int, health: HealthSettings | None, seconds: float) -> dict:
    async with trio.open_nursery() as nursery:
        coord = await nursery.start(run_host, make_host(health=health))
        for _ in range(hosts):
            node = await nursery.start(run_host, make_host(health=health))
            await connect(node.host, coord.addr)
        await trio.sleep(health.initial_delay_s + 0.5 if health else 0.5)
        cpu0, t0 = time.process_time(), time.perf_counter()
        await trio.sleep(seconds)
        share = (time.process_time() - cpu0) / (time.perf_counter() - t0)
        nursery.cancel_scope.cancel()
    return {"hosts": hosts + 1, "health_interval_s": health.interval_s if health else None,
            "seconds": seconds, "idle_cpu_percent_of_one_core": round(100 * share, 1)}


def idle_cpu(hosts: int = 100, health_interval_s: float | None = 5.0, seconds: float = 15.0) -> dict:
    """CPU an idle star mesh (``hosts`` nodes dialing one coordinator, one process) burns."""
    health = None if health_interval_s is None else HealthSettings(
        interval_s=health_interval_s, ping_timeout_s=5.0, initial_delay_s=1.0)
    return trio.run(_idle, hosts, health, seconds)


def run(*, proc: bool = False, n: int = 500) -> dict:
    """Run the benchmark; returns a JSON-able dict (also used by ``qnb bench``)."""
    meta = {"mode": "2 processes" if proc else "1 process", "n": n, "cpus": os.cpu_count(),
            "loadavg_before": os.getloadavg()}
    if not proc:
        return {**meta, **trio.run(_inproc, n)}
    child = subprocess.Popen([sys.executable, "-m", "qnb.mesh.bench", "--serve"], stdout=subprocess.PIPE, text=True)
    try:
        addr = child.stdout.readline().strip()
        return {**meta, **trio.run(_client, addr, n)}
    finally:
        child.kill()
        child.wait()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qnb.mesh.bench", description=__doc__.splitlines()[0])
    p.add_argument("--proc", action="store_true", help="server in a child process")
    p.add_argument("--n", type=int, default=500, help="round trips per RTT measurement")
    p.add_argument("--json", action="store_true")
    p.add_argument("--write-piece-kib", type=int, default=None,
                   help="size of the shielded write pieces (default: framing's 1024); for comparisons")
    p.add_argument("--idle", type=int, metavar="HOSTS", default=None,
                   help="instead: idle CPU of HOSTS nodes + 1 coordinator in this process")
    p.add_argument("--health-interval", type=float, default=None, metavar="S",
                   help="with --idle: health-monitor ping interval (default: monitor off)")
    p.add_argument("--seconds", type=float, default=15.0, help="with --idle: how long to measure")
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.serve:
        trio.run(_serve_forever)
        return 0
    if a.idle is not None:
        print(json.dumps(idle_cpu(a.idle, a.health_interval, a.seconds)))
        return 0
    if a.write_piece_kib:
        from . import framing
        framing._WRITE_CHUNK = a.write_piece_kib * 1024  # client side only in --proc mode
    res = run(proc=a.proc, n=a.n)
    res["write_piece_kib"] = a.write_piece_kib or 1024
    if a.json:
        print(json.dumps(res, indent=2))
        return 0
    print(f"mode: {res['mode']}, cpus {res['cpus']}, load before {tuple(round(x, 2) for x in res['loadavg_before'])}")
    print(f"connect: {res['connect_ms']:.1f} ms")
    for key in ("probe_pooled", "probe_new_stream", "raw_echo_one_stream", "exec_echo_1MiB", "raw_echo_1MiB",
                "exec_echo_16MiB", "raw_echo_16MiB"):
        r = res[key]
        cpu = f", cpu {r['cpu_ms_per_call']:.2f} ms/call" if "cpu_ms_per_call" in r else ""
        print(f"{key:22s} p50 {r['p50_ms']:8.2f} ms  p95 {r['p95_ms']:8.2f} ms  (n={r['samples']}{cpu})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
