"""Rights can be taken back: `loa users set-role|revoke`, `loa invite list|revoke`, `/revoke`."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.app import Loa
from bot.core.chat import Incoming, Kind
from db.models import AuditEntry, Invite, Role, User
from handlers.admin import hash_code
from tests.fixtures.reporting import joined
from tests.helpers import Chat, fresh_update_id
from tests.test_cli import loa_json, run_loa


async def _user(loa: Loa, external_id: str) -> User:
    async with loa.db.session() as session:
        stmt = select(User).where(User.external_id == external_id)
        return (await session.execute(stmt)).scalar_one()


async def _audit(loa: Loa) -> list[AuditEntry]:
    async with loa.db.session() as session:
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        return list((await session.execute(stmt)).scalars())


async def test_operator_revokes_a_hijacked_admin_and_the_codes_it_minted(
    loa: Loa, cli_env: dict[str, str]
) -> None:
    admin = await joined(loa, "admin-phone", Role.admin, "ia-hdrai")
    await admin.script("/invite", "[Cán bộ]", "[Xã Ia Tơi]", "[1]")
    minted = admin.text.strip().splitlines()[-1].strip()
    user = await _user(loa, "admin-phone")

    change = loa_json("users", "revoke", str(user.id), "--json", env=cli_env)
    assert change["before"] == "admin@ia-hdrai"
    assert change["after"] == "villager@ia-hdrai"
    assert len(change["voided_invites"]) == 1

    # The next message finds the rights gone, and the code the account minted is void.
    await admin.then("/invite", "chỉ dành cho")
    newcomer = Chat(loa.engine, user="newcomer")
    await newcomer.send(f"/join {minted}")
    assert "Mã mời này đã bị thu hồi" in newcomer.text
    assert (await _user(loa, "newcomer")).role == Role.villager.value

    entries = await _audit(loa)
    (minted_entry,) = [e for e in entries if e.action == "invite.create" and e.via == "test"]
    assert minted_entry.actor_id == user.id and minted_entry.detail.startswith("officer@ia-toi")
    assert minted.replace("-", "") not in " ".join(e.detail for e in entries)
    revoke = [e for e in entries if e.action == "role.revoke"]
    assert len(revoke) == 1
    assert revoke[0].via == "cli"
    assert revoke[0].actor_id is None
    assert revoke[0].subject == f"user:{user.id}"


async def test_operator_sets_a_role_and_needs_a_unit_for_officers(
    loa: Loa, cli_env: dict[str, str]
) -> None:
    villager = Chat(loa.engine, user="future-officer")
    await villager.send("/start")
    user = await _user(loa, "future-officer")

    refused = run_loa("users", "set-role", str(user.id), "officer", env=cli_env)
    assert refused.returncode == 2
    assert "--unit" in refused.stderr
    unknown = run_loa(*["users", "set-role", "999999", "officer", "--unit", "ia-toi"], env=cli_env)
    assert unknown.returncode == 2
    assert "no user 999999" in unknown.stderr

    result = run_loa("users", "set-role", str(user.id), "officer", "--unit", "ia-toi", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "villager@- -> officer@ia-toi" in result.stdout
    await villager.then("/pending", "Không có báo cáo nào đang chờ bạn duyệt")
    (entry,) = [e for e in await _audit(loa) if e.action == "role.set"]
    assert entry.detail == "villager@- -> officer@ia-toi"


async def test_invites_are_listed_and_a_leaked_code_is_revoked(
    loa: Loa, cli_env: dict[str, str]
) -> None:
    made = run_loa(
        *["invite", "create", "--role", "officer", "--unit", "ia-toi", "--count", "2", "--json"],
        env=cli_env,
    )
    leaked, spare = json.loads(made.stdout)["codes"]
    await joined(loa, "used-it", Role.reporter, "ia-dal")

    rows = loa_json("invite", "list", "--json", env=cli_env)
    assert sorted(row["status"] for row in rows) == ["active", "active", "used"]
    assert all(leaked not in json.dumps(row) for row in rows)  # codes are never shown again
    async with loa.db.session() as session:
        digest = hash_code(leaked, loa.settings.invite_pepper.get_secret_value())
        leaked_id = (
            await session.execute(select(Invite.id).where(Invite.code_hash == digest))
        ).scalar_one()

    result = run_loa("invite", "revoke", str(leaked_id), env=cli_env)
    assert result.returncode == 0, result.stderr
    again = run_loa("invite", "revoke", str(leaked_id), env=cli_env)
    assert again.returncode == 2
    assert "already used or revoked" in again.stderr

    thief = Chat(loa.engine, user="thief")
    await thief.send(f"/join {leaked}")
    assert "Mã mời này đã bị thu hồi" in thief.text
    assert (await _user(loa, "thief")).role == Role.villager.value
    honest = Chat(loa.engine, user="honest")
    await honest.send(f"/join {spare}")
    assert "Chào mừng" in honest.text

    text_listing = run_loa("invite", "list", env=cli_env)
    assert "revoked" in text_listing.stdout
    assert [e.subject for e in await _audit(loa) if e.action == "invite.revoke"] == [
        f"invite:{leaked_id}"
    ]


async def test_admin_revokes_an_officer_in_chat(loa: Loa) -> None:
    admin = await joined(loa, "admin", Role.admin, "ia-hdrai")
    officer = await joined(loa, "officer", Role.officer, "ia-toi")
    officer_user = await _user(loa, "officer")
    admin_user = await _user(loa, "admin")

    await admin.send("/revoke")
    await admin.press(f"(người dùng {officer_user.id})")
    assert "Thu hồi vai trò" in admin.text
    await admin.press("Có, thu hồi")
    assert f"(người dùng {officer_user.id}) giờ là người dân" in admin.text
    assert (await _user(loa, "officer")).role == Role.villager.value
    (entry,) = [e for e in await _audit(loa) if e.action == "role.revoke"]
    assert entry.actor_id == admin_user.id
    assert entry.via == "test"

    await officer.then("/pending", "chỉ dành cho")
    # A stale confirmation button changes nothing a second time.
    await admin.send(f"/revoke {officer_user.id}")
    assert "không có vai trò nào" in admin.text
    await admin.send(f"/revoke {admin_user.id}")
    assert "không thể tự thu hồi" in admin.text
    assert (await _user(loa, "admin")).role == Role.admin.value


async def test_only_admins_may_revoke(loa: Loa) -> None:
    officer = await joined(loa, "officer", Role.officer, "ia-toi")
    admin = await joined(loa, "admin", Role.admin, "ia-hdrai")
    admin_user = await _user(loa, "admin")
    await officer.send(f"/revoke {admin_user.id}")
    assert "chỉ dành cho" in officer.text
    # A forged confirmation button from someone who is no admin.
    forged = Incoming(
        "test", "officer", fresh_update_id(), Kind.choice, choice=f"v1:rk:yes:{admin_user.id}"
    )
    await officer.deliver(forged)
    assert "chỉ dành cho" in officer.text
    assert (await _user(loa, "admin")).role == Role.admin.value
    await admin.then("/revoke invite 424242", "Không thể thu hồi mã mời số 424242")
