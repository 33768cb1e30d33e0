"""The conversation engine: one event in, replies out, in one database transaction.

Routing order: command → pending step → choice → free text. A typed number answers the
numbered choices shown last (that is how Zalo and the console pick, and Telegram users may type
too). Each user's events are handled one at a time, in arrival order; different users run
concurrently. A duplicate (channel, update id) is acknowledged and ignored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.content.answers import Answerer
from bot.content.search import SearchIndex
from bot.content.topics import ContentLibrary
from bot.core import i18n, metrics
from bot.core.chat import Choice, Incoming, Kind, Reply, escape, fold, parse_choice, text_length
from bot.core.clock import Clock
from bot.core.config import Settings
from bot.core.i18n import N_, Catalogs, _
from bot.delivery.outbox import BULK_KINDS, Lane, in_quiet_hours, next_morning, to_payload
from bot.reports.media import MediaChecks
from bot.translations.workflow import Coverage
from db.models import Conversation, Role, User
from db.org import OrgMap
from db.repositories import Repos
from db.session import Database

log = logging.getLogger(__name__)

Answer = Reply | Sequence[Reply] | None

# Failures that say nothing about the update itself: a full disk, a database that restarts. The
# update is left unrecorded, so the platform's redelivery (or the user's retry) is handled.
TRANSIENT = (OSError, OperationalError, InterfaceError, PoolTimeout)
# An update failing "transiently" this often is treated as failing for good: recorded, so the
# platform stops delivering it (a bug that raises OSError must not loop for hours).
TRANSIENT_TRIES = 3


@dataclass(frozen=True, slots=True)
class Outcome:
    """What handling an event came to: the replies, and whether the event is done with."""

    replies: list[Reply]
    handled: bool = True


class BadInput(Exception):  # noqa: N818  (it is an answer, not a failure)
    """Raised to re-ask: the message is sent, the choices on screen stay, no state changes.

    A handler raising it must not have written to the database before.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def typed_text(event: Incoming, refusal: str) -> str | None:
    """The text typed at a step; None for a button (its own handler takes it), and anything
    else is asked again with `refusal`."""
    if event.kind is Kind.choice:
        return None
    if event.kind is not Kind.text:
        raise BadInput(refusal)
    return event.text


def check_length(
    text: str, most: int, too_long: str, *, least: int = 0, too_short: str = ""
) -> str:
    """`text` when it has `least` to `most` characters, else BadInput with the message that
    fits (it may say {limit} and {length})."""
    if len(text) < least:
        raise BadInput(too_short.format(limit=least, length=len(text)))
    if len(text) > most:
        raise BadInput(too_long.format(limit=most, length=len(text)))
    return text


Handler = Callable[[Incoming, "Context"], Awaitable[Answer]]
H = TypeVar("H", bound=Handler)

# Localised words that cancel from anywhere. The msgid holds the English words; each catalog
# lists its own, separated by "|". Vietnamese ones always work, whatever the user's language.
# ("stop" and "dừng" are not among them: they ask to stop announcements, handlers/broadcast.py.)
CANCEL_WORDS = N_("cancel")
CANCEL_COMMANDS = frozenset({"cancel", "huy"})
# Words that go back one question in a flow that can (elsewhere they cancel, as they used to).
BACK_WORDS = N_("back|go back|previous")
_BACK_VI = frozenset({"quay lai", "tro lai", "lui lai", "lui", "quay lai buoc truoc"})


@dataclass(frozen=True, slots=True)
class MenuEntry:
    """A main-menu line a feature contributes: a msgid label, a choice route, who sees it."""

    position: int
    label: str
    route: str
    args: tuple[str, ...] = ()
    roles: frozenset[Role] | None = None

    def visible_to(self, role: Role) -> bool:
        """Whether a user with `role` sees this line."""
        return self.roles is None or role in self.roles


@dataclass(frozen=True, slots=True)
class CommandHelp:
    """A command as /help lists it: its name, a msgid describing it, who may use it."""

    name: str
    description: str
    roles: frozenset[Role] | None = None

    def visible_to(self, role: Role) -> bool:
        """Whether a user with `role` may use this command."""
        return self.roles is None or role in self.roles


