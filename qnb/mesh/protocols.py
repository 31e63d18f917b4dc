"""Versioned libp2p protocol ids of the qnb mesh (FR-001, FR-005, FR-014; see docs/protocol.md).

Every id ends in the wire version. A breaking change to a message bumps the major version, and a
node only speaks the ids it was built with, so multistream negotiation rejects incompatible peers
before any frame is exchanged.
"""

from __future__ import annotations

from libp2p.custom_types import TProtocol

__all__ = ["PROTOCOL_VERSION", "ADVERT", "RESERVE", "EXEC", "PROBE", "CONTROL", "ALL_PROTOCOLS",
           "MESSAGE_TYPE", "protocol_major"]

PROTOCOL_VERSION = "1.0.0"

#: node -> coordinator: acknowledged push of the node's advertisement record.
ADVERT = TProtocol(f"/qnb/advert/{PROTOCOL_VERSION}")
#: coordinator -> node: reserve / cancel / status / release of an execution window.
RESERVE = TProtocol(f"/qnb/reserve/{PROTOCOL_VERSION}")
#: coordinator -> node: run a fragment's operations on the quantum state carried as payload.
EXEC = TProtocol(f"/qnb/exec/{PROTOCOL_VERSION}")
#: anyone -> node or coordinator: liveness, round-trip time and current quality report.
PROBE = TProtocol(f"/qnb/probe/{PROTOCOL_VERSION}")
#: coordinator -> node: fault injection and admin commands (cross-process meshes).
CONTROL = TProtocol(f"/qnb/control/{PROTOCOL_VERSION}")

ALL_PROTOCOLS: tuple[TProtocol, ...] = (ADVERT, RESERVE, EXEC, PROBE, CONTROL)

#: the value of the request header's ``type`` field on each protocol.
MESSAGE_TYPE: dict[str, str] = {ADVERT: "advert", RESERVE: "reserve", EXEC: "exec", PROBE: "probe",
                                CONTROL: "control"}


def protocol_major(version: str) -> int:
    """Major number of a ``MAJOR.MINOR.PATCH`` version string (compatibility is per major)."""
    return int(version.split(".", 1)[0])
