"""A qnb host in its own OS process, for tests that need a peer they can freeze (SIGSTOP) or kill.

Prints its dialable multiaddr on the first stdout line, then serves PROBE until killed.
Usage: python peer_process.py [--seed HEX] [--listen MULTIADDR]
"""

from __future__ import annotations

import argparse
import sys

import trio

from qnb.mesh.host import make_host, run_host
from qnb.mesh.rtt import serve_probe


async def main(seed: bytes | None, listen: str) -> None:
    host = make_host(key_seed=seed)
    serve_probe(host, name="proc")
    async with trio.open_nursery() as nursery:
        handle = await nursery.start(run_host, host, listen)
        print(handle.addr, flush=True)
        await trio.sleep_forever()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--seed", default=None)
    p.add_argument("--listen", default="/ip4/127.0.0.1/tcp/0")
    a = p.parse_args()
    try:
        trio.run(main, bytes.fromhex(a.seed) if a.seed else None, a.listen)
    except KeyboardInterrupt:
        sys.exit(0)
