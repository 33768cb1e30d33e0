"""Security regressions: who makes Loa download, from where, and what a transient failure does."""

from __future__ import annotations

import errno
import io
import os
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import Loa
from bot.channels.files import PublicFiles
from bot.channels.zalo import media_host_allowed
from bot.core.archives import (
    DOCUMENT_LIMITS,
    WORKBOOK_LIMITS,
    ArchiveTooLarge,
    ZipLimits,
    check_zip,
)
from bot.core.chat import Incoming, Kind
from bot.core.clock import FrozenClock
from bot.core.config import Settings
from bot.core.signing import Signer
from bot.delivery.outbox import OutboxWorker
from bot.reports.documents import sniff
from bot.reports.media import MediaProblem, MediaRejected
from bot.scheduler import purge_stale_media
from db.models import Broadcast, Report, ReportMedia, Role, User
from tests.channels.telegram import USER as TG_USER
from tests.channels.telegram import TelegramDriver
from tests.channels.telegram import polling as tg_polling
from tests.channels.zalo import USER as ZALO_USER
from tests.channels.zalo import polling as zalo_polling
from tests.fakes.runtime import jpeg as jpeg_bytes
from tests.fakes.runtime import running
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo
from tests.fixtures.reporting import invite_codes, joined, jpeg, ref, send_photos
from tests.helpers import Chat, RecordingSender
from tests.test_cli import run_loa
from tests.test_deadlines import PDF, WORD_TYPE, document, submissions
from tests.test_planner import person, rows
from tests.test_report_flow import _reports, _to_photos
from tests.test_review import _last_message, _press_in, _submit, outbox_replies
from tests.test_tickets import ask, at_the_question, tickets, villager


def field_photo(tmp_path: Path, update_id: str) -> Incoming:
    """The reporter's photo of the activity, as the update `update_id` brings it."""
    photo = ref(jpeg(tmp_path / "field.jpg"))
    return Incoming("test", "reporter", update_id, Kind.photo, media=(photo,))


async def reporter_on(loa: Loa, channel: str, user: str) -> Chat:
    """A reporter of Ia Tơi on `channel`, at the photos step of a new report."""
    chat = Chat(loa.engine, user=user, channel=channel)
    (code,) = await invite_codes(loa, Role.reporter, "ia-toi")
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    await chat.send(f"/join {code}")
    await _to_photos(chat)
    return chat


async def _media_rows(loa: Loa) -> list[ReportMedia]:
    async with loa.db.session() as session:
        return list((await session.execute(select(ReportMedia))).scalars())


# --- downloads ----------------------------------------------------------------------------------


