"""Fixtures for the mesh tests: real py-libp2p hosts on 127.0.0.1 inside the test's trio loop."""

from __future__ import annotations

import pytest
import trio

from qnb.mesh.host import connect, open_host


@pytest.fixture
async def two_hosts():
    """(client, server) HostHandles, connected; both stop when the test ends."""
    async with open_host() as server, open_host() as client:
        await connect(client.host, server.addr)
        yield client, server


@pytest.fixture
async def three_hosts():
    """(client, server, other) HostHandles; client is connected to server and other."""
    async with open_host() as server, open_host() as other, open_host() as client:
        await connect(client.host, server.addr)
        await connect(client.host, other.addr)
        yield client, server, other


async def _wait_until(predicate, timeout: float = 5.0, poll: float = 0.01) -> None:
    with trio.fail_after(timeout):
        while not predicate():
            await trio.sleep(poll)


@pytest.fixture
def wait_until():
    """``await wait_until(predicate, timeout)``: poll for a condition instead of sleeping a fixed time."""
    return _wait_until
