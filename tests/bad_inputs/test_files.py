"""Bad files users send, through the Telegram adapter against its fake, over HTTP.

A reporter at a report's photos step, an officer at a deadline's file step and a villager at a
question's step (which takes photos and voice) each send what a broken phone or a hostile user
might: cut-off and fake images, decompression bombs, web pages and scripts posing as photos,
archives with too many parts, path-traversal file names, voice that is no audio. Each case says
what the user reads; nothing refused may be stored (no row, no file left in MEDIA_DIR).
"""

from __future__ import annotations

import asyncio
import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.app import Loa
from bot.core.archives import DOCUMENT_LIMITS
from bot.core.clock import FrozenClock
from bot.core.config import Settings
from db.models import ReportMedia, Role, Submission, Ticket
from tests.bad_inputs.common import Expect, Reads, files_under, judged
from tests.channels.telegram import polling
from tests.fakes.runtime import jpeg, running
from tests.fakes.telegram import FakeTelegram
from tests.fixtures.reporting import invite_codes, joined, png_bomb
from tests.helpers import Chat
from tests.test_deadlines import PDF, WORD_TYPE
from tests.test_report_flow import _to_photos

SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="90000" '
    b'height="90000"><script>alert(1)</script><rect width="1" height="1"/></svg>'
)

# What each refusal says (msgids; the Vietnamese text is checked).
NOT_PHOTO = "it is not a photo."
KIND_REFUSED = "this kind of picture file is not accepted. Please send a JPEG or PNG photo."
TOO_MANY_PIXELS = "the picture has too many pixels. Please send a smaller photo."
DAMAGED = "the file is damaged. Please send it again."
PHOTO_TOO_LARGE = "it is larger than {limit} MB. Please send a smaller photo."
ONLY_DOCUMENTS = (
    "I can only take PDF, Word (.docx) or Excel (.xlsx) files. Send one of those, or type a note."
)
DOCUMENT_DAMAGED = "That file seems damaged or incomplete. Please send it again."
TOO_MUCH_INSIDE = (
    "That file holds too much once unpacked (too many parts, or too large inside). Please save "
    "it as a PDF and send that, or type a note."
)
NOT_VOICE = (
    "it is not a voice recording Loa can keep. Please record a voice message in the chat app."
)


def webp_claiming(width: int, height: int) -> bytes:
    """A lossless WebP header claiming `width` × `height` pixels, with no image behind it."""
    bits = (width - 1) | ((height - 1) << 14)
    chunk = b"\x2f" + struct.pack("<I", bits) + b"\0" * 16
    body = b"WEBP" + b"VP8L" + struct.pack("<I", len(chunk)) + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


def bmp_claiming(width: int, height: int) -> bytes:
    """A BMP header claiming `width` × `height` pixels of 24 bits, with a few bytes behind."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 54 + 64, 0, 0, 54) + info + b"\0" * 64


def ooxml(entries: int, main_type: str, folder: str) -> bytes:
    """A .docx or .xlsx with `entries` empty parts besides its own."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types><Override PartName="/{folder}x.xml" ContentType="{main_type}"/></Types>',
        )
        archive.writestr(f"{folder}x.xml", "<x/>")
        for number in range(entries):
            archive.writestr(f"{folder}media/{number}", b"")
    return buffer.getvalue()


def bomb_png(folder: Path, side: int) -> bytes:
    """A PNG of a few bytes whose header claims side × side pixels."""
    return png_bomb(folder / f"bomb-{side}.png", side).read_bytes()


Send = Callable[[FakeTelegram, int, Path], object]


@dataclass(frozen=True)
class Upload:
    """A file one user sends at their step, and what they must read."""

    name: str
    who: str  # "reporter" (report photos), "officer" (deadline file), "villager" (question)
    send: Send
    expect: Expect
    kept: bool = False  # a legitimate file under a hostile name: stored, under a safe name


def photo(data: bytes | Callable[[Path], bytes], **extra: object) -> Send:
    """Sent as a Telegram photo (what Telegram says is a JPEG)."""
    return lambda tg, user, tmp: tg.photo(user, data(tmp) if callable(data) else data, **extra)


