"""qnb.mesh: libp2p hosts, framing, wire schemas, RPC, advertisements and the node registry.

FR-001 (advertisement), FR-002 (registry), FR-014 (encrypted transport, size limits, schema checks
on every frame). Wire format in docs/protocol.md; py-libp2p workarounds in docs/libp2p.md.
Importing this package imports py-libp2p.
"""

from .advert import Advertisement, LinkAdvert, links_from_topology
from .announce import Poke, advertise_forever, push_advert, serve_adverts, watch_disconnects
from .framing import DEFAULT_MAX_FRAME, DEFAULT_MAX_HEADER, read_frame, write_frame
from .host import (HealthSettings, HostHandle, add_peer_addrs, close_network, connect, full_addr, libp2p_logging,
                   make_host, open_host, peer_id_str, run_host, to_peer_id, unblock)
from .protocols import ADVERT, CONTROL, EXEC, PROBE, PROTOCOL_VERSION, RESERVE
from .registry import Entry, LinkQuality, Registry
from .rpc import RpcError, RpcRemoteError, RpcTimeout, RpcTransportError, call, pool_of, serve, unserve
from .rtt import measure_raw_rtt, measure_rtt, serve_echo, serve_probe
from .schema import validate

__all__ = [
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
]
