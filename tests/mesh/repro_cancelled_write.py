"""Minimal repro (not collected by pytest): cancelling a raw py-libp2p 0.8.1 stream write kills the
whole connection, because yamux writes each frame to the Noise connection without a shield.

    python tests/mesh/repro_cancelled_write.py          # raw writes: the connection dies
    python tests/mesh/repro_cancelled_write.py --qnb    # qnb.mesh.framing.write_frame: it survives

Prints, for 3 fresh connections, the attempt at which a PROBE on the same connection failed
(None = survived all 20 cancelled 4 MB writes). Measured: raw [3, 9, 6] and [2, 1, 2]; qnb [None, None, None].
"""

from __future__ import annotations

import sys

import trio

from qnb.mesh.framing import write_frame
from qnb.mesh.host import connect, open_host
from qnb.mesh.protocols import PROBE
from qnb.mesh.rpc import call
from qnb.mesh.rtt import serve_probe

SINK = "/qnb/repro-sink/1.0.0"


async def main(use_qnb: bool) -> None:
    died_at = []
    for _ in range(3):
        async with open_host() as a, open_host() as b:
            async def drain(stream):
                try:
                    while await stream.read(1 << 20):
                        pass
                except Exception:
                    pass

            b.host.set_stream_handler(SINK, drain)
            serve_probe(b.host)
            await connect(a.host, b.addr)
            result = None
            for k in range(20):
                stream = await a.host.new_stream(b.host.get_id(), [SINK])
                with trio.move_on_after(0.0005 * (k + 1)):
                    if use_qnb:
                        await write_frame(stream, b"x" * (4 << 20))
                    else:
                        await stream.write(b"x" * (4 << 20))
                try:
                    with trio.CancelScope(shield=True):
                        await stream.reset()
                    await call(a.host, b.peer_id, PROBE, {}, timeout=3)
                except Exception:
                    result = k
                    break
            died_at.append(result)
    print("qnb" if use_qnb else "raw", "connection died at attempt:", died_at)


if __name__ == "__main__":
    trio.run(main, "--qnb" in sys.argv)
