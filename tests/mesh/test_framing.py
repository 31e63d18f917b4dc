"""Frame encoding/decoding properties and the JSON header codec (FR-014 size limits)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from qnb.errors import ProtocolError
from qnb.mesh.framing import FrameDecoder, decode_json, encode_frame, encode_json, parse_length

frames = st.lists(st.binary(max_size=300), max_size=12)


@settings(max_examples=150, deadline=None)
@given(frames=frames, cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=20))
def test_frames_round_trip_however_the_bytes_are_split(frames, cuts):
    wire = b"".join(encode_frame(f) for f in frames)
    points = sorted({c % (len(wire) + 1) for c in cuts} | {0, len(wire)})
    dec = FrameDecoder()
    out = []
    for a, b in zip(points, points[1:]):
        out += dec.feed(wire[a:b])
    assert out == frames
    assert dec.pending == 0


@given(st.binary(max_size=64))
def test_frame_prefix_is_big_endian_length(data):
    wire = encode_frame(data)
    assert int.from_bytes(wire[:4], "big") == len(data)
    assert wire[4:] == data


def test_oversized_frame_is_rejected_from_the_prefix_alone():
    dec = FrameDecoder(max_size=10)
    prefix = (11).to_bytes(4, "big")
    with pytest.raises(ProtocolError) as e:
        dec.feed(prefix)  # no body byte was supplied: the limit applies before reading it
    assert e.value.code == "frame_too_large"
    assert e.value.fields["size"] == 11 and e.value.fields["limit"] == 10


def test_frame_at_the_limit_is_accepted_and_one_above_is_not():
    assert FrameDecoder(max_size=5).feed(encode_frame(b"12345", max_size=5)) == [b"12345"]
    with pytest.raises(ProtocolError, match="exceeds the limit of 5 bytes"):
        encode_frame(b"123456", max_size=5)


def test_parse_length_rejects_a_short_prefix():
    with pytest.raises(ProtocolError) as e:
        parse_length(b"\x00\x01")
    assert e.value.code == "bad_frame"


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20)
                    | st.floats(allow_nan=False, allow_infinity=False),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                    max_leaves=10))
def test_json_codec_round_trips_objects(value):
    obj = {"v": value}
    assert decode_json(encode_json(obj)) == obj


@pytest.mark.parametrize("raw, needle", [
    (b"\xff\xfe", "not UTF-8"),
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object, got list"),
    (b'{"x": NaN}', "NaN is not valid JSON"),
    (b'{"x": Infinity}', "Infinity is not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
])
def test_decode_json_rejects_with_a_named_reason(raw, needle):
    with pytest.raises(ProtocolError) as e:
        decode_json(raw)
    assert e.value.code == "bad_json"
    assert needle in e.value.message


def test_encode_json_refuses_nan_and_non_json_values():
    with pytest.raises(ProtocolError) as e:
        encode_json({"x": float("nan")})
    assert e.value.code == "encode"
    with pytest.raises(ProtocolError):
        encode_json({"x": object()})


def test_encode_json_is_compact_utf8():
    data = encode_json({"name": "ψ", "n": 1})
    assert data == json.dumps({"name": "ψ", "n": 1}, separators=(",", ":"), ensure_ascii=False).encode()
