"""The console channel: talk to Loa in a terminal, or script a session through stdin.

Choices are numbered lines, answered by their number. Console-only commands: `/user NAME`
switches the simulated user, `/photo PATH` sends a local image and `/file PATH` a local
document (a report file for /submit) as that user.
"""

from __future__ import annotations

import asyncio
import mimetypes
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TextIO

from bot.core.chat import (
    AttachmentKind,
    Incoming,
    Kind,
    MediaRef,
    Reply,
    clean_update,
    parse_command,
    split_text,
    to_plain,
)
from bot.delivery.outbox import Delivery, DeliveryStatus, current_progress

CHANNEL = "console"
TEXT_LIMIT = 4096
# Console commands that send a local file, as a user of a chat app would attach it.
LOCAL_FILES = {"photo": Kind.photo, "file": Kind.document}

Handle = Callable[[Incoming], Awaitable[list[Reply]]]
AfterLine = Callable[[], Awaitable[object]]


def render(replies: Sequence[Reply]) -> str:
    """Replies as the terminal shows them: plain text, then numbered choices."""
    blocks = []
    for reply in replies:
        lines = [to_plain(part) for part in split_text(reply.text, TEXT_LIMIT)]
        attachment = reply.attachment
        if attachment is not None:
            # A document is made for the reader to open: show where it is, not only its name.
            shown = (
                attachment.path
                if attachment.kind is AttachmentKind.document
                else attachment.path.name
            )
            lines.append(f"[{attachment.kind}: {shown}]")
        lines.extend(f"  {n}. {c.label}" for n, c in enumerate(reply.choices, 1))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


class ConsoleChannel:
    """Reads one message per line, prints Loa's answers."""

    def __init__(
        self, handle: Handle, out: TextIO, user: str = "guest", after: AfterLine | None = None
    ) -> None:
        self._handle = handle
        self._out = out
        self.user = user
        self._after = after

    def incoming(self, line: str) -> Incoming | None:
        """Turn a typed line into an event; console commands are handled here (None)."""
        line = clean_update(line)  # bytes that were no UTF-8 arrive as lone surrogates
        update_id = uuid.uuid4().hex
        command, args = parse_command(line)
        if command == "user":
            name = args.strip()
            if not name:
                self._say("(console) usage: /user NAME")
            else:
                self.user = name
                self._say(f"(console) you are now {name}")
            return None
        if command in LOCAL_FILES:
            path = Path(args.strip()).expanduser()
            if not args.strip() or not path.is_file():
                self._say(f"(console) no such file: {args.strip() or '(none)'}")
                return None
            mime, _ = mimetypes.guess_type(path.name)
            local = str(path.resolve())
            media = MediaRef(
                local, path=local, size=path.stat().st_size, mime=mime, file_name=path.name
            )
            return Incoming(
                CHANNEL,
                self.user,
                update_id,
                LOCAL_FILES[command],
                media=(media,),
                display_name=self.user,
            )
        return Incoming.from_text(
            CHANNEL, self.user, update_id, line.rstrip("\r\n"), display_name=self.user
        )

    async def send(self, line: str) -> str:
        """Handle one typed line and return what was printed for it."""
        event = self.incoming(line)
        if event is None:
            return ""
        shown = render(await self._handle(event))
        if shown:
            self._say(shown)
        if self._after is not None:
            # Proactive messages (e.g. a review request to an officer) appear right away.
            await self._after()
        return shown

    async def run(self, stdin: TextIO | None = None) -> None:
        """Talk until end of input (Ctrl-D), prompting only on a terminal."""
        stdin = stdin or sys.stdin
        interactive = stdin.isatty()
        if interactive:
            self._say(
                "Loa console. Type /start to begin, /user NAME to switch user, "
                "/photo PATH to send a picture, /file PATH to send a document, Ctrl-D to quit."
            )
        while True:
            if interactive:
                self._out.write(f"[{self.user}] > ")
                self._out.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            if not line.strip() and not interactive:
                continue
            await self.send(line)

    def _say(self, text: str) -> None:
        self._out.write(text + "\n\n")
        self._out.flush()


class ConsoleSender:
    """Delivers proactive messages to console users by printing them, marked with the name."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    async def deliver(self, chat_id: str, reply: Reply) -> Delivery:
        """Print the message for `chat_id` (unless an earlier attempt printed it)."""

        async def show() -> None:
            self._out.write(f"(console) message for {chat_id}:\n{render([reply])}\n\n")
            self._out.flush()

        await current_progress().send(show, last=True)
        return Delivery(DeliveryStatus.sent)
