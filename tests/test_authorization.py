"""The authorization matrix: every command and every button × every role.

The commands and button routes are read from the routers Loa runs (`build_routers()`), so a new
one cannot be forgotten: it fails here until this file says who may use it. Each cell asserts
what the user reads: a polite refusal for a role that may not, an answer (never the refusal,
never the apology for a failure) for a role that may. Buttons are pressed bare and with forged
arguments (ids that do not exist, words where numbers go): neither may crash.
"""

from __future__ import annotations

import pytest

from bot.app import Loa, build_routers
from bot.core.chat import CHOICE_VERSION, to_plain
from tests.fakes.runtime import stored_user
from tests.fixtures.cast import APOLOGY, FORBIDDEN, Cast, cast, in_a_step, press
from tests.test_tickets import ask, tickets

EVERYONE = frozenset(Cast)
VILLAGERS = frozenset({Cast.villager, Cast.revoked})  # a revoked officer is a villager again
REPORTERS = frozenset({Cast.reporter, Cast.officer, Cast.other_officer, Cast.admin})
OFFICERS = frozenset({Cast.officer, Cast.other_officer, Cast.admin})
ADMINS = frozenset({Cast.admin})

# Who may use each command (every name it answers to).
COMMANDS: dict[str, frozenset[Cast]] = {
    **dict.fromkeys(
        ["start", "menu", "help", "trogiup", "language", "ngonngu", "ask", "hoi", "question"],
        EVERYONE,
    ),
    **dict.fromkeys(["cauhoi", "join", "mamoi", "mydata", "dulieucuatoi"], EVERYONE),
    **dict.fromkeys(["forgetme", "xoadulieu", "stop", "dung"], EVERYONE),
    **dict.fromkeys(["commune", "xa"], VILLAGERS),
    **dict.fromkeys(["report", "baocao", "myreports", "baocaocuatoi"], REPORTERS),
    **dict.fromkeys(
        ["pending", "choduyet", "answer", "traloi", "tickets", "hoidap", "addvillage"], OFFICERS
    ),
    **dict.fromkeys(["themthon", "broadcast", "thongbao", "broadcasts", "poll"], OFFICERS),
    **dict.fromkeys(["khaosat", "export", "xuatbaocao", "summary", "tonghop"], OFFICERS),
    **dict.fromkeys(["status", "hanbaocao", "submit", "nopbaocao"], OFFICERS),
    **dict.fromkeys(["invite", "revoke", "deadline", "hanmoi", "record", "ghinhan"], ADMINS),
}

# Who may press each kind of button (by its route, the word after "v1:").
CALLBACKS: dict[str, frozenset[Cast]] = {
    **dict.fromkeys(["menu", "lang", "t", "more", "listen", "fb", "ask", "question"], EVERYONE),
    **dict.fromkeys(["privacy", "mydata", "forgetme", "forget", "join", "optout"], EVERYONE),
    **dict.fromkeys(["pa", "tk"], EVERYONE),  # poll answers; "this answers my question"
    "commune": VILLAGERS,
    **dict.fromkeys(["report", "rp", "myreports"], REPORTERS),
    **dict.fromkeys(["pending", "rv", "pl", "tickets", "exp", "expp"], OFFICERS),
    **dict.fromkeys(["bca", "bccl", "bcdone", "bcl", "bcm", "bcn", "bcno", "bcok"], OFFICERS),
    **dict.fromkeys(["bcr", "bcs", "bcskip", "bct", "bcw"], OFFICERS),
    **dict.fromkeys(["dl", "dls", "dlnf", "dlok", "dlno"], OFFICERS),
    **dict.fromkeys(["inv", "rk", "dln", "dlall", "dldone", "dlpick", "dlt"], ADMINS),
    **dict.fromkeys(["dle", "dlet", "dled", "dlec", "dlecok", "dlrec", "dlr", "dlu"], ADMINS),
}

# Replies to a message with a button, taken by that button's feature (officers answering).
REPLIES: dict[str, frozenset[Cast]] = {"tk": OFFICERS}

