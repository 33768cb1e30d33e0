"""The OA webhook: the signature, the key a delivery is known by, and what an event says.

`X-ZEvent-Signature: mac=<hex>` where hex = SHA-256 (plain, not HMAC) of app id + the raw body
+ the body's `timestamp` + the OA secret key (the OA's, not the app's), per the official Java
SDK's MacUtils and Chatwoot's OA channel (shared/zalo-oa-notes.md §4). Bodies are parsed
tolerantly: ids stay strings (they exceed 2^53), attachments are read from `attachments[]`
with the shapes seen in the wild, a location from either of its two reported places.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SIGNATURE_HEADER = "X-ZEvent-Signature"

# Events that are no user's message to answer: echoes of the OA's own sends, receipts,
# group-chat twins, anonymous users (whom the CS API cannot reach), OA management.
MESSAGE_PREFIX = "user_send_"
IGNORED_PREFIXES = (
    "oa_send_",
    "user_send_group_",
    "anonymous_send_",
    "user_received_",
    "user_seen_",
)


def mac(first: str, raw: bytes, timestamp: str, key: str) -> str:
    """The hex SHA-256 Zalo signs a delivery with."""
    return hashlib.sha256(
        first.encode("utf-8") + raw + timestamp.encode("utf-8") + key.encode("utf-8")
    ).hexdigest()


def signed_over(
    header: str | None,
    raw: bytes,
    body: Mapping[str, Any],
    *,
    app_id: str,
    key: str,
    oa_id_too: bool = False,
) -> str:
    """ "app_id" or "oa_id": which id the valid signature was made over ("" when none is).

    With `oa_id_too`, a signature over the OA id in place of the app id also passes (⚠: a
    reading some write-ups give; the official SDK uses the app id).
    """
    if not header or not key or not app_id:
        return ""
    given = header.strip().removeprefix("mac=").strip().lower().encode("ascii", "replace")
    timestamp = _text(body.get("timestamp"))
    firsts = [("app_id", app_id)]
    if oa_id_too:
        oa_id = _text(body.get("oa_id")) or _text(_id(body.get("recipient")))
        if oa_id:
            firsts.append(("oa_id", oa_id))
    found = ""
    for name, first in firsts:
        # Every candidate is compared, so the time taken does not tell which one matched.
        if hmac.compare_digest(given, mac(first, raw, timestamp, key).encode("ascii")):
            found = found or name
    return found


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float | str):
        return str(value).strip()
    return ""


def _id(value: Any) -> str:
    return _text(value.get("id")) if isinstance(value, Mapping) else ""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a user sent: its link on Zalo's CDN and what the event says of it."""

    kind: str
    url: str
    name: str = ""
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One webhook event, read out of Zalo's terms."""

    name: str
    user_id: str  # the OA-scoped id of the user (the chat to answer)
    key: str  # what a redelivery of it is known by
    text: str = ""
    msg_id: str = ""
    attachments: tuple[Attachment, ...] = ()
    location: tuple[float, float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_message(self) -> bool:
        """A user's message (text, image, file…)."""
        return self.name.startswith(MESSAGE_PREFIX) and not self.ignored

    @property
    def ignored(self) -> bool:
        """An event Loa acknowledges and drops."""
        return self.name.startswith(IGNORED_PREFIXES) or not self.user_id

    @property
    def kind(self) -> str:
        """ "text", "image", "file", "audio", "location", "sticker"… ("" for other events)."""
        return self.name.removeprefix(MESSAGE_PREFIX) if self.is_message else ""


def delivery_key(body: Mapping[str, Any], raw: bytes) -> str:
    """The key a delivery is deduplicated on: `msg:<msg_id>` for a message, else event name +
    user id + timestamp, else the body's hash."""
    message = body.get("message")
    msg_id = _text(message.get("msg_id")) if isinstance(message, Mapping) else ""
    if msg_id:
        return f"msg:{msg_id}"[:200]
    name = _text(body.get("event_name"))
    who = _user(body)
    timestamp = _text(body.get("timestamp"))
    if name and timestamp:
        return f"{name}:{who}:{timestamp}"[:200]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _user(body: Mapping[str, Any]) -> str:
    """The user an event is about (the sender; the follower; for echoes, the recipient)."""
    name = _text(body.get("event_name"))
    if name in ("follow", "unfollow"):
        return _id(body.get("follower")) or _text(body.get("user_id"))
    if name.startswith("oa_send_"):
        return _id(body.get("recipient"))
    return _id(body.get("sender")) or _text(body.get("user_id"))


def parse(body: Any) -> Event | None:
    """The event in a webhook body; None when it is no event at all."""
    if not isinstance(body, Mapping) or not _text(body.get("event_name")):
        return None
    name = _text(body.get("event_name"))
    message = body.get("message") if isinstance(body.get("message"), Mapping) else {}
    assert isinstance(message, Mapping)
    attachments = tuple(_attachments(message.get("attachments")))
    return Event(
        name=name,
        user_id=_user(body),
        key=delivery_key(body, b""),
        text=str(message.get("text")) if isinstance(message.get("text"), str) else "",
        msg_id=_text(message.get("msg_id")),
        attachments=attachments,
        location=_location(message),
        extra={"source": _text(body.get("source"))},
    )


def _attachments(items: Any) -> list[Attachment]:
    found: list[Attachment] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        payload = item.get("payload") if isinstance(item.get("payload"), Mapping) else {}
        assert isinstance(payload, Mapping)
        url = _text(payload.get("url")) or _text(payload.get("thumbnail"))
        size: int | None
        try:
            size = int(str(payload.get("size")))
        except ValueError:
            size = None
        found.append(Attachment(_text(item.get("type")), url, _text(payload.get("name")), size))
    return found


def _location(message: Mapping[str, Any]) -> tuple[float, float] | None:
    """Where a shared location is: `message.location`, or an attachment's
    `payload.coordinates` (⚠ the two reported shapes)."""
    places: list[Any] = [message.get("location")]
    for item in message.get("attachments") or []:
        if isinstance(item, Mapping) and isinstance(item.get("payload"), Mapping):
            places.append(item["payload"].get("coordinates"))
    for place in places:
        if not isinstance(place, Mapping):
            continue
        try:
            return float(place["latitude"]), float(place["longitude"])
        except (KeyError, TypeError, ValueError):
            continue
    return None
