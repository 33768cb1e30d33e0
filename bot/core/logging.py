"""Keep secrets and personal data out of logs: every record is redacted when it is created.

Bot API tokens travel in URL paths (`/bot<TOKEN>/sendMessage`), so any HTTP error that quotes
its URL, and any traceback of one, would print the token. Redacting when a record is made
(a log record factory), not in one handler, covers every handler at once: stderr, files, and
the test suite's log capture. Phone numbers and e-mail addresses a person may have typed are
masked the same way, whatever logged them.

`configure_logging` sets the format: readable lines, or one JSON object per line
(`LOG_FORMAT=json`) for a log collector.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from pydantic import SecretStr

from bot.core.config import Settings

MASK = "[REDACTED]"
PERSONAL_MASK = "[PERSONAL]"
# Vietnamese phone numbers (0 or +84 and 9 digits, spaces or dots allowed) and e-mail addresses.
_PERSONAL = re.compile(r"(?<![\w+])(?:\+84|0)(?:[ .-]?\d){9}(?!\d)|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MIN_SECRET = 6  # shorter strings would mask ordinary words

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()
_installed = False


def secrets_of(settings: Settings) -> list[str]:
    """The configured values that must never be printed: tokens and webhook secrets."""
    values: list[str] = []
    for secret in (
        settings.telegram_token,
        settings.zalo_token,
        settings.telegram_webhook_secret,
        settings.zalo_webhook_secret,
        settings.media_url_secret,
    ):
        if isinstance(secret, SecretStr) and secret.get_secret_value():
            value = secret.get_secret_value()
            values.append(value)
            # A token's secret half ("<bot id>:<secret>") is as sensitive as the whole token.
            _bot_id, sep, tail = value.partition(":")
            if sep and len(tail) >= _MIN_SECRET:
                values.append(tail)
    return values


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """`text` with every configured secret (or the given ones) and personal contact masked."""
    for secret in _secrets if secrets is None else secrets:
        if secret and secret in text:
            text = text.replace(secret, MASK)
    return _PERSONAL.sub(PERSONAL_MASK, text)


def install_redaction(values: Iterable[str]) -> None:
    """Redact `values` (plus those installed before) from every log record from now on."""
    global _secrets, _installed
    with _lock:
        merged = {*_secrets, *(v for v in values if v and len(v) >= _MIN_SECRET)}
        # Longest first, so a token is masked whole before its own tail is looked for.
        _secrets = tuple(sorted(merged, key=len, reverse=True))
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the logging module's to report
        return
    clean = redact(message)
    if clean != message or record.args:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        # Formatters reuse exc_text when it is set: give them the redacted traceback.
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the (already redacted) record as JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    settings: Settings, stream: TextIO | None = None, *, default_level: str = "INFO"
) -> None:
    """Log at LOG_LEVEL (else `default_level`) in LOG_FORMAT to `stream` (stderr), redacted."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((settings.log_level or default_level).upper())
    # Alembic announces every migration step at INFO; Loa's own start-up line is enough.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    install_redaction(secrets_of(settings))