FORGED_ARGS = ("", ":x:999999:-1")


def _registered(table: str) -> set[str]:
    return {key for router in build_routers() for key in getattr(router, table)}


def test_every_command_button_and_reply_route_has_an_expectation() -> None:
    for table, expected in (("commands", COMMANDS), ("choices", CALLBACKS), ("replies", REPLIES)):
        routes = _registered(table)
        assert routes - set(expected) == set(), f"{table} without an expectation here"
        assert set(expected) - routes == set(), f"{table} expected here but not registered"


def _verdict(text: str, allowed: bool) -> str | None:
    """What is wrong with the answer a role got (None: nothing)."""
    if not text.strip():
        return "no answer"
    if APOLOGY in text:
        return "crashed: " + text[:80]
    if allowed and FORBIDDEN in text:
        return "refused"
    if not allowed and FORBIDDEN not in text:
        return "not refused: " + text[:80]
    return None


def _one_name_per_command() -> list[str]:
    """A name of each command handler; its other names (aliases) must expect the same."""
    names: dict[object, list[str]] = {}
    for router in build_routers():
        for name, route in router.commands.items():
            names.setdefault(route.handler, []).append(name)
    for aliases in names.values():
        assert len({COMMANDS[name] for name in aliases}) == 1, aliases
    return sorted(aliases[0] for aliases in names.values())


def _attempts(kind: str) -> list[tuple[str, frozenset[Cast], bool]]:
    """(what the user sends, who may, whether it is a forged variant) for every command, or
    every button bare and with forged arguments."""
    if kind == "commands":
        return [(f"/{name}", COMMANDS[name], False) for name in _one_name_per_command()]
    return [
        (f"{CHOICE_VERSION}:{route}{args}", allowed, bool(args))
        for route, allowed in sorted(CALLBACKS.items())
        for args in FORGED_ARGS
    ]


@pytest.mark.parametrize("kind", ["commands", "buttons"])
async def test_everything_for_every_role(kind: str, loa: Loa) -> None:
    chats = await cast(loa)
    wrong: list[str] = []
    for sent, allowed, forged in _attempts(kind):
        for role, chat in chats.items():
            if forged and role not in allowed:
                continue  # a refusal comes before anything reads the arguments
            if sent.startswith("/"):
                replies = await chat.send(sent)
            else:
                replies = await press(chat, sent)
            problem = _verdict("\n".join(to_plain(r.text) for r in replies), role in allowed)
            if problem:
                wrong.append(f"{sent} as {role}: {problem}")
            if role in allowed and await in_a_step(loa, chat.user):
                await chat.send("/cancel")  # leave whatever flow it opened
    assert not wrong, "\n".join(wrong)


async def test_replies_to_an_officers_notice_for_every_role(loa: Loa) -> None:
    chats = await cast(loa)
    await ask(chats[Cast.villager], "Bao giờ thôn tôi có điện?")
    (ticket,) = await tickets(loa)
    wrong: list[str] = []
    for route, allowed in REPLIES.items():
        button = f"{CHOICE_VERSION}:{route}:ans:{ticket.id}"
        # Those who may not answer first: their reply is an ordinary message.
        order = sorted(chats, key=lambda role: role in allowed)
        for role in order:
            if role == order[-len(allowed)]:
                assert (await tickets(loa))[0].status == "open", "answered by a refused role"
            replies = await press(chats[role], "Tuần sau.", reply_to=button)
            text = "\n".join(to_plain(r.text) for r in replies)
            if not text.strip() or APOLOGY in text:
                wrong.append(f"reply to {route} as {role}: {text[:80]!r}")
            await chats[role].send("/cancel")
        # The officer of the question's unit answered it; the officer of another unit, and
        # then the admin, found it answered already.
        (after,) = await tickets(loa)
        officer = await stored_user(loa, "test", Cast.officer)
        assert officer is not None
        assert (after.status, after.answered_by) == ("answered", officer.id)
    assert not wrong, "\n".join(wrong)
