"""The reporting calendar and the planner: a whole season walked with a frozen clock."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from sqlalchemy import select

from bot.app import Loa
from bot.core.clock import FrozenClock
from bot.core.config import Settings
from bot.core.i18n import Catalogs, Language
from bot.deadlines.planner import Calendar, Planner, RulesFileError, Schedule, load_rules
from bot.delivery.outbox import OutboxWorker
from bot.scheduler import planner_for
from bot.translations import catalogs
from db.models import OutboxMessage, OutboxState, Role, User
from db.repositories import Repos
from tests.helpers import Chat, RecordingSender

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CHANNEL = "test"


def local(day: int, hour: int = 8, minute: int = 0, month: int = 6, year: int = 2027) -> datetime:
    """A moment in Vietnam time."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


async def person(loa: Loa, name: str, role: Role, unit: str | None, language: str = "vi") -> None:
    """A user with a role, as an invite would have made them."""
    async with loa.db.session() as session:
        repos = Repos.of(session)
        user = await repos.users.get_or_create(
            CHANNEL, name, display_name=name, now=loa.services.clock.now()
        )
        user.role, user.unit_id, user.language = role.value, unit, language


async def rows(loa: Loa) -> list[OutboxMessage]:
    """Every outbox row, oldest first."""
    async with loa.db.session() as session:
        result = await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        return list(result.scalars())


def worker(loa: Loa, sender: RecordingSender, clock: FrozenClock) -> OutboxWorker:
    """An outbox worker for the test channel."""
    return OutboxWorker(loa.db, {CHANNEL: sender}, loa.settings, clock, worker_id="w")  # type: ignore[dict-item]


class Season:
    """A planner and a sender driven at chosen moments; a restart makes both anew."""

    def __init__(self, loa: Loa, clock: FrozenClock) -> None:
        self.loa = loa
        self.clock = clock
        self.sender = RecordingSender()
        self.planner: Planner = planner_for(loa, clock)
        self.started: list[Loa] = []

    async def close(self) -> None:
        """Close the Loas started by restarts (the fixture closes its own)."""
        for app in self.started:
            await app.close()

    async def at(self, moment: datetime) -> list[tuple[str, str]]:
        """Plan and send at `moment`; what went out, as (recipient, reminder kind) pairs."""
        self.clock.set(moment)
        before = {row.id for row in await rows(self.loa) if row.state == OutboxState.sent}
        await self.planner.run()
        await worker(self.loa, self.sender, self.clock).flush()
        async with self.loa.db.session() as session:
            names = dict((await session.execute(select(User.id, User.external_id))).all())
        return sorted(
            (names[row.user_id], row.dedupe_key.split(":")[-2])
            for row in await rows(self.loa)
            if row.state == OutboxState.sent and row.id not in before
        )

    async def restart(self) -> Loa:
        """A new process on the same database: new Loa, planner and worker."""
        fresh = await Loa.start(self.loa.settings, clock=self.clock)
        self.started.append(fresh)
        self.loa = fresh
        self.planner = planner_for(fresh, self.clock)
        return fresh


# --- the calendar -----------------------------------------------------------------------------


