"""Recorded audio of topic pages: read the container headers, check codec, duration and size.

Telegram plays Ogg Opus as a voice note (`sendVoice`); Zalo's `sendVoice` takes a URL of AAC
audio. So a recording is `content/<lang>/<topic-id>.ogg` (Opus) and/or `.m4a` (AAC in MP4) or
`.aac` (AAC in ADTS frames). Pure Python: no ffmpeg on the servers or in CI. Only the headers
are read; the audio itself is never decoded.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

# Suffix → the (container, codec) it must hold.
EXPECTED = {
    ".ogg": ("ogg", "opus"),
    ".oga": ("ogg", "opus"),
    ".opus": ("ogg", "opus"),
    ".m4a": ("mp4", "aac"),
    ".aac": ("adts", "aac"),
}
AUDIO_SUFFIXES = tuple(EXPECTED)
# Telegram: a voice note up to 1 MB plays inline; larger ones (up to 20 MB) arrive as a file
# (Bot API sendVoice; platform-notes §B). 20 MB is also as much as a village phone should fetch.
VOICE_NOTE_BYTES = 1024 * 1024
MAX_BYTES = 20 * 1024 * 1024
# Editorial: a page read aloud in more than ten minutes loses its listeners; split the topic.
MAX_SECONDS = 600.0

_OPUS_RATE = 48000  # Ogg Opus granule positions always count 48 kHz samples (RFC 7845 §4)
_ADTS_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
# MP4 esds objectTypeIndication values that mean AAC (ISO 14496-1 table 5).
_AAC_OBJECT_TYPES = {0x40: "aac", 0x66: "aac", 0x67: "aac", 0x68: "aac", 0x69: "mp3", 0x6B: "mp3"}


class AudioError(ValueError):
    """A file is not the audio its name promises."""


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What the headers of a recording say."""

    container: str
    codec: str
    duration: float
    size: int
    channels: int | None = None
    sample_rate: int | None = None


@dataclass(frozen=True, slots=True)
class AudioCheck:
    """The verdict on one recording: errors stop it being offered, warnings do not."""

    path: Path
    info: AudioInfo | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def probe(path: Path) -> AudioInfo:
    """Read a recording's container headers; raise AudioError if they are not sound."""
    suffix = path.suffix.lower()
    if suffix not in EXPECTED:
        raise AudioError(f"{path.name}: not a recording Loa sends ({', '.join(EXPECTED)})")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise AudioError(f"{path.name}: {size} bytes, more than {MAX_BYTES}")
        data = path.read_bytes()
    except OSError as exc:
        raise AudioError(f"{path.name}: {exc}") from exc
    parse = {"ogg": _probe_ogg, "mp4": _probe_mp4, "adts": _probe_adts}[EXPECTED[suffix][0]]
    try:
        return parse(data)
    except AudioError as exc:
        raise AudioError(f"{path.name}: {exc}") from exc
    except (struct.error, IndexError) as exc:
        raise AudioError(f"{path.name}: damaged headers ({exc})") from exc


def check(path: Path) -> AudioCheck:
    """Validate a recording: codec for its suffix, duration and size for both channels."""
    try:
        info = probe(path)
    except AudioError as exc:
        return AudioCheck(path, None, errors=[str(exc)])
    errors: list[str] = []
    warnings: list[str] = []
    container, codec = EXPECTED[path.suffix.lower()]
    if (info.container, info.codec) != (container, codec):
        errors.append(
            f"{path.name}: holds {info.codec} in {info.container}; a {path.suffix} file must "
            f"hold {codec} in {container}"
        )
    if info.duration <= 0:
        errors.append(f"{path.name}: no audio (duration 0)")
    elif info.duration > MAX_SECONDS:
        errors.append(
            f"{path.name}: {info.duration:.0f} s long; keep a recording under "
            f"{MAX_SECONDS:.0f} s (split the topic)"
        )
    if container == "ogg" and info.size > VOICE_NOTE_BYTES:
        warnings.append(
            f"{path.name}: {info.size} bytes; Telegram plays voice notes up to "
            f"{VOICE_NOTE_BYTES} bytes inline and sends larger ones as a file"
        )
    return AudioCheck(path, info, errors, warnings)


# --- Ogg Opus (RFC 3533 pages, RFC 7845 Opus mapping) -------------------------------------

_OGG_HEADER = struct.Struct("<4sBBqIIIB")


def _probe_ogg(data: bytes) -> AudioInfo:
    offset = 0
    first_packet = b""
    serial: int | None = None
    last_granule = -1
    while offset < len(data):
        if len(data) - offset < _OGG_HEADER.size:
            raise AudioError(f"truncated Ogg page at byte {offset}")
        magic, version, _flags, granule, page_serial, _seq, _crc, segments = (
            _OGG_HEADER.unpack_from(data, offset)
        )
        if magic != b"OggS" or version != 0:
            raise AudioError(f"not an Ogg page at byte {offset}")
        table_start = offset + _OGG_HEADER.size
        lacing = data[table_start : table_start + segments]
        body_start = table_start + segments
        body_end = body_start + sum(lacing)
        if len(lacing) != segments or body_end > len(data):
            raise AudioError(f"truncated Ogg page at byte {offset}")
        if serial is None:
            serial = page_serial
            first_packet = data[body_start:body_end]
        elif page_serial != serial:
            raise AudioError("more than one Ogg stream (Telegram wants one Opus stream)")
        if granule >= 0:
            last_granule = max(last_granule, granule)
        offset = body_end
    if not first_packet.startswith(b"OpusHead") or len(first_packet) < 19:
        codec = "vorbis" if first_packet[1:7] == b"vorbis" else "unknown"
        return AudioInfo("ogg", codec, 0.0, len(data))
    channels = first_packet[9]
    pre_skip = struct.unpack_from("<H", first_packet, 10)[0]
    input_rate = struct.unpack_from("<I", first_packet, 12)[0]
    samples = max(0, last_granule - pre_skip)
    return AudioInfo("ogg", "opus", samples / _OPUS_RATE, len(data), channels, input_rate or None)