async def test_zalo_files_are_fetched_only_when_the_users_step_takes_them(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    villager = "0a0b0c0d0e0f"
    url = zl.host(jpeg_bytes(800, 600))
    async with running(zalo_polling(settings, zl), loa):
        zl.image(villager, url)
        await zl.wait_sent(villager, 1)
        assert not zl.called("cdn")  # nobody can make Loa fetch a file it would not keep
        assert "ở đây tôi chưa dùng được ảnh" in zl.last_text(villager)
        await reporter_on(loa, "zalo", ZALO_USER)
        zl.image(ZALO_USER, url)
        await zl.wait_sent(ZALO_USER, 1)
    assert len(zl.called("cdn")) == 1
    assert "Đã lưu 1 ảnh" in zl.last_text(ZALO_USER)
    assert len(await _media_rows(loa)) == 1


async def test_telegram_files_are_fetched_only_when_the_users_step_takes_them(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    async with running(tg_polling(settings, tg), loa):
        tg.photo(TG_USER, jpeg_bytes())
        await tg.wait_sent(TG_USER, 1)
        assert not tg.called("getFile") and not tg.called("file")
        await reporter_on(loa, "telegram", str(TG_USER))
        tg.photo(TG_USER, jpeg_bytes(colour="green"))
        await tg.wait_sent(TG_USER, 2)
    assert len(tg.called("getFile")) == 1
    assert len(await _media_rows(loa)) == 1


def test_zalo_media_urls_must_be_https_on_zalo_hosts() -> None:
    hosts = ("zdn.vn", "zalo.me", "127.0.0.1")
    assert media_host_allowed("https://f21-zpc.zdn.vn/jpg/1/a.jpg", hosts)
    assert media_host_allowed("https://zalo.me/a.jpg", hosts)
    assert media_host_allowed("http://127.0.0.1:8080/cdn/a.jpg", hosts)  # loopback: tests
    for refused in (
        "http://f21-zpc.zdn.vn/jpg/1/a.jpg",  # no TLS
        "https://zdn.vn.evil.example/a.jpg",
        "https://evilzdn.vn/a.jpg",
        "https://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "https://user@/a.jpg",
        "",
    ):
        assert not media_host_allowed(refused, hosts), refused


async def test_zalo_media_redirects_and_other_hosts_are_not_followed(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    picture = zl.host(jpeg_bytes(800, 600))
    redirecting = zl.redirect(picture)
    elsewhere = picture.replace("127.0.0.1", "localhost")  # a host not in ZALO_MEDIA_HOSTS
    async with running(zalo_polling(settings, zl), loa):
        await reporter_on(loa, "zalo", ZALO_USER)
        zl.image(ZALO_USER, redirecting)
        await zl.wait_sent(ZALO_USER, 1)
        zl.image(ZALO_USER, elsewhere)
        await zl.wait_sent(ZALO_USER, 2)
    # The redirect was asked for once and not followed; the other host never at all.
    assert len(zl.called("cdn")) == 1
    assert all("không được thêm" in text for text in zl.texts(ZALO_USER)[-2:])
    assert await _media_rows(loa) == []


# --- transient failures ---------------------------------------------------------------------


async def test_a_full_disk_mid_photo_is_apologised_and_the_redelivery_is_handled(
    loa: Loa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reporter = await reporter_on(loa, "test", "reporter")
    event = field_photo(tmp_path, "photo-update-1")
    real_write = Path.write_bytes

    def full_disk(self: Path, data: bytes) -> int:
        if self.name.endswith(".tmp"):
            real_write(self, data[:10])  # part of it made it to the disk
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    await reporter.deliver(event)
    monkeypatch.undo()
    assert "Không có gì được lưu" in reporter.text
    assert not [p for p in loa.settings.media_dir.rglob("*") if p.is_file()]
    async with loa.db.session() as session:
        (draft,) = (await session.execute(select(Report))).scalars().all()
    assert draft.status == "draft"  # the draft survives, as it was
    assert await _media_rows(loa) == []

    # The platform delivers the same update again: it is handled, not ignored as a duplicate.
    await reporter.deliver(event)
    assert "Đã lưu 1 ảnh" in reporter.text
    assert len(await _media_rows(loa)) == 1
    await reporter.deliver(event)  # and a third time: now it is a duplicate
    assert reporter.last == []


async def answer_the_officer(loa: Loa, reporter: Chat, answer: str) -> None:
    """The reporter answers the one question queued for them, then says they are done (the
    answer goes to the officer)."""
    (question,) = await outbox_replies(loa.engine, "test", "reporter")
    await _press_in(reporter, question[0], "Trả lời cán bộ")
    await reporter.script(answer, "xong")


# --- review rounds ------------------------------------------------------------------------------


async def test_a_first_round_approve_after_the_reporter_answered_is_refused(
    loa: Loa, tmp_path: Path
) -> None:
    officer = await joined(loa, "officer", Role.officer, "ia-toi")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _submit(reporter, tmp_path)
    (report,) = await _reports(loa)
    first = _last_message(await outbox_replies(loa.engine, "test", "officer"))
    await _press_in(officer, first, "bổ sung")
    await officer.send("Có bao nhiêu hộ tham gia?")
    await answer_the_officer(loa, reporter, "Chỉ có 3 hộ.")
    assert (await _reports(loa))[0].status == "submitted"

    # The officer's first-round buttons are still on their screen: Approve, Reject, Ask.
    await _press_in(officer, first, "Duyệt")
    assert "Người báo cáo đã trả lời sau khi bạn xem báo cáo" in officer.text
    assert (await _reports(loa))[0].status == "submitted"
    await _press_in(officer, first, "Không duyệt")
    assert "Người báo cáo đã trả lời sau khi bạn xem báo cáo" in officer.text
    await officer.send("Sai")  # no reason step was opened: nothing is rejected
    assert (await _reports(loa))[0].status == "submitted"

    # Opening the report shows the answer with second-round buttons, which work.
    await officer.send("/pending")
    await officer.press(f"Xem báo cáo #{report.id}")
    assert "Chỉ có 3 hộ." in officer.text
    await officer.press("Duyệt")
    assert (await _reports(loa))[0].status == "approved"


async def test_a_reason_typed_after_the_round_moved_rejects_nothing(
    loa: Loa, tmp_path: Path
) -> None:
    officer = await joined(loa, "officer", Role.officer, "ia-toi")
    other = await joined(loa, "officer-2", Role.officer, "ia-toi")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _submit(reporter, tmp_path)
    first = _last_message(await outbox_replies(loa.engine, "test", "officer"))
    await _press_in(officer, first, "Không duyệt")  # waits for the reason
    second = _last_message(await outbox_replies(loa.engine, "test", "officer-2"))
    await _press_in(other, second, "bổ sung")
    await other.send("Ảnh nào là buổi họp?")
    await answer_the_officer(loa, reporter, "Ảnh thứ nhất.")
    await officer.then("Ảnh không rõ", "Người báo cáo đã trả lời sau khi bạn xem báo cáo")
    assert (await _reports(loa))[0].status == "submitted"


async def test_telegram_button_answers_go_to_the_presser_only(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    async with running(tg_polling(settings, tg), loa):
        tg.text(TG_USER, "/start")
        await tg.wait_sent(TG_USER, 1)
        group = -100123
        for query_id, chat in (("cb-group", {"id": group, "type": "group"}), ("cb-dm", {})):
            private = {"id": TG_USER, "type": "private"}
            sender = {"id": TG_USER, "is_bot": False, "first_name": "A"}
            query: dict[str, object] = {"id": query_id, "from": sender, "data": "v1:menu"}
            query["message"] = {"message_id": 1, "chat": chat or private}
            tg.queue(tg.update(callback_query=query))
        await tg.wait_sent(TG_USER, 2)
    assert tg.sent(group) == []
    assert len(tg.sent(TG_USER)) == 2


# --- archives ----------------------------------------------------------------------------------


def _zip_with(entries: int = 1, big: int = 0, main: str = WORD_TYPE) -> bytes:
    """A .docx-like ZIP with `entries` empty parts, and one part of `big` zero bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types><Override PartName="/word/document.xml" ContentType="{main}"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
        for number in range(entries):
            archive.writestr(f"word/media/{number}.bin", b"")
        if big:
            with archive.open("word/big.xml", "w") as part:
                chunk = b"\0" * (1024 * 1024)
                for _ in range(big // len(chunk)):
                    part.write(chunk)
    return buffer.getvalue()


def test_a_document_listing_too_many_entries_is_refused_before_it_is_opened() -> None:
    assert sniff(_zip_with(entries=100)) == "docx"
    many = _zip_with(entries=DOCUMENT_LIMITS.max_entries + 1)
    with pytest.raises(MediaRejected) as refused:
        sniff(many)
    assert refused.value.problem is MediaProblem.too_much_inside
    with pytest.raises(ArchiveTooLarge, match="entries"):
        check_zip(many, DOCUMENT_LIMITS)


def test_an_archive_that_inflates_too_far_is_refused_from_its_directory() -> None:
    bomb = _zip_with(big=8 * 1024 * 1024)
    assert len(bomb) < 100_000
    small = ZipLimits(max_total_bytes=4 * 1024 * 1024, max_entry_bytes=4 * 1024 * 1024)
    with pytest.raises(ArchiveTooLarge, match="uncompressed"):
        check_zip(bomb, small)
    check_zip(bomb, DOCUMENT_LIMITS)  # within the real limits it is an ordinary file


def test_a_translator_sheet_with_a_huge_cell_is_refused_before_reading(tmp_path: Path) -> None:
    sheet = tmp_path / "bdq.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/sharedStrings.xml", "w") as part:
            part.write(b"<sst><si><t>")
            chunk = b"a" * (1024 * 1024)
            for _ in range(WORKBOOK_LIMITS.max_entry_bytes // len(chunk) + 1):
                part.write(chunk)
            part.write(b"</t></si></sst>")
    sheet.write_bytes(buffer.getvalue())
    assert sheet.stat().st_size < 200_000
    result = run_loa("i18n", "import", str(sheet), "--dry-run")
    assert result.returncode == 1
    assert "too large for a translator workbook" in result.stderr


# --- media deleted with their last row ------------------------------------------------------


def _files(loa: Loa) -> set[str]:
    root = loa.settings.media_dir
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _digest_files(loa: Loa, digest: str) -> set[str]:
    return {name for name in _files(loa) if digest in name}


async def _draft_media(loa: Loa, external_id: str) -> list[ReportMedia]:
    async with loa.db.session() as session:
        stmt = (
            select(ReportMedia)
            .join(Report, Report.id == ReportMedia.report_id)
            .join(User, User.id == Report.reporter_id)
            .where(User.external_id == external_id)
        )
        return list((await session.execute(stmt)).scalars())


async def test_photos_are_unlinked_with_their_last_row(loa: Loa, tmp_path: Path) -> None:
    shared = ref(jpeg(tmp_path / "shared.jpg", gps=(14.05, 107.5)))
    own = ref(jpeg(tmp_path / "own.jpg", color=(1, 2, 3), gps=(14.1, 107.6)))
    first = await reporter_on(loa, "test", "reporter-1")
    await send_photos(first, shared)
    second = await reporter_on(loa, "test", "reporter-2")
    await send_photos(second, shared, own)
    (shared_row,) = await _draft_media(loa, "reporter-1")
    shared_digest = shared_row.sha256
    (own_digest,) = {m.sha256 for m in await _draft_media(loa, "reporter-2")} - {shared_digest}
    # An EXIF-free public copy was made for a Zalo link: it goes with the photo too.
    files = PublicFiles(loa.settings.media_dir, "k" * 32, "https://loa.example")
    (row,) = [m for m in await _draft_media(loa, "reporter-2") if m.sha256 == own_digest]
    files.url_for(loa.settings.media_dir / row.path)
    assert len(_digest_files(loa, own_digest)) == 3  # original, thumbnail, public copy

    await second.press("Xóa một ảnh")
    await second.press("🗑 Ảnh 2")  # one photo removed: its files go
    assert "Đã xóa ảnh 2." in second.text
    assert _digest_files(loa, own_digest) == set()  # nobody else has it: gone
    await second.press("Xóa một ảnh")
    await second.press("🗑 Ảnh 1")
    assert len(_digest_files(loa, shared_digest)) == 2  # reporter-1's draft still has it

    await first.script("xong", "[Bỏ qua]", "[Xóa báo cáo này]")
    assert "Đã xóa báo cáo" in first.text
    assert _digest_files(loa, shared_digest) == set()


async def test_stale_drafts_and_orphan_files_are_swept(
    loa: Loa, clock: FrozenClock, tmp_path: Path
) -> None:
    old = await reporter_on(loa, "test", "old-draft")
    await send_photos(old, ref(jpeg(tmp_path / "old.jpg")))
    clock.advance(timedelta(days=loa.settings.retention_days_drafts - 2))
    recent = await reporter_on(loa, "test", "recent-draft")
    await send_photos(recent, ref(jpeg(tmp_path / "recent.jpg", color=(5, 5, 5))))
    (old_row,) = await _draft_media(loa, "old-draft")
    (recent_row,) = await _draft_media(loa, "recent-draft")
    root = loa.settings.media_dir
    orphan = root / "ee" / "ff" / f"eeff{'0' * 60}.pdf"  # a document no row refers to
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(PDF)
    young_orphan = root / "ee" / "ff" / f"eeff{'1' * 60}.pdf"
    young_orphan.write_bytes(PDF)
    day_ago = time.time() - 2 * 24 * 3600
    for path in (orphan, root / recent_row.path, root / recent_row.thumb_path):
        os.utime(path, (day_ago, day_ago))
    clock.advance(timedelta(days=3))

    purged = await purge_stale_media(loa)
    assert purged.drafts == 1
    assert _digest_files(loa, old_row.sha256) == set()
    assert not orphan.exists()
    assert young_orphan.exists()  # may belong to a row being committed: kept a day
    assert len(_digest_files(loa, recent_row.sha256)) == 2  # its draft is recent
    assert await _draft_media(loa, "old-draft") == []
    await old.then("xong", "Báo cáo này đã được gửi hoặc đã bị xóa")


@pytest.mark.parametrize("typed", [False, True], ids=["button", "typed"])
async def test_a_document_sent_with_submit_is_deleted_on_cancel(
    typed: bool, loa: Loa, clock: FrozenClock, tmp_path: Path
) -> None:
    clock.set(datetime(2027, 6, 5, 10, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))  # a deadline open
    await person(loa, "dom", Role.officer, "ia-dom")
    chat = Chat(loa.engine, user="dom")
    await chat.send("/submit")
    await chat.press("Báo cáo 6 tháng")
    assert await loa.engine.files_taken("test", "dom") == {Kind.document}
    await chat.event(Kind.document, media=(document(tmp_path / "first.pdf", PDF),))
    other = PDF.replace(b"endobj", b"endobj % v2")
    await chat.event(Kind.document, media=(document(tmp_path / "second.pdf", other),))
    assert "Tệp: second.pdf" in chat.text
    assert len(_files(loa)) == 1  # the replaced file is gone already
    if typed:
        await chat.send("/cancel")
    else:
        await chat.press("Hủy")
    assert "Đã hủy. Chưa ghi nhận gì." in chat.text
    assert _files(loa) == set()
    assert await submissions(loa) == []


async def test_telegram_redelivers_an_update_a_full_disk_interrupted(
    settings: Settings, loa: Loa, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = Path.write_bytes
    failures = [1]

    def full_once(self: Path, data: bytes) -> int:
        if self.name.endswith(".tmp") and failures:
            failures.pop()
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    async with running(TelegramDriver(settings, "webhook", tg).settings(), loa):
        await reporter_on(loa, "telegram", str(TG_USER))
        monkeypatch.setattr(Path, "write_bytes", full_once)
        update = tg.photo(TG_USER, jpeg_bytes())
        await tg.wait_for(lambda: (update["update_id"], 200) in tg.webhook_answers)
    answers = [status for uid, status in tg.webhook_answers if uid == update["update_id"]]
    assert answers == [500, 200]  # left unrecorded, so Telegram's second try was handled
    texts = tg.texts(TG_USER)
    assert "Không có gì được lưu" in texts[-2]
    assert "Đã lưu 1 ảnh" in texts[-1]
    assert len(await _media_rows(loa)) == 1
    assert not list(settings.media_dir.rglob("*.tmp"))


async def test_an_update_failing_again_and_again_is_given_up_after_three_tries(
    loa: Loa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reporter = await reporter_on(loa, "test", "reporter")
    event = field_photo(tmp_path, "photo-update-9")

    def broken_disk(self: Path, data: bytes) -> int:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(Path, "write_bytes", broken_disk)
    answers = [len(await reporter.deliver(event)) for _ in range(3)]
    monkeypatch.undo()
    assert answers == [1, 0, 0]  # one apology, not one per redelivery
    assert await reporter.deliver(event) == []  # recorded now: a fourth delivery is ignored
    assert await _media_rows(loa) == []


def test_one_signer_binds_purpose_message_and_expiry() -> None:
    media, exports = Signer("s" * 32, "media"), Signer("s" * 32, "exports")
    token = media.sign("ab/cd/x.jpg", 2_000_000_000)
    assert media.verify(token, "ab/cd/x.jpg", now=1_900_000_000)
    assert not media.verify(token, "ab/cd/x.jpg", now=2_000_000_001)  # expired
    assert not media.verify(token, "ab/cd/y.jpg", now=1_900_000_000)  # another file
    assert not exports.verify(token, "ab/cd/x.jpg", now=1_900_000_000)  # another kind of link
    assert not Signer("t" * 32, "media").verify(token, "ab/cd/x.jpg", now=1_900_000_000)
    expiry, mac = token.split(".")
    assert media.verify_mac(expiry, mac, "ab/cd/x.jpg", now=1_900_000_000)
    for forged in ("", ".", f"{expiry}.", f"9{expiry}.{mac}", f"{expiry}.{'0' * 32}", mac):
        assert not media.verify(forged, "ab/cd/x.jpg", now=1_900_000_000), forged


def test_a_link_can_be_made_shorter_than_the_default(tmp_path: Path) -> None:
    now = [1_900_000_000.0]
    files = PublicFiles(tmp_path, "k" * 32, "https://loa.example", clock=lambda: now[0])
    report = tmp_path / "export.xlsx"
    report.write_bytes(b"PK\x03\x04 workbook")
    url = files.url_for(report, valid_for=60)
    assert url is not None
    token, relative = url.removeprefix("https://loa.example/media/").split("/", 1)
    assert files.resolve(token, relative) is not None
    now[0] += 61
    assert files.resolve(token, relative) is None


async def test_a_ticket_photo_is_downloaded_kept_by_the_sweep_and_forgotten_with_its_copy(
    loa: Loa, tmp_path: Path
) -> None:
    chat = await at_the_question(loa)
    # The question step takes photos and voice messages: the channels download those only.
    assert await loa.engine.files_taken("test", "v") == {Kind.photo, Kind.voice}
    await chat.event(Kind.photo, media=(ref(jpeg(tmp_path / "d.jpg")),))
    (ticket,) = await tickets(loa)
    assert ticket.media_path is not None
    digest = Path(ticket.media_path).name.split(".", 1)[0]
    files = PublicFiles(loa.settings.media_dir, "k" * 32, "https://loa.example")
    files.url_for(loa.settings.media_dir / ticket.media_path)  # an EXIF-free public copy
    assert len(_digest_files(loa, digest)) == 3  # original, thumbnail, public copy
    long_ago = time.time() - 30 * 24 * 3600
    for path in loa.settings.media_dir.rglob(f"{digest}.*"):
        os.utime(path, (long_ago, long_ago))

    await purge_stale_media(loa)
    assert len(_digest_files(loa, digest)) == 3  # the ticket refers to it: not an orphan

    await chat.send("/forgetme")
    await chat.then("[Có, xóa dữ liệu]", "Dữ liệu của bạn đã được xóa")
    assert _digest_files(loa, digest) == set()  # the public copy went with the photo


async def test_a_broadcast_photo_is_downloaded_and_kept_by_the_sweep(
    loa: Loa, tmp_path: Path
) -> None:
    admin = await joined(loa, "admin", Role.admin, "ia-hdrai")
    await admin.send("/broadcast")
    await admin.send("Họp thôn tối thứ Bảy")
    assert await loa.engine.files_taken("test", "admin") == {Kind.photo}
    await admin.event(Kind.photo, media=(ref(jpeg(tmp_path / "hop.jpg")),))
    await admin.press("Xã Ia Tơi")
    await admin.press("Tiếp tục")  # no translation
    await admin.press("Ngay bây giờ")
    await admin.press("Gửi")
    async with loa.db.session() as session:
        (photo_path,) = (await session.execute(select(Broadcast.photo_path))).scalars()
    assert photo_path is not None
    digest = Path(photo_path).name.split(".", 1)[0]
    long_ago = time.time() - 30 * 24 * 3600
    for path in loa.settings.media_dir.rglob(f"{digest}.*"):
        os.utime(path, (long_ago, long_ago))
    await purge_stale_media(loa)
    assert len(_digest_files(loa, digest)) == 2  # the broadcast refers to it: kept


async def test_old_message_texts_are_emptied_and_their_rows_kept(
    loa: Loa, clock: FrozenClock
) -> None:
    await joined(loa, "officer-toi", Role.officer, "ia-toi")
    chat = await villager(loa, "v", "ia-toi")
    await ask(chat, "Khi nào xã phát gạo hỗ trợ?")
    sender = RecordingSender()
    await OutboxWorker(loa.db, {"test": sender}, loa.settings, clock).flush()
    assert any("Khi nào xã phát gạo" in t for t in sender.texts("officer-toi"))
    # A message queued later and still waiting keeps its text whatever its age.
    clock.advance(timedelta(days=loa.settings.retention_days_outbox - 1))
    clock.set(clock.now().replace(hour=2))  # 09:00 in Vietnam, outside the quiet hours
    await ask(chat, "Xin hỏi thêm về nước sạch.")
    clock.advance(timedelta(days=2))

    purged = await purge_stale_media(loa)
    assert purged.texts == 1
    notices = [row for row in await rows(loa) if row.kind == "ticket"]
    sent, waiting = notices
    assert (sent.state, sent.payload, sent.erased_at) == ("sent", {"replies": []}, clock.now())
    assert "nước sạch" in str(waiting.payload) and waiting.erased_at is None
    assert (await purge_stale_media(loa)).texts == 0  # once