def test_the_june_deadline_reminds_from_its_last_day() -> None:
    # "trước ngày 10/6": the last day is 9 June; offsets count from it.
    calendar = Calendar.of(date(2027, 6, 10), Schedule(), TZ, open_days_before=60)
    days = [(s.kind, s.at.astimezone(TZ).strftime("%d/%m %H:%M")) for s in calendar.slots[:8]]
    assert days == [
        ("before-7d", "02/06 08:00"),
        ("before-3d", "06/06 08:00"),
        ("before-1d", "08/06 08:00"),
        ("due", "09/06 08:00"),
        ("overdue-1d", "10/06 08:00"),
        ("overdue-2d", "11/06 08:00"),
        ("overdue-3d", "12/06 08:00"),
        ("overdue-4d", "13/06 08:00"),
    ]
    assert len(calendar.slots) == 4 + 30
    assert calendar.escalation is not None
    assert calendar.escalation.at == local(12)
    assert calendar.opens_at == datetime(2027, 4, 10, tzinfo=TZ)
    assert calendar.closes_at == local(10, month=7)  # the last overdue day (9/7) has run out
    # Each slot holds until the next one: a catch-up sends the one valid now, not a burst.
    assert calendar.current(local(5, 23)).kind == "before-7d"  # type: ignore[union-attr]
    assert calendar.current(local(6, 7, 59)).kind == "before-7d"  # type: ignore[union-attr]
    assert calendar.current(local(6)).kind == "before-3d"  # type: ignore[union-attr]
    assert calendar.current(local(1)) is None
    assert calendar.current(local(10, month=7)) is None


def test_an_adhoc_deadline_is_announced_first() -> None:
    created = local(5, 14, 30)
    calendar = Calendar.of(
        date(2027, 6, 10), Schedule(overdue_days=2), TZ, opens_at=created, announced_at=created
    )
    kinds = [slot.kind for slot in calendar.slots]
    # before-7d (2/6) was before the request: the announcement takes its place.
    assert kinds == ["new", "before-3d", "before-1d", "due", "overdue-1d", "overdue-2d"]
    assert calendar.slots[0].until == local(6)


def test_the_shipped_rules_are_the_plans_reporting_duty(settings: Settings) -> None:
    book = load_rules(settings.deadlines_file)
    assert [(r.id, r.day, r.month, r.units) for r in book.rules] == [
        ("six-month", 10, 6, None),
        ("annual", 10, 12, None),
    ]
    assert book.rules[0].title_for(2027) == "Báo cáo 6 tháng đầu năm 2027"
    assert book.defaults == Schedule()
    assert book.open_days_before == 60


@pytest.mark.parametrize(
    "text",
    [
        "rules: [{id: x}]",
        "rules: [{id: x, due: 30/2}]",
        "rules: [{id: x, due: 10/6, before_days: [0]}]",
        "rules: [{id: x, due: 10/6}, {id: x, due: 10/12}]",
        "rules: [{id: 'a:b', due: 10/6}]",
        "[1, 2]",
    ],
)
def test_a_broken_rules_file_says_what_is_wrong(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deadlines.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesFileError, match=str(path)):
        load_rules(path)


# --- the season -------------------------------------------------------------------------------


