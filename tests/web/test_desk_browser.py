"""The desk in a real browser (Debian's Chromium): sign in with the link the bot sent on
Telegram, review two reports, and the reporter hears each decision on Telegram. Every page is
screenshotted at desktop width and at 390 px (tests/artifacts/desk/), fits a phone, and has
no serious or critical axe-core violation."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from db.models import Report, ReportStatus, Role
from tests.web.browser import BrowserPage
from tests.web.conftest import SignIn
from tests.web.desk import DeskSite


async def check_page(page: BrowserPage, name: str) -> None:
    """Screenshots at both widths, no horizontal scrolling on a phone, no serious violation."""
    await page.screenshots(name)
    assert await page.phone_overflow() == 0, name
    assert await page.serious_violations() == [], name


async def test_an_officer_reviews_two_reports_in_the_browser(
    desk: DeskSite, page: BrowserPage, signed_in_page: SignIn, tmp_path: Path
) -> None:
    reporter = await desk.person(Role.reporter, "ia-toi")
    first = await desk.report(reporter, tmp_path, "first")
    second = await desk.report(reporter, tmp_path, "second")
    async with desk.loa.db.session() as session:  # the first one was sent with its place
        await session.execute(
            update(Report).where(Report.id == first).values(latitude=14.1, longitude=107.4)
        )
    officer = await desk.person(Role.officer, "ia-toi")

    await page.goto(await desk.link_for(officer))
    assert "Đường dẫn này đăng nhập cho bạn" in await page.text()
    await check_page(page, "signin")
    await page.click("Đăng nhập")
    assert "Bạn xem được báo cáo của Xã Ia Tơi" in await page.text()
    await check_page(page, "home")

    await page.click("Báo cáo chờ duyệt", role="link")
    queue = await page.text()
    assert f"Báo cáo #{first}" in queue and f"Báo cáo #{second}" in queue
    assert "Số báo cáo tìm thấy: 2" in queue
    await check_page(page, "review-queue")
    thumbs = await page.run(
        lambda p: p.eval_on_selector_all(
            ".thumbs img", "imgs => imgs.map(i => [i.naturalWidth, i.closest('a').href])"
        )
    )
    assert len(thumbs) == 2 and all(width > 0 for width, _href in thumbs)  # thumbnails load
    assert all(href.endswith("/full") for _width, href in thumbs)

    await page.click(f"Báo cáo #{first}", role="link")
    detail = await page.text()
    assert "Hoạt động: Tuyên truyền tại nhà, lưu động" in detail
    assert "Diễn biến" in detail and "đã gửi" in detail  # the audit trail
    assert await page.run(lambda p: p.get_by_role("link", name="Xem địa điểm trên bản đồ").count())
    await check_page(page, "report")
    await page.click("✅ Duyệt")
    assert f"Đã duyệt báo cáo #{first}. Loa sẽ báo cho người báo cáo." in await page.text()
    await check_page(page, "report-approved")

    await page.goto(f"/desk/review/{second}")
    await page.fill("Lý do không duyệt (người báo cáo sẽ đọc)", "Ảnh không rõ người tham gia.")
    await page.click("❌ Không duyệt")
    assert f"báo cáo #{second}" in (await page.text()).lower()

    approved = await desk.wait_message(reporter, "Tin vui")
    assert f"báo cáo #{first}" in approved
    rejected = await desk.wait_message(reporter, "Ảnh không rõ người tham gia.")
    assert f"báo cáo #{second}" in rejected and "không được" in rejected
    async with desk.loa.db.session() as session:
        statuses = {
            number: (await session.get(Report, number)).status  # type: ignore[union-attr]
            for number in (first, second)
        }
    assert statuses == {first: ReportStatus.approved, second: ReportStatus.rejected}

    await page.goto("/desk/review?status=any")
    await check_page(page, "review-all")
    await page.click("Đăng xuất")
    assert "Bạn đã đăng xuất" in await page.text()
    await check_page(page, "signed-out")
    assert await page.goto("/desk/review") == 401
