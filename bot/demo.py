"""Demo data: a year of realistic activity so a newcomer sees exports and /status at once.

Everything made here is marked so `clear_demo` removes exactly it: users live on the channel
"demo" (no adapter sends there), their reports and photos hang from them, and deadlines have
keys starting "demo:". Real users, reports and deadlines are never touched. The data are
generated from a fixed seed: the same day gives the same data set.
"""

from __future__ import annotations

import io
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import delete, func, select

from bot.core.config import Settings
from bot.deadlines.planner import rule_book
from bot.reports.media import MediaLimits, attachment_row, open_store, store_photo
from bot.reports.summary import Period, half_year, whole_year
from db.models import (
    Deadline,
    DeadlineUnit,
    Report,
    ReportEvent,
    ReportMedia,
    ReportStatus,
    Role,
    Submission,
    Unit,
    UnitKind,
    User,
)
from db.repositories import Repos
from db.session import Database

DEMO_CHANNEL = "demo"
DEMO_KEY_PREFIX = "demo:"
REPORTERS_PER_COMMUNE = 4
DAYS = 365

# Activity kinds of the report flow (handlers/report.py), with how often each happens and a
# plausible head count.
_ACTIVITIES = (
    ("conference", 30, (25, 120)),
    ("loudspeaker", 20, (60, 300)),
    ("door_to_door", 20, (4, 30)),
    ("printed", 10, (20, 150)),
    ("bilingual", 8, (15, 80)),
    ("honouring", 5, (30, 100)),
    ("news", 4, (40, 200)),
    ("other", 3, (10, 60)),
)
_TOPICS = (
    "phòng, chống tảo hôn và hôn nhân cận huyết thống",
    "chính sách hỗ trợ đất ở, nhà ở, đất sản xuất (Dự án 1)",
    "bình đẳng giới và phòng, chống bạo lực gia đình (Dự án 8)",
    "vay vốn tín dụng chính sách cho hộ nghèo",
    "chăm sóc sức khỏe bà mẹ và trẻ em",
    "phòng, chống mua bán người",
    "giữ gìn bản sắc văn hóa các dân tộc",
)
_PLACES = ("nhà văn hóa thôn", "nhà rông", "hội trường UBND xã", "điểm trường", "nhà dân")
_NOTES = (
    "Khó khăn: đường vào thôn bị sạt lở sau mưa lớn, đoàn phải đi bộ gần 5 km.",
    "Đề xuất cấp thêm tờ gấp song ngữ tiếng Ba Na cho các thôn vùng sâu.",
    "Hệ thống loa truyền thanh của thôn bị hỏng, kiến nghị xã sớm sửa chữa.",
    "Nhiều bà con chưa nghe rõ tiếng Kinh, đề nghị bố trí người phiên dịch tại chỗ.",
    "Kinh phí tổ chức hội nghị còn hạn chế, chưa có nước uống cho người dự.",
    "Đề nghị tổ chức thêm buổi tuyên truyền vào buổi tối vì ban ngày bà con đi rẫy.",
)
_OTHER_KINDS = ("Thi tìm hiểu pháp luật", "Sân khấu hóa", "Chiếu phim lưu động")


class DemoError(ValueError):
    """The demo data cannot be seeded as asked (the message says why)."""


@dataclass(frozen=True, slots=True)
class SeedResult:
    """What `seed_demo` made, and the periods its approved reports fill."""

    users: int
    reports: int
    approved: int
    photos: int
    deadlines: int
    submissions: int
    periods: tuple[tuple[Period, int], ...]


@dataclass(frozen=True, slots=True)
class ClearResult:
    """What `clear_demo` removed."""

    users: int
    reports: int
    deadlines: int
    files: int


async def seed_demo(
    db: Database, settings: Settings, today: date, *, reports: int = 200
) -> SeedResult:
    """Fill the database with the demo data set (refused when it is already there)."""
    rng = random.Random(f"loa-demo-{today.isoformat()}")  # noqa: S311  (sample data, not secrets)
    async with db.session() as session:
        repos = Repos.of(session)
        if await _demo_users(repos):
            raise DemoError("the demo data are already there: `loa demo clear` removes them")
        units = await repos.units.active()
        if not units:
            raise DemoError("the org file has no units")
        now = datetime.combine(today, time(9), settings.tz).astimezone(UTC)
        people = _people(units, now)
        session.add_all(people)
        await session.flush()
        made = _reports(rng, people, units, today, settings, reports)
        session.add_all(made)
        await session.flush()
        photos = _photos_and_events(rng, made, people, settings)
        session.add_all(photos)
        deadlines, submissions = await _deadlines(rng, repos, people, units, today, settings)
    approved = [r for r in made if r.status == ReportStatus.approved.value]
    return SeedResult(
        users=len(people),
        reports=len(made),
        approved=len(approved),
        photos=len([p for p in photos if isinstance(p, ReportMedia)]),
        deadlines=deadlines,
        submissions=submissions,
        periods=_filled(approved, today, settings),
    )