async def test_a_whole_season_of_the_six_month_report(loa: Loa, clock: FrozenClock) -> None:
    await person(loa, "dom", Role.officer, "ia-dom")
    await person(loa, "toi", Role.officer, "ia-toi")
    await person(loa, "dal", Role.officer, "ia-dal", language="bdq")  # falls back to vi
    await person(loa, "district", Role.officer, "ia-hdrai")
    await person(loa, "admin", Role.admin, None)
    season = Season(loa, clock)

    assert await season.at(local(1, 9)) == []  # open since April, nothing to say yet
    assert await season.at(local(2)) == [
        ("dal", "before-7d"),
        ("dom", "before-7d"),
        ("toi", "before-7d"),
    ]
    text = season.sender.texts("dom")[0]
    assert "Nhắc hạn: Báo cáo 6 tháng đầu năm 2027" in text
    assert "Xã Ia Dom: hạn nộp trước ngày 10/06/2027. Ngày cuối cùng là 09/06/2027, còn 7" in text
    assert await season.at(local(2, 8, 5)) == []  # planning again queues nothing

    # A restart in between: a new process plans at start and sends nothing twice.
    await season.restart()
    assert await season.at(local(2, 9)) == []
    assert await season.at(local(6)) == [
        ("dal", "before-3d"),
        ("dom", "before-3d"),
        ("toi", "before-3d"),
    ]

    # Ia Tơi sends its report: its reminders stop.
    toi = Chat(season.loa.engine, user="toi")
    await toi.script("/submit", "[Báo cáo 6 tháng]", "[không kèm tệp]", "[Xác nhận]")
    assert "Đã ghi nhận: Xã Ia Tơi đã nộp Báo cáo 6 tháng đầu năm 2027" in toi.text

    assert await season.at(local(8)) == [("dal", "before-1d"), ("dom", "before-1d")]
    assert await season.at(local(9)) == [("dal", "due"), ("dom", "due")]
    assert "Hôm nay là ngày cuối cùng" in season.sender.texts("dom")[-1]

    # Quiet hours: nothing is planned at night; the morning run takes over.
    assert await season.at(local(9, 22)) == []
    assert await season.at(local(10, 6, 59)) == []
    assert await season.at(local(10, 7)) == []  # "due" holds until 08:00, and went out
    assert await season.at(local(10)) == [("dal", "overdue-1d"), ("dom", "overdue-1d")]
    assert "đã quá hạn 1 ngày" in season.sender.texts("dom")[-1]
    assert await season.at(local(11)) == [("dal", "overdue-2d"), ("dom", "overdue-2d")]

    # The third overdue day escalates to the parent unit's officers and the admins.
    assert await season.at(local(12)) == [
        ("admin", "escalation"),
        ("dal", "overdue-3d"),
        ("district", "escalation"),
        ("dom", "overdue-3d"),
    ]
    escalation = season.sender.texts("district")[-1]
    assert "Báo cáo quá hạn: Báo cáo 6 tháng đầu năm 2027" in escalation
    assert "• Xã Ia Dom" in escalation and "• Xã Ia Đal" in escalation
    assert "Ia Tơi" not in escalation  # it submitted

    # Down from the 12th to the 15th: one catch-up reminder, not one per missed day.
    await season.restart()
    assert await season.at(local(15, 10)) == [("dal", "overdue-6d"), ("dom", "overdue-6d")]
    assert "đã quá hạn 6 ngày" in season.sender.texts("dom")[-1]

    # Nothing was sent twice, and every row went out.
    outbox = await rows(season.loa)
    assert all(row.state == OutboxState.sent for row in outbox)
    assert len({row.dedupe_key for row in outbox}) == len(outbox) == len(season.sender.sent)
    # After the overdue window the deadline closes: no more reminders.
    assert await season.at(local(10, 9, month=7)) == []
    await season.close()


async def test_units_without_officers_are_listed_not_lost(loa: Loa, clock: FrozenClock) -> None:
    await person(loa, "dom", Role.officer, "ia-dom")
    planner = planner_for(loa, clock)
    planned = await planner.preview(local(2))
    nobody = [m.units[0] for m in planned if m.state == "no-recipient"]
    assert "ia-dal" in nobody and "phong-tu-phap" in nobody and "ia-dom" not in nobody
    assert len(nobody) == 18  # 19 reporting units in the 2022 map, one has its officer
    # No admin either: the escalation has nobody to go to, and says so.
    escalation = [m for m in await planner.preview(local(12)) if m.kind == "escalation"]
    assert [(m.state, len(m.units)) for m in escalation] == [("no-recipient", 19)]


async def test_a_submission_withdraws_reminders_not_yet_sent(loa: Loa, clock: FrozenClock) -> None:
    await person(loa, "dom", Role.officer, "ia-dom")
    await person(loa, "dal", Role.officer, "ia-dal")
    season = Season(loa, clock)
    clock.set(local(6))
    await season.planner.run()  # queued, but no sender ran yet (the channel was down)
    dom = Chat(loa.engine, user="dom")
    await dom.script("/submit", "[Báo cáo 6 tháng]")
    await dom.then("Đã gửi bản giấy, số 12/BC-UBND ngày 05/6/2027", "Ghi chú: Đã gửi bản giấy")
    await dom.press("Xác nhận")
    await worker(loa, season.sender, clock).flush()
    assert season.sender.texts("dom") == []
    assert len(season.sender.texts("dal")) == 1
    states = {row.dedupe_key.split(":")[4]: row.state for row in await rows(loa)}
    assert states == {"ia-dom": OutboxState.cancelled, "ia-dal": OutboxState.sent}


