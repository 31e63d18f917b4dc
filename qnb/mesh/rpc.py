"""Request/response RPC over raw libp2p streams: JSON header frame + optional binary payload frame.

Server side: :func:`serve` wraps a plain async handler so that nothing a peer sends, and nothing
the handler raises, can take the host down (WORKAROUND 3.8: an exception escaping a raw stream
handler kills the whole host). Every failure becomes a structured error frame.

Client side: :func:`call` sends one request and returns ``(header, payload)``, raising
:class:`RpcRemoteError` for error frames, :class:`RpcTimeout` and :class:`RpcTransportError`.
Streams are pooled per (peer, protocol) and reused for later calls, one call at a time per stream:
a new stream costs a multistream negotiation round trip (~2-3 ms on loopback), which alone would
use most of the 5 ms overhead budget of NFR-004 (numbers in docs/libp2p.md, ``qnb bench`` command
there). The server keeps reading requests on a stream until the client closes it, so pooled and
one-shot clients are both served.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any, Awaitable, Callable

import trio
from libp2p.abc import IHost
from libp2p.custom_types import TProtocol

from ..errors import ProtocolError, QnbError
from .framing import (DEFAULT_MAX_FRAME, DEFAULT_MAX_HEADER, LENGTH, FrameReader, TruncatedFrame, decode_json,
                      encode_json, parse_length, write_frame, write_frames)
from .schema import REQUEST_SCHEMA, RESPONSE_SCHEMA, SCHEMAS, Schema, validate

__all__ = ["RpcError", "RpcTimeout", "RpcTransportError", "RpcRemoteError", "Handler", "serve", "unserve",
           "call", "error_body", "new_request_id", "StreamPool", "pool_of"]

log = logging.getLogger("qnb.mesh.rpc")

Handler = Callable[[dict, "bytes | None", str], Awaitable["tuple[dict, bytes | None]"]]


# =================================================================================== errors
class RpcError(QnbError):
    """Base of every failure of :func:`call`. ``code`` is stable and machine-readable."""

    type = "rpc_error"

    def __init__(self, message: str, code: str = "rpc_error", **fields: Any) -> None:
        super().__init__(message, code=code, **fields)
        self.code = code


class RpcTimeout(RpcError):
    """No complete response within the call's timeout (the peer may be frozen or overloaded)."""

    type = "rpc_timeout"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message, code="timeout", **fields)


class RpcTransportError(RpcError):
    """The stream or connection failed: dial error, reset, EOF, unsupported protocol, bad response."""

    type = "rpc_transport"

    def __init__(self, message: str, code: str = "transport", **fields: Any) -> None:
        super().__init__(message, code=code, **fields)


class RpcRemoteError(RpcError):
    """The peer answered with an error frame. ``code``/``message``/``details`` are the peer's."""

    type = "rpc_remote"

    def __init__(self, code: str, message: str, details: dict | None = None, *, error_type: str | None = None,
                 peer: str | None = None) -> None:
        super().__init__(message, code=code, details=details or {}, error_type=error_type, peer=peer)
        self.details = details or {}
        self.error_type = error_type
        self.peer = peer

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


# ============================================================================ error frames
_MAX_MESSAGE = 8192


def _json_safe(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, default=str, allow_nan=False))
    except (TypeError, ValueError):
        return str(value)


def error_body(exc: BaseException) -> dict:
    """The ``error`` object of an error frame for ``exc`` (QnbError -> its code/type; others -> internal)."""
    if isinstance(exc, RpcRemoteError):
        code, etype, details = exc.code, exc.error_type or exc.type, exc.details
    elif isinstance(exc, QnbError):
        code = getattr(exc, "code", None) or exc.type
        etype = exc.type
        details = {k: v for k, v in exc.fields.items() if k != "code"}
    else:
        code, etype, details = "internal", type(exc).__name__, {}
    message = exc.message if isinstance(exc, QnbError) else f"{type(exc).__name__}: {exc}"
    return {"code": str(code)[:64] or "internal", "message": message[:_MAX_MESSAGE], "type": str(etype)[:64],
            "details": _json_safe(details) if isinstance(details, dict) else {}}


def _error_frame(exc: BaseException, request_id: Any) -> bytes:
    rid = request_id if isinstance(request_id, str) and len(request_id) <= 64 else None
    return encode_json({"ok": False, "request_id": rid, "error": error_body(exc)})


def new_request_id() -> str:
    return os.urandom(8).hex()


# =================================================================================== server
class _EndOfRequests(Exception):
    """The client closed the stream at a frame boundary: no more requests on it."""


