"""RPC over real py-libp2p hosts: round trips, error frames, timeouts, garbage, limits (FR-014).

Several tests reproduce a py-libp2p 0.8.1 behaviour we work around (docs/libp2p.md); their names
say which (notes section in the docstring).
"""

from __future__ import annotations

import json
import struct

import pytest
import trio
from libp2p.custom_types import TProtocol

from qnb.errors import PlanningError, ProtocolError
from qnb.mesh import rpc
from qnb.mesh.framing import FrameReader, decode_json, encode_json
from qnb.mesh.host import to_peer_id
from qnb.mesh.protocols import EXEC, PROBE, RESERVE
from qnb.mesh.rpc import RpcRemoteError, RpcTimeout, RpcTransportError, call, pool_of, serve

TEST = TProtocol("/qnb/test/1.0.0")   # no schema registered: only the common request fields apply


async def echo(header, payload, peer):
    return {"echo": header.get("msg"), "peer": peer, "n": 0 if payload is None else len(payload)}, payload


async def test_round_trip_with_and_without_payload(two_hosts):
    client, server = two_hosts
    serve(server.host, TEST, echo)
    resp, out = await call(client.host, server.peer_id, TEST, {"msg": "hi"})
    assert (resp["ok"], resp["echo"], resp["n"], out) == (True, "hi", 0, None)
    assert resp["peer"] == client.peer_id                       # the authenticated caller
    assert len(resp["request_id"]) == 16
    blob = bytes(range(256)) * 10
    resp, out = await call(client.host, server.peer_id, TEST, {"msg": "b"}, blob)
    assert out == blob and resp["payload_len"] == len(blob)


async def test_request_and_correlation_ids_travel_to_the_handler(two_hosts):
    client, server = two_hosts
    seen = {}

    async def handler(header, payload, peer):
        seen.update(header)
        return {}, None

    serve(server.host, TEST, handler)
    resp, _ = await call(client.host, server.peer_id, TEST, {"request_id": "r-1", "correlation_id": "job7.f3",
                                                             "job_id": "job7", "fragment_id": 3})
    assert resp["request_id"] == "r-1"
    assert (seen["type"], seen["correlation_id"], seen["job_id"], seen["fragment_id"]) == ("request", "job7.f3",
                                                                                          "job7", 3)


async def test_sixteen_megabyte_payload_round_trips(two_hosts):
    """notes 3.3: py-libp2p's own request/response breaks above ~6.5 MB; our framing does not."""
    client, server = two_hosts
    serve(server.host, TEST, echo)
    blob = bytes(range(256)) * (16 * 4096)
    assert len(blob) == 16 * 1024 * 1024
    resp, out = await call(client.host, server.peer_id, TEST, {}, blob, timeout=60)
    assert resp["n"] == len(blob) and out == blob


async def test_qnb_errors_become_structured_remote_errors(two_hosts):
    client, server = two_hosts

    async def handler(header, payload, peer):
        raise ProtocolError("ops[2]: gate 'cx' needs 2 qubits, got 1", code="bad_ops", op=2)

    serve(server.host, TEST, handler)
    with pytest.raises(RpcRemoteError) as e:
        await call(client.host, server.peer_id, TEST, {})
    assert e.value.code == "bad_ops"
    assert e.value.error_type == "protocol_error"
    assert e.value.details == {"op": 2}
    assert "needs 2 qubits" in e.value.message and e.value.peer == server.peer_id

    async def planning(header, payload, peer):
        raise PlanningError("no node supports gate 'ccx'", missing="ccx")

    serve(server.host, TEST, planning)
    with pytest.raises(RpcRemoteError) as e:
        await call(client.host, server.peer_id, TEST, {})
    assert (e.value.code, e.value.details) == ("planning_error", {"missing": "ccx"})


async def test_a_crashing_handler_does_not_kill_the_host(two_hosts):
    """notes 3.8: an exception escaping a raw stream handler tears the whole host down."""
    client, server = two_hosts

    async def crash(header, payload, peer):
        raise ValueError("bug in handler")

    serve(server.host, TEST, crash)
    serve(server.host, PROBE, lambda h, p, peer: _ok())
    for _ in range(3):
        with pytest.raises(RpcRemoteError) as e:
            await call(client.host, server.peer_id, TEST, {})
        assert e.value.code == "internal" and "ValueError: bug in handler" in e.value.message
    resp, _ = await call(client.host, server.peer_id, PROBE, {})
    assert resp["ok"]