async def _demo_users(repos: Repos) -> list[User]:
    stmt = select(User).where(User.channel == DEMO_CHANNEL).order_by(User.id)
    return list((await repos.session.execute(stmt)).scalars())


def _person(unit: Unit, role: Role, number: int, now: datetime) -> User:
    label = {Role.admin: "Quản trị", Role.officer: "Cán bộ", Role.reporter: "Người báo cáo"}[role]
    suffix = f" {number}" if role is Role.reporter else ""
    return User(
        channel=DEMO_CHANNEL,
        external_id=f"demo-{role.value}-{unit.id}-{number}",
        display_name=f"{label}{suffix} – {unit.name} (demo)",
        language="vi",
        role=role.value,
        unit_id=unit.id,
        # Nobody reads the "demo" channel: proactive messages to these users are not sent.
        unreachable=True,
        created_at=now,
        last_seen_at=now,
    )


def _people(units: Sequence[Unit], now: datetime) -> list[User]:
    roots = [u for u in units if u.parent_id is None]
    people = [_person(roots[0], Role.admin, 1, now)] if roots else []
    for unit in units:
        if unit.reporting or unit.kind == UnitKind.commune.value:
            people.append(_person(unit, Role.officer, 1, now))
        count = REPORTERS_PER_COMMUNE if unit.kind == UnitKind.commune.value else 1
        if unit.reporting or unit.kind in (UnitKind.commune.value, UnitKind.village.value):
            people.extend(_person(unit, Role.reporter, n, now) for n in range(1, count + 1))
    return people


def _reports(
    rng: random.Random,
    people: Sequence[User],
    units: Sequence[Unit],
    today: date,
    settings: Settings,
    count: int,
) -> list[Report]:
    reporters = [p for p in people if p.role == Role.reporter.value]
    if not reporters:
        raise DemoError("the org file has no unit to report from")
    # Communes carry most of the outreach; departments report now and then.
    weights = [3 if p.unit_id in _communes(units) else 1 for p in reporters]
    kinds, kind_weights = zip(*((k, w) for k, w, _r in _ACTIVITIES), strict=True)
    sizes = {k: r for k, _w, r in _ACTIVITIES}
    made = []
    for _n in range(count):
        reporter = rng.choices(reporters, weights)[0]
        kind = rng.choices(kinds, kind_weights)[0]
        day = today - timedelta(days=rng.randint(1, DAYS))
        people_count = rng.randint(*sizes[kind])
        at = datetime.combine(day, time(rng.randint(8, 16)), settings.tz).astimezone(UTC)
        status = rng.choices(
            [ReportStatus.approved, ReportStatus.submitted, ReportStatus.rejected],
            [88, 8, 4],
        )[0]
        made.append(
            Report(
                reporter_id=reporter.id,
                unit_id=reporter.unit_id,
                activity=kind,
                activity_other=rng.choice(_OTHER_KINDS) if kind == "other" else "",
                activity_date=day,
                participants=people_count,
                ethnic_minority=round(people_count * rng.uniform(0.55, 0.95))
                if rng.random() < 0.9
                else None,
                women=round(people_count * rng.uniform(0.3, 0.6)) if rng.random() < 0.85 else None,
                description=_description(rng, kind),
                status=status.value,
                created_at=at,
                updated_at=at + timedelta(days=1),
                submitted_at=at,
            )
        )
    return made


def _communes(units: Sequence[Unit]) -> set[str]:
    return {u.id for u in units if u.kind == UnitKind.commune.value}