def _resolve_schema(schema: "str | Schema | None", default: str) -> Schema | None:
    if schema is None:
        return SCHEMAS[default]
    if schema is False:  # explicit opt-out
        return None
    return SCHEMAS[schema] if isinstance(schema, str) else schema


def serve(host: IHost, protocol: str, handler: Handler, *, max_frame: int = DEFAULT_MAX_FRAME,
          max_header: int = DEFAULT_MAX_HEADER, schema_in: "str | Schema | None" = None,
          schema_out: "str | Schema | None" = None, read_timeout: float = 30.0,
          idle_timeout: float = 600.0, limiter: Any = None) -> None:
    """Serve ``protocol`` on ``host`` with ``handler(header, payload, peer_id) -> (header, payload)``.

    ``schema_in``/``schema_out`` default to the protocol's request/response schema (see
    :data:`qnb.mesh.schema.REQUEST_SCHEMA`); pass ``False`` to skip. Handlers raise
    :class:`qnb.errors.QnbError` subclasses for expected failures; anything else is reported to
    the caller as ``internal`` and logged with its traceback. The handler runs in the trio thread:
    CPU-bound work must go to ``trio.to_thread.run_sync`` (notes 3.1). ``limiter`` (a
    :class:`qnb.mesh.access.RateLimiter`) is consulted per request once it has been read in full,
    so a peer over its rate gets a ``rate_limited`` error frame and the stream stays usable.
    """
    if limiter is not None:
        inner = handler

        async def handler(header: dict, payload: bytes | None, peer: str):
            limiter.check(peer, protocol)
            return await inner(header, payload, peer)
    s_in = _resolve_schema(schema_in, REQUEST_SCHEMA.get(protocol, "request"))
    s_out = _resolve_schema(schema_out, RESPONSE_SCHEMA.get(protocol, "response"))

    async def on_stream(stream: Any) -> None:
        try:
            peer = stream.muxed_conn.peer_id.to_base58()
        except Exception:
            peer = "?"
        keep_open = True
        reader = FrameReader(stream)
        try:
            while keep_open:
                keep_open = await _serve_one(stream, reader, peer, protocol, handler, s_in, s_out, max_frame,
                                             max_header, read_timeout, idle_timeout)
        except _EndOfRequests:
            pass
        except trio.Cancelled:
            raise
        except BaseException as e:  # WORKAROUND(3.8): nothing may escape a raw stream handler
            if not isinstance(e, Exception):
                raise
            log.debug("protocol %s: stream from %s ended: %s: %s", protocol, peer, type(e).__name__, e)
            await _reset_quietly(stream)
            return
        await _close_quietly(stream)

    host.set_stream_handler(TProtocol(protocol), on_stream)


def unserve(host: IHost, protocol: str) -> None:
    host.remove_stream_handler(TProtocol(protocol))