async def _ok():
    return {}, None


async def test_a_handler_returning_an_invalid_response_is_reported_not_sent(two_hosts):
    client, server = two_hosts

    async def bad(header, payload, peer):
        return {"accepted": "yes"}, None          # RESERVE responses need operation + boolean accepted

    serve(server.host, RESERVE, bad)
    with pytest.raises(RpcRemoteError) as e:
        await call(client.host, server.peer_id, RESERVE, {"operation": "status", "reservation_id": "x"})
    assert e.value.code == "schema" and "reserve.response" in e.value.message


async def test_timeout_when_the_handler_never_answers(two_hosts):
    client, server = two_hosts
    never = trio.Event()

    async def stuck(header, payload, peer):
        await never.wait()
        return {}, None

    serve(server.host, TEST, stuck)
    with pytest.raises(RpcTimeout) as e:
        await call(client.host, server.peer_id, TEST, {}, timeout=0.2)
    assert e.value.code == "timeout" and e.value.fields["peer"] == server.peer_id
    serve(server.host, TEST, echo)            # the server still answers new calls
    resp, _ = await call(client.host, server.peer_id, TEST, {"msg": 1})
    assert resp["echo"] == 1


async def test_schema_violations_are_rejected_with_the_field_named(two_hosts):
    client, server = two_hosts
    serve(server.host, RESERVE, lambda h, p, peer: _ok())
    bad = {"type": "reserve", "operation": "reserve", "window_start": 2.0, "window_end": 1.0}
    with pytest.raises(ProtocolError) as local:            # our own client refuses to send it ...
        await call(client.host, server.peer_id, RESERVE, bad)
    assert local.value.fields["field"] == "reserve.request.window_end"
    with pytest.raises(RpcRemoteError) as remote:          # ... and the server refuses it too
        await call(client.host, server.peer_id, RESERVE, bad, validate_request=False)
    assert remote.value.code == "schema"
    assert remote.value.details["field"] == "reserve.request.window_end"


async def test_wrong_message_type_for_the_protocol_is_rejected(two_hosts):
    client, server = two_hosts
    serve(server.host, PROBE, lambda h, p, peer: _ok())
    with pytest.raises(RpcRemoteError) as e:
        await call(client.host, server.peer_id, PROBE, {"type": "exec"}, validate_request=False)
    assert e.value.details["field"] == "probe.request.type"


async def test_unsupported_protocol_is_a_transport_error(two_hosts):
    client, server = two_hosts
    with pytest.raises(RpcTransportError) as e:
        await call(client.host, server.peer_id, "/qnb/nothing/1.0.0", {}, timeout=5)
    assert e.value.code == "protocol_not_supported"


async def test_local_limits_refuse_to_send_oversized_requests(two_hosts):
    client, server = two_hosts
    with pytest.raises(ProtocolError) as e:
        await call(client.host, server.peer_id, TEST, {}, b"x" * 101, max_frame=100)
    assert e.value.code == "frame_too_large"
    with pytest.raises(ProtocolError) as e:
        await call(client.host, server.peer_id, TEST, {"msg": "y" * 200}, max_header=100)
    assert e.value.code == "frame_too_large"


async def test_server_rejects_an_oversized_payload_before_reading_it(two_hosts):
    client, server = two_hosts
    serve(server.host, TEST, echo, max_frame=1024)
    with pytest.raises(RpcRemoteError) as e:   # 2 MiB: written concurrently, the early error frame wins
        await call(client.host, server.peer_id, TEST, {}, b"z" * (2 << 20), timeout=10)
    assert e.value.code == "frame_too_large" and e.value.details["limit"] == 1024
    with pytest.raises(RpcRemoteError) as e:
        await call(client.host, server.peer_id, TEST, {}, b"z" * 2048)
    assert e.value.code == "frame_too_large"
    resp, out = await call(client.host, server.peer_id, TEST, {}, b"ok")
    assert out == b"ok"


