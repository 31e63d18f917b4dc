"""Pins the public API of qnb.mesh that the node, coordinator and runtime are built on."""

from __future__ import annotations

import inspect

import qnb.mesh as mesh
from qnb.errors import QnbError

EXPECTED = {
    "Advertisement", "LinkAdvert", "links_from_topology",
    "Poke", "advertise_forever", "push_advert", "serve_adverts", "watch_disconnects",
    "DEFAULT_MAX_FRAME", "DEFAULT_MAX_HEADER", "read_frame", "write_frame",
    "HealthSettings", "HostHandle", "add_peer_addrs", "close_network", "connect", "full_addr", "libp2p_logging",
    "make_host", "open_host", "peer_id_str", "run_host", "to_peer_id", "unblock",
    "ADVERT", "CONTROL", "EXEC", "PROBE", "PROTOCOL_VERSION", "RESERVE",
    "Entry", "LinkQuality", "Registry",
    "RpcError", "RpcRemoteError", "RpcTimeout", "RpcTransportError", "call", "pool_of", "serve", "unserve",
    "measure_raw_rtt", "measure_rtt", "serve_echo", "serve_probe",
    "validate",
}


def test_public_names():
    assert set(mesh.__all__) == EXPECTED
    for name in EXPECTED:
        assert hasattr(mesh, name), name


def test_key_signatures():
    sig = lambda f: list(inspect.signature(f).parameters)  # noqa: E731
    assert sig(mesh.call)[:5] == ["host", "peer_id", "protocol", "header", "payload"]
    assert sig(mesh.serve)[:3] == ["host", "protocol", "handler"]
    assert {"key_seed", "psk", "security"} <= set(sig(mesh.make_host))
    assert sig(mesh.Registry.query) == ["self", "gate", "min_fidelity_2q", "service_type", "available_only",
                                        "min_qubits", "region", "include_degraded", "now"]
    assert issubclass(mesh.RpcTimeout, mesh.RpcError) and issubclass(mesh.RpcError, QnbError)
    assert mesh.PROTOCOL_VERSION == "1.0.0" and mesh.EXEC == "/qnb/exec/1.0.0"
