"""Builders and hypothesis strategies for valid mesh messages (shared by the mesh tests)."""

from __future__ import annotations

import hashlib

from hypothesis import strategies as st
from libp2p import create_identity_from_seed
from libp2p.peer.id import ID

from qnb.circuits.gates import STANDARD_GATE_SET
from qnb.mesh.advert import Advertisement, LinkAdvert
from qnb.mesh.schema import state_nbytes


def peer_id(i: int) -> str:
    """A real libp2p peer id (deterministic per ``i``)."""
    kp = create_identity_from_seed(hashlib.sha256(f"test-peer-{i}".encode()).digest())
    return ID.from_pubkey(kp.public_key).to_base58()


PEERS = [peer_id(i) for i in range(8)]


def advert(i: int = 0, **kw) -> Advertisement:
    base = dict(node_id=PEERS[i], name=f"n{i:02d}", qubit_range=(1, 4), timestamp=1000.0, seq=1,
                addrs=(f"/ip4/127.0.0.1/tcp/{4000 + i}",))
    base.update(kw)
    return Advertisement(**base)


names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
fid = st.floats(min_value=1e-6, max_value=1.0, allow_nan=False)
pos = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)


@st.composite
def adverts(draw) -> Advertisement:
    name = draw(names)
    peers = draw(st.lists(names.filter(lambda p: p != name), unique=True, max_size=5))
    lo = draw(st.integers(0, 8))
    return Advertisement(
        node_id=draw(st.sampled_from(PEERS)), name=name, qubit_range=(min(lo, 1), max(1, lo + draw(st.integers(0, 8)))),
        gates=tuple(draw(st.lists(st.sampled_from(sorted(STANDARD_GATE_SET)), unique=True, max_size=10))),
        service_type=draw(st.sampled_from(["qpu", "simulator"])),
        fidelity_1q=draw(fid), fidelity_2q=draw(fid), fidelity_readout=draw(fid),
        duration_1q_ns=draw(pos), duration_2q_ns=draw(pos), duration_readout_ns=draw(pos),
        available=draw(st.booleans()), queue_depth=draw(st.integers(0, 1000)),
        timestamp=draw(st.floats(0, 2e9)), region=draw(names), price_per_shot=draw(st.floats(0, 10)),
        addrs=tuple(f"/ip4/10.0.0.{i}/tcp/{4000 + i}" for i in range(draw(st.integers(0, 3)))),
        seq=draw(st.integers(0, 2**40)), epoch=draw(st.integers(0, 2**40)),
        links=tuple(LinkAdvert(peer=p, latency_ms=draw(st.floats(0, 100)), fidelity=draw(fid),
                               ebit_rate_hz=draw(st.floats(0, 1e6))) for p in peers),
        degraded=draw(st.booleans()))


@st.composite
def exec_requests(draw) -> dict:
    n = draw(st.integers(1, 6))
    kind = draw(st.sampled_from(["statevector", "density_matrix", "none"]))
    ops = [{"name": draw(st.sampled_from(["h", "x", "cx", "rz", "measure"])),
            "qubits": draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True)),
            **({"params": [draw(st.floats(-7, 7))]} if draw(st.booleans()) else {})}
           for _ in range(draw(st.integers(0, 8)))]
    nb = state_nbytes(kind, n)
    req = {"type": "exec", "request_id": draw(st.from_regex(r"[a-f0-9]{1,16}", fullmatch=True)),
           "correlation_id": "job-1.f0", "job_id": "job-1", "fragment_id": draw(st.integers(0, 100)),
           "num_qubits": n, "ops": ops, "state": {"kind": kind, "num_qubits": n, "dtype": "complex128", "nbytes": nb},
           "noise": draw(st.booleans())}
    if nb:
        req["payload_len"] = nb
    return req


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=30),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=4), max_leaves=12)
