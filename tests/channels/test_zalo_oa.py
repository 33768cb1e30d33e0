"""What is the Zalo OA's own: signatures, stored deliveries, rotating tokens, the reply window,
uploads, follow and unfollow. What every channel does is in the contract suite."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.app import Loa
from bot.cli.zalo_oa import oa_status
from bot.core.chat import Attachment, AttachmentKind, Kind, Location, Reply, text_length
from bot.core.clock import FrozenClock
from bot.core.config import ROOT, Settings
from bot.delivery.outbox import DeliveryStatus
from db.models import OutboxMessage, ProcessedUpdate, WebhookDelivery
from db.repositories import Repos
from db.repositories.channels import DeliveryRepository
from tests.channels.test_broadcast_channels import TOI, announcement, figures_of, send, users
from tests.channels.zalo_oa import USER, ZaloOADriver, oa_settings
from tests.fakes.runtime import (
    LOA,
    Seen,
    adapter,
    eventually,
    jpeg,
    loa_env,
    running,
    stored_user,
    vi,
)
from tests.fakes.zalo_oa import (
    APP_ID,
    APP_SECRET,
    OA_SECRET,
    SIGNATURE,
    TEMPLATE,
    UPLOAD_FILE,
    UPLOAD_IMAGE,
    FakeZaloOA,
    message,
    signature,
    uid,
)


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    """A fake OA API and OAuth server."""
    async with FakeZaloOA() as fake:
        yield fake


async def count(loa: Loa, model: type) -> int:
    """Rows in a table."""
    async with loa.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar())


async def touch(loa: Loa, user: str, ago: timedelta) -> None:
    """The user last interacted with the OA `ago`."""
    async with loa.db.session() as session:
        await Repos.of(session).windows.touch("zalo_oa", user, loa.services.clock.now() - ago)


# --- the webhook -------------------------------------------------------------------------------


async def test_forged_or_missing_signatures_are_refused_and_nothing_is_kept(
    settings: Settings, loa: Loa, oa: FakeZaloOA
) -> None:
    driver = ZaloOADriver(settings, "webhook", oa)
    body = driver.update("/start")
    raw = json.dumps(body).encode()
    stamp = body["timestamp"]
    forged = [
        {},  # no signature
        {SIGNATURE: "mac="},
        {SIGNATURE: signature(raw, stamp, key=APP_SECRET)},  # the app secret is not the key
        {SIGNATURE: signature(raw, str(int(stamp) + 1))},  # another timestamp
        {SIGNATURE: signature(raw + b" ", stamp)},  # other bytes than those posted
        {SIGNATURE: signature(raw, stamp, app_id="1")},  # another app
    ]
    async with driver.running(loa, register=False), aiohttp.ClientSession() as http:
        for headers in forged:
            async with http.post(driver.webhook_url, data=raw, headers=headers) as response:
                assert response.status == 401
        await asyncio.sleep(0.2)
        assert oa.sent() == []
        assert await count(loa, WebhookDelivery) == 0
        assert await count(loa, ProcessedUpdate) == 0
        # The same bytes with the right signature are taken.
        headers = {SIGNATURE: signature(raw, stamp).upper().replace("MAC=", "mac=")}
        async with http.post(driver.webhook_url, data=raw, headers=headers) as response:
            assert response.status == 200
        await oa.wait_sent(USER, 1)


async def test_a_duplicate_delivery_is_stored_once_and_answered_once(
    settings: Settings, loa: Loa, oa: FakeZaloOA
) -> None:
    driver = ZaloOADriver(settings, "webhook", oa)
    async with driver.running(loa, register=False), aiohttp.ClientSession() as http:
        update = driver.update("/start")
        again = dict(update, timestamp=str(int(update["timestamp"]) + 30_000))  # a retry
        assert await driver.post(http, update, secret=OA_SECRET) == 200
        assert await driver.post(http, again, secret=OA_SECRET) == 200
        await oa.wait_sent(USER, 1)
        await asyncio.sleep(0.3)
    assert len(oa.sent(USER)) == 1
    async with loa.db.session() as session:
        (row,) = (await session.execute(select(WebhookDelivery))).scalars()
    assert row.handled_at is not None and row.body == ""  # the key stays, the message does not


async def test_a_delivery_whose_worker_died_is_handled_by_another(
    settings: Settings,
    loa: Loa,
    oa: FakeZaloOA,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    driver = ZaloOADriver(settings, "webhook", oa)
    quick = {
        "zalo_oa_delivery_lease_seconds": 0.3,
        "zalo_oa_redelivery_seconds": 0.1,
        "shutdown_grace_seconds": 0.5,
    }
    started = asyncio.Event()

    async def hang(event: object) -> object:
        started.set()
        await asyncio.Event().wait()  # this worker hangs (or dies) mid-handling, for good
        raise AssertionError("unreachable")

    monkeypatch.setattr(loa.engine, "handle_event", hang)
    second = await Loa.start(settings, clock=clock)
    try:
        async with driver.running(loa, **quick):
            await driver.say("/start")
            await asyncio.wait_for(started.wait(), 10)
            assert [status for _, status in oa.webhook_answers] == [200]  # Zalo sends no more
            assert oa.sent() == []
            # Another worker on the same database, its own web server: no delivery comes to it.
            async with running(oa_settings(settings, oa, **quick), second):
                (shown,) = await driver.wait_messages(1)
    finally:
        await second.close()
    assert vi(loa, "Choose your language:") in shown.text
    async with loa.db.session() as session:
        (row,) = (await session.execute(select(WebhookDelivery))).scalars()
        assert row.handled_at is not None and row.attempts == 2


async def test_a_delivery_loa_could_not_store_is_taken_when_zalo_retries(
    settings: Settings, loa: Loa, oa: FakeZaloOA, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = ZaloOADriver(settings, "webhook", oa)
    store = DeliveryRepository.store
    failures = [OperationalError("INSERT", {}, Exception("database is restarting"))]

    async def flaky(self: DeliveryRepository, *args: Any, **kwargs: Any) -> int | None:
        if failures:
            raise failures.pop()
        return await store(self, *args, **kwargs)

    monkeypatch.setattr(DeliveryRepository, "store", flaky)
    async with driver.running(loa):
        await driver.say("/start")
        await driver.wait_messages(1)
    assert [status for _, status in oa.webhook_answers] == [500, 200]  # not kept: not 200
    assert len(oa.sent(USER)) == 1


async def test_files_and_locations_reach_the_engine(
    settings: Settings, loa: Loa, oa: FakeZaloOA, seen: Seen
) -> None:
    driver = ZaloOADriver(settings, "webhook", oa)
    document = b"%PDF-1.4 bien ban hop thon"
    async with driver.running(loa):
        url = oa.host(document, "application/pdf")
        oa.attachment(USER, "user_send_file", "file", url)
        # The two shapes a shared location is reported in.
        oa.queue(
            oa.event(USER, "user_send_location", location={"latitude": 13.7, "longitude": 107.6})
        )
        point = {
            "type": "location",
            "payload": {"coordinates": {"latitude": "13.8", "longitude": "107.5"}},
        }
        oa.queue(oa.event(USER, "user_send_location", attachments=[point]))
        await driver.wait_messages(3)
    kinds = [event.kind for event in seen.events]
    assert kinds == [Kind.document, Kind.location, Kind.location]
    assert seen.files[0] == [document]
    assert [e.location for e in seen.events[1:]] == [Location(13.7, 107.6), Location(13.8, 107.5)]


async def test_follow_welcomes_and_unfollow_marks_unreachable(
    settings: Settings, loa: Loa, oa: FakeZaloOA
) -> None:
    driver = ZaloOADriver(settings, "webhook", oa)
    oa.names[USER] = "Rơ Châm H'Bia"
    async with driver.running(loa):
        oa.follow(USER)
        (welcome,) = await driver.wait_messages(1)
        assert welcome.options[0] == "1. Tiếng Việt"
        oa.follow(USER, "unfollow")

        async def unreachable() -> bool:
            user = await stored_user(loa, "zalo_oa", USER)
            return user is not None and user.unreachable

        await eventually(unreachable)
        oa.follow(USER)  # back again
        await driver.wait_messages(2)
    user = await stored_user(loa, "zalo_oa", USER)
    assert user is not None and not user.unreachable
    assert user.display_name == "Rơ Châm H'Bia"  # looked up once (webhooks carry no name)
    assert len(oa.called("v3.0/oa/user/detail")) == 1


# --- tokens -------------------------------------------------------------------------------------


async def test_a_burst_across_two_workers_refreshes_once_and_loses_nothing(
    settings: Settings, loa: Loa, oa: FakeZaloOA, clock: FrozenClock
) -> None:
    oa.oauth_delay = 0.2  # a slow OAuth server: the other sends wait for the refresh
    second = await Loa.start(settings, clock=clock)
    users = [uid() for _ in range(12)]
    try:
        async with (
            running(oa_settings(settings, oa), loa) as one,
            running(oa_settings(settings, oa), second) as two,
        ):
            senders = [adapter(one).sender, adapter(two).sender]
            # The seeded pair is due at once; then it expires again in the middle of the burst.
            first = await asyncio.gather(
                *(senders[n % 2].deliver(user, Reply(f"Tin {n}")) for n, user in enumerate(users))
            )
            oa.expire_access()
            again = await asyncio.gather(
                *(senders[n % 2].deliver(user, Reply(f"Lại {n}")) for n, user in enumerate(users))
            )
    finally:
        await second.close()
    assert {result.status for result in [*first, *again]} == {DeliveryStatus.sent}
    for n, user in enumerate(users):
        assert oa.texts(user) == [f"Tin {n}", f"Lại {n}"]
    assert oa.reused == []  # no refresh token was presented twice
    assert len(oa.refreshes) == 2  # one refresh for the due pair, one after the expiry


async def test_a_refused_refresh_token_alerts_the_admins_and_loa_keeps_running(
    settings: Settings, loa: Loa, oa: FakeZaloOA, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    admin = "5500112233"
    await users(loa, "telegram", {admin: {"role": "admin", "unit_id": "ia-hdrai"}})
    config = oa_settings(settings, oa, zalo_oa_refresh_token="ref-revoked")
    driver = ZaloOADriver(settings, "webhook", oa)
    async with running(config, loa) as runtime:
        driver.config = config
        oa.connect(driver.webhook_url)
        await driver.say("/start")
        await oa.wait_for(lambda: oa.webhook_answers)
        sent = await adapter(runtime).sender.deliver(USER, Reply("Xin chào"))
        oa.connect("")
    assert oa.webhook_answers[0][1] == 200  # the delivery is kept while tokens are broken
    assert sent.status is DeliveryStatus.retry
    assert oa.sent() == []
    assert "Zalo refused the refresh token" in caplog.text
    assert "ref-revoked" not in caplog.text
    async with loa.db.session() as session:
        admin_user = await Repos.of(session).users.find("telegram", admin)
        assert admin_user is not None
        rows = await Repos.of(session).outbox.for_user(admin_user.id)
    (alert,) = rows
    assert "loa zalo-oa authorize" in alert.payload["replies"][0]["text"]


# --- sending ------------------------------------------------------------------------------------


async def test_a_5000_character_answer_is_split_at_sentences_and_sent_in_order(
    settings: Settings, loa: Loa, oa: FakeZaloOA
) -> None:
    sentences = [f"Câu số {n} nói về hỗ trợ nhà ở cho đồng bào vùng cao." for n in range(100)]
    text = " ".join(sentences)
    assert 5000 <= len(text) <= 5600
    async with running(oa_settings(settings, oa), loa) as runtime:
        result = await adapter(runtime).sender.deliver(USER, Reply(text))
    assert result.status is DeliveryStatus.sent
    parts = oa.texts(USER)
    assert len(parts) == 3
    assert all(text_length(part) <= 2000 for part in parts)
    assert all(part.endswith(".") for part in parts)  # cut where a sentence ends
    assert " ".join(parts) == text  # nothing lost, in order


async def test_images_are_uploaded_and_uploaded_again_when_their_id_expires(
    settings: Settings, loa: Loa, oa: FakeZaloOA, tmp_path: Path
) -> None:
    picture = tmp_path / "poster.jpg"
    picture.write_bytes(jpeg(400, 300))
    document = tmp_path / "bao-cao.pdf"
    document.write_bytes(b"%PDF-1.4 report")
    photo = Reply("Áp phích", attachment=Attachment(AttachmentKind.photo, picture, "Tháng 11"))
    async with running(oa_settings(settings, oa), loa) as runtime:
        sender = adapter(runtime).sender
        assert (await sender.deliver(USER, photo)).status is DeliveryStatus.sent
        assert (await sender.deliver(USER, photo)).status is DeliveryStatus.sent  # id reused
        oa.expire_uploads()
        assert (await sender.deliver(USER, photo)).status is DeliveryStatus.sent
        doc = Reply("Báo cáo", attachment=Attachment(AttachmentKind.document, document))
        assert (await sender.deliver(USER, doc)).status is DeliveryStatus.sent
    assert len(oa.called(UPLOAD_IMAGE)) == 2
    (upload,) = oa.called(UPLOAD_FILE)
    assert upload.files["file"] == b"%PDF-1.4 report"
    images = [message(call) for call in oa.sent(USER) if "attachment" in message(call)]
    assert [m["text"] for m in images[:3]] == ["Tháng 11"] * 3
    assert images[3]["attachment"] == {
        "type": "file",
        "payload": {"token": upload.answer["token"]},
    }


@pytest.mark.parametrize(
    ("code", "status"),
    [(-230, "outside_window"), (-232, "outside_window"), (-227, "blocked"), (-244, "blocked")],
)
async def test_error_codes_become_loas_outcomes(
    code: int, status: str, settings: Settings, loa: Loa, oa: FakeZaloOA
) -> None:
    oa.fail("sendMessage", code, description="refused")
    async with running(oa_settings(settings, oa), loa) as runtime:
        result = await adapter(runtime).sender.deliver(USER, Reply("Xin chào"))
    assert result.status == status
    assert len(oa.called("sendMessage")) == 1  # none of these is retried


# --- the reply window ---------------------------------------------------------------------------


async def test_a_broadcast_counts_people_outside_the_window_apart(
    settings: Settings, loa: Loa, oa: FakeZaloOA
) -> None:
    admin, recent, billed, gone, closed_by_zalo = (uid() for _ in range(5))
    ids = await users(
        loa,
        "zalo_oa",
        {
            admin: {"role": "admin", "unit_id": "ia-hdrai", "language": "vi"},
            recent: {"unit_id": "ia-toi", "language": "vi"},
            billed: {"unit_id": "ia-toi"},  # wrote 3 days ago: billed, not allowed by default
            gone: {"unit_id": "ia-toi"},  # wrote 9 days ago: refused
            closed_by_zalo: {"unit_id": "ia-toi"},  # Loa thinks open, Zalo says -230
        },
    )
    for user, ago in (
        (admin, timedelta(hours=1)),
        (recent, timedelta(hours=2)),
        (billed, timedelta(days=3)),
        (gone, timedelta(days=9)),
        (closed_by_zalo, timedelta(hours=30)),
    ):
        await touch(loa, user, ago)
    oa.closed.add(closed_by_zalo)
    config = oa_settings(settings, oa)
    async with running(config, loa):
        number = await send(loa, announcement("Họp dân tối nay", TOI), admin, "zalo_oa")
        await oa.wait_for(lambda: oa.sent(admin))  # the author hears the final figures
        await remind(loa, ids[gone], "Hạn nộp báo cáo là 10/12")  # no template configured
        await eventually(lambda: reminder_settled(loa))
    assert {
        recipient for recipient in (recent, billed, gone, closed_by_zalo) if oa.sent(recipient)
    } == {recent}
    assert await figures_of(loa, number) == {
        "recipients": 4,
        "sent": 1,
        "pending": 0,
        "failed": 0,
        "unreachable": 0,
        "skipped_opted_out": 0,
        "outside_window": 3,
    }
    (report,) = oa.texts(admin)
    assert "ngoài thời hạn trả lời của Zalo OA" in report and ": 3" in report
    shown = await oa_status(config)  # `loa zalo-oa status`: reminders counted the same way
    assert shown["messages"]["reminder"] == {"outside_window": 1}
    assert shown["messages"]["broadcast"] == {"outside_window": 3, "sent": 1}


async def remind(loa: Loa, user_id: int, text: str) -> None:
    """Queue a reminder to one user, as the planner does."""
    now = loa.services.clock.now()
    async with loa.db.session() as session:
        await Repos.of(session).outbox.enqueue(
            key=f"rem:{user_id}:{text}",
            user_id=user_id,
            kind="reminder",
            payload={"replies": [{"text": text, "choices": []}]},
            due_at=now,
            urgent=False,
            now=now,
            lane=1,
        )
    loa.services.queued.fire()


async def reminder_settled(loa: Loa) -> bool:
    """Whether no reminder is waiting any more."""
    async with loa.db.session() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
    return all(row.state not in ("pending", "sending") for row in rows if row.kind == "reminder")


async def test_billed_messages_go_when_allowed_and_reminders_use_the_template(
    settings: Settings, loa: Loa, oa: FakeZaloOA
) -> None:
    billed, gone = uid(), uid()
    ids = await users(loa, "zalo_oa", {billed: {}, gone: {}})
    await touch(loa, billed, timedelta(days=3))
    await touch(loa, gone, timedelta(days=20))
    config = oa_settings(
        settings,
        oa,
        zalo_oa_send_billed=True,
        zalo_oa_template_id="418020",
        zalo_oa_template_data={"noi_dung": "{text}", "ngay": "{date}"},
    )
    async with running(config, loa) as runtime:
        assert (await adapter(runtime).sender.deliver(billed, Reply("Nhắc"))).status == "sent"
        await remind(loa, ids[gone], "Hạn nộp báo cáo là 10/12")
        await oa.wait_for(lambda: oa.called(TEMPLATE))
        await asyncio.sleep(0.1)
    (template,) = oa.called(TEMPLATE)
    assert template.params == {
        "user_id": gone,
        "template_id": "418020",
        "template_data": {"noi_dung": "Hạn nộp báo cáo là 10/12", "ngay": "25/11/2026"},
    }
    async with loa.db.session() as session:
        (row,) = (await session.execute(select(OutboxMessage))).scalars()
        assert row.state == "sent"


# --- the operator's commands --------------------------------------------------------------------


async def test_authorize_with_pkce_stores_a_pair_that_sends(
    settings: Settings, loa: Loa, oa: FakeZaloOA
) -> None:
    env = loa_env(
        settings,
        ZALO_OA_APP_ID=APP_ID,
        ZALO_OA_APP_SECRET=APP_SECRET,
        ZALO_OA_OAUTH_BASE=oa.url,
        ZALO_OA_REDIRECT_URI="https://loa.iahdrai.gov.vn/zalo-oa/callback",
    )
    process = await asyncio.create_subprocess_exec(
        str(LOA),
        "zalo-oa",
        "authorize",
        env=env,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    page = ""
    while "/v4/oa/permission?" not in page:
        page = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    query = parse_qs(urlsplit(page.strip()).query)
    assert query["app_id"] == [APP_ID] and query["redirect_uri"][0].endswith("/callback")
    code = oa.grant(query["code_challenge"][0])  # the admin clicks "Cho phép"
    state = query["state"][0]
    back = f"https://loa.iahdrai.gov.vn/zalo-oa/callback?code={code}&oa_id=1&state={state}"
    process.stdin.write(back.encode() + b"\n")
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert "Stored a new token pair" in out.decode()
    assert oa.codes == {}  # the code was spent

    # The stored pair is the one Loa uses (no environment pair at all).
    config = oa_settings(settings, oa, zalo_oa_access_token=None, zalo_oa_refresh_token=None)
    async with running(config, loa) as runtime, aiohttp.ClientSession() as http:
        result = await adapter(runtime).sender.deliver(USER, Reply("Xin chào"))
        # Where the consent page sends the admin back: a page saying what to do with its address.
        page = f"http://{config.webhook_listen}/zalo-oa/callback?code=abc&state=x"
        async with http.get(page) as response:
            assert response.status == 200
            assert "loa zalo-oa authorize" in await response.text()
    assert result.status is DeliveryStatus.sent and oa.refreshes == []

    status = await asyncio.create_subprocess_exec(
        str(LOA), "zalo-oa", "status", env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    printed, _ = await asyncio.wait_for(status.communicate(), 60)
    assert status.returncode == 0
    assert "token: pair 1, access token valid until" in printed.decode()
    assert "webhook deliveries: 0 stored, 0 not handled yet" in printed.decode()
    shown = await oa_status(config)  # the same, as `--json` prints it
    assert shown["token"]["refused_at"] is None and shown["deliveries"]["not_handled"] == 0
