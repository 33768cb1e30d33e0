"""Who gets into the web desk, and what stays shut: /desk links, sessions, CSRF, scopes,
photos. Over plain HTTP against the running desk; links come from the bot on (fake) Telegram."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import timedelta
from pathlib import Path

import aiohttp
from PIL import Image
from sqlalchemy import select, update

from bot.app import Loa
from bot.core.config import Settings
from db.models import DeskLink, Report, ReportMedia, ReportStatus, Role, User
from tests.fakes.runtime import LOA, free_port, loa_env
from tests.fixtures.reporting import invite_codes
from tests.helpers import Chat
from tests.test_cli import run_loa
from tests.web.desk import DeskSite, desk_site, hidden_fields


async def test_an_officer_signs_in_with_the_link_from_desk_and_signs_out(
    desk: DeskSite,
) -> None:
    officer = await desk.person(Role.officer, "ia-toi")
    link = await desk.link_for(officer)
    assert link.startswith(desk.base_url + "/desk/signin/")
    assert "Đường dẫn chỉ dùng được một lần, trong vòng 15 phút" in desk.messages_to(officer)[-1]
    async with desk.client() as client:
        path = link.removeprefix(desk.base_url)
        status, page = await client.get(path)
        assert status == 200 and "Đăng nhập" in page
        # Opening the page (as a chat app's link preview does) does not use the link up.
        assert (await client.get(path))[0] == 200
        async with desk.loa.db.session() as session:
            (stored,) = (await session.execute(select(DeskLink))).scalars()
        assert stored.used_at is None and stored.token_hash not in link  # kept hashed
        status, location, _ = await client.post(path, hidden_fields(page))
        assert (status, location) == (303, "/desk/")
        (cookie,) = [c for c in client.session.cookie_jar if c.key == "loa_desk"]
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        assert cookie["path"] == "/desk" and not cookie["secure"]  # http here: not Secure
        status, home = await client.get("/desk/")
        assert status == 200
        assert "Bạn xem được báo cáo của Xã Ia Tơi và các đơn vị trực thuộc." in home
        csrf = hidden_fields(home)["csrf"]
        assert (await client.post("/desk/signout", {}))[0] == 403  # no CSRF token
        assert (await client.get("/desk/"))[0] == 200
        status, _, bye = await client.post("/desk/signout", {"csrf": csrf})
        assert status == 200 and "Bạn đã đăng xuất" in bye
        assert (await client.get("/desk/"))[0] == 401


async def test_a_used_an_expired_or_a_forged_link_is_refused(desk: DeskSite) -> None:
    officer = await desk.person(Role.officer, "ia-toi")
    link = await desk.link_for(officer)
    async with desk.client() as first, desk.client() as second:
        assert await first.sign_in(link) == 303
        assert await second.sign_in(link) == 403  # used
        status, page = await second.get(link.removeprefix(desk.base_url))
        assert status == 403 and "đã được dùng, đã hết hạn" in page
        assert (await second.get("/desk/review"))[0] == 401

    late = await desk.link_for(officer)
    desk.clock.advance(timedelta(minutes=16))
    async with desk.client() as client:
        assert await client.sign_in(late) == 403  # expired

    fresh = await desk.link_for(officer)
    expires, mac, _secret = fresh.rsplit("/", 3)[1:]
    stretched = fresh.replace(f"/{expires}/", f"/{int(expires) + 3600}/")
    forged = fresh.replace(mac, "0" * len(mac))
    async with desk.client() as client:
        assert await client.sign_in(stretched) == 403
        assert await client.sign_in(forged) == 403
        assert await client.sign_in(fresh) == 303  # the real one still works once


async def test_desk_is_refused_politely_to_other_roles_and_when_the_desk_is_off(
    desk: DeskSite, loa: Loa
) -> None:
    reporter = await desk.person(Role.reporter, "ia-toi")
    before = len(desk.messages_to(reporter))
    desk.fake.text(reporter.telegram_id, "/desk")
    await desk.fake.wait_sent(reporter.telegram_id, before + 1)
    refused = desk.messages_to(reporter)[-1]
    assert "Trang quản lý chỉ dành cho cán bộ và quản trị viên." in refused
    assert "/desk/signin/" not in refused
    async with desk.loa.db.session() as session:
        assert not list((await session.execute(select(DeskLink))).scalars())

    # `loa` runs without WEB_LISTEN: an officer there hears the desk is off.
    officer = Chat(loa.engine, user="officer-without-desk")
    (code,) = await invite_codes(loa, Role.officer, "ia-toi")
    await officer.send("/start")
    await officer.press("Tiếng Việt")
    await officer.send(f"/join {code}")
    await officer.send("/desk")
    assert "Trang quản lý chưa được bật cho Loa này" in officer.text
    await officer.send("/help")
    assert "/desk" in officer.text


async def test_no_page_or_photo_without_a_session(desk: DeskSite, tmp_path: Path) -> None:
    reporter = await desk.person(Role.reporter, "ia-toi")
    number = await desk.report(reporter, tmp_path)
    async with desk.loa.db.session() as session:
        (photo,) = (await session.execute(select(ReportMedia.id))).scalars()
    async with desk.client() as client:
        for path in (
            "/desk/",
            "/desk/review",
            f"/desk/review/{number}",
            f"/desk/photo/{photo}",
            f"/desk/photo/{photo}/full",
        ):
            status, body = await client.get(path)
            assert status == 401, path
            assert "gửi /desk cho Loa" in body and "Tuyên truyền" not in body
        status, _, _ = await client.post(f"/desk/review/{number}", {"action": "approve"})
        assert status == 401
    async with desk.loa.db.session() as session:
        report = await session.get(Report, number)
        assert report is not None and report.status == ReportStatus.submitted.value


async def test_an_officer_sees_only_their_communes_reports_and_photos(
    desk: DeskSite, tmp_path: Path
) -> None:
    toi_reporter = await desk.person(Role.reporter, "ia-toi")
    dal_reporter = await desk.person(Role.reporter, "ia-dal")
    toi = await desk.report(toi_reporter, tmp_path, "toi")
    dal = await desk.report(dal_reporter, tmp_path, "dal")
    async with desk.loa.db.session() as session:
        photos = dict((await session.execute(select(ReportMedia.report_id, ReportMedia.id))).all())
    officer = await desk.person(Role.officer, "ia-toi")
    async with desk.client(officer) as client:
        status, queue = await client.get("/desk/review")
        assert status == 200
        assert f"Báo cáo #{toi}" in queue and f"Báo cáo #{dal}" not in queue
        assert (await client.get(f"/desk/review/{toi}"))[0] == 200
        status, page = await client.get(f"/desk/review/{dal}")
        assert status == 404 and "Tuyên truyền" not in page
        assert (await client.get(f"/desk/photo/{photos[dal]}"))[0] == 404
        assert (await client.get(f"/desk/photo/{photos[dal]}/full"))[0] == 404
        # Asking another commune's unit in the filter shows nothing of it either.
        status, filtered = await client.get("/desk/review?unit=ia-dal")
        assert f"Báo cáo #{dal}" not in filtered
        status, _, _ = await client.post(
            f"/desk/review/{dal}", {"csrf": client.csrf, "action": "approve", "round": "1"}
        )
        assert status == 404
        # Its own commune's photos: a thumbnail, and the full photo without metadata.
        status, kind, thumb = await client.get_bytes(f"/desk/photo/{photos[toi]}")
        assert (status, kind) == (200, "image/jpeg")
        status, kind, full = await client.get_bytes(f"/desk/photo/{photos[toi]}/full")
        assert (status, kind) == (200, "image/jpeg")
        with Image.open(io.BytesIO(thumb)) as small, Image.open(io.BytesIO(full)) as large:
            assert max(small.size) < max(large.size) == 640
            assert not large.getexif()
        # No listing, no path guessing.
        for path in ("/desk/photo/", "/desk/photo", "/desk/photo/../../", "/desk/templates/"):
            assert (await client.get(path))[0] == 404, path
    async with desk.loa.db.session() as session:
        report = await session.get(Report, dal)
        assert report is not None and report.status == ReportStatus.submitted.value


async def test_forms_without_the_csrf_token_are_refused(desk: DeskSite, tmp_path: Path) -> None:
    reporter = await desk.person(Role.reporter, "ia-toi")
    number = await desk.report(reporter, tmp_path)
    officer = await desk.person(Role.officer, "ia-toi")
    async with desk.client(officer) as client:
        for data in (
            {"action": "approve", "round": "1"},
            {"action": "approve", "round": "1", "csrf": "not-the-token"},
        ):
            status, _, _body = await client.post(f"/desk/review/{number}", data)
            assert status == 403, data
        async with desk.loa.db.session() as session:
            report = await session.get(Report, number)
            assert report is not None and report.status == ReportStatus.submitted.value
        data = {"action": "approve", "round": "1", "csrf": client.csrf}
        status, location, _ = await client.post(f"/desk/review/{number}", data)
        assert (status, location) == (303, f"/desk/review/{number}?done=approve")
    approved = await desk.wait_message(reporter, "Tin vui")
    assert f"báo cáo #{number}" in approved


async def test_sessions_expire_and_a_revoked_role_ends_them(
    desk: DeskSite, settings: Settings, cli_env: dict[str, str]
) -> None:
    officer = await desk.person(Role.officer, "ia-toi")
    async with desk.client(officer) as client:
        assert (await client.get("/desk/review"))[0] == 200
        desk.clock.advance(timedelta(hours=12, minutes=1))
        status, page = await client.get("/desk/review")
        assert status == 401 and "Phiên làm việc đã kết thúc" in page

    async with desk.client(officer) as client:
        assert (await client.get("/desk/review"))[0] == 200
        user_id = await desk.user_id(officer)
        done = await asyncio.to_thread(run_loa, "users", "revoke", str(user_id), env=cli_env)
        assert done.returncode == 0, done.stderr
        assert (await client.get("/desk/review"))[0] == 401
        # A new link is no use to them either: /desk now says the desk is not for them.
        desk.fake.text(officer.telegram_id, "/desk")
        refusal = await desk.wait_message(officer, "chỉ dành cho cán bộ")
        assert "/desk/signin/" not in refusal

    # A session that outlived a role change made behind Loa's back ends too.
    admin = await desk.person(Role.admin)
    async with desk.client(admin) as client:
        assert (await client.get("/desk/"))[0] == 200
        admin_id = await desk.user_id(admin)
        async with desk.loa.db.session() as session:
            await session.execute(update(User).where(User.id == admin_id).values(role="officer"))
        assert (await client.get("/desk/"))[0] == 401


async def test_web_listen_serves_the_desk_in_polling_mode_and_beside_the_console(
    desk: DeskSite, settings: Settings
) -> None:
    async with desk.client() as client:
        status, _kind, health = await client.get_bytes("/healthz")
        assert status == 200 and json.loads(health)["channels"] == ["telegram"]

    port = free_port()
    env = loa_env(settings, WEB_LISTEN=f"127.0.0.1:{port}")
    process = await asyncio.create_subprocess_exec(
        str(LOA), "run", env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    try:
        async with aiohttp.ClientSession() as session:

            async def answers() -> int:
                for _ in range(300):
                    try:
                        async with session.get(f"http://127.0.0.1:{port}/desk/") as response:
                            return response.status
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.1)
                return 0

            assert await answers() == 401  # the desk, asking to sign in
        assert process.stdin is not None
        process.stdin.write(b"/start\n")
        process.stdin.close()
        out, _ = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0
        assert "Tiếng Việt" in out.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_over_https_the_session_cookie_is_secure(loa: Loa, settings: Settings) -> None:
    async with desk_site(loa, settings, public_base_url="https://desk.example.vn") as site:
        officer = await site.person(Role.officer, "ia-toi")
        link = await site.link_for(officer)
        assert link.startswith("https://desk.example.vn/desk/signin/")
        async with site.client() as client:
            assert await client.sign_in(link) == 303
            (cookie,) = [c for c in client.session.cookie_jar if c.key == "loa_desk"]
            assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Strict"
