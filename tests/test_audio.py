"""Recorded topics: containers checked without ffmpeg, "Listen" on pages, a voice reply.

Recordings here are built in code (tests/audio_samples.py); sample translations use the
test-only language `xtest`.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Loa
from bot.content.audio import MAX_BYTES, AudioError, check, probe
from bot.core.chat import AttachmentKind
from bot.core.clock import FrozenClock
from bot.core.config import ROOT
from tests import audio_samples as samples
from tests.helpers import Chat, isolated_settings, tree_with_xtest
from tests.test_cli import run_loa


def test_recordings_are_read_from_their_container_headers(tmp_path: Path) -> None:
    ogg = probe(samples.write(tmp_path / "a.ogg", samples.ogg_opus(12.5)))
    assert (ogg.container, ogg.codec, ogg.duration, ogg.channels) == ("ogg", "opus", 12.5, 1)
    m4a = probe(samples.write(tmp_path / "a.m4a", samples.m4a(30.2)))
    assert (m4a.container, m4a.codec, m4a.duration, m4a.sample_rate) == ("mp4", "aac", 30.2, 44100)
    aac = probe(samples.write(tmp_path / "a.aac", samples.adts(7.0)))
    assert (aac.container, aac.codec, aac.sample_rate) == ("adts", "aac", 16000)
    assert aac.duration == pytest.approx(7.0, abs=0.07)
    for path in tmp_path.iterdir():
        assert check(path).errors == []


def test_check_names_wrong_codecs_lengths_sizes_and_broken_files(tmp_path: Path) -> None:
    def errors(name: str, data: bytes) -> str:
        return " ".join(check(samples.write(tmp_path / name, data)).errors)

    assert "holds vorbis in ogg" in errors("vorbis.ogg", samples.ogg_opus(3, codec=b"vorbis"))
    assert "holds alac in mp4" in errors("alac.m4a", samples.m4a(3, sample_entry=b"alac"))
    assert "holds mp3 in mp4" in errors("mp3.m4a", samples.m4a(3, object_type=0x6B))
    assert "keep a recording under 600 s" in errors("long.ogg", samples.ogg_opus(601))
    assert "no ADTS frame sync" in errors("text.aac", b"this is not audio at all")
    assert "junk.ogg: not an Ogg page" in errors("junk.ogg", b"RIFF....WAVEfmt " * 4)
    assert "cut.m4a: MP4 box" in errors("cut.m4a", samples.m4a(3)[:-20])
    huge = tmp_path / "huge.ogg"
    with huge.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: size is what is checked first
    assert f"more than {MAX_BYTES}" in " ".join(check(huge).errors)
    big = check(samples.write(tmp_path / "big.ogg", samples.ogg_opus(420, padding=1_100_000)))
    assert big.errors == []
    assert "Telegram plays voice notes up to" in big.warnings[0]
    with pytest.raises(AudioError):
        probe(tmp_path / "missing.ogg")


def test_content_check_validates_every_recording(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    samples.write(content / "vi" / "lien-he.ogg", samples.ogg_opus(40))
    samples.write(content / "vi" / "lien-he.aac", samples.adts(40))
    samples.write(content / "vi" / "ke-hoach.ogg", samples.ogg_opus(5, codec=b"vorbis"))
    samples.write(content / "vi" / "no-such-topic.m4a", samples.m4a(5))
    result = run_loa("content", "check", "--content-dir", str(content))
    assert result.returncode == 1
    assert "vi/ke-hoach.ogg: holds vorbis in ogg" in result.stderr
    assert "vi/no-such-topic.m4a: recording of a topic that has no vi page" in result.stderr
    assert "lien-he" not in result.stderr
    (content / "vi" / "ke-hoach.ogg").unlink()
    (content / "vi" / "no-such-topic.m4a").unlink()
    result = run_loa("content", "check", "--content-dir", str(content))
    assert result.returncode == 0, result.stderr


@pytest.fixture
async def recorded(
    tmp_path: Path, database_url: str, tmp_media: Path, clock: FrozenClock, loa: Loa
) -> AsyncIterator[Loa]:
    """Loa with recordings: contacts in vi (three encodings), feedback in xtest, a bad one."""
    tree_with_xtest(tmp_path)
    locales, content = tmp_path / "locales", tmp_path / "content"
    samples.write(content / "vi" / "lien-he.ogg", samples.ogg_opus(75.4))
    samples.write(content / "vi" / "lien-he.m4a", samples.m4a(75.4))
    samples.write(content / "vi" / "lien-he.aac", samples.adts(75.4))
    samples.write(content / "xtest" / "gui-phan-anh.m4a", samples.m4a(20))
    samples.write(content / "vi" / "ke-hoach.ogg", samples.ogg_opus(5, codec=b"vorbis"))
    settings = isolated_settings(
        database_url,
        tmp_media,
        locales_dir=locales,
        content_dir=content,
        languages=("vi", "xtest"),
    )
    app = await Loa.start(settings, clock=clock)
    yield app
    await app.close()


async def test_a_page_with_a_recording_offers_listen_and_sends_a_voice_message(
    recorded: Loa,
) -> None:
    chat = Chat(recorded.engine, user="listener")
    await chat.script("/start", "[Tiếng Việt]", "[Bỏ qua]", "[Liên hệ]")
    assert chat.choices[0].label == "🔊 Nghe đọc"
    await chat.press("Nghe đọc")
    reply = chat.last[-1]
    voice = reply.attachment
    assert voice is not None and voice.kind is AttachmentKind.voice
    assert "Liên hệ cơ quan phụ trách" in chat.text
    assert "bằng tiếng Việt" not in chat.text
    # Telegram sends the Ogg Opus voice note, Zalo an AAC URL: each picks its encoding.
    assert voice.path.name == "lien-he.ogg"
    assert voice.variant(".ogg") == voice.path
    assert voice.variant(".aac", ".m4a") is not None
    assert voice.variant(".aac", ".m4a").name == "lien-he.aac"  # type: ignore[union-attr]
    assert voice.variant(".m4a").name == "lien-he.m4a"  # type: ignore[union-attr]
    assert voice.duration == 75
    labels = [c.label for c in chat.choices]
    assert "🔊 Nghe đọc" not in labels
    assert "🏠 Menu chính" in labels
    # A page without a usable recording offers none (ke-hoach's file is Vorbis, refused).
    await chat.send("/menu")
    await chat.press("Kế hoạch truyền thông")
    assert "Nghe đọc" not in [c.label for c in chat.choices]


async def test_recordings_fall_back_to_vietnamese_with_a_note(recorded: Loa) -> None:
    chat = Chat(recorded.engine, user="listener-xt")
    await chat.script("/start", "[Test language]", "[Bỏ qua]", "[Liên hệ]", "[Nghe đọc]")
    assert "(Bản ghi âm này bằng tiếng Việt.)" in chat.text
    assert chat.last[-1].attachment is not None
    await chat.deliver(chat_event(chat, "v1:t:gui-phan-anh"))  # the page, as search opens it
    await chat.press("Nghe đọc")
    voice = chat.last[-1].attachment
    assert voice is not None
    assert voice.path.parent.name == "xtest"
    assert voice.variant(".ogg") is None  # no Opus version: Telegram would send the M4A
    assert "bằng tiếng Việt" not in chat.text


async def test_a_listen_button_without_a_recording_is_answered_politely(recorded: Loa) -> None:
    chat = Chat(recorded.engine, user="listener-2")
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    for payload in ("v1:listen:ke-hoach", "v1:listen:no-such-topic", "v1:listen"):
        await chat.deliver(chat_event(chat, payload))
        assert "Xin lỗi, trang này chưa có bản ghi âm." in chat.text


def chat_event(chat: Chat, payload: str):  # type: ignore[no-untyped-def]
    """A button press with a given payload (as a stale or forged button would send)."""
    from bot.core.chat import Incoming, Kind
    from tests.helpers import fresh_update_id

    return Incoming(chat.channel, chat.user, fresh_update_id(), Kind.choice, choice=payload)