class Signal:
    """A list of callbacks to run when something happened (no arguments, no results)."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def connect(self, listener: Callable[[], None]) -> None:
        """Run `listener` on every fire."""
        self._listeners.append(listener)

    def disconnect(self, listener: Callable[[], None]) -> None:
        """Stop running `listener`."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def fire(self) -> None:
        """Run every listener; one failing does not stop the others."""
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("signal listener failed")

    def __contains__(self, listener: object) -> bool:
        return listener in self._listeners


@dataclass(frozen=True, slots=True)
class Services:
    """What handlers may use besides the database: built once by the app."""

    settings: Settings
    content: ContentLibrary
    search: SearchIndex
    answers: Answerer
    catalogs: Catalogs
    org: OrgMap
    clock: Clock
    menu: tuple[MenuEntry, ...] = ()
    commands: tuple[CommandHelp, ...] = ()
    # Each language's translated share, computed once at start (translations go live on restart).
    coverage: Mapping[str, Coverage] = field(default_factory=dict)
    # Fired after a transaction that queued proactive messages commits (wakes the outbox).
    queued: Signal = field(default_factory=lambda: Signal())
    # Photos decoded before the event's transaction (None: each handler decodes its own).
    media: MediaChecks | None = None


class State:
    """The user's place in a conversation, saved with the event's transaction."""

    def __init__(self, conversation: Conversation) -> None:
        self._conversation = conversation
        self.step: str | None = conversation.step
        self.data: dict[str, Any] = dict(conversation.data or {})

    def enter(self, step: str, **data: Any) -> None:
        """Wait for `step` next, with fresh step data."""
        self.step = step
        self.data = dict(data)

    def update(self, **data: Any) -> None:
        """Add to the step data (JSON-serialisable values only)."""
        self.data.update(data)

    def clear(self) -> None:
        """Leave any step."""
        self.step = None
        self.data = {}

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        """A step-data value or `default`."""
        return self.data.get(key, default)


@dataclass(slots=True)
class Context:
    """Everything a handler needs for one event."""

    event: Incoming
    user: User
    state: State
    repos: Repos
    services: Services
    now: datetime
    offered: list[tuple[str, str]]
    notified: int = 0
    # Set by a handler that deleted this user's data (/forgetme): nothing of them is saved back.
    forgotten: bool = False

    async def notify(
        self,
        recipient: User,
        build: Callable[[], Reply | Sequence[Reply]],
        *,
        key: str,
        kind: str,
        urgent: bool = False,
        due_at: datetime | None = None,
    ) -> bool:
        """Queue a message to someone else, rendered in their language, sent after commit.

        `key` makes it idempotent: the same key queued twice is sent once. False when a message
        with this key already exists. Bulk kinds (broadcasts, polls, reminders) wait behind
        everything interactive.
        """
        settings = self.services.settings
        with i18n.use(self.services.catalogs, recipient.language or settings.default_language):
            built = build()
        replies = [built] if isinstance(built, Reply) else list(built)
        added = await self.repos.outbox.enqueue(
            key=key,
            user_id=recipient.id,
            kind=kind,
            payload=to_payload(replies),
            due_at=due_at or self.now,
            urgent=urgent,
            now=self.now,
            lane=Lane.bulk if kind in BULK_KINDS else Lane.interactive,
        )
        self.notified += int(added)
        return added

    def held_note(self) -> str:
        """What to add when telling this user a message to someone else went out.

        In the quiet hours only urgent messages leave; the rest wait for the morning, so "sent"
        would not be true: this says when it will go (empty outside the quiet hours).
        """
        settings = self.services.settings
        if not in_quiet_hours(settings, self.now):
            return ""
        morning = next_morning(settings, self.now).astimezone(settings.tz)
        return " " + _(
            "It is quiet hours now ({start}–{end}): it will be delivered at {time}."
        ).format(
            start=f"{settings.quiet_start:%H:%M}",
            end=f"{settings.quiet_end:%H:%M}",
            time=f"{morning:%H:%M}",
        )

    @property
    def language(self) -> str:
        """The user's language (Vietnamese until they choose)."""
        return self.user.language or self.services.settings.default_language

    @property
    def role(self) -> Role:
        """The user's role."""
        return Role(self.user.role)