async def _serve_one(stream: Any, reader: FrameReader, peer: str, protocol: str, handler: Handler, s_in: Schema | None,
                     s_out: Schema | None, max_frame: int, max_header: int, read_timeout: float,
                     idle_timeout: float) -> bool:
    """Serve one request on ``stream``. Returns False when the stream must not be reused."""
    # Wait (idle) for the next request to start; then the whole request must arrive in time.
    with trio.move_on_after(idle_timeout) as idle:
        try:
            prefix = await reader.read_exact(LENGTH.size, at_boundary=True)
        except TruncatedFrame as e:
            if e.at_boundary:
                raise _EndOfRequests() from None
            raise
    if idle.cancelled_caught:
        raise _EndOfRequests()
    started = time.perf_counter()
    header: dict | None = None
    try:
        # WORKAROUND(3.6): read header and payload completely before any slow work, or the
        # sender's yamux write times out after 5 s without a window update.
        with trio.fail_after(read_timeout):
            try:
                n = parse_length(prefix, max_header)
            except ProtocolError as e:
                raise ProtocolError(f"request header {e.message}", code=e.code, **{
                    k: v for k, v in e.fields.items() if k != "code"}) from None
            header = decode_json(await reader.read_exact(n) if n else b"", "request header")
            if s_in is not None:
                validate(s_in, header)
            payload = None
            if "payload_len" in header:
                plen = header["payload_len"]
                if not isinstance(plen, int) or isinstance(plen, bool) or plen < 0:
                    raise ProtocolError(f"payload_len must be a non-negative integer, got {plen!r}", code="schema",
                                        field="payload_len")
                if plen > max_frame:
                    raise ProtocolError(f"payload of {plen} bytes exceeds the limit of {max_frame} bytes",
                                        code="frame_too_large", size=plen, limit=max_frame)
                payload = await reader.read_frame(max_frame, at_boundary=False)
                if len(payload) != plen:
                    raise ProtocolError(f"payload frame has {len(payload)} bytes but payload_len says {plen}",
                                        code="payload_mismatch", size=len(payload), expected=plen)
    except trio.TooSlowError:
        await _send_error(stream, ProtocolError(f"request not received within {read_timeout:g} s", code="read_timeout"),
                          header)
        return False
    except ProtocolError as e:
        # The request was not (fully) read, so the stream is out of step: answer, then end it.
        log.info("protocol %s: rejected request from %s: %s", protocol, peer, e.message)
        await _send_error(stream, e, header)
        return False

    rid = header.get("request_id")
    try:
        resp, out = await handler(header, payload, peer)
        if not isinstance(resp, dict):
            raise TypeError(f"handler returned {type(resp).__name__}, expected (dict, bytes | None)")
        resp = {**resp, "ok": True}
        if rid is not None:
            resp["request_id"] = rid
        if out is not None:
            if len(out) > max_frame:
                raise ProtocolError(f"response payload of {len(out)} bytes exceeds the limit of {max_frame} bytes",
                                    code="frame_too_large", size=len(out), limit=max_frame)
            resp["payload_len"] = len(out)
        else:
            resp.pop("payload_len", None)
        if s_out is not None:
            validate(s_out, resp)
        data = encode_json(resp)
    except trio.Cancelled:
        raise
    except Exception as e:  # WORKAROUND(3.8)
        if isinstance(e, QnbError):
            log.info("protocol %s: request %s (correlation %s) from %s failed: %s", protocol, rid,
                     header.get("correlation_id"), peer, e)
        else:
            log.exception("protocol %s: handler crashed on request %s (correlation %s) from %s", protocol, rid,
                          header.get("correlation_id"), peer)
        return await _send_error(stream, e, header)
    try:
        await write_frames(stream, [data] if out is None else [data, out])
    except Exception as e:
        log.info("protocol %s: cannot answer request %s from %s: %s: %s", protocol, rid, peer, type(e).__name__, e)
        return False
    log.debug("protocol %s: served %s (correlation %s) for %s in %.3f ms", protocol, rid,
              header.get("correlation_id"), peer, (time.perf_counter() - started) * 1e3)
    return True


async def _send_error(stream: Any, exc: BaseException, header: dict | None) -> bool:
    try:
        await write_frame(stream, _error_frame(exc, (header or {}).get("request_id")), DEFAULT_MAX_HEADER)
        return True
    except Exception as e:
        log.debug("cannot send error frame: %s: %s", type(e).__name__, e)
        return False


async def _close_quietly(stream: Any) -> None:
    with trio.move_on_after(1.0) as scope:
        scope.shield = True
        try:
            await stream.close()
        except Exception:
            pass


async def _reset_quietly(stream: Any) -> None:
    with trio.move_on_after(1.0) as scope:
        scope.shield = True
        try:
            await stream.reset()
        except Exception:
            pass


# =================================================================================== client
class _Conn:
    """A client stream and its buffered reader (the reader's leftover must travel with the stream)."""

    __slots__ = ("stream", "reader")

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.reader = FrameReader(stream)

    def usable(self) -> bool:
        if self.reader.buffered:
            return False
        try:
            return not (self.stream.is_closed or self.stream.muxed_conn.is_closed)
        except Exception:
            return False


class StreamPool:
    """Idle request streams per (peer, protocol), so calls skip the multistream negotiation.

    A stream serves one call at a time; concurrent calls to one peer open more streams. At most
    ``max_idle`` idle streams are kept per key (yamux allows 256 outbound streams per connection
    and ``new_stream`` then blocks forever, notes 3.5).
    """

    def __init__(self, host: IHost, max_idle: int = 8) -> None:
        self.host = host
        self.max_idle = max_idle
        self._idle: dict[tuple[str, str], list[_Conn]] = {}
        self.opened = 0
        self.reused = 0

    def take(self, peer: str, protocol: str) -> _Conn | None:
        idle = self._idle.get((peer, protocol))
        while idle:
            conn = idle.pop()
            if conn.usable():
                self.reused += 1
                return conn
        return None

    async def give_back(self, peer: str, protocol: str, conn: _Conn) -> None:
        idle = self._idle.setdefault((peer, protocol), [])
        if len(idle) < self.max_idle and conn.usable():
            idle.append(conn)
        else:
            await _close_quietly(conn.stream)

    async def drop_peer(self, peer: str) -> None:
        """Close every idle stream to ``peer`` (e.g. after it was declared dead)."""
        for key in [k for k in self._idle if k[0] == peer]:
            for conn in self._idle.pop(key):
                await _reset_quietly(conn.stream)

    async def close(self) -> None:
        for key in list(self._idle):
            for conn in self._idle.pop(key):
                await _close_quietly(conn.stream)

    def idle_count(self) -> int:
        return sum(len(v) for v in self._idle.values())


