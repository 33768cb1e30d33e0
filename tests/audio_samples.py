"""Tiny but well-formed recordings, built in code (no ffmpeg on CI): Ogg Opus, M4A, ADTS AAC.

Only the containers are real; the audio packets are filler, which is all Loa reads.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

_OGG_TABLE = []
for _n in range(256):
    _r = _n << 24
    for _ in range(8):
        _r = ((_r << 1) ^ 0x04C11DB7) if _r & 0x80000000 else _r << 1
    _OGG_TABLE.append(_r & 0xFFFFFFFF)


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_TABLE[(crc >> 24) ^ byte]
    return crc


def _ogg_page(body: bytes, granule: int, seq: int, flags: int, serial: int = 0x10AD) -> bytes:
    lacing = [255] * (len(body) // 255) + [len(body) % 255]
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, serial, seq, 0, len(lacing))
    page = bytearray(header + bytes(lacing) + body)
    struct.pack_into("<I", page, 22, _ogg_crc(bytes(page)))
    return bytes(page)


def ogg_opus(seconds: float, *, padding: int = 0, codec: bytes = b"OpusHead") -> bytes:
    """An Ogg Opus stream of `seconds` (pre-skip 312), about `padding` bytes of filler audio."""
    pre_skip = 312
    if codec == b"OpusHead":
        head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, pre_skip, 16000, 0, 0)
    else:
        head = b"\x01vorbis" + bytes(23)
    pages = [
        _ogg_page(head, 0, 0, 0x02),
        _ogg_page(b"OpusTags" + struct.pack("<I", 3) + b"loa" + struct.pack("<I", 0), 0, 1, 0),
    ]
    chunks = max(1, math.ceil(padding / 60_000))
    total = pre_skip + round(seconds * 48000)
    for n in range(chunks):
        granule = pre_skip + (total - pre_skip) * (n + 1) // chunks
        flags = 0x04 if n == chunks - 1 else 0
        body = b"\xf8" + bytes(max(1, padding // chunks) - 1)
        pages.append(_ogg_page(body, granule, n + 2, flags))
    return b"".join(pages)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def m4a(seconds: float, *, sample_entry: bytes = b"mp4a", object_type: int = 0x40) -> bytes:
    """An M4A file: ftyp, moov (mvhd with the duration, one sound track), a small mdat."""
    ftyp = _box(b"ftyp", b"M4A " + struct.pack(">I", 0) + b"M4A mp42isom")
    ticks = round(seconds * 1000)
    mvhd = _box(
        b"mvhd",
        bytes(4)
        + struct.pack(">IIIIIH", 0, 0, 1000, ticks, 0x00010000, 0x0100)
        + bytes(10 + 36 + 24)
        + struct.pack(">I", 2),
    )
    mdhd = _box(b"mdhd", bytes(4) + struct.pack(">IIIIHH", 0, 0, 44100, ticks * 441 // 10, 0, 0))
    decoder = bytes([0x04, 13, object_type, 0x15]) + bytes(11)
    es = bytes([0x03, 3 + len(decoder), 0x00, 0x01, 0x00]) + decoder
    esds = _box(b"esds", bytes(4) + es)
    entry = _box(
        sample_entry,
        bytes(6)
        + struct.pack(">H", 1)
        + bytes(8)
        + struct.pack(">HHHH", 1, 16, 0, 0)
        + struct.pack(">I", 44100 << 16)
        + esds,
    )
    stsd = _box(b"stsd", bytes(4) + struct.pack(">I", 1) + entry)
    hdlr = _box(b"hdlr", bytes(8) + b"soun" + bytes(12) + b"\x00")
    trak = _box(b"trak", _box(b"mdia", mdhd + hdlr + _box(b"minf", _box(b"stbl", stsd))))
    return ftyp + _box(b"moov", mvhd + trak) + _box(b"mdat", bytes(64))


def adts(seconds: float, *, rate_index: int = 8) -> bytes:
    """Raw AAC-LC frames (ADTS), mono, 16 kHz by default, `seconds` long."""
    rate = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000)[rate_index]
    frames = math.ceil(seconds * rate / 1024)
    length = 7 + 16
    header = bytes(
        [
            0xFF,
            0xF1,
            (1 << 6) | (rate_index << 2),
            (1 << 6) | (length >> 11),
            (length >> 3) & 0xFF,
            ((length & 7) << 5) | 0x1F,
            0xFC,
        ]
    )
    return (header + bytes(16)) * frames


def write(path: Path, data: bytes) -> Path:
    """Write a sample recording, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
