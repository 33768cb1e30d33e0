"""The desk's other pages in a real browser (Debian's Chromium): an admin answers a question
and the villager receives it on Telegram, sends an announcement to one commune (and it
arrives), runs a poll, downloads both export files (they open), and looks at the deadlines and
the dashboard. Each page is screenshotted at desktop width and at 390 px, fits a phone, and has
no serious or critical axe-core violation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import docx
from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.chat import Incoming, Kind, choice
from db.models import Broadcast, BroadcastKind, Deadline, Role
from tests.helpers import fresh_update_id
from tests.test_exports import Known, known
from tests.web.browser import BrowserPage
from tests.web.conftest import SignIn
from tests.web.desk import DeskSite
from tests.web.test_desk_broadcasts import villager_of
from tests.web.test_desk_tickets import asking

__all__ = ["known"]  # the data set of the export tests, as a fixture here too


async def check_page(page: BrowserPage, name: str) -> None:
    """Screenshots at both widths, no horizontal scrolling on a phone, no serious violation."""
    await page.screenshots(name)
    assert await page.phone_overflow() == 0, name
    assert await page.serious_violations() == [], name


async def download(page: BrowserPage, button: str, folder: Path) -> Path:
    """Press a download button; the file as the browser saved it."""

    async def fetch(tab: Any) -> str:
        async with tab.expect_download() as info:
            await tab.get_by_role("button", name=button).click()
        got = await info.value
        target = folder / got.suggested_filename
        await got.save_as(str(target))
        return str(target)

    return Path(await page.run(fetch))


async def test_an_admin_works_through_the_desk_pages(
    desk: DeskSite, page: BrowserPage, signed_in_page: SignIn, known: Known, tmp_path: Path
) -> None:
    admin = await desk.person(Role.admin)
    villager = await asking(desk)
    await villager.chat.send("Con tôi 16 tuổi có được đăng ký kết hôn không?")
    reader = await villager_of(desk, "Xã Ia Tơi")
    await signed_in_page(admin)

    # A question answered from the desk reaches the villager on Telegram.
    await page.click("Câu hỏi của người dân", role="link")
    assert "Con tôi 16 tuổi" in await page.text()
    await check_page(page, "tickets")
    answer = "Chưa được: nữ từ đủ 18 tuổi, nam từ đủ 20 tuổi mới được kết hôn."
    await page.run(lambda tab: tab.locator("textarea[name=answer]").first.fill(answer))
    await page.click("Gửi câu trả lời")
    assert "đã được gửi cho người dân" in await page.text()
    received = await desk.wait_message(villager, answer)
    assert "Trả lời câu hỏi số" in received

    # An announcement to one commune: preview with its count, then sent, and it arrives.
    await page.click("Thông báo và khảo sát", role="link")
    await check_page(page, "broadcasts")
    await page.click("📢 Thông báo mới", role="link")
    await page.run(lambda tab: tab.get_by_label("Gửi cho ai?").select_option("unit:ia-toi"))
    await page.run(lambda tab: tab.locator("#audience-count", has_text="Gửi đến").wait_for())
    news = "Chiều thứ Sáu có buổi tư vấn sức khỏe sinh sản tại trạm y tế xã."
    await page.fill("Nội dung (tiếng Việt)", news)
    await page.click("Xem trước và đếm người nhận")
    counted = re.search(r"Gửi đến (\d+) người\.", await page.text())
    assert counted is not None and int(counted.group(1)) >= 2  # the two villagers, and staff
    await check_page(page, "broadcast-preview")
    await page.click("✅ Gửi")
    assert f"đang được gửi đến {counted.group(1)} người" in await page.text()
    await desk.wait_message(reader, news)
    # The page's script updates the figures in place as the copies go out.
    await page.run(lambda tab: tab.locator("#progress-text", has_text="đã gửi: 2").wait_for())
    await check_page(page, "broadcast-progress")

    # A poll, answered in chat, and its results as a chart.
    await page.goto("/desk/broadcasts/new?kind=poll")
    await page.fill("Câu hỏi (tiếng Việt)", "Bà con muốn họp vào buổi nào?")
    await page.fill("Phương án 1", "Buổi sáng")
    await page.fill("Phương án 2", "Buổi tối")
    await page.click("Xem trước và đếm người nhận")
    await check_page(page, "poll-new")
    await page.click("✅ Gửi")
    async with desk.loa.db.session() as session:
        poll = (
            await session.execute(
                select(Broadcast).where(Broadcast.kind == BroadcastKind.poll.value)
            )
        ).scalar_one()
    await desk.wait_message(reader, "Bà con muốn họp vào buổi nào?")
    pressed = choice("pa", poll.id, 2, label="")
    await reader.chat.deliver(
        Incoming(
            "telegram", str(reader.telegram_id), fresh_update_id(), Kind.choice,
            choice=pressed.payload,
        )
    )  # fmt: skip
    await page.goto(f"/desk/broadcasts/{poll.id}")
    chart = await page.run(lambda tab: tab.get_by_role("img", name="Kết quả khảo sát").count())
    assert chart == 1
    await check_page(page, "poll-results")

    # Both files of the periodic report download and open.
    await page.click("Tệp báo cáo định kỳ", role="link")
    await check_page(page, "exports")
    await page.run(lambda tab: tab.get_by_label("Kỳ báo cáo", exact=True).select_option("2026"))
    workbook = await download(page, "Tải bảng tính (XLSX)", tmp_path)
    assert workbook.name == "bao-cao-tat-ca-2026.xlsx"
    assert load_workbook(workbook).sheetnames
    draft = await download(page, "Tải dự thảo báo cáo (DOCX)", tmp_path)
    assert any("BÁO CÁO" in p.text.upper() for p in docx.Document(str(draft)).paragraphs)

    # The deadlines and one deadline's forms, then the dashboard with its charts.
    await page.click("Hạn nộp báo cáo", role="link")
    assert "Báo cáo năm 2026" in await page.text()
    await check_page(page, "deadlines")
    async with desk.loa.db.session() as session:
        deadline = (await session.execute(select(Deadline).limit(1))).scalar_one()
    await page.goto(f"/desk/deadlines/{deadline.id}")
    await check_page(page, "deadline-edit")
    await page.goto("/desk/dashboard?period=2026")
    assert await page.run(lambda tab: tab.locator("svg[role=img]").count()) == 4
    await check_page(page, "dashboard")
