"""Loa's web server, its configuration checks, and secrets kept out of logs."""

from __future__ import annotations

import io
import logging
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from PIL import Image
from pydantic import ValidationError

from bot.app import Loa
from bot.channels.files import PublicFiles
from bot.core.config import ROOT, Settings
from bot.core.logging import install_redaction, redact, secrets_of
from bot.runtime import check_config
from bot.web.server import WebServer, parse_listen
from db.session import Database
from tests.fakes.runtime import channel_settings, free_port, running
from tests.fakes.telegram import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import TOKEN as ZALO_TOKEN
from tests.fakes.zalo import FakeZalo
from tests.fixtures.reporting import jpeg


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def both(
    settings: Settings, loa: Loa
) -> AsyncIterator[tuple[str, Settings, FakeTelegram, FakeZalo]]:
    """Both channels in webhook mode on one server; (base URL, settings, fakes)."""
    port = free_port()
    async with FakeTelegram() as tg, FakeZalo() as zl:
        config = channel_settings(
            settings,
            telegram_token=TELEGRAM_TOKEN,
            telegram_api_base=tg.url,
            telegram_webhook_secret="tg-secret-0123456789abcdefghijklmnop",
            zalo_token=ZALO_TOKEN,
            zalo_api_base=zl.url,
            zalo_webhook_secret="zalo-secret-1234-0123456789abcdefghij",
            webhook_listen=f"127.0.0.1:{port}",
            public_base_url=f"http://127.0.0.1:{port}",
        )
        async with running(config, loa):
            yield f"http://127.0.0.1:{port}", config, tg, zl


async def test_one_server_takes_both_webhooks_and_reports_health(
    both: tuple[str, Settings, FakeTelegram, FakeZalo], http: aiohttp.ClientSession
) -> None:
    base, _, tg, zl = both
    async with http.get(f"{base}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {
            "ok": True,
            "database": True,
            "channels": ["telegram", "zalo"],
        }
    update = tg.update(message=tg._message(7, "A", text="/start"))
    headers = {"X-Telegram-Bot-Api-Secret-Token": "tg-secret-0123456789abcdefghijklmnop"}
    async with http.post(f"{base}/webhook/telegram", json=update, headers=headers) as response:
        assert response.status == 200
    assert len(tg.sent(7)) == 1  # Telegram's update was handled before the answer
    message = zl.message("a1b2c3", "message.text.received", text="/start")
    headers = {"X-Bot-Api-Secret-Token": "zalo-secret-1234-0123456789abcdefghij"}
    async with http.post(f"{base}/webhook/zalo", json=message, headers=headers) as response:
        assert response.status == 200 and await response.json() == {"ok": True}
    await zl.wait_sent("a1b2c3", 1)
    # Each platform's secret opens only its own door.
    headers = {"X-Bot-Api-Secret-Token": "tg-secret-0123456789abcdefghijklmnop"}
    async with http.post(f"{base}/webhook/zalo", json=message, headers=headers) as response:
        assert response.status == 401
    async with http.get(f"{base}/webhook/telegram") as response:
        assert response.status == 405