async def test_an_adhoc_deadline_from_chat_is_announced_and_reminded(
    loa: Loa, clock: FrozenClock
) -> None:
    await person(loa, "admin", Role.admin, "phong-ldtbxh")
    await person(loa, "dom", Role.officer, "ia-dom")
    await person(loa, "toi", Role.officer, "ia-toi")
    clock.set(local(3, 15, month=8))  # no recurring deadline is open in August
    admin = Chat(loa.engine, user="admin")
    await admin.send("/deadline")
    await admin.then("Báo cáo nhanh về lũ", "Hạn nộp trước ngày nào")
    await admin.script("20/8/2027", "[Chọn đơn vị]", "[Xã Ia Dom]")
    assert "☑ Xã Ia Dom" in [c.label for c in admin.choices]
    await admin.press("Xong")
    assert "Đơn vị (1): Xã Ia Dom" in admin.text
    assert "Nộp trước ngày 20/08/2027 (chậm nhất ngày 19/08/2027)" in admin.text
    await admin.then("[Tạo]", "Đã tạo: Báo cáo nhanh về lũ")

    season = Season(loa, clock)
    assert await season.at(local(3, 15, 5, month=8)) == [("dom", "new")]
    assert "Yêu cầu báo cáo mới: Báo cáo nhanh về lũ" in season.sender.texts("dom")[0]
    assert await season.at(local(12, month=8)) == [("dom", "before-7d")]
    # The reminder's own button marks the report (typed as a number, as on Zalo).
    dom = Chat(season.loa.engine, user="dom")
    await dom.then("1", "Báo cáo nhanh về lũ — Xã Ia Dom")
    await dom.press("không kèm tệp")
    await dom.press("Xác nhận")
    assert await season.at(local(19, month=8)) == []


async def test_escalation_goes_to_the_parent_units_officers_on_the_2025_map(
    settings: Settings, clock: FrozenClock, loa: Loa
) -> None:
    # On today's map the communes sit under the province: its officers hear about them.
    moved = settings.model_copy(
        update={"org_file": settings.org_file.parent / "ia-hdrai-2025.yaml"}
    )
    app = await Loa.start(moved, clock=clock)
    try:
        await person(app, "province", Role.officer, "quang-ngai")
        await person(app, "so", Role.officer, "so-dttg")
        planned = await planner_for(app, clock).preview(local(12))
        escalations = {m.recipient: m.units for m in planned if m.kind == "escalation"}
        assert escalations == {"test:province (province)": ("ia-toi", "ia-dal")}
    finally:
        await app.close()


async def test_reminders_are_written_in_the_officers_language(
    loa: Loa, clock: FrozenClock, tmp_path: Path
) -> None:
    # A test-only language with one string: the rest falls back to Vietnamese, line by line.
    catalog = Catalog(locale=None, domain="messages")
    catalog.add("⏰ **Reminder: {title}**", "XT reminder: {title}")
    folder = tmp_path / "xtest" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_bytes(catalogs.render(catalog))
    shutil.copytree(loa.settings.locales_dir / "vi", tmp_path / "vi")
    languages = (Language("vi", "Tiếng Việt", None, "vi"), Language("xtest", "T", None, "vi"))
    await person(loa, "dom", Role.officer, "ia-dom", language="xtest")
    season = Season(loa, clock)
    season.planner.catalogs = Catalogs(tmp_path, languages)
    await season.at(local(2))
    (text,) = season.sender.texts("dom")
    assert text.startswith("XT reminder: Báo cáo 6 tháng đầu năm 2027\nXã Ia Dom: hạn nộp")
