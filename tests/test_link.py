"""`/link`: two accounts of one person joined by a one-time code; roles and history follow."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.app import Loa
from bot.core.clock import FrozenClock
from db.models import AuditEntry, Feedback, Role
from db.repositories import Repos
from tests.helpers import Chat


async def account(loa: Loa, channel: str, external: str, **fields: object) -> int:
    """A user of `channel`; their id."""
    async with loa.db.session() as session:
        user = await Repos.of(session).users.get_or_create(
            channel, external, display_name="", now=loa.services.clock.now()
        )
        for key, value in fields.items():
            setattr(user, key, value)
        return user.id


def code_in(chat: Chat) -> str:
    """The code in the last answer."""
    found = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}", chat.text)
    assert found is not None, chat.text
    return found.group(0)


async def test_an_oa_account_linked_to_an_officers_telegram_gets_the_role_and_history(
    loa: Loa,
) -> None:
    officer = await account(
        loa, "telegram", "777", role=Role.officer.value, unit_id="ia-toi", language="vi"
    )
    oa_id = await account(loa, "zalo_oa", "6142494823123456789", language="vi")
    async with loa.db.session() as session:  # something the OA account did before
        session.add(
            Feedback(
                user_id=oa_id,
                topic_id="ke-hoach",
                language="vi",
                helpful=True,
                created_at=loa.services.clock.now(),
            )
        )
    on_telegram = Chat(loa.engine, "777", "telegram")
    on_oa = Chat(loa.engine, "6142494823123456789", "zalo_oa")

    await on_telegram.send("/link")
    code = code_in(on_telegram)
    await on_oa.send(f"/link {code.lower()}")
    assert "Telegram" in on_oa.text and "cùng một người" in on_oa.text

    await on_oa.send("/menu")
    assert any("Câu hỏi của người dân" in c.label for c in on_oa.choices)  # the officer's menu
    async with loa.db.session() as session:
        (feedback,) = (await session.execute(select(Feedback))).scalars()
        (entry,) = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "user.link"))
        ).scalars()
    assert feedback.user_id == officer
    assert entry.subject == f"user:{oa_id}" and entry.via == "zalo_oa"
    assert f"user:{officer}" in entry.detail

    # The code worked once.
    stranger = Chat(loa.engine, "888", "telegram")
    await stranger.send(f"/link {code}")
    assert "sai, đã dùng hoặc đã hết hạn" in stranger.text


async def test_codes_expire_and_a_higher_role_must_make_the_code(
    loa: Loa, clock: FrozenClock
) -> None:
    await account(loa, "zalo", "a1b2c3", language="vi")
    await account(loa, "telegram", "999", role=Role.admin.value, unit_id="ia-toi", language="vi")
    villager = Chat(loa.engine, "a1b2c3", "zalo")
    admin = Chat(loa.engine, "999", "telegram")

    await villager.send("/link")
    await admin.send(f"/link {code_in(villager)}")
    assert "vai trò cao hơn" in admin.text

    await villager.send("/link")
    code = code_in(villager)
    clock.advance(timedelta(minutes=31))
    await admin.send(f"/link {code}")
    assert "đã hết hạn" in admin.text
    async with loa.db.session() as session:
        user = await Repos.of(session).users.find("telegram", "999")
    assert user is not None and user.linked_to is None


async def test_forgetting_a_linked_person_forgets_every_account(loa: Loa) -> None:
    await account(loa, "telegram", "4242", language="vi")
    await account(loa, "zalo_oa", "6142494823000000001", language="vi")
    on_telegram = Chat(loa.engine, "4242", "telegram")
    on_oa = Chat(loa.engine, "6142494823000000001", "zalo_oa")
    await on_telegram.send("/link")
    await on_oa.send(f"/link {code_in(on_telegram)}")

    await on_oa.send("/forgetme")  # from the linked account: the person is forgotten
    await on_oa.press("Có, xóa dữ liệu")
    async with loa.db.session() as session:
        repos = Repos.of(session)
        assert await repos.users.find("telegram", "4242") is None
        assert await repos.users.find("zalo_oa", "6142494823000000001") is None
