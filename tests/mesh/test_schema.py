"""The wire schemas: garbage never crashes the validator, valid messages pass, violations name the field."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from mesh_builders import advert, adverts, exec_requests, json_values
from qnb.errors import ProtocolError
from qnb.mesh.schema import CONTROL_COMMANDS, SCHEMAS, Schema, Str, schema_markdown, state_nbytes, validate

DOCS = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(sorted(SCHEMAS)), value=json_values)
def test_garbage_only_ever_raises_protocol_error(name, value):
    try:
        validate(name, value)
    except ProtocolError as e:
        assert e.code == "schema"
        assert e.fields["field"].startswith(name)


def _paths(obj, prefix=()):
    """Every (path) to a value inside nested dicts/lists."""
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


@settings(max_examples=150, deadline=None)
@given(msg=st.one_of(adverts().map(lambda a: ("advert", a.to_json())), exec_requests().map(lambda r: ("exec.request", r))),
       pick=st.integers(0, 10_000), value=json_values)
def test_a_corrupted_valid_message_is_accepted_or_rejected_cleanly(msg, pick, value):
    """Replace one value anywhere inside a valid message with arbitrary JSON."""
    name, obj = msg
    paths = [p for p in _paths(obj) if p]
    path = paths[pick % len(paths)]
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    try:
        validate(name, obj)
    except ProtocolError as e:
        assert e.code == "schema"
        assert e.fields["field"].startswith(name)


@settings(max_examples=50, deadline=None)
@given(adverts())
def test_valid_adverts_validate_unchanged(a):
    record = a.to_json()
    before = copy.deepcopy(record)
    assert validate("advert", record) is record
    assert record == before


@settings(max_examples=50, deadline=None)
@given(exec_requests())
def test_valid_exec_requests_validate(req):
    assert validate("exec.request", req) is req


@pytest.mark.parametrize("mutate, field, rule", [
    (lambda d: d.update(fidelity_2q=0.0), "advert.fidelity_2q", "must be > 0"),
    (lambda d: d.update(fidelity_1q=1.5), "advert.fidelity_1q", "must be <= 1"),
    (lambda d: d.update(fidelity_1q=True), "advert.fidelity_1q", "must be a number"),
    (lambda d: d.update(queue_depth=1.0), "advert.queue_depth", "must be an integer"),
    (lambda d: d.update(service_type="toaster"), "advert.service_type", "must be one of"),
    (lambda d: d.update(name="has space"), "advert.name", "must match"),
    (lambda d: d.update(node_id="0OIl"), "advert.node_id", "must match"),
    (lambda d: d.update(qubit_range=[3]), "advert.qubit_range", "length must be >= 2"),
    (lambda d: d.update(qubit_range=[4, 2]), "advert.qubit_range", "min 4 must be <= max 2"),
    (lambda d: d.update(gates=["h", "h"]), "advert.gates", "must not repeat"),
    (lambda d: d.update(addrs=["x" * 600]), "advert.addrs[0]", "length must be <= 512"),
    (lambda d: d.pop("seq"), "advert.seq", "is required"),
    (lambda d: d.update(extra=1), "advert.extra", "unknown field"),
    (lambda d: d.update(links=[{"peer": "n09", "latency_ms": 1, "fidelity": 0.9}]), "advert.links[0].ebit_rate_hz",
     "is required"),
    (lambda d: d.update(links=[{"peer": "n00", "latency_ms": 1, "fidelity": 0.9, "ebit_rate_hz": 1}]),
     "advert.links", "cannot link to itself"),
    (lambda d: d.update(timestamp=float("inf")), "advert.timestamp", "must be finite"),
    (lambda d: d.update(available=None), "advert.available", "not null"),
])
def test_advert_violations_name_the_field_and_rule(mutate, field, rule):
    record = advert(0).to_json()
    mutate(record)
    with pytest.raises(ProtocolError) as e:
        validate("advert", record)
    assert e.value.code == "schema"
    assert e.value.fields["field"] == field
    assert rule in e.value.message


def test_request_headers_tolerate_unknown_fields_but_adverts_do_not():
    req = {"type": "probe", "request_id": "r1", "correlation_id": "c1", "future_field": {"x": 1}}
    assert validate("probe.request", req)["future_field"] == {"x": 1}
    record = advert(0).to_json() | {"future_field": 1}
    with pytest.raises(ProtocolError, match="unknown field"):
        validate("advert", record)


@pytest.mark.parametrize("req, field, rule", [
    ({"operation": "reserve", "window_start": 5.0}, "reserve.request.window_end", "is required when operation"),
    ({"operation": "reserve", "window_start": 5.0, "window_end": 5.0}, "reserve.request.window_end",
     "must be > window_start"),
    ({"operation": "cancel"}, "reserve.request.reservation_id", "is required when operation is 'cancel'"),
    ({"operation": "borrow"}, "reserve.request.operation", "must be one of"),
    ({"operation": "reserve", "window_start": 1, "window_end": 2, "min_fidelity": 1.2},
     "reserve.request.min_fidelity", "must be <= 1"),
])
def test_reserve_request_rules(req, field, rule):
    req = {"type": "reserve", "request_id": "r", "correlation_id": "c", **req}
    with pytest.raises(ProtocolError) as e:
        validate("reserve.request", req)
    assert e.value.fields["field"] == field
    assert rule in e.value.message


def test_reserve_request_valid_forms():
    base = {"type": "reserve", "request_id": "r", "correlation_id": "c"}
    validate("reserve.request", base | {"operation": "reserve", "window_start": 1.0, "window_end": 2.5,
                                        "min_fidelity": 0.99, "job_id": "j", "fragment_id": 3})
    validate("reserve.request", base | {"operation": "status", "reservation_id": "n00-7"})


def test_exec_request_cross_field_checks():
    good = {"type": "exec", "request_id": "r", "correlation_id": "c", "job_id": "j", "fragment_id": 0,
            "num_qubits": 2, "ops": [{"name": "h", "qubits": [0]}], "noise": False, "payload_len": 64,
            "state": {"kind": "statevector", "num_qubits": 2, "dtype": "complex128", "nbytes": 64}}
    validate("exec.request", good)
    bad_nbytes = copy.deepcopy(good)
    bad_nbytes["state"]["nbytes"] = 63
    with pytest.raises(ProtocolError, match=r"state.nbytes: must be 64 for a 2-qubit statevector"):
        validate("exec.request", bad_nbytes)
    bad_len = good | {"payload_len": 32}
    with pytest.raises(ProtocolError, match=r"payload_len: must equal state.nbytes \(64\)"):
        validate("exec.request", bad_len)
    bad_width = copy.deepcopy(good)
    bad_width["state"].update(num_qubits=3, nbytes=128)
    bad_width["payload_len"] = 128
    with pytest.raises(ProtocolError, match=r"state.num_qubits: must equal num_qubits \(2\)"):
        validate("exec.request", bad_width)
    bad_op = copy.deepcopy(good)
    bad_op["ops"][0]["qubits"] = [-1]
    with pytest.raises(ProtocolError) as e:
        validate("exec.request", bad_op)
    assert e.value.fields["field"] == "exec.request.ops[0].qubits[0]"


def test_state_nbytes_follows_the_complex128_layout():
    assert state_nbytes("statevector", 3) == 8 * 16
    assert state_nbytes("density_matrix", 3) == 64 * 16
    assert state_nbytes("none", 30) == 0


def test_control_commands_are_exactly_the_vocabulary():
    base = {"type": "control", "request_id": "r", "correlation_id": "c"}
    for cmd in CONTROL_COMMANDS:
        validate("control.request", base | {"command": cmd})
    for undeclared in ("fault", "drain", "shutdown", "set_quality"):   # never implemented: not on the wire
        with pytest.raises(ProtocolError, match="command"):
            validate("control.request", base | {"command": undeclared})


def test_unknown_schema_name_is_an_error():
    with pytest.raises(ProtocolError, match="unknown schema 'nope'"):
        validate("nope", {})


def test_error_values_are_shown_truncated():
    s = Schema("t", {"x": Str(max_len=3)})
    with pytest.raises(ProtocolError) as e:
        s.validate({"x": "y" * 500})
    assert len(e.value.message) < 200


@pytest.mark.parametrize("name", ["advert", "link", "advert.response", "reserve.request", "reserve.response",
                                  "exec.request", "exec.response", "state", "op", "probe.request",
                                  "probe.response", "control.request", "control.response",
                                  "error", "error_body", "request", "response"])
def test_docs_embed_the_current_schema_tables(name):
    """docs/protocol.md carries the generated table of every schema, so the docs cannot drift."""
    text = DOCS.read_text()
    assert f"<!-- schema:{name} -->\n{schema_markdown(name)}\n" in text, (
        f"docs/protocol.md is out of date for schema {name!r}: regenerate with "
        "`python -m qnb.mesh.docgen docs/protocol.md`")


def test_markdown_rule_text_mentions_limits():
    table = schema_markdown("advert")
    assert re.search(r"\| `fidelity_2q` \| yes \| number, > 0, <= 1 \|", table)
