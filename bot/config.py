"""Settings: read once from the environment (and `.env`) in `main`, then passed down."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
"""The repository root: content, locales and the shipped org files live beside the packages."""

DEFAULT_ORG_FILE = ROOT / "db" / "org" / "ia-hdrai-2022.yaml"


class Settings(BaseSettings):
    """Everything Loa reads from its environment; tokens are secrets and never printed."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    database_url: str = "sqlite+aiosqlite:///data/loa.db"
    org_file: Path = DEFAULT_ORG_FILE
    content_dir: Path = ROOT / "content"
    locales_dir: Path = ROOT / "locales"
    media_dir: Path = Path("data/media")
    timezone: str = "Asia/Ho_Chi_Minh"

    # The languages offered in the language menu, in menu order. "vi" is the source language.
    languages: Annotated[tuple[str, ...], NoDecode] = ("vi", "bdq", "sed", "jra")
    default_language: str = "vi"

    # Longest text a user may send; longer messages are refused politely, not truncated silently.
    max_text_length: int = Field(default=4000, ge=100)

    # Proactive messages (bot/outbox.py). Quiet hours are local time; only urgent messages go
    # out then, the rest wait for the morning.
    quiet_start: time = time(21, 0)
    quiet_end: time = time(7, 0)
    outbox_concurrency: int = Field(default=8, ge=1, le=100)
    outbox_max_attempts: int = Field(default=6, ge=1)
    outbox_retry_base_seconds: float = Field(default=30.0, ge=0)
    outbox_lease_seconds: int = Field(default=300, ge=10)
    outbox_interval_seconds: float = Field(default=5.0, gt=0)

    telegram_token: SecretStr | None = None
    zalo_token: SecretStr | None = None

    log_level: str = "INFO"

    @field_validator("languages", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(code.strip() for code in value.split(",") if code.strip())
        return value

    @field_validator("languages")
    @classmethod
    def _vietnamese_first(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "vi" not in value:
            raise ValueError("LANGUAGES must include vi, the source language")
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The zone of everything a user sees (Vietnam has no daylight saving time)."""
        return ZoneInfo(self.timezone)

    @property
    def channels_configured(self) -> tuple[str, ...]:
        """Names of the chat platforms that have a token."""
        names = []
        if self.telegram_token is not None and self.telegram_token.get_secret_value():
            names.append("telegram")
        if self.zalo_token is not None and self.zalo_token.get_secret_value():
            names.append("zalo")
        return tuple(names)