def pool_of(host: IHost) -> StreamPool:
    """The stream pool :func:`call` uses for ``host`` (created on first use, lives on the host object
    so it is collected with it)."""
    pool = getattr(host, "_qnb_stream_pool", None)
    if pool is None:
        pool = StreamPool(host)
        setattr(host, "_qnb_stream_pool", pool)
    return pool


#: payloads above this are written while the response is already being read, so an early error
#: frame (e.g. frame_too_large) is seen instead of a reset stream.
_CONCURRENT_WRITE = 256 * 1024


class _NoResponseYet(Exception):
    """The stream failed before any byte of the response arrived (safe to retry on a fresh stream)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


async def call(host: IHost, peer_id: "str | Any", protocol: str, header: dict, payload: bytes | None = None, *,
               timeout: float = 10.0, max_frame: int = DEFAULT_MAX_FRAME, max_header: int = DEFAULT_MAX_HEADER,
               schema_out: "str | Schema | None" = None, validate_request: bool = True,
               reuse: bool = True) -> "tuple[dict, bytes | None]":
    """Send one request and return ``(response header, response payload or None)``.

    Fills ``type``, ``request_id`` and ``correlation_id`` (= request id) when absent and sets
    ``payload_len``. The request is checked against the protocol's request schema before sending
    (a bug on our side raises :class:`ProtocolError` locally) and the response against its response
    schema (``schema_out=False`` skips). ``reuse=False`` opens a fresh stream and closes it after.

    A pooled stream that turns out dead before any response byte arrived (peer restarted,
    connection dropped) is replaced by a new stream once, with the same ``request_id``.
    """
    from .host import to_peer_id  # local import: host imports rpc's errors

    pid = to_peer_id(peer_id)
    peer = pid.to_base58()
    header = dict(header)
    header.setdefault("type", _message_type(protocol))
    rid = header.setdefault("request_id", new_request_id())
    header.setdefault("correlation_id", rid)
    if payload is not None:
        header["payload_len"] = len(payload)
    else:
        header.pop("payload_len", None)
    if validate_request:
        validate(REQUEST_SCHEMA.get(protocol, "request"), header)
    data = encode_json(header)
    if len(data) > max_header:
        raise ProtocolError(f"request header of {len(data)} bytes exceeds the limit of {max_header} bytes",
                            code="frame_too_large", size=len(data), limit=max_header)
    if payload is not None and len(payload) > max_frame:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds the limit of {max_frame} bytes",
                            code="frame_too_large", size=len(payload), limit=max_frame)
    s_out = _resolve_schema(schema_out, RESPONSE_SCHEMA.get(protocol, "response"))
    pool = pool_of(host)
    ctx = dict(peer=peer, protocol=protocol, request_id=rid, correlation_id=header["correlation_id"])
    conn: _Conn | None = None
    try:
        with trio.fail_after(timeout):
            for attempt in (0, 1):
                conn = pool.take(peer, protocol) if reuse and attempt == 0 else None
                reused = conn is not None
                if conn is None:
                    conn = _Conn(await _open_stream(host, pid, protocol, ctx))
                try:
                    resp, out = await _exchange(conn, data, payload, max_frame, max_header)
                except _NoResponseYet as e:
                    await _reset_quietly(conn.stream)
                    if reused:  # stale pooled stream: retry once on a fresh one
                        log.debug("stale pooled stream to %s (%s); retrying on a new stream", peer, e.cause)
                        continue
                    raise _transport(e.cause, ctx) from None
                except BaseException:
                    await _reset_quietly(conn.stream)
                    raise
                break
    except trio.TooSlowError:
        raise RpcTimeout(f"{protocol} call to {peer} timed out after {timeout:g} s", timeout=timeout, **ctx) from None
    except RpcError:
        raise
    except ProtocolError as e:
        raise RpcTransportError(f"{protocol} call to {peer}: bad response: {e.message}", code="bad_response",
                                **ctx) from None
    except Exception as e:
        raise _transport(e, ctx) from None
    assert conn is not None

    if resp.get("ok") is False:
        # Never reuse a stream after an error: the server may have stopped reading mid-request.
        await _close_quietly(conn.stream)
        try:
            validate("error", resp)
        except ProtocolError as e:
            raise RpcTransportError(f"{protocol} call to {peer}: malformed error frame: {e.message}",
                                    code="bad_response", **ctx) from None
        err = resp["error"]
        raise RpcRemoteError(err["code"], err["message"], err.get("details") or {}, error_type=err.get("type"),
                             peer=peer)
    try:
        if s_out is not None:
            validate(s_out, resp)
    except ProtocolError as e:
        await _reset_quietly(conn.stream)
        raise RpcTransportError(f"{protocol} call to {peer}: bad response: {e.message}", code="bad_response",
                                **ctx) from None
    if reuse:
        await pool.give_back(peer, protocol, conn)
    else:
        await _close_quietly(conn.stream)
    return resp, out


def _message_type(protocol: str) -> str:
    from .protocols import MESSAGE_TYPE
    return MESSAGE_TYPE.get(protocol, "request")


def _transport(e: BaseException, ctx: dict) -> RpcTransportError:
    text = str(e) or type(e).__name__
    chain, cur = [], e
    while cur is not None and len(chain) < 8:
        chain.append(str(cur))
        cur = cur.__cause__ or cur.__context__
    # py-libp2p reports a refused protocol only in the message of a chained MultiselectClientError
    code = "protocol_not_supported" if any("not supported" in c for c in chain) else "transport"
    return RpcTransportError(f"{ctx['protocol']} call to {ctx['peer']} failed: {type(e).__name__}: {text}",
                             code=code, **ctx)


async def _open_stream(host: IHost, pid: Any, protocol: str, ctx: dict) -> Any:
    # Callers wrap the whole call in fail_after: WORKAROUND(3.5) new_stream can block forever
    # once 256 outbound streams are open on one yamux connection.
    try:
        stream = await host.new_stream(pid, [TProtocol(protocol)])
    except trio.Cancelled:
        raise
    except Exception as e:
        raise _transport(e, ctx) from None
    pool_of(host).opened += 1
    return stream


async def _exchange(conn: _Conn, data: bytes, payload: bytes | None, max_frame: int,
                    max_header: int) -> "tuple[dict, bytes | None]":
    """Write the request, read the response. Failures before any response byte -> _NoResponseYet."""
    stream, reader = conn.stream, conn.reader
    if payload is None or len(payload) <= _CONCURRENT_WRITE:
        try:
            await write_frames(stream, [data] if payload is None else [data, payload])
            first = await reader.read_exact(LENGTH.size, at_boundary=True)
        except TruncatedFrame as e:
            raise _NoResponseYet(e) from None
        except ProtocolError:  # our own frame limits: a local error, not the peer's fault
            raise
        except Exception as e:
            raise _NoResponseYet(e) from None
        return await _read_response(reader, first, max_frame, max_header)

    writer_error: list[BaseException] = []

    async def write_all() -> None:
        try:
            await write_frames(stream, [data, payload])
        except Exception as e:  # the server may reject early and stop reading
            writer_error.append(e)

    # The writer is never cancelled on purpose (a cancelled frame write kills the connection, see
    # framing._shielded_write); an early error frame resets the stream, which ends the writer.
    async with trio.open_nursery() as nursery:
        nursery.start_soon(write_all)
        try:
            first = await reader.read_exact(LENGTH.size, at_boundary=True)
        except BaseException as e:
            await _reset_quietly(stream)
            if isinstance(e, Exception):  # nothing of a response arrived
                raise _NoResponseYet(writer_error[0] if writer_error else e) from None
            raise
        try:
            resp, out = await _read_response(reader, first, max_frame, max_header)
        except BaseException:
            await _reset_quietly(stream)
            raise
        if resp.get("ok") is False:
            await _reset_quietly(stream)
    return resp, out


async def _read_response(reader: FrameReader, prefix: bytes, max_frame: int,
                         max_header: int) -> "tuple[dict, bytes | None]":
    n = parse_length(prefix, max_header)
    resp = decode_json(await reader.read_exact(n) if n else b"", "response header")
    out = None
    plen = resp.get("payload_len")
    if plen is not None and resp.get("ok") is not False:
        if not isinstance(plen, int) or isinstance(plen, bool) or plen < 0:
            raise ProtocolError(f"response payload_len must be a non-negative integer, got {plen!r}", code="schema")
        if plen > max_frame:
            raise ProtocolError(f"response payload of {plen} bytes exceeds the limit of {max_frame} bytes",
                                code="frame_too_large")
        out = await reader.read_frame(max_frame, at_boundary=False)
        if len(out) != plen:
            raise ProtocolError(f"response payload has {len(out)} bytes, payload_len says {plen}",
                                code="payload_mismatch")
    return resp, out
