"""`GET /metrics`: Prometheus figures over HTTP that move when things happen; who may read them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import Loa
from bot.channels.files import PublicFiles
from bot.core.clock import FrozenClock
from bot.core.config import Settings
from bot.delivery.outbox import Delivery, DeliveryStatus, OutboxWorker
from bot.web.server import WebServer
from db.models import Role
from tests.channels.telegram import USER, TelegramDriver
from tests.fakes.telegram import FakeTelegram
from tests.fixtures.reporting import joined
from tests.helpers import RecordingSender, isolated_settings
from tests.test_review import _submit
from tests.test_tickets import ask, villager

Figures = dict[tuple[str, frozenset[tuple[str, str]]], float]
METRICS_TOKEN = "metrics-token-0123456789abcdefghijklmnop"


def parse(text: str) -> Figures:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def figure(figures: Figures, name: str, **labels: str) -> float:
    """One sample's value (0 when it was never counted)."""
    return figures.get((name, frozenset(labels.items())), 0.0)


def total(figures: Figures, name: str, channel: str) -> float:
    """The sum of a counter's samples on one channel."""
    return sum(
        value
        for (sample, labels), value in figures.items()
        if sample == name and ("channel", channel) in labels
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def server(loa: Loa, clock: FrozenClock, tmp_path: Path) -> AsyncIterator[str]:
    """Loa's web server on the test database, without channels; its base URL."""
    web = WebServer(
        "127.0.0.1:0",
        loa.db,
        {},
        PublicFiles(tmp_path, "s" * 32, None),
        shutdown_grace=1,
        settings=loa.settings,
        clock=clock,
    )
    await web.start()
    yield f"http://127.0.0.1:{web.port}"
    await web.stop()


async def scrape(http: aiohttp.ClientSession, base: str, **headers: str) -> Figures:
    """GET /metrics as Prometheus does; the figures."""
    async with http.get(f"{base}/metrics", headers=headers) as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        return parse(await response.text())


async def test_figures_move_when_people_use_loa(
    loa: Loa, clock: FrozenClock, server: str, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    before = await scrape(http, server)
    assert figure(before, "loa_open_tickets") == 0
    assert figure(before, "loa_pending_reviews") == 0
    assert figure(before, "loa_outbox_depth") == 0
    assert figure(before, "loa_outbox_oldest_pending_seconds") == 0

    # A villager asks an officer; a reporter files a report: both wait for an officer.
    officer = await joined(loa, "officer-toi", Role.officer, "ia-toi")
    chat = await villager(loa, "v", "ia-toi")
    await ask(chat, "Khi nào có tiền hỗ trợ làm nhà?")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _submit(reporter, tmp_path)
    await officer.send("/khongcolenhnay")
    clock.advance(timedelta(minutes=10))

    after = await scrape(http, server)
    assert figure(after, "loa_open_tickets") == 1
    assert figure(after, "loa_pending_reviews") == 1
    # The officer's two notices wait in the outbox (no worker ran), ten minutes overdue.
    assert figure(after, "loa_outbox_depth") == 2
    assert figure(after, "loa_outbox_oldest_pending_seconds") == 600
    ok = {"channel": "test", "outcome": "ok"}
    for kind in ("command", "text", "choice", "photo"):
        counted = figure(after, "loa_updates_total", kind=kind, **ok)
        assert counted > figure(before, "loa_updates_total", kind=kind, **ok), kind
    # Every update handled is timed once.
    updates = "loa_updates_total"
    handled = total(after, updates, "test") - total(before, updates, "test")
    timed = figure(after, "loa_handler_seconds_count", channel="test") - figure(
        before, "loa_handler_seconds_count", channel="test"
    )
    assert handled == timed > 0

    # The platform refuses once, then takes them: one failure counted, and the outbox drains.
    sender = RecordingSender()
    sender.script = [Delivery(DeliveryStatus.retry, "HTTP 502")]
    worker = OutboxWorker(loa.db, {"test": sender}, loa.settings, clock, worker_id="w")  # type: ignore[dict-item]
    await worker.flush()
    clock.advance(timedelta(minutes=5))
    await worker.flush()
    drained = await scrape(http, server)
    failures = "loa_send_failures_total"
    assert figure(drained, failures, channel="test", reason="retry") == (
        figure(after, failures, channel="test", reason="retry") + 1
    )
    assert {chat for chat, _ in sender.sent} == {"officer-toi"}
    assert figure(drained, "loa_outbox_depth") == 0
    assert figure(drained, "loa_outbox_oldest_pending_seconds") == 0


@asynccontextmanager
async def telegram_webhook(
    settings: Settings, loa: Loa, tg: FakeTelegram, **overrides: Any
) -> AsyncIterator[tuple[str, TelegramDriver]]:
    """Loa running Telegram in webhook mode against `tg`; its base URL and the driver."""
    driver = TelegramDriver(settings, "webhook", tg)
    async with driver.running(loa, **overrides):
        yield f"http://{driver.config.webhook_listen}", driver


async def test_a_telegram_update_over_the_webhook_is_counted(
    settings: Settings, loa: Loa, http: aiohttp.ClientSession
) -> None:
    labels = {"channel": "telegram", "kind": "command", "outcome": "ok"}
    async with FakeTelegram() as tg, telegram_webhook(settings, loa, tg) as (base, driver):
        before = figure(await scrape(http, base), "loa_updates_total", **labels)
        await driver.say("/start")
        await driver.wait_messages(1)
        after = figure(await scrape(http, base), "loa_updates_total", **labels)
    assert after == before + 1
    assert tg.sent(USER)


async def test_metrics_are_for_the_host_or_a_token_holder_only(
    settings: Settings, loa: Loa, http: aiohttp.ClientSession
) -> None:
    async with FakeTelegram() as tg:
        async with telegram_webhook(settings, loa, tg) as (base, _):
            # Through a reverse proxy, even one on this host: not served.
            proxied = {"X-Forwarded-For": "203.0.113.9"}
            async with http.get(f"{base}/metrics", headers=proxied) as response:
                assert response.status == 404
        async with telegram_webhook(settings, loa, tg, metrics_token=METRICS_TOKEN) as (base, _):
            async with http.get(f"{base}/metrics") as response:
                assert response.status == 404
            wrong = {"Authorization": "Bearer " + "x" * len(METRICS_TOKEN)}
            async with http.get(f"{base}/metrics", headers=wrong) as response:
                assert response.status == 404
            right = {"Authorization": f"Bearer {METRICS_TOKEN}", "X-Forwarded-For": "10.0.0.7"}
            async with http.get(f"{base}/metrics", headers=right) as response:
                assert response.status == 200
                assert "loa_outbox_depth" in await response.text()


def test_a_short_metrics_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="METRICS_TOKEN must be at least 32"):
        isolated_settings("sqlite+aiosqlite://", tmp_path, metrics_token="short")
    unset = isolated_settings("sqlite+aiosqlite://", tmp_path, metrics_token="  ")
    assert unset.metrics_token is None