def _description(rng: random.Random, kind: str) -> str:
    topic = rng.choice(_TOPICS)
    place = rng.choice(_PLACES)
    text = {
        "loudspeaker": f"Phát thanh trên loa của thôn về {topic}, 3 buổi sáng trong tuần.",
        "door_to_door": f"Đến từng nhà vận động bà con về {topic}.",
        "printed": f"Treo pano, phát tờ gấp tại {place} về {topic}.",
        "bilingual": f"Phát tài liệu song ngữ Việt - Ba Na về {topic} tại {place}.",
        "news": f"Đăng tin bài trên trang thông tin của xã về {topic}.",
    }.get(kind, f"Tổ chức tuyên truyền tại {place} về {topic}; bà con hỏi nhiều, sôi nổi.")
    if rng.random() < 0.15:
        text += " " + rng.choice(_NOTES)
    return text + " (dữ liệu mẫu)"


def _photos_and_events(
    rng: random.Random, made: Sequence[Report], people: Sequence[User], settings: Settings
) -> list[ReportMedia | ReportEvent]:
    store = open_store(settings)
    limits = MediaLimits.of(settings)
    officers = {p.unit_id: p for p in people if p.role in (Role.officer.value, Role.admin.value)}
    admin = next((p for p in people if p.role == Role.admin.value), None)
    rows: list[ReportMedia | ReportEvent] = []
    with tempfile.TemporaryDirectory() as spool:
        source = Path(spool) / "photo.jpg"
        for report in made:
            taken = report.submitted_at or report.created_at
            for n in range(0 if report.activity == "loudspeaker" else rng.randint(1, 3)):
                source.write_bytes(_image(rng, report, n))
                stored = store_photo(store, source, limits)
                rows.append(attachment_row(stored, report.id, at=taken))
            reviewer = officers.get(report.unit_id) or admin
            rows.append(_event(report, report.reporter_id, None, ReportStatus.submitted, taken))
            if report.status != ReportStatus.submitted.value:
                decided = ReportStatus(report.status)
                note = (
                    "Thiếu ảnh rõ mặt người dự (dữ liệu mẫu)."
                    if decided.value == "rejected"
                    else ""
                )
                actor = reviewer.id if reviewer is not None else None
                rows.append(
                    _event(report, actor, ReportStatus.submitted, decided, report.updated_at, note)
                )
    return rows


def _event(
    report: Report,
    actor: int | None,
    before: ReportStatus | None,
    after: ReportStatus,
    at: datetime,
    note: str = "",
) -> ReportEvent:
    return ReportEvent(
        report_id=report.id,
        actor_id=actor,
        from_status=before.value if before else ReportStatus.draft.value,
        to_status=after.value,
        note=note,
        at=at,
    )


