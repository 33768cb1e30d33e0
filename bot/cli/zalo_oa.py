"""`loa zalo-oa authorize|status`: the OA's OAuth consent (with PKCE), and how it stands.

`authorize` prints the consent page an OA admin opens (ZALO_OA_OAUTH_BASE/v4/oa/permission with
a PKCE code challenge), then takes the code Zalo sends back (the code itself, or the whole
address the browser landed on), exchanges it for the first token pair and stores the pair in
the database, replacing any pair there. When the app's console keeps one fixed code challenge
(⚠ some write-ups say so), give its verifier with --verifier. `status` shows the stored pair's
expiry, deliveries not handled yet, and what was sent to OA users, with the messages that
could not go because the reply window had closed.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

import typer
from sqlalchemy import func, select

from bot.channels.zalo_oa.sender import CHANNEL
from bot.channels.zalo_oa.tokens import (
    OAuthClient,
    OAuthRefused,
    OAuthUnavailable,
    TokenPair,
    challenge_of,
    consent_url,
    pkce_pair,
    store_authorized,
)
from bot.cli.common import OperatorError, load_settings, open_database, operator_errors
from bot.core.config import Settings
from db.models import OutboxMessage, User, WebhookDelivery
from db.repositories import Repos

app = typer.Typer(
    name="zalo-oa", help="The Zalo Official Account: authorise Loa, see how it stands."
)


def _check(settings: Settings) -> None:
    missing = [
        name
        for name, value in (
            ("ZALO_OA_APP_ID", settings.zalo_oa_app_id),
            ("ZALO_OA_APP_SECRET", settings.zalo_oa_app_secret),
            ("ZALO_OA_REDIRECT_URI", settings.zalo_oa_redirect_uri),
        )
        if not value
    ]
    if missing:
        raise OperatorError(f"set {', '.join(missing)} first (see the README, Zalo OA)")


def code_from(answer: str, state: str | None) -> str:
    """The code in what the admin pasted: the code, or the address with `?code=…`."""
    answer = answer.strip()
    if "code=" not in answer:
        return answer
    query = parse_qs(urlsplit(answer).query or answer.partition("?")[2])
    given_state = query["state"][0] if query.get("state") else None
    if state is not None and given_state is not None and given_state != state:
        raise OperatorError("that address belongs to another authorisation (its state differs)")
    code = (query.get("code") or [""])[0]
    if not code:
        raise OperatorError("no code in that address")
    return code


async def exchange_and_store(settings: Settings, code: str, verifier: str) -> TokenPair:
    """Trade the code for the first pair and keep it in the database."""
    try:
        pair = await OAuthClient(settings).exchange(code, verifier)
    except OAuthRefused as refused:
        raise OperatorError(f"{refused}: open the consent page again for a fresh code") from None
    except OAuthUnavailable as down:
        raise OperatorError(f"{down}: try again in a moment") from None
    async with open_database(settings) as (db, _org):
        await store_authorized(db, settings, pair)
    return pair


@app.command("authorize")
def authorize(
    code: Annotated[
        str | None, typer.Option("--code", help="The code Zalo gave (skips the prompt).")
    ] = None,
    verifier: Annotated[
        str | None,
        typer.Option("--verifier", help="The PKCE code verifier (when the console keeps one)."),
    ] = None,
) -> None:
    """Print the consent page, take the code, store the first token pair."""
    settings = load_settings()
    with operator_errors():
        _check(settings)
        if verifier is None:
            verifier, challenge = pkce_pair()
        else:
            challenge = challenge_of(verifier)
        state = secrets.token_urlsafe(12)
        if code is None:
            typer.echo("An admin of the Official Account opens this page and allows Loa:\n")
            typer.echo(consent_url(settings, challenge, state))
            typer.echo(f"\nZalo then opens {settings.zalo_oa_redirect_uri}?code=…")
            answer = typer.prompt("Paste the code, or that whole address")
            code = code_from(answer, state)
        pair = asyncio.run(exchange_and_store(settings, code, verifier))
    typer.echo(
        f"Stored a new token pair (the access token is valid for {pair.expires_in // 3600} h; "
        "Loa refreshes it by itself)."
    )


async def oa_status(settings: Settings) -> dict[str, Any]:
    """The token pair's state, stored deliveries, and outbox rows of OA users by kind and state."""
    async with open_database(settings) as (db, _org), db.session() as session:
        repos = Repos.of(session)
        row = await repos.tokens.get(settings.zalo_oa_app_id or "")
        waiting = await repos.deliveries.unhandled(CHANNEL, now=datetime.now(UTC), limit=10_000)
        stored = (
            await session.execute(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.channel == CHANNEL)
            )
        ).scalar()
        counts = (
            await session.execute(
                select(OutboxMessage.kind, OutboxMessage.state, func.count())
                .join(User, User.id == OutboxMessage.user_id)
                .where(User.channel == CHANNEL)
                .group_by(OutboxMessage.kind, OutboxMessage.state)
            )
        ).all()
    messages: dict[str, dict[str, int]] = {}
    for kind, state, number in counts:
        messages.setdefault(str(kind), {})[str(state)] = int(number)
    return {
        "token": None
        if row is None
        else {
            "expires_at": row.expires_at.isoformat(),
            "pair": row.version,
            "refused_at": row.refused_at.isoformat() if row.refused_at else None,
        },
        "deliveries": {"stored": int(stored or 0), "not_handled": len(waiting)},
        "messages": messages,
    }


@app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The token pair, webhook deliveries, and messages to OA users (outside the window apart)."""
    settings = load_settings()
    with operator_errors():
        data = asyncio.run(oa_status(settings))
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    token = data["token"]
    if token is None:
        typer.echo("token: none stored (run `loa zalo-oa authorize`)")
    elif token["refused_at"]:
        typer.echo(f"token: REFUSED by Zalo at {token['refused_at']}: run `loa zalo-oa authorize`")
    else:
        typer.echo(f"token: pair {token['pair']}, access token valid until {token['expires_at']}")
    stored, waiting = data["deliveries"]["stored"], data["deliveries"]["not_handled"]
    typer.echo(f"webhook deliveries: {stored} stored, {waiting} not handled yet")
    for kind, states in sorted(data["messages"].items()):
        shown = ", ".join(f"{state}: {number}" for state, number in sorted(states.items()))
        typer.echo(f"{kind}: {shown}")