@dataclass(slots=True)
class _Route:
    handler: Handler
    roles: frozenset[Role] | None


async def _choices_only(event: Incoming, ctx: Context) -> Answer:
    if event.kind is Kind.choice:
        return None
    raise BadInput(_("Please pick one of the choices above (you can type its number)."))


@dataclass(frozen=True, slots=True)
class _Words:
    """A whole message that means one thing from anywhere, like the cancel words."""

    msgid: str  # English words separated by "|"; each catalog lists its own
    always: frozenset[str]  # folded words that work in every language (Vietnamese ones)
    route: _Route

    def match(self, text: str) -> bool:
        """Whether `text` is one of the words (in the user's language, English or `always`)."""
        return matches_words(text, self.msgid, self.always)


def _allowed(roles: Sequence[Role] | None) -> frozenset[Role] | None:
    return frozenset(roles) if roles is not None else None


@dataclass
class Router:
    """A feature's handlers: commands, steps, choices (by route) and free text."""

    name: str
    commands: dict[str, _Route] = field(default_factory=dict)
    steps: dict[str, _Route] = field(default_factory=dict)
    choices: dict[str, _Route] = field(default_factory=dict)
    replies: dict[str, _Route] = field(default_factory=dict)
    backs: dict[str, _Route] = field(default_factory=dict)
    cancels: dict[str, _Route] = field(default_factory=dict)
    fallback: _Route | None = None
    home: Handler | None = None
    words: list[_Words] = field(default_factory=list)
    menu_entries: list[MenuEntry] = field(default_factory=list)
    help_entries: list[CommandHelp] = field(default_factory=list)
    files: dict[str, frozenset[Kind]] = field(default_factory=dict)

    def takes(self, step: str, *kinds: Kind) -> None:
        """Declare that `step` takes files of `kinds`: only then do channels download them."""
        self.files[step] = self.files.get(step, frozenset()) | frozenset(kinds)

    def menu(
        self,
        position: int,
        label: str,
        route: str,
        *args: str,
        roles: Sequence[Role] | None = None,
    ) -> None:
        """Add a line to the main menu (`label` is a msgid, translated when shown)."""
        self.menu_entries.append(MenuEntry(position, label, route, args, _allowed(roles)))

    def command(
        self, *names: str, roles: Sequence[Role] | None = None, help: str | None = None
    ) -> Callable[[H], H]:
        """Register a handler for "/name" commands; `help` (a msgid) lists the first in /help."""
        add = _register_in(self.commands, names, roles)

        def register(handler: H) -> H:
            add(handler)
            if help is not None:
                self.help_entries.append(CommandHelp(names[0], help, _allowed(roles)))
            return handler

        return register

    def step(self, *steps: str, roles: Sequence[Role] | None = None) -> Callable[[H], H]:
        """Register the handler of a pending step; it may return None to pass the event on."""
        return _register_in(self.steps, steps, roles)

    def back(self, *steps: str) -> Callable[[H], H]:
        """Register what "back" (quay lại) does at these steps: the question before."""
        return _register_in(self.backs, steps, None)

    def cancelled(self, *steps: str) -> Callable[[H], H]:
        """Register what /cancel says at these steps (it runs before the state is cleared, and
        the main menu follows); without it, "Cancelled. Nothing was sent."."""
        return _register_in(self.cancels, steps, None)

    def choices_only(self, *steps: str, roles: Sequence[Role] | None = None) -> None:
        """Register steps answered only by a choice (or its number); other input is re-asked."""
        self.step(*steps, roles=roles)(_choices_only)

    def choice(self, *routes: str, roles: Sequence[Role] | None = None) -> Callable[[H], H]:
        """Register a handler for choices whose payload route is one of `routes`."""
        return _register_in(self.choices, routes, roles)

    def reply(self, *routes: str, roles: Sequence[Role] | None = None) -> Callable[[H], H]:
        """Register a handler for replies to a message carrying a choice of one of `routes`.

        It may return None to pass the event on (to the pending step, then free text).
        """
        return _register_in(self.replies, routes, roles)

    def keywords(
        self, msgid: str, *always: str, roles: Sequence[Role] | None = None
    ) -> Callable[[H], H]:
        """Register a handler for a whole message that is one of these localised words.

        `msgid` lists English words separated by "|" (each catalog lists its own); `always`
        are words that work whatever the user's language. Checked before any pending step.
        """

        def register(handler: H) -> H:
            folded = frozenset(fold(word.casefold()) for word in always)
            self.words.append(_Words(msgid, folded, _Route(handler, _allowed(roles))))
            return handler

        return register

    def text(self, roles: Sequence[Role] | None = None) -> Callable[[H], H]:
        """Register the handler of free text that nothing else claimed."""

        def register(handler: H) -> H:
            self.fallback = _Route(handler, _allowed(roles))
            return handler

        return register

    def main_menu(self, handler: H) -> H:
        """Register the main menu, shown after /cancel and stale buttons."""
        self.home = handler
        return handler