def _image(rng: random.Random, report: Report, number: int) -> bytes:
    """A generated photo: sky, hills, a crowd of dots, and a caption saying it is demo data."""
    width, height = 480, 360
    image = Image.new("RGB", (width, height), (rng.randint(90, 160), 170, rng.randint(200, 240)))
    draw = ImageDraw.Draw(image)
    green = (rng.randint(40, 90), rng.randint(110, 160), rng.randint(40, 80))
    hills = [(0, height)]
    hills += [(x, int(height * rng.uniform(0.45, 0.7))) for x in range(0, width + 60, 60)]
    draw.polygon([*hills, (width, height)], fill=green)
    for _n in range(rng.randint(8, 40)):
        x, y = rng.randint(10, width - 10), rng.randint(int(height * 0.7), height - 10)
        colour = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        draw.ellipse((x - 5, y - 12, x + 5, y + 12), fill=colour)
    day = report.activity_date.strftime("%d/%m/%Y") if report.activity_date else ""
    draw.rectangle((0, 0, width, 24), fill=(0, 0, 0))
    draw.text((8, 6), f"LOA DEMO  #{number + 1}  {report.activity}  {day}", fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


async def _deadlines(
    rng: random.Random,
    repos: Repos,
    people: Sequence[User],
    units: Sequence[Unit],
    today: date,
    settings: Settings,
) -> tuple[int, int]:
    """The plan's two recurring deadlines of the past year and one ad-hoc request still open,
    as demo copies, with most units' submissions."""
    rules = rule_book(settings.deadlines_file)
    owing = [u.id for u in units if u.reporting]
    officers = {p.unit_id: p for p in people if p.role == Role.officer.value}
    admin = next((p for p in people if p.role == Role.admin.value), None)
    wanted: list[tuple[str, str, date]] = []
    for rule in rules.rules:
        for year in (today.year - 1, today.year):
            due = rule.due_date(year)
            if today - timedelta(days=DAYS) < due <= today:
                wanted.append((f"{rule.id}:{year}", f"{rule.title_for(year)} (demo)", due))
    wanted.append(
        ("adhoc", "Báo cáo nhanh kết quả tuyên truyền Dự án 8 (demo)", today + timedelta(days=20))
    )
    submissions = 0
    now = datetime.combine(today, time(9), settings.tz).astimezone(UTC)
    for key, title, due in wanted:
        deadline = await repos.deadlines.materialise(
            key=DEMO_KEY_PREFIX + key,
            rule_id=None,
            title=title,
            due_date=due,
            schedule=rules.defaults.to_json(),
            unit_ids=owing,
            created_by=admin.id if admin is not None else None,
            now=now,
        )
        share = 0.8 if due <= today else 0.3
        for unit_id in owing:
            officer = officers.get(unit_id)
            if officer is None or rng.random() > share:
                continue
            day = min(today, due - timedelta(days=rng.randint(1, 12)))
            at = datetime.combine(day, time(10), settings.tz).astimezone(UTC)
            note = rng.choice(_NOTES) if rng.random() < 0.3 else ""
            submissions += await repos.deadlines.submit(
                deadline_id=deadline.id,
                unit_id=unit_id,
                submitted_by=officer.id,
                via="chat",
                note=note,
                document=None,
                now=at,
            )
    return len(wanted), submissions


def _filled(
    approved: Sequence[Report], today: date, settings: Settings
) -> tuple[tuple[Period, int], ...]:
    days = [r.activity_date for r in approved if r.activity_date is not None]
    found = []
    for year in range(today.year - 1, today.year + 2):
        for period in (half_year(year, settings), whole_year(year, settings)):
            count = sum(1 for day in days if period.contains(day))
            if count:
                found.append((period, count))
    return tuple(sorted(found, key=lambda item: (item[0].start, item[0].end)))


async def clear_demo(db: Database, settings: Settings) -> ClearResult:
    """Remove the demo data, and the stored photos no other report uses."""
    store = open_store(settings)
    async with db.session() as session:
        repos = Repos.of(session)
        users = [u.id for u in await _demo_users(repos)]
        report_ids = list(
            (
                await session.execute(select(Report.id).where(Report.reporter_id.in_(users)))
            ).scalars()
        )
        media = list(
            (
                await session.execute(
                    select(ReportMedia.sha256, ReportMedia.path, ReportMedia.thumb_path).where(
                        ReportMedia.report_id.in_(report_ids)
                    )
                )
            ).all()
        )
        deadline_ids = list(
            (
                await session.execute(
                    select(Deadline.id).where(Deadline.key.startswith(DEMO_KEY_PREFIX))
                )
            ).scalars()
        )
        await session.execute(delete(Submission).where(Submission.deadline_id.in_(deadline_ids)))
        await session.execute(delete(Submission).where(Submission.submitted_by.in_(users)))
        await session.execute(
            delete(DeadlineUnit).where(DeadlineUnit.deadline_id.in_(deadline_ids))
        )
        await session.execute(delete(Deadline).where(Deadline.id.in_(deadline_ids)))
        await session.execute(delete(ReportEvent).where(ReportEvent.report_id.in_(report_ids)))
        await session.execute(delete(ReportMedia).where(ReportMedia.report_id.in_(report_ids)))
        await session.execute(delete(Report).where(Report.id.in_(report_ids)))
        await session.execute(delete(User).where(User.id.in_(users)))
        still_used = set(
            (
                await session.execute(
                    select(ReportMedia.sha256)
                    .where(ReportMedia.sha256.in_({sha for sha, _p, _t in media}))
                    .group_by(ReportMedia.sha256)
                    .having(func.count() > 0)
                )
            ).scalars()
        )
    files = 0
    for sha, path, thumb in {tuple(row) for row in media}:
        if sha in still_used:
            continue
        for key in (path, thumb):
            target = store.local_path(key) if key else None
            if target is not None and target.is_file():
                target.unlink()
                files += 1
                _prune(target.parent, levels=2)
    return ClearResult(len(users), len(report_ids), len(deadline_ids), files)


def _prune(folder: Path, levels: int) -> None:
    """Remove the fan-out folders ("ab/cd/") a removed file leaves empty."""
    for _level in range(levels):
        try:
            folder.rmdir()  # only succeeds when empty
        except OSError:
            return
        folder = folder.parent
