"""Length-prefixed frames on libp2p streams, and the JSON codec used for frame headers.

Wire format: ``uint32 big-endian length`` followed by ``length`` bytes. The length is checked
against a hard limit *before* any body byte is read, so an oversized or hostile frame costs four
bytes of reading (FR-014 size limits).

Why our own framing: py-libp2p's ``read_exactly`` gives up after 101 ``read()`` calls, and yamux
returns at most ~64 KiB per read, so its varint framing (msgio / request_response) breaks above
~6.5 MB (notes/py-libp2p-0.8.1.md section 3.3). :func:`read_exact` loops until it has every byte.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import trio

from ..errors import ProtocolError

__all__ = ["DEFAULT_MAX_FRAME", "DEFAULT_MAX_HEADER", "LENGTH", "encode_frame", "parse_length",
           "FrameDecoder", "FrameReader", "read_exact", "read_frame", "write_frame", "write_frames", "WriteStalled", "encode_json", "decode_json",
           "TruncatedFrame"]

#: default hard limit of one frame (a 20-qubit statevector is 16 MiB; a 10-qubit density matrix 16 MiB).
DEFAULT_MAX_FRAME = 64 * 1024 * 1024
#: default limit of a JSON header frame (an EXEC header lists every op of a fragment).
DEFAULT_MAX_HEADER = 8 * 1024 * 1024
LENGTH = struct.Struct(">I")
#: read size per call; yamux hands out at most one window's worth anyway.
_READ_CHUNK = 1 << 20


class TruncatedFrame(ProtocolError):
    """The stream ended in the middle of a frame (or before one started, when ``at_boundary``)."""

    def __init__(self, message: str, *, expected: int, received: int, at_boundary: bool) -> None:
        super().__init__(message, code="truncated", expected=expected, received=received)
        self.at_boundary = at_boundary


def _check_size(n: int, max_size: int, what: str) -> None:
    if n > max_size:
        raise ProtocolError(f"{what} of {n} bytes exceeds the limit of {max_size} bytes",
                            code="frame_too_large", size=n, limit=max_size)


def encode_frame(data: bytes, max_size: int = DEFAULT_MAX_FRAME) -> bytes:
    """``length prefix + data``; refuses to build a frame the receiver would reject."""
    _check_size(len(data), max_size, "frame")
    return LENGTH.pack(len(data)) + bytes(data)


def parse_length(prefix: bytes, max_size: int = DEFAULT_MAX_FRAME) -> int:
    """Body length announced by a 4-byte prefix, checked against ``max_size``."""
    if len(prefix) != LENGTH.size:
        raise ProtocolError(f"frame prefix must be {LENGTH.size} bytes, got {len(prefix)}", code="bad_frame")
    (n,) = LENGTH.unpack(prefix)
    _check_size(n, max_size, "frame")
    return n


class FrameDecoder:
    """Sans-IO decoder: ``feed(bytes) -> [frames]``. Used by tests and by byte-level tooling."""

    def __init__(self, max_size: int = DEFAULT_MAX_FRAME) -> None:
        self.max_size = max_size
        self._buf = bytearray()
        self._need: int | None = None

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        out: list[bytes] = []
        while True:
            if self._need is None:
                if len(self._buf) < LENGTH.size:
                    return out
                self._need = parse_length(bytes(self._buf[:LENGTH.size]), self.max_size)
                del self._buf[:LENGTH.size]
            if len(self._buf) < self._need:
                return out
            out.append(bytes(self._buf[:self._need]))
            del self._buf[:self._need]
            self._need = None

    @property
    def pending(self) -> int:
        """Bytes buffered that do not yet form a complete frame (0 at a frame boundary)."""
        return len(self._buf) + (LENGTH.size if self._need is not None else 0)


async def read_exact(stream: Any, n: int, *, at_boundary: bool = False, head: bytes = b"") -> bytes:
    """Read exactly ``n`` bytes, looping over short reads (works around notes 3.3).

    ``head`` is data already read that counts towards ``n`` (joined once, without an extra copy).
    Raises :class:`TruncatedFrame` if the stream ends first. libp2p signals the end either by an
    empty read or by ``StreamEOF``; both become ``TruncatedFrame`` so callers see one error type.
    """
    chunks: list[bytes] = [head] if head else []
    got = len(head)
    while got < n:
        try:
            chunk = await stream.read(min(n - got, _READ_CHUNK))
        except EOFError:  # libp2p StreamEOF subclasses EOFError
            chunk = b""
        if not chunk:
            raise TruncatedFrame(f"stream ended after {got} of {n} bytes", expected=n, received=got,
                                 at_boundary=at_boundary and got == 0)
        chunks.append(chunk)
        got += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class FrameReader:
    """Buffered frame reader bound to one stream.

    Reads up to 64 KiB per call and keeps what belongs to the next frame. Reading a header frame
    therefore usually costs one ``stream.read()`` instead of two, and yamux sends one window
    update per read, so this halves the muxer frames of a small request/response.
    """

    def __init__(self, stream: Any, chunk: int = 64 * 1024) -> None:
        self.stream = stream
        self.chunk = chunk
        self._buf = b""

    @property
    def buffered(self) -> int:
        """Bytes read from the stream but not yet returned (must be 0 between requests)."""
        return len(self._buf)

    async def _fill(self, at_boundary: bool, expected: int, got: int) -> bytes:
        try:
            data = await self.stream.read(self.chunk)
        except EOFError:  # libp2p StreamEOF
            data = b""
        if not data:
            raise TruncatedFrame(f"stream ended after {got} of {expected} bytes", expected=expected, received=got,
                                 at_boundary=at_boundary and got == 0)
        return data

    async def read_exact(self, n: int, *, at_boundary: bool = False) -> bytes:
        buf = self._buf
        while len(buf) < n:
            if len(buf) + self.chunk >= n or not buf:
                buf += await self._fill(at_boundary, n, len(buf))
            else:  # large body: stop over-reading, read the rest exactly, join once
                self._buf = b""
                return await read_exact(self.stream, n, head=buf)
        self._buf = buf[n:]
        return buf[:n] if len(buf) != n else buf

    async def read_frame(self, max_size: int = DEFAULT_MAX_FRAME, *, at_boundary: bool = True) -> bytes:
        n = parse_length(await self.read_exact(LENGTH.size, at_boundary=at_boundary), max_size)
        return await self.read_exact(n) if n else b""


async def read_frame(stream: Any, max_size: int = DEFAULT_MAX_FRAME) -> bytes:
    """Read one frame; ``frame_too_large`` is raised before the body is read."""
    n = parse_length(await read_exact(stream, LENGTH.size, at_boundary=True), max_size)
    return await read_exact(stream, n) if n else b""


class WriteStalled(Exception):
    """A write made no progress for ``WRITE_GRACE_S`` (the peer stopped reading: frozen or gone)."""


#: a single shielded write may block this long before we give up on the connection.
WRITE_GRACE_S = 10.0
#: shielded write unit: few calls into py-libp2p per payload, yet only a few ms of uncancellable
#: writing on loopback (piece-size measurements in docs/libp2p.md).
_WRITE_CHUNK = 1024 * 1024


async def _shielded_write(stream: Any, data: bytes) -> None:
    """Write without letting a cancellation land inside py-libp2p's frame write.

    WORKAROUND (measured, not in the notes): yamux writes each frame with
    ``secured_conn.write`` without a shield; a cancellation in the middle (a timeout, a cancelled
    writer task) leaves half a Noise frame on the TCP connection, and the whole connection to that
    peer dies with it (every other stream too). So each <= 1 MiB piece is written shielded, with
    its own bound, and cancellation takes effect between pieces.
    """
    with trio.CancelScope(shield=True) as scope:
        scope.deadline = trio.current_time() + WRITE_GRACE_S
        await stream.write(data)
    if scope.cancelled_caught:
        raise WriteStalled(f"write of {len(data)} bytes made no progress for {WRITE_GRACE_S:g} s")


async def write_frame(stream: Any, data: bytes, max_size: int = DEFAULT_MAX_FRAME) -> None:
    """Write one frame in shielded pieces of at most 1 MiB (see :func:`_shielded_write`)."""
    _check_size(len(data), max_size, "frame")
    await write_frames(stream, [data])


async def write_frames(stream: Any, frames: "list[bytes]") -> None:
    """Write several frames back to back in shielded pieces of at most 1 MiB (small frames share one)."""
    buf = bytearray()
    for data in frames:
        buf += LENGTH.pack(len(data))
        view = memoryview(data)
        i = 0
        while True:
            if len(buf) >= _WRITE_CHUNK:
                await _shielded_write(stream, bytes(buf))
                buf = bytearray()
            if i >= len(view):
                break
            if not buf and len(view) - i >= _WRITE_CHUNK:  # whole piece straight from the payload
                await _shielded_write(stream, bytes(view[i:i + _WRITE_CHUNK]))
                i += _WRITE_CHUNK
                continue
            take = min(_WRITE_CHUNK - len(buf), len(view) - i)
            buf += view[i:i + take]
            i += take
    if buf:
        await _shielded_write(stream, bytes(buf))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def encode_json(obj: dict) -> bytes:
    """Compact UTF-8 JSON. NaN/Infinity are refused: they are not JSON and other readers reject them."""
    try:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError) as e:
        raise ProtocolError(f"message cannot be encoded as JSON: {e}", code="encode") from None


def decode_json(data: bytes, what: str = "header") -> dict:
    """Parse a header frame: UTF-8 JSON whose top level is an object, else ``bad_json``."""
    try:
        obj = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as e:
        raise ProtocolError(f"{what} frame is not UTF-8: {e.reason} at byte {e.start}", code="bad_json") from None
    except ValueError as e:  # JSONDecodeError and our NaN refusal
        raise ProtocolError(f"{what} frame is not valid JSON: {e}", code="bad_json") from None
    except RecursionError:
        raise ProtocolError(f"{what} frame nests too deeply", code="bad_json") from None
    if not isinstance(obj, dict):
        raise ProtocolError(f"{what} frame must be a JSON object, got {type(obj).__name__}", code="bad_json")
    return obj