def _register_in(
    table: dict[str, _Route], keys: Sequence[str], roles: Sequence[Role] | None
) -> Callable[[H], H]:
    """A decorator that files its handler in `table` under each of `keys`."""

    def register(handler: H) -> H:
        for key in keys:
            table[key] = _Route(handler, _allowed(roles))
        return handler

    return register


class _KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Engine:
    """Turns incoming events into replies through the registered routers."""

    def __init__(self, db: Database, services: Services, routers: Sequence[Router]) -> None:
        self.db = db
        self.services = services
        self.routers = list(routers)
        self._locks = _KeyedLocks()
        # Transient failures per update, in this process: bounded, oldest forgotten first.
        self._transient: OrderedDict[tuple[str, str], int] = OrderedDict()
        homes = [router.home for router in self.routers if router.home is not None]
        if len(homes) != 1:
            raise ValueError("exactly one router must register the main menu")
        self._home: Handler = homes[0]

    async def handle(self, event: Incoming) -> list[Reply]:
        """Handle one event; returns what to send back (nothing for a duplicate)."""
        return (await self.handle_event(event)).replies

    async def handle_event(self, event: Incoming) -> Outcome:
        """Handle one event; what to send back, and whether the update may be forgotten
        (False after a transient failure: the platform should deliver it again)."""
        async with self._locks.hold(f"{event.channel}:{event.user_id}"):
            started = time.perf_counter()
            outcome, label = await self._handle_attempts(event)
            metrics.HANDLER_SECONDS.labels(event.channel).observe(time.perf_counter() - started)
            metrics.UPDATES.labels(event.channel, event.kind.value, label).inc()
            return outcome

    async def _handle_attempts(self, event: Incoming) -> tuple[Outcome, str]:
        """The outcome, and how it went for the metrics: ok, failed or transient."""
        for attempt in (1, 2):
            try:
                if self.services.media is not None:
                    # Decoding is slow CPU work: done before any lock is taken.
                    await self.services.media.precheck(event)
                replies, notified = await self._handle_once(event)
                if notified:
                    self.services.queued.fire()
                return Outcome(replies), "ok"
            except IntegrityError:
                # Two processes created the same new user at once: the retry finds it.
                if attempt == 2:
                    return Outcome(await self._apologise(event)), "failed"
            except TRANSIENT:
                return await self._transient_failure(event), "transient"
            except Exception:
                return Outcome(await self._apologise(event)), "failed"
        return Outcome([]), "failed"  # pragma: no cover  (the loop always returns)

    async def files_taken(self, channel: str, user_id: str) -> frozenset[Kind]:
        """The kinds of file the user's current step takes, given their role (checked before
        a channel downloads anything: nobody makes Loa fetch a file it would not keep)."""
        async with self.db.session() as session:
            user = await Repos.of(session).users.find(channel, user_id)
            if user is not None and user.linked_to is not None:
                user = await Repos.of(session).users.get(user.linked_to) or user
            if user is None:
                return frozenset()
            conversation = await session.get(Conversation, user.id)
            step = conversation.step if conversation is not None else None
            role = Role(user.role)
        if step is None:
            return frozenset()
        route = self._find("steps", step)
        if route is None or (route.roles is not None and role not in route.roles):
            return frozenset()
        return frozenset().union(*(router.files.get(step, frozenset()) for router in self.routers))

    async def _transient_failure(self, event: Incoming) -> Outcome:
        """Leave the update unrecorded for its redelivery: an apology the first time, silence
        on the next tries, and after TRANSIENT_TRIES it is recorded as failed for good."""
        key = (event.channel, event.update_id)
        tries = self._transient.pop(key, 0) + 1
        self._transient[key] = tries
        while len(self._transient) > 1000:
            self._transient.popitem(last=False)
        if tries >= TRANSIENT_TRIES:
            del self._transient[key]
            await self._apologise(event)  # records it; the user had their apology already
            return Outcome([])
        log.warning(
            "update %s/%s hit a transient failure (try %d); left for redelivery",
            event.channel,
            event.update_id,
            tries,
            exc_info=True,
        )
        if tries > 1:
            return Outcome([], handled=False)
        return Outcome(await self._unclaimed(event), handled=False)

    async def _unclaimed(self, event: Incoming) -> list[Reply]:
        """Say sorry without recording the update, so its redelivery is handled."""
        language = self.services.settings.default_language
        try:
            async with self.db.session() as session:
                user = await Repos.of(session).users.find(event.channel, event.user_id)
                if user is not None and user.language:
                    language = user.language
        except Exception:  # the database may be the thing that is down
            log.debug("language of %s unknown during a failure", event.user_id)
        with i18n.use(self.services.catalogs, language):
            return [
                Reply(
                    _(
                        "Sorry, I could not take this message just now because of a problem on "
                        "our side. Nothing of it was saved. Please send it again in a few minutes."
                    )
                )
            ]

    async def _handle_once(self, event: Incoming) -> tuple[list[Reply], int]:
        now = self.services.clock.now()
        async with self.db.session() as session:
            repos = Repos.of(session)
            if await repos.updates.seen(event.channel, event.update_id):
                log.info("duplicate update %s/%s ignored", event.channel, event.update_id)
                return [], 0
            user = await repos.users.get_or_create(
                event.channel, event.user_id, display_name=event.display_name, now=now
            )
            if user.linked_to is not None:
                # Another identity of a person (/link): handled as that person.
                user = await repos.users.get(user.linked_to) or user
            if not await repos.updates.claim(
                event.channel, event.update_id, user_id=user.id, now=now
            ):
                await session.rollback()
                return [], 0
            conversation = await repos.conversations.load(
                user.id, now=now, lock=not self.db.is_sqlite
            )
            state = State(conversation)
            offered = [(str(p), str(lbl)) for p, lbl in conversation.choices or []]
            ctx = Context(event, user, state, repos, self.services, now, offered)
            with i18n.use(self.services.catalogs, ctx.language):
                try:
                    replies = await self._route(event, ctx)
                except BadInput as bad:
                    # Answered; the conversation stays exactly as it was.
                    on_screen = tuple(Choice(p, label) for p, label in offered)
                    return [Reply(bad.message, choices=on_screen)], 0
            if ctx.forgotten:
                return replies, ctx.notified
            conversation.step = state.step
            conversation.data = state.data
            shown = [reply.choices for reply in replies if reply.choices]
            conversation.choices = [[c.payload, c.label] for c in shown[-1]] if shown else []
            conversation.updated_at = now
            return replies, ctx.notified

    async def _apologise(self, event: Incoming) -> list[Reply]:
        log.exception("update %s/%s failed", event.channel, event.update_id)
        language = self.services.settings.default_language
        try:
            async with self.db.session() as session:
                repos = Repos.of(session)
                user = await repos.users.find(event.channel, event.user_id)
                if user is not None and user.language:
                    language = user.language
                # Record it, so a redelivery of a poisonous update is not retried forever.
                await repos.updates.claim(
                    event.channel,
                    event.update_id,
                    user_id=user.id if user else None,
                    now=self.services.clock.now(),
                )
        except Exception:
            log.exception("could not record failed update %s/%s", event.channel, event.update_id)
        with i18n.use(self.services.catalogs, language):
            return [
                Reply(
                    _(
                        "Sorry, something went wrong on our side. Please try again in a "
                        "moment, or send /cancel to start over."
                    )
                )
            ]

    # --- routing --------------------------------------------------------------------------

    async def _route(self, event: Incoming, ctx: Context) -> list[Reply]:
        """The replies to an event; bad input raises BadInput."""
        if event.kind is Kind.command:
            return await self._command(event, ctx)
        if event.kind is Kind.text:
            problem = self._text_problem(event.text)
            if problem is not None:
                raise BadInput(problem)
            if _is_cancel(event.text):
                return await self._cancel(event, ctx)
            if _is_back(event.text):
                back = self._find("backs", ctx.state.step) if ctx.state.step else None
                if back is None:
                    return await self._cancel(event, ctx)
                return await self._run(back.handler, event, ctx)
            for words in (w for router in self.routers for w in router.words):
                if words.match(event.text) and self._permitted(words.route, ctx):
                    return await self._run(words.route.handler, event, ctx)
        if event.reply_to and event.kind is not Kind.choice:
            replies = await self._reply(event, ctx)
            if replies is not None:
                return replies
        if event.kind is Kind.text:
            event = self._resolve_number(event, ctx)
            ctx.event = event
        if ctx.state.step is not None:
            route = self._find("steps", ctx.state.step)
            if route is None:
                log.warning("unknown step %s; returning to the menu", ctx.state.step)
                ctx.state.clear()
                return await self._run(self._home, event, ctx)
            if not self._permitted(route, ctx):
                ctx.state.clear()
                return [Reply(self._forbidden()), *await self._run(self._home, event, ctx)]
            replies = await self._call(route.handler, event, ctx)
            if replies is not None:
                return replies
        if event.kind is Kind.choice:
            return await self._choice(event, ctx)
        if event.kind is Kind.text:
            if event.text.strip().rstrip(".").isdigit() and ctx.offered:
                raise BadInput(
                    _("Please send a number from 1 to {count}.").format(count=len(ctx.offered))
                )
            fallback = next((r.fallback for r in self.routers if r.fallback), None)
            if fallback is not None and self._permitted(fallback, ctx):
                return await self._run(fallback.handler, event, ctx)
        raise BadInput(self._unexpected(event, ctx.role))

    async def _command(self, event: Incoming, ctx: Context) -> list[Reply]:
        if event.command in CANCEL_COMMANDS:
            return await self._cancel(event, ctx)
        route = self._find("commands", event.command)
        if route is None:
            raise BadInput(
                _("I don't know the command /{command}. Send /help to see what I can do.").format(
                    command=escape(event.command)
                )
            )
        if not self._permitted(route, ctx):
            raise BadInput(self._forbidden())
        return await self._run(route.handler, event, ctx)

    async def _choice(self, event: Incoming, ctx: Context) -> list[Reply]:
        parsed = parse_choice(event.choice)
        route = self._find("choices", parsed[0]) if parsed else None
        if route is None:
            ctx.state.clear()
            stale = Reply(_("That button is out of date. Here is the main menu."))
            return [stale, *await self._run(self._home, event, ctx)]
        if not self._permitted(route, ctx):
            raise BadInput(self._forbidden())
        return await self._run(route.handler, event, ctx)

    async def _reply(self, event: Incoming, ctx: Context) -> list[Reply] | None:
        """A reply to a message with buttons, for the feature owning them (None: not taken)."""
        for payload in event.reply_to:
            parsed = parse_choice(payload)
            route = self._find("replies", parsed[0]) if parsed else None
            if route is not None and self._permitted(route, ctx):
                return await self._call(route.handler, event, ctx)
        return None

    async def _cancel(self, event: Incoming, ctx: Context) -> list[Reply]:
        step = ctx.state.step
        said = self._find("cancels", step) if step is not None else None
        # The flow's own word runs while its state is still there (a draft id, say).
        notice = await self._run(said.handler, event, ctx) if said is not None else []
        ctx.state.clear()
        menu = await self._run(self._home, event, ctx)
        if step is None:
            return menu
        return [*(notice or [Reply(_("Cancelled. Nothing was sent."))]), *menu]

    def _find(self, table: str, key: str) -> _Route | None:
        for router in self.routers:
            route: _Route | None = getattr(router, table).get(key)
            if route is not None:
                return route
        return None

    @staticmethod
    def _permitted(route: _Route, ctx: Context) -> bool:
        return route.roles is None or ctx.role in route.roles

    @staticmethod
    def _forbidden() -> str:
        return _(
            "Sorry, this is only for registered reporters and officers. If you have "
            "an invite code, send /join followed by the code."
        )

    async def _run(self, handler: Handler, event: Incoming, ctx: Context) -> list[Reply]:
        return await self._call(handler, event, ctx) or []

    @staticmethod
    async def _call(handler: Handler, event: Incoming, ctx: Context) -> list[Reply] | None:
        answer = await handler(event, ctx)
        if answer is None:
            return None
        if isinstance(answer, Reply):
            return [answer]
        return list(answer)

    def _text_problem(self, text: str) -> str | None:
        limit = self.services.settings.max_text_length
        stripped = text.strip()
        if not stripped:
            return _("Your message was empty. Please type a few words or pick a number.")
        if text_length(stripped) > limit:
            return _(
                "Your message is too long ({length} characters). Please send at most "
                "{limit} characters."
            ).format(length=text_length(stripped), limit=limit)
        if not any(ch.isalnum() for ch in stripped):
            return _(
                "I can only read words and numbers. Please type a few words or pick a number."
            )
        return None

    @staticmethod
    def _resolve_number(event: Incoming, ctx: Context) -> Incoming:
        text = event.text.strip().rstrip(".")
        if text.isdigit() and ctx.offered and 1 <= int(text) <= len(ctx.offered):
            return event.as_choice(ctx.offered[int(text) - 1][0])
        return event

    @staticmethod
    def _unexpected(event: Incoming, role: Role) -> str:
        if event.kind is Kind.photo and role is Role.villager:
            return _(
                "Thank you for the photo, but I can't use it here. Please type your question "
                "in words, or pick a number."
            )
        if event.kind is Kind.photo:
            return _(
                "Thank you for the photo, but I can't use it here. To send a report with "
                'photos, choose "Send a report" or send /report.'
            )
        if event.kind is Kind.voice:
            return _("I can't listen to voice messages yet. Please type your question.")
        if event.kind is Kind.sticker:
            return _("Nice sticker! Please type your question or pick a number.")
        return _(
            "I can't use this kind of message here. Please type your question or pick a number."
        )


def matches_words(text: str, msgid: str, always: frozenset[str] = frozenset()) -> bool:
    """Whether the whole message is one of `msgid`'s words (translated or English) or `always`."""
    folded = fold(text.casefold()).strip(" .!")
    words = {fold(w.casefold()) for w in _(msgid).split("|")}
    words |= {fold(w.casefold()) for w in msgid.split("|")}
    return folded in words or folded in always


_ALWAYS_CANCEL = frozenset({"huy", "huy bo", "thoat", "quay lai menu"})


def _is_back(text: str) -> bool:
    """Whether the whole message asks to go back one question."""
    return matches_words(text, BACK_WORDS, _BACK_VI)


def _is_cancel(text: str) -> bool:
    """Whether the whole message is a cancel word in the user's language or Vietnamese."""
    return matches_words(text, CANCEL_WORDS, _ALWAYS_CANCEL)