async def test_health_is_503_when_the_database_is_unreachable(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    db = Database(f"postgresql+asyncpg://loa@127.0.0.1:{free_port()}/none")
    server = WebServer(
        "127.0.0.1:0", db, {}, PublicFiles(tmp_path, "s" * 32, None), shutdown_grace=1
    )
    await server.start()
    try:
        async with http.get(f"http://127.0.0.1:{server.port}/healthz") as response:
            assert response.status == 503
            assert (await response.json())["database"] is False
    finally:
        await server.stop()
        await db.close()


async def test_media_links_open_only_what_was_published(
    both: tuple[str, Settings, FakeTelegram, FakeZalo],
    http: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    base, config, _, _ = both
    outside = tmp_path / "poster.pdf"
    outside.write_bytes(b"%PDF- a poster")
    files = PublicFiles(
        config.media_dir, config.media_url_secret.get_secret_value(), config.public_base_url
    )
    url = files.url_for(outside)
    assert url is not None and url.startswith(f"{base}/media/")
    async with http.get(url) as response:
        assert response.status == 200 and await response.read() == b"%PDF- a poster"
    token, relative = url.removeprefix(f"{base}/media/").split("/", 1)
    secret_file = config.media_dir / "incoming" / "someone-else.jpg"
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    secret_file.write_bytes(b"private")
    (config.media_dir.parent / "outside.txt").write_text("outside")
    refused = [
        f"{base}/media/{token}/incoming/someone-else.jpg",  # a token for another file
        f"{base}/media/{'0' * 32}/{relative}",  # a made-up token
        f"{base}/media/{token}/public",  # a directory
        f"{base}/media/{files.token('../outside.txt')}/..%2Foutside.txt",  # out of MEDIA_DIR
        f"{base}/media/{files.token('public')}/public",  # a signed directory
        f"{base}/media/{token}",
    ]
    for address in refused:
        async with http.get(address) as response:
            assert response.status == 404, address


def test_webhook_mode_needs_each_channels_secret(settings: Settings) -> None:
    config = channel_settings(
        settings,
        telegram_token=TELEGRAM_TOKEN,
        zalo_token=ZALO_TOKEN,
        webhook_listen="0.0.0.0:8443",
    )
    problems = "\n".join(check_config(config))
    assert "TELEGRAM_WEBHOOK_SECRET" in problems and "ZALO_WEBHOOK_SECRET" in problems
    config = channel_settings(
        settings,
        telegram_token=TELEGRAM_TOKEN,
        zalo_token=ZALO_TOKEN,
        webhook_listen="0.0.0.0:8443",
        telegram_webhook_secret="has spaces! and is long enough otherwise",
        zalo_webhook_secret="z" * 257,
    )
    problems = "\n".join(check_config(config))
    assert "A-Z a-z 0-9 _ -" in problems and "at most 256" in problems
    polling_with_url = channel_settings(
        settings, telegram_token=TELEGRAM_TOKEN, telegram_webhook_url="https://x.vn/webhook"
    )
    assert "WEBHOOK_LISTEN is not" in "\n".join(check_config(polling_with_url))
    assert check_config(channel_settings(settings, telegram_token="not-a-token"))
    assert check_config(channel_settings(settings, telegram_token=TELEGRAM_TOKEN)) == []


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_listen(":8443") == ("0.0.0.0", 8443)  # noqa: S104 (what ":port" means)
    assert parse_listen("[::1]:80") == ("::1", 80)
    for bad in ("8080", "host:", "host:http", "host:70000"):
        with pytest.raises(ValueError, match="WEBHOOK_LISTEN"):
            parse_listen(bad)


def test_secrets_are_redacted_from_messages_and_tracebacks(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    config = channel_settings(settings, telegram_token=TELEGRAM_TOKEN, zalo_token=ZALO_TOKEN)
    install_redaction(secrets_of(config))
    log = logging.getLogger("tests.redaction")
    url = f"https://api.telegram.org/bot{TELEGRAM_TOKEN}/getMe"
    try:
        raise RuntimeError(f"cannot reach {url}")
    except RuntimeError:
        log.exception("request to %s failed", url)
    log.warning("zalo token half: %s", ZALO_TOKEN.split(":")[1])
    assert TELEGRAM_TOKEN not in caplog.text and ZALO_TOKEN.split(":")[1] not in caplog.text
    assert "bot[REDACTED]/getMe" in caplog.text
    assert redact(f"x {TELEGRAM_TOKEN} y") == "x [REDACTED] y"


CHANNEL_VARIABLES = [
    "TELEGRAM_TOKEN",
    "TELEGRAM_API_BASE",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_WEBHOOK_URL",
    "ZALO_TOKEN",
    "ZALO_API_BASE",
    "ZALO_WEBHOOK_SECRET",
    "ZALO_WEBHOOK_URL",
    "WEBHOOK_LISTEN",
    "PUBLIC_BASE_URL",
    "MEDIA_URL_SECRET",
    "MAX_PHOTO_BYTES",
    "MAX_DOCUMENT_BYTES",
    "ALBUM_DEBOUNCE_SECONDS",
    "POLLING_TIMEOUT_SECONDS",
    "API_TIMEOUT_SECONDS",
    "SEND_MAX_ATTEMPTS",
    "SEND_RETRY_BASE_SECONDS",
    "SEND_MAX_WAIT_SECONDS",
    "TELEGRAM_RATE_PER_SECOND",
    "ZALO_RATE_PER_SECOND",
    "SHUTDOWN_GRACE_SECONDS",
    "MEDIA_LINK_HOURS",
    "ZALO_MEDIA_HOSTS",
    "WEB_LISTEN",
    "DESK_LINK_MINUTES",
    "DESK_SESSION_HOURS",
]


def test_every_channel_variable_is_documented_and_exemplified() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in CHANNEL_VARIABLES:
        assert name.lower() in Settings.model_fields, name
        assert f"`{name}`" in readme, name
        assert f"# {name}=" in example, name
    # The example, used as it is, configures nothing (every line is a comment).
    assert Settings(_env_file=ROOT / ".env.example").channels_configured == ()  # type: ignore[call-arg]


async def test_files_left_in_the_spool_by_a_crash_are_swept(
    settings: Settings, loa: Loa, tmp_path: Path
) -> None:
    spool = settings.media_dir / "incoming"
    spool.mkdir(parents=True)
    old, fresh = spool / "old.jpg", spool / "fresh.jpg"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(old, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    async with FakeZalo() as zl:
        config = channel_settings(settings, zalo_token=ZALO_TOKEN, zalo_api_base=zl.url)
        async with running(config, loa):
            pass
    assert not old.exists() and fresh.exists()


async def test_media_links_expire_and_serve_photos_without_their_location(
    both: tuple[str, Settings, FakeTelegram, FakeZalo], http: aiohttp.ClientSession
) -> None:
    base, config, _, _ = both
    stored = config.media_dir / "ab" / "cd" / "original.jpg"
    stored.parent.mkdir(parents=True)
    jpeg(stored, gps=(14.05, 107.5), taken="2026:11:24 08:30:00")
    now = [time.time()]
    files = PublicFiles(
        config.media_dir,
        config.media_url_secret.get_secret_value(),
        config.public_base_url,
        valid_for=3600,
        clock=lambda: now[0],
    )
    url = files.url_for(stored)
    assert url is not None and "original" not in url
    async with http.get(url) as response:
        assert response.status == 200
        served = await response.read()
    with Image.open(io.BytesIO(served)) as image:
        assert image.size == (640, 480)
        assert not image.getexif()  # no GPS, no capture time, no camera
    token, relative = url.removeprefix(f"{base}/media/").split("/", 1)
    # The original is not reachable with the copy's token, nor by a forged expiry.
    expiry, mac = token.split(".")
    for address in (
        f"{base}/media/{token}/ab/cd/original.jpg",
        f"{base}/media/{int(expiry) + 86400}.{mac}/{relative}",
        f"{base}/media/{files.token(relative, time.time() - 1)}/{relative}",
    ):
        async with http.get(address) as response:
            assert response.status == 404, address


def test_an_empty_or_short_media_secret_is_refused(settings: Settings) -> None:
    for secret in ("", "short-secret"):
        with pytest.raises(ValidationError, match="MEDIA_URL_SECRET"):
            channel_settings(settings, media_url_secret=secret)


def test_webhook_mode_needs_long_secrets_and_an_invite_pepper(settings: Settings) -> None:
    config = channel_settings(
        settings,
        telegram_token=TELEGRAM_TOKEN,
        webhook_listen="0.0.0.0:8443",
        telegram_webhook_secret="x",
        invite_pepper="",
    )
    problems = "\n".join(check_config(config))
    assert "TELEGRAM_WEBHOOK_SECRET must be at least 32 characters" in problems
    assert "INVITE_PEPPER" in problems
    # The console trial and polling still start without any of them.
    assert check_config(channel_settings(settings, invite_pepper="")) == []
    assert (
        check_config(channel_settings(settings, telegram_token=TELEGRAM_TOKEN, invite_pepper=""))
        == []
    )