# --- MP4 / M4A (ISO 14496-12 boxes) --------------------------------------------------------


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes between start and end."""
    found = []
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            if offset + 16 > end:
                raise AudioError("truncated MP4 box")
            size = struct.unpack_from(">Q", data, offset + 8)[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            raise AudioError(f"MP4 box {kind!r} overruns the file")
        found.append((kind, offset + header, offset + size))
        offset += size
    return found


def _child(data: bytes, parent: tuple[int, int], kind: bytes) -> tuple[int, int] | None:
    for found, start, end in _boxes(data, *parent):
        if found == kind:
            return start, end
    return None


def _probe_mp4(data: bytes) -> AudioInfo:
    top = _boxes(data, 0, len(data))
    if not top or top[0][0] != b"ftyp":
        raise AudioError("not an MP4 file (no ftyp box first)")
    moov = next(((s, e) for kind, s, e in top if kind == b"moov"), None)
    if moov is None:
        raise AudioError("MP4 file without a moov box")
    mvhd = _child(data, moov, b"mvhd")
    if mvhd is None:
        raise AudioError("MP4 file without a movie header (mvhd)")
    version = data[mvhd[0]]
    if version == 1:
        timescale, duration = struct.unpack_from(">IQ", data, mvhd[0] + 20)
    else:
        timescale, duration = struct.unpack_from(">II", data, mvhd[0] + 12)
    seconds = duration / timescale if timescale else 0.0
    codec = "unknown"
    channels: int | None = None
    rate: int | None = None
    for kind, start, end in _boxes(data, *moov):
        if kind != b"trak":
            continue
        stsd = _find_path(data, (start, end), (b"mdia", b"minf", b"stbl", b"stsd"))
        if stsd is None:
            continue
        # stsd: version/flags, entry count, then sample entries shaped like boxes.
        for entry, e_start, e_end in _boxes(data, stsd[0] + 8, stsd[1]):
            if entry != b"mp4a":
                codec = entry.decode("latin-1").strip()
                continue
            channels, _bits = struct.unpack_from(">HH", data, e_start + 16)
            rate = struct.unpack_from(">I", data, e_start + 24)[0] >> 16
            esds = _child(data, (e_start + 28, e_end), b"esds")
            codec = _esds_codec(data, esds) if esds else "aac"
            break
        if codec == "aac":
            break
    return AudioInfo("mp4", codec, seconds, len(data), channels, rate)


def _find_path(
    data: bytes, box: tuple[int, int], path: tuple[bytes, ...]
) -> tuple[int, int] | None:
    current: tuple[int, int] | None = box
    for kind in path:
        if current is None:
            return None
        current = _child(data, current, kind)
    return current


def _esds_codec(data: bytes, esds: tuple[int, int]) -> str:
    """The codec named by an esds box's decoder config (objectTypeIndication)."""
    offset = esds[0] + 4  # version/flags
    end = esds[1]
    while offset < end:
        tag = data[offset]
        offset += 1
        length = 0
        for _ in range(4):  # expandable size: 7 bits a byte, high bit = more
            byte = data[offset]
            offset += 1
            length = (length << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        if tag == 0x03:  # ES_Descriptor: ES_ID, flags, optional fields, then children
            flags = data[offset + 2]
            offset += 3
            if flags & 0x80:
                offset += 2
            if flags & 0x40:
                offset += 1 + data[offset]
            if flags & 0x20:
                offset += 2
            continue
        if tag == 0x04:  # DecoderConfigDescriptor
            return _AAC_OBJECT_TYPES.get(data[offset], f"object type 0x{data[offset]:02x}")
        offset += length
    return "aac"


# --- ADTS (raw AAC frames, what Zalo's voice URLs hold) ------------------------------------


def _probe_adts(data: bytes) -> AudioInfo:
    offset = 0
    samples = 0
    rate = 0
    channels = 0
    # An ID3 tag in front is common in .aac files written by editors.
    if data.startswith(b"ID3") and len(data) >= 10:
        tag_size = 0
        for byte in data[6:10]:
            tag_size = (tag_size << 7) | (byte & 0x7F)
        offset = 10 + tag_size
    frames = 0
    while offset + 7 <= len(data):
        header = data[offset : offset + 7]
        if header[0] != 0xFF or header[1] & 0xF6 != 0xF0:
            raise AudioError(f"no ADTS frame sync at byte {offset}")
        rate_index = (header[2] >> 2) & 0x0F
        if rate_index >= len(_ADTS_RATES):
            raise AudioError(f"ADTS frame with a reserved sample rate at byte {offset}")
        rate = _ADTS_RATES[rate_index]
        channels = ((header[2] & 0x01) << 2) | (header[3] >> 6)
        length = ((header[3] & 0x03) << 11) | (header[4] << 3) | (header[5] >> 5)
        if length < 7 or offset + length > len(data):
            raise AudioError(f"truncated ADTS frame at byte {offset}")
        samples += 1024 * ((header[6] & 0x03) + 1)
        frames += 1
        offset += length
    if frames == 0:
        raise AudioError("no ADTS frames")
    return AudioInfo("adts", "aac", samples / rate, len(data), channels or None, rate)