# ------------------------------------------------------------------ raw garbage from a peer
async def _raw(client, server, data: bytes, *, close: bool = True) -> list[dict]:
    """Send raw bytes on a TEST stream; return every frame the server answered with."""
    stream = await client.host.new_stream(to_peer_id(server.peer_id), [TEST])
    await stream.write(data)
    if close:
        await stream.close()
    reader = FrameReader(stream)
    out = []
    with trio.fail_after(5):
        while True:
            try:
                out.append(decode_json(await reader.read_frame()))
            except ProtocolError:
                return out


@pytest.mark.parametrize("data, code", [
    (struct.pack(">I", 9) + b"not json!", "bad_json"),
    (struct.pack(">I", 4) + b"\xff\xfe\xfd\xfc", "bad_json"),
    (struct.pack(">I", 2) + b"[]", "bad_json"),
    (struct.pack(">I", 3) + b'{"a', "bad_json"),
    (struct.pack(">I", 0xFFFFFFF0), "frame_too_large"),
    (struct.pack(">I", 12) + b'{"type":"x"}', "schema"),
    (struct.pack(">I", 64) + b"{}", "truncated"),
])
async def test_garbage_gets_an_error_frame_and_the_server_keeps_serving(two_hosts, data, code):
    client, server = two_hosts
    serve(server.host, TEST, echo)
    frames = await _raw(client, server, data)
    if code == "truncated":      # the peer ended mid-frame: nobody to answer, stream just ends
        assert frames == [] or frames[0]["error"]["code"] == "truncated"
    else:
        assert len(frames) == 1 and frames[0]["ok"] is False
        assert frames[0]["error"]["code"] == code
    resp, _ = await call(client.host, server.peer_id, TEST, {"msg": "still here"})
    assert resp["echo"] == "still here"


async def test_payload_length_mismatch_is_reported(two_hosts):
    client, server = two_hosts
    serve(server.host, TEST, echo)
    head = encode_json({"type": "t", "request_id": "r", "correlation_id": "c", "payload_len": 5})
    frames = await _raw(client, server, struct.pack(">I", len(head)) + head + struct.pack(">I", 3) + b"abc")
    assert frames[0]["error"]["code"] == "payload_mismatch"
    assert frames[0]["request_id"] == "r"


async def test_a_garbage_peer_does_not_disturb_another_client(three_hosts):
    client, server, other = three_hosts
    from qnb.mesh.host import connect
    await connect(other.host, server.addr)
    serve(server.host, TEST, echo)
    frames = await _raw(other, server, struct.pack(">I", 5) + b"\x00\x01junk"[:5], close=False)
    assert frames[0]["error"]["code"] == "bad_json"
    results = []
    for i in range(5):
        resp, _ = await call(client.host, server.peer_id, TEST, {"msg": i})
        results.append(resp["echo"])
    assert results == [0, 1, 2, 3, 4]


# ------------------------------------------------------------------------- stream reuse
async def test_streams_are_reused_between_calls(two_hosts):
    client, server = two_hosts
    serve(server.host, TEST, echo)
    pool = pool_of(client.host)
    opened = pool.opened
    for i in range(5):
        assert (await call(client.host, server.peer_id, TEST, {"msg": i}))[0]["echo"] == i
    assert pool.opened == opened + 1
    await call(client.host, server.peer_id, TEST, {}, reuse=False)
    assert pool.opened == opened + 2


async def test_concurrent_calls_to_one_peer_all_succeed(two_hosts):
    client, server = two_hosts

    async def slowish(header, payload, peer):
        await trio.sleep(0)          # yield so calls really overlap
        return {"echo": header["msg"]}, payload

    serve(server.host, TEST, slowish)
    got = {}

    async def one(i):
        resp, out = await call(client.host, server.peer_id, TEST, {"msg": i}, str(i).encode())
        got[i] = (resp["echo"], out)

    async with trio.open_nursery() as n:
        for i in range(40):
            n.start_soon(one, i)
    assert got == {i: (i, str(i).encode()) for i in range(40)}
    assert pool_of(client.host).idle_count() <= pool_of(client.host).max_idle