def document(
    data: bytes | Callable[[Path], bytes], file_name: str, mime: str = "application/pdf"
) -> Send:
    """Sent as a file (an image sent so is not re-encoded: people send originals this way)."""

    def send(tg: FakeTelegram, user: int, tmp: Path) -> object:
        raw = data(tmp) if callable(data) else data
        return tg.document(user, raw, mime=mime, file_name=file_name)

    return send


def voice(data: bytes) -> Send:
    """Sent as a voice note."""
    return lambda tg, user, tmp: tg.voice(user, data)


CUT_JPEG = jpeg(640, 480)[: len(jpeg(640, 480)) // 2]

# fmt: off
UPLOADS: tuple[Upload, ...] = (
    # Photos at a report's photos step.
    Upload("truncated JPEG", "reporter", photo(CUT_JPEG), Reads(DAMAGED)),
    Upload("HTML as a photo", "reporter", photo(HTML), Reads(NOT_PHOTO)),
    Upload("PDF as a photo", "reporter", photo(PDF), Reads(NOT_PHOTO)),
    Upload("empty photo", "reporter", photo(b""), Reads(NOT_PHOTO)),
    Upload(
        "photo over the size limit, by its announced size",
        "reporter",
        photo(jpeg(), announce_size=200 * 1024 * 1024),
        Reads(PHOTO_TOO_LARGE),
    ),
    Upload(
        "SVG with a script",
        "reporter",
        document(SVG, "a.svg", "image/svg+xml"),
        Reads(NOT_PHOTO),
    ),
    Upload(
        "HTML named .jpg", "reporter", document(HTML, "a.jpg", "image/jpeg"), Reads(NOT_PHOTO)
    ),
    Upload(
        "PNG bomb, 100 000 × 100 000",
        "reporter",
        document(lambda tmp: bomb_png(tmp, 100_000), "bomb.png", "image/png"),
        Reads(TOO_MANY_PIXELS),
    ),
    Upload(
        "PNG of 5000 × 5000 (over the lossless limit)",
        "reporter",
        document(lambda tmp: bomb_png(tmp, 5000), "big.png", "image/png"),
        Reads(TOO_MANY_PIXELS),
    ),
    Upload(
        "WebP claiming 16383 × 16383",
        "reporter",
        document(webp_claiming(16383, 16383), "big.webp", "image/webp"),
        Reads(TOO_MANY_PIXELS),
    ),
    Upload(
        "BMP claiming 100 000 × 100 000",
        "reporter",
        document(bmp_claiming(100_000, 100_000), "big.bmp", "image/bmp"),
        Reads(TOO_MANY_PIXELS),
    ),
    # Documents at a deadline's file step.
    Upload("path traversal in a file name", "officer",
           document(PDF, "../../../../../etc/cron.d/loa.pdf"),
           Reads("Tệp: loa.pdf", literal=True), kept=True),
    Upload("Windows path traversal in a file name", "officer",
           document(PDF, "..\\..\\Windows\\win.ini.pdf"),
           Reads("Tệp: win.ini.pdf", literal=True), kept=True),
    Upload("markup in a file name", "officer",
           document(PDF, "<b>bc</b><img src=x onerror=1>.pdf"),
           Reads("Tệp: b><img src=x onerror=1>.pdf", literal=True), kept=True),  # as typed
    Upload("right-to-left override in a file name", "officer",
           document(PDF, "bao-cao\u202efdp.exe"),
           Reads("Tệp: bao-caofdp.exe.pdf", literal=True), kept=True),  # named as what it is
    Upload(".docx with too many entries", "officer",
           document(ooxml(DOCUMENT_LIMITS.max_entries + 1, WORD_TYPE, "word/"), "bc.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
           Reads(TOO_MUCH_INSIDE)),
    Upload(".xlsx with too many entries", "officer",
           document(ooxml(DOCUMENT_LIMITS.max_entries + 1, SHEET_TYPE, "xl/"), "so-lieu.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           Reads(TOO_MUCH_INSIDE)),
    Upload("HTML named .pdf", "officer", document(HTML, "bao-cao.pdf"), Reads(ONLY_DOCUMENTS)),
    Upload("a program named .pdf", "officer", document(b"MZ\x90\0" + b"\0" * 200, "bc.pdf"),
           Reads(ONLY_DOCUMENTS)),
    Upload("a PDF cut off in transit", "officer", document(PDF[:20], "bao-cao.pdf"),
           Reads(DOCUMENT_DAMAGED)),
    Upload("an empty document", "officer", document(b"", "bao-cao.pdf"), Reads(ONLY_DOCUMENTS)),
    # Voice at a question's step.
    Upload("a JPEG as voice", "villager", voice(jpeg()), Reads(NOT_VOICE)),
    Upload("a web page as voice", "villager", voice(HTML), Reads(NOT_VOICE)),
    Upload("random bytes as voice", "villager", voice(bytes(range(256)) * 8), Reads(NOT_VOICE)),
)
# fmt: on


async def member(loa: Loa, user: str, role: Role, unit: str) -> Chat:
    """A Telegram user who joined with an invite for `role` of `unit`, in Vietnamese."""
    chat = Chat(loa.engine, user=user, channel="telegram")
    (code,) = await invite_codes(loa, role, unit)
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    await chat.send(f"/join {code}")
    return chat


async def reporter_at_photos(loa: Loa, user: str) -> None:
    """A reporter of Ia Tơi at a new report's photos step."""
    await _to_photos(await member(loa, user, Role.reporter, "ia-toi"))


async def officer_at_file(loa: Loa, user: str) -> None:
    """An officer of Ia Dom asked for the half-year report's file."""
    chat = await member(loa, user, Role.officer, "ia-dom")
    await chat.send("/submit")
    await chat.press("Báo cáo 6 tháng")
    assert "tệp" in chat.text.casefold(), chat.text


async def villager_at_question(loa: Loa, user: str) -> None:
    """A Telegram villager of Ia Tơi asked to type (or say) their question."""
    chat = Chat(loa.engine, user=user, channel="telegram")
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    await chat.press("Xã Ia Tơi")
    await chat.send("/question")
    await chat.press("Gửi kèm tên tôi")


async def _count(loa: Loa, model: type[object]) -> int:
    async with loa.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_telegram_file_corpus(
    settings: Settings, loa: Loa, clock: FrozenClock, tmp_path: Path
) -> None:
    clock.set(datetime(2027, 6, 5, 10, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))  # a deadline open
    await joined(loa, "officer-toi", Role.officer, "ia-toi")  # someone to ask
    users = {"reporter": 7_200_001, "officer": 7_200_002, "villager": 7_200_003}
    await reporter_at_photos(loa, str(users["reporter"]))
    await officer_at_file(loa, str(users["officer"]))
    await villager_at_question(loa, str(users["villager"]))
    media = settings.media_dir
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    wrong: list[str] = []
    async with FakeTelegram() as tg, running(polling(settings, tg), loa):
        for case in UPLOADS:
            user = users[case.who]
            seen = len(tg.sent(user))
            before = files_under(media)
            case.send(tg, user, inputs)
            await tg.wait_sent(user, seen + 1)
            problem = judged(loa, case.expect, tg.texts(user)[seen:])
            added = {f for f in files_under(media) - before if not f.startswith("incoming/")}
            if not case.kept and added:
                problem = f"stored {sorted(added)}"
            if problem:
                wrong.append(f"{case.name}: {problem}")
    assert not wrong, "\n".join(wrong)
    assert await _count(loa, ReportMedia) == 0
    assert await _count(loa, Ticket) == 0
    assert await _count(loa, Submission) == 0  # files wait for the officer's confirmation
    # Nothing was written beside MEDIA_DIR, whatever the file names said.
    assert {f.split("/")[0] for f in files_under(tmp_path)} <= {"media", "inputs"}
    assert not await asyncio.to_thread(Path("/etc/cron.d/loa.pdf").exists)
    assert not [f for f in files_under(media) if f.startswith("incoming/")]  # spool emptied


def test_the_file_table_is_large_enough() -> None:
    assert len(UPLOADS) >= 20
    assert len({case.name for case in UPLOADS}) == len(UPLOADS)
