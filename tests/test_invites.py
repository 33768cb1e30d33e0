"""Roles through invites: the CLI makes codes, /join redeems them once, guesses are limited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import Loa
from bot.core.chat import Incoming, Kind
from bot.core.clock import FrozenClock
from db.models import Invite, JoinFailure, Role, User
from tests.fixtures.reporting import invite_codes, joined
from tests.helpers import Chat, fresh_update_id
from tests.test_cli import loa_json, run_loa


async def _user(loa: Loa, external_id: str) -> User:
    async with loa.db.session() as session:
        stmt = select(User).where(User.external_id == external_id)
        return (await session.execute(stmt)).scalar_one()


async def _vietnamese(loa: Loa, user: str) -> Chat:
    chat = Chat(loa.engine, user=user)
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    await chat.press("Bỏ qua")  # the commune question of the first contact
    return chat


async def test_first_admin_comes_from_the_cli_and_each_code_works_once(
    loa: Loa, cli_env: dict[str, str]
) -> None:
    batch = loa_json(
        *["invite", "create", "--role", "admin", "--unit", "ia-hdrai", "--count", "2", "--json"],
        env=cli_env,
    )
    assert batch["role"] == "admin"
    assert batch["unit"] == "ia-hdrai"
    codes = batch["codes"]
    assert len(codes) == 2
    assert len(set(codes)) == 2
    assert all(len(code) == 12 and code.count("-") == 2 for code in codes)

    # Only hashes are stored: the database alone gives no usable code.
    async with loa.db.session() as session:
        invites = (await session.execute(select(Invite))).scalars().all()
    assert len(invites) == 2
    for invite in invites:
        assert all(code.replace("-", "") not in invite.code_hash for code in codes)
        assert invite.used_at is None
        assert invite.created_by is None

    admin = await _vietnamese(loa, "district-admin")
    await admin.send(f"/join {codes[0].lower().replace('-', ' ')}")  # typed loosely: still works
    assert "Chào mừng! Bạn đã là quản trị viên của Huyện Ia H'Drai." in admin.text
    labels = [c.label for c in admin.choices]
    assert "Gửi báo cáo" in labels
    assert "Báo cáo chờ duyệt" in labels
    assert "Tạo mã mời" in labels
    assert "Tôi có mã mời" not in labels
    user = await _user(loa, "district-admin")
    assert (user.role, user.unit_id) == ("admin", "ia-hdrai")

    # The same code again, by someone else: refused politely, nothing changes.
    other = await _vietnamese(loa, "someone-else")
    await other.send(f"/join {codes[0]}")
    assert "Mã mời này đã được dùng" in other.text
    assert (await _user(loa, "someone-else")).role == "villager"
    async with loa.db.session() as session:
        used = (
            (await session.execute(select(Invite).where(Invite.used_at.is_not(None))))
            .scalars()
            .all()
        )
    assert [(i.used_by, i.role, i.unit_id) for i in used] == [(user.id, "admin", "ia-hdrai")]


REPORTER_AT_IA_TOI = ("invite", "create", "--role", "reporter", "--unit", "Ia Tơi")


def test_cli_refuses_unknown_roles_units_and_durations(cli_env: dict[str, str]) -> None:
    bad_role = run_loa(
        *["invite", "create", "--role", "villager", "--unit", "ia-toi"], env=cli_env
    )
    assert bad_role.returncode == 2
    assert "role must be one of reporter, officer, admin" in bad_role.stderr
    bad_unit = run_loa(
        *["invite", "create", "--role", "reporter", "--unit", "nowhere"], env=cli_env
    )
    assert bad_unit.returncode == 2
    assert "unknown unit 'nowhere'" in bad_unit.stderr
    bad_time = run_loa(*REPORTER_AT_IA_TOI, "--expires", "soon", env=cli_env)
    assert bad_time.returncode == 2
    assert "7d, 12h or 30m" in bad_time.stderr
    text = run_loa(*REPORTER_AT_IA_TOI, "--expires", "12h", env=cli_env)
    assert text.returncode == 0, text.stderr
    assert "Mã mời: 1 mã, cho: người báo cáo của Xã Ia Tơi (ia-toi), dùng được đến" in text.stdout
    assert "gửi /join và mã cho Loa" in text.stdout
    assert len([line for line in text.stdout.splitlines() if line.startswith("  ")]) == 1
    english = run_loa(
        "invite", "create", "--role", "officer", "--unit", "ia-dal", env={**cli_env, "LANG": "C"}
    )
    assert "Invite codes: 1, for: officer of Xã Ia Đal (ia-dal), valid until" in english.stdout


async def test_menu_entry_asks_for_the_code(loa: Loa) -> None:
    (code,) = await invite_codes(loa, Role.reporter, "ia-dal")
    chat = await _vietnamese(loa, "y-blong")
    await chat.then("[Tôi có mã mời]", "Gõ mã mời bạn được cấp")
    await chat.send(code)
    assert "Bạn đã là người báo cáo của Xã Ia Đal" in chat.text
    assert "Tôi có mã mời" not in [c.label for c in chat.choices]
    assert "Gửi báo cáo" in [c.label for c in chat.choices]
    assert "Báo cáo chờ duyệt" not in [c.label for c in chat.choices]


async def test_expired_code_is_refused(loa: Loa, clock: FrozenClock) -> None:
    (code,) = await invite_codes(loa, Role.officer, "ia-toi")
    clock.advance(timedelta(days=8))
    chat = await _vietnamese(loa, "late")
    await chat.send(f"/join {code}")
    assert "Mã mời này đã hết hạn lúc 02/12/2026 09:00" in chat.text
    assert (await _user(loa, "late")).role == "villager"


async def test_wrong_codes_are_limited_per_user_and_guessing_does_not_work(
    loa: Loa, clock: FrozenClock
) -> None:
    (code,) = await invite_codes(loa, Role.reporter, "ia-toi")
    guesser = await _vietnamese(loa, "guesser")
    await guesser.send("/join")
    for left in (4, 3, 2, 1):
        await guesser.send("ABCD-EFGH-JK")
        assert f"Mã này không đúng. Hãy kiểm tra rồi gõ lại (còn {left} lần thử)" in guesser.text
    await guesser.then("/join 2345-6789-AB", "Bạn đã hết lượt thử trong giờ này")
    # Even the right code waits now: the limit is checked before any code is looked at.
    await guesser.send(f"/join {code}")
    assert "Bạn đã gõ sai mã quá nhiều lần" in guesser.text
    assert "thử lại sau 25/11/2026 10:00" in guesser.text
    assert (await _user(loa, "guesser")).role == "villager"
    async with loa.db.session() as session:
        failures = (await session.execute(select(JoinFailure))).scalars().all()
    assert len(failures) == 5  # refusals under the limit are not counted again

    # Someone else is not held back by the guesser.
    (other_code,) = await invite_codes(loa, Role.reporter, "ia-dal")
    other = await _vietnamese(loa, "honest")
    await other.send(f"/join {other_code}")
    assert "Chào mừng" in other.text

    # An hour later the guesser may try again, and the code is still good.
    clock.advance(timedelta(hours=1, minutes=1))
    await guesser.send(f"/join {code}")
    assert "Bạn đã là người báo cáo của Xã Ia Tơi" in guesser.text


async def test_villager_cannot_reach_reporter_or_officer_actions(loa: Loa) -> None:
    chat = await _vietnamese(loa, "villager")
    labels = [c.label for c in chat.choices]
    assert "Gửi báo cáo" not in labels
    assert "Báo cáo chờ duyệt" not in labels
    assert "Tôi có mã mời" in labels
    for command in ("/report", "/myreports", "/pending", "/invite"):
        await chat.send(command)
        assert "chỉ dành cho người báo cáo và cán bộ" in chat.text, command
    for payload in ("v1:rv:ok:1", "v1:rv:open:1", "v1:report", "v1:pending", "v1:inv:a"):
        event = Incoming("test", "villager", fresh_update_id(), Kind.choice, choice=payload)
        await chat.deliver(event)
        assert "chỉ dành cho người báo cáo và cán bộ" in chat.text, payload


async def test_reporter_cannot_review_or_invite(loa: Loa) -> None:
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    for command in ("/pending", "/invite"):
        await reporter.send(command)
        assert "chỉ dành cho người báo cáo và cán bộ" in reporter.text, command
    event = Incoming("test", "reporter", fresh_update_id(), Kind.choice, choice="v1:rv:ok:1")
    await reporter.deliver(event)
    assert "chỉ dành cho người báo cáo và cán bộ" in reporter.text


async def test_admin_creates_codes_in_chat_that_others_redeem(loa: Loa) -> None:
    admin = await joined(loa, "admin", Role.admin, "ia-hdrai")
    await admin.then("[Tạo mã mời]", "Mã dành cho ai?")
    await admin.then("[Cán bộ]", "Cho đơn vị nào?")
    await admin.send("ia dom")  # typed, without accents
    assert "Tạo bao nhiêu mã cho Xã Ia Dom?" in admin.text
    await admin.then("[Số mã: 5]", "Mã mời cho: cán bộ, Xã Ia Dom")
    codes = [line for line in admin.text.splitlines() if len(line) == 12 and line[4] == "-"]
    assert len(codes) == 5
    async with loa.db.session() as session:
        creators = {i.created_by for i in (await session.execute(select(Invite))).scalars()}
    assert (await _user(loa, "admin")).id in creators

    officer = await _vietnamese(loa, "officer")
    await officer.send(f"/join {codes[3]}")
    assert "Bạn đã là cán bộ của Xã Ia Dom" in officer.text
    assert "Báo cáo chờ duyệt" in [c.label for c in officer.choices]
    await officer.send(f"/join {codes[4]}")  # already that role: the code is kept for another
    assert "Mã chưa bị dùng" in officer.text


async def test_help_grows_with_the_role(loa: Loa) -> None:
    officer = await joined(loa, "officer-help", Role.officer, "ia-dal")
    await officer.send("/help")
    for command in ("/report", "/myreports", "/pending", "/status", "/submit"):
        assert command in officer.text
    assert "/invite" not in officer.text
    assert "/join" in officer.text  # a further code may grant another role
    admin = await joined(loa, "admin-help", Role.admin, "ia-hdrai")
    await admin.send("/help")
    for command in ("/invite", "/record", "/deadline"):
        assert command in admin.text