async def test_streams_closed_by_the_server_are_replaced_transparently(two_hosts):
    """A one-shot server answers once and closes; the pooled stream must not break the next call."""
    client, server = two_hosts
    served = []

    async def on_stream(stream):
        try:
            req = decode_json(await FrameReader(stream).read_frame())
            served.append(req["request_id"])
            body = encode_json({"ok": True, "request_id": req["request_id"], "n": len(served)})
            await stream.write(struct.pack(">I", len(body)) + body)
            await stream.close()
        except Exception:
            await stream.reset()

    server.host.set_stream_handler(TEST, on_stream)
    pool = pool_of(client.host)
    opened = pool.opened
    r1, _ = await call(client.host, server.peer_id, TEST, {})
    r2, _ = await call(client.host, server.peer_id, TEST, {})
    assert (r1["n"], r2["n"]) == (1, 2)
    assert served == [r1["request_id"], r2["request_id"]]     # each request executed exactly once
    assert pool.opened == opened + 2


async def test_error_frames_are_validated_on_the_client(two_hosts):
    """A peer answering with a malformed error frame is a transport problem, not a crash."""
    client, server = two_hosts

    async def on_stream(stream):
        try:
            reader = FrameReader(stream)
            await reader.read_frame()
            body = json.dumps({"ok": False, "error": {"message": 1}}).encode()
            await stream.write(struct.pack(">I", len(body)) + body)
            await stream.close()
        except Exception:
            await stream.reset()

    server.host.set_stream_handler(TEST, on_stream)
    with pytest.raises(RpcTransportError) as e:
        await call(client.host, server.peer_id, TEST, {})
    assert e.value.code == "bad_response"


async def test_exec_style_call_carries_the_state_payload(two_hosts):
    client, server = two_hosts

    async def exec_handler(header, payload, peer):
        assert len(payload) == header["state"]["nbytes"]
        return {"state": header["state"], "sim_ms": 0.1, "elapsed_ms": 0.2}, payload[::-1]

    serve(server.host, EXEC, exec_handler)
    state = bytes(range(64))
    header = {"job_id": "j", "fragment_id": 0, "num_qubits": 2, "ops": [{"name": "h", "qubits": [0]}],
              "state": {"kind": "statevector", "num_qubits": 2, "dtype": "complex128", "nbytes": 64}, "noise": False}
    resp, out = await call(client.host, server.peer_id, EXEC, header, state)
    assert out == state[::-1] and resp["state"]["nbytes"] == 64


def test_error_body_maps_exceptions():
    assert rpc.error_body(ValueError("x"))["code"] == "internal"
    body = rpc.error_body(ProtocolError("bad", code="frame_too_large", size=3))
    assert (body["code"], body["type"], body["details"]) == ("frame_too_large", "protocol_error", {"size": 3})
    assert rpc.error_body(PlanningError("p", missing=object()))["details"]["missing"].startswith("<object")


async def test_frame_reader_splits_back_to_back_frames_of_awkward_sizes(two_hosts):
    """Frames written in one go around the 64 KiB read and 1 MiB write boundaries come back intact."""
    from qnb.mesh.framing import write_frames
    client, server = two_hosts
    sizes = [0, 1, 3, 4, 5, 65531, 65535, 65536, 65537, 262145, 7, (1 << 20) - 9, (1 << 20) - 4, 1 << 20,
             (1 << 20) + 1, 0, 2 << 20]
    frames = [bytes((i * 7 + k) % 251 for k in range(n)) for i, n in enumerate(sizes)]
    got = []
    done = trio.Event()

    async def on_stream(stream):
        reader = FrameReader(stream)
        try:
            for _ in sizes:
                got.append(await reader.read_frame())
            got.append(reader.buffered)
        finally:
            done.set()
            await stream.close()

    server.host.set_stream_handler(TEST, on_stream)
    stream = await client.host.new_stream(to_peer_id(server.peer_id), [TEST])
    await write_frames(stream, frames)
    with trio.fail_after(20):
        await done.wait()
    assert got[:-1] == frames
    assert got[-1] == 0
    await stream.close()
