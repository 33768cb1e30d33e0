"""Settings: read once from the environment (and `.env`) in `main`, then passed down."""

from __future__ import annotations

import secrets
import socket
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
"""The repository root: content, locales and the shipped org files live beside the packages."""

ORG_DIR = ROOT / "db" / "org"
# The map as it is now (since 01/07/2025); the plan's 2022 district map stays a documented
# choice (ORG_FILE=db/org/ia-hdrai-2022.yaml) for reading the plan's own structure.
DEFAULT_ORG_FILE = ORG_DIR / "ia-hdrai-2025.yaml"
MAP_2022 = ORG_DIR / "ia-hdrai-2022.yaml"


class StartupError(Exception):
    """Loa cannot start as configured: one line for the operator, naming the setting to fix."""


_TIME_OF_DAY = "a time of day as HH:MM on the 24-hour clock, for example 21:00"


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
    # Languages with a smaller percentage of UI strings translated are left out of the menu.
    language_min_coverage: Annotated[int, Field(ge=0, le=100)] = 0

    # Who runs this Loa (the body responsible for its data) and how to reach them: the privacy
    # page shows both, and says they are not filled in rather than guessing.
    operator_name: str = ""
    operator_contact: str = ""

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
    # Recovery after a kill: each process's outbox worker beats every quarter of this; a worker
    # not seen for this long is dead and its messages "sending" go back to the queue. A process
    # restarted under the same WORKER_NAME takes back its own at once (one SQLite process: all).
    # Several processes on one host need a WORKER_NAME each.
    outbox_worker_timeout_seconds: float = Field(default=60.0, ge=1)
    worker_name: str = Field(default_factory=socket.gethostname, min_length=1, max_length=200)
    # Idempotency records of handled updates are kept this long (platforms redeliver in hours).
    processed_updates_keep_days: int = Field(default=7, ge=1)
    # Reporting deadlines (bot/deadlines.py, bot/scheduler.py): the plan's reporting calendar and
    # its reminder schedule; the planner turns it into outbox rows every few minutes.
    deadlines_file: Path = ORG_DIR / "deadlines.yaml"
    planner_interval_minutes: float = Field(default=5.0, gt=0, le=60)

    # Field reports (handlers/report/, bot/reports/media.py). Photos over the byte or pixel
    # limit are refused with the reason; the pixel limit stays under Pillow's own bomb
    # threshold (89 MP).
    max_photo_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_image_pixels: int = Field(default=50_000_000, ge=10_000, le=89_000_000)
    # PNG and WebP decode at full size (no reduced-scale decoding as for JPEG): a lower limit.
    max_lossless_pixels: int = Field(default=16_000_000, ge=10_000, le=89_000_000)
    # Unfinished reports (and their photos) are deleted this long after their last change.
    retention_days_drafts: int = Field(default=30, ge=1)
    report_max_age_days: int = Field(default=60, ge=1)
    # Periodic reports (bot/reports/summary.py, bot/exports/): the windows "2026-H1" and "2026"
    # stand for, as "MM-DD..MM-DD"; a start after the end means the previous year. They end
    # before the plan's deadlines (before 10/6 and 10/12), so the report can be written in time.
    report_period_h1: str = "12-01..05-31"
    report_period_year: str = "12-01..11-30"
    # How long a link to a document (an export) works where the channel takes no files (Zalo).
    document_link_hours: int = Field(default=24, ge=1, le=24 * 30)
    # Dự án 8 topics a report may name (ids Loa has labels for, or an operator's own words).
    report_themes: Annotated[tuple[str, ...], NoDecode] = (
        "child_marriage",
        "cousin_marriage",
        "domestic_violence",
        "gender_equality",
        "trafficking",
    )
    # Kinds of activity that often leave no photo: a report of these may have none.
    photo_optional_activities: Annotated[tuple[str, ...], NoDecode] = (
        "loudspeaker",
        "door_to_door",
        "news",
    )
    # Invites (handlers/admin.py): codes are stored as HMAC-SHA256 with this server-side key.
    invite_pepper: SecretStr = SecretStr("")
    invite_valid_days: int = Field(default=7, ge=1, le=365)
    join_failures_per_hour: int = Field(default=5, ge=1)

    # Questions to a person (handlers/tickets.py): an unanswered question reminds its officers
    # after TICKET_REMINDER_HOURS and goes to the admins after twice that; villagers are told
    # officers are asked to answer within TICKET_ANSWER_DAYS; at most TICKETS_PER_DAY questions
    # per person and day stop floods.
    ticket_reminder_hours: int = Field(default=72, ge=1)
    ticket_answer_days: int = Field(default=3, ge=1)
    tickets_per_day: int = Field(default=5, ge=1)
    # Expiring links (voice for officers whose channel cannot play it, /mydata on Zalo) and the
    # files behind them live this long.
    data_link_hours: int = Field(default=24, ge=1, le=24 * 7)

    telegram_token: SecretStr | None = None
    zalo_token: SecretStr | None = None

    # Channels (bot/channels/, bot/runtime.py, bot/web.py). Polling unless WEBHOOK_LISTEN is set;
    # base URLs point the adapters at another Bot-API-compatible server (tests, a local server).
    telegram_api_base: str = "https://api.telegram.org"
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_url: str | None = None
    zalo_api_base: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_secret: SecretStr | None = None
    zalo_webhook_url: str | None = None
    webhook_listen: str | None = None  # "host:port" of Loa's own web server
    # The same server without webhooks, in polling mode: it serves the officers' web desk
    # (bot/web/desk/). In webhook mode WEBHOOK_LISTEN serves the desk too.
    web_listen: str | None = None
    public_base_url: str | None = None  # where that server is reachable (Zalo fetches media)
    # Signs expiring links (bot/core/signing.py); random per process unless set (set it, 32
    # characters or more, when several processes serve). Set but empty is refused.
    media_url_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_urlsafe(32))
    )
    media_link_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    # GET /metrics (bot/web/metrics.py): with a token, for whoever sends it as a bearer token;
    # without, only for a client on this host that connects directly (not through a proxy).
    metrics_token: SecretStr | None = None
    # The web desk: a sign-in link from /desk works once, for this long; a session then lasts
    # DESK_SESSION_HOURS from sign-in (a revoked role ends it at once).
    desk_link_minutes: int = Field(default=15, ge=1, le=60)
    desk_session_hours: float = Field(default=12.0, gt=0, le=24 * 7)
    # Hosts users' files are fetched from on Zalo (a name and its subdomains), always over
    # https; a loopback host (127.0.0.1, localhost) may be listed for tests and uses http.
    zalo_media_hosts: Annotated[tuple[str, ...], NoDecode] = ("zdn.vn", "zalo.me", "zadn.vn")
    max_document_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    album_debounce_seconds: float = Field(default=1.0, ge=0)
    polling_timeout_seconds: int = Field(default=30, ge=0, le=50)
    api_timeout_seconds: float = Field(default=30.0, gt=0)
    send_max_attempts: int = Field(default=5, ge=1)
    send_retry_base_seconds: float = Field(default=1.0, ge=0)
    send_max_wait_seconds: float = Field(default=60.0, ge=0)  # longest retry_after honoured
    telegram_rate_per_second: float = Field(default=25.0, ge=0)  # Telegram allows ~30/s
    zalo_rate_per_second: float = Field(default=5.0, ge=0)  # Zalo publishes no figure
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)

    # Zalo Official Account (bot/channels/zalo_oa/; README "Zalo Official Account"). Enabled by
    # the app id, the app secret and the OA secret key (which signs webhooks); the first token
    # pair seeds the database once (refresh tokens are single-use: the database holds the live
    # pair afterwards). Webhook mode only, at POST /webhook/zalo-oa. Items marked ⚠ in
    # shared/zalo-oa-notes.md are settings here, to be checked against a live OA.
    zalo_oa_app_id: str | None = None
    zalo_oa_app_secret: SecretStr | None = None
    zalo_oa_secret_key: SecretStr | None = None
    zalo_oa_access_token: SecretStr | None = None
    zalo_oa_refresh_token: SecretStr | None = None
    zalo_oa_api_base: str = "https://openapi.zalo.me"
    zalo_oa_oauth_base: str = "https://oauth.zaloapp.com"
    # Where Zalo sends the admin back after consent (`loa zalo-oa authorize`; must match the
    # callback URL saved in the app's console).
    zalo_oa_redirect_uri: str | None = None
    # Access tokens live 25 h (⚠); refreshed this long before they expire, or after the
    # lifetime below when the OAuth answer gives none.
    zalo_oa_refresh_margin_minutes: int = Field(default=300, ge=1)
    zalo_oa_token_seconds: int = Field(default=90_000, ge=60)
    # The reply window (⚠): free for ZALO_OA_FREE_HOURS after the user's last interaction,
    # billed after that until ZALO_OA_WINDOW_DAYS, refused beyond. Proactive messages
    # (broadcasts, polls, reminders) use the billed part only when ZALO_OA_SEND_BILLED is true.
    zalo_oa_free_hours: int = Field(default=48, ge=1)
    zalo_oa_window_days: int = Field(default=7, ge=1)
    zalo_oa_send_billed: bool = False
    # Uploads (⚠): images up to 1 MB, files (PDF/DOC/DOCX) up to 5 MB; an uploaded image id
    # is reused for this many days, then uploaded again (Zalo is said to expire them at 7).
    zalo_oa_image_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    zalo_oa_file_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    zalo_oa_upload_days: float = Field(default=6.0, gt=0)
    zalo_oa_text_limit: int = Field(default=2000, ge=100)  # ⚠ "at most 2,000 characters"
    zalo_oa_rate_per_second: float = Field(default=10.0, ge=0)  # 4,000/min per app (⚠)
    # Accept a webhook signed with the OA id in place of the app id (⚠ some write-ups say so);
    # each such delivery is logged.
    zalo_oa_signature_oa_id: bool = False
    # A ZBS template (approved for this OA) that carries reminders outside the window: its id
    # and a JSON object of template parameter -> value, where a value may use {text} (the
    # reminder) and {date} (today, DD/MM/YYYY).
    zalo_oa_template_id: str | None = None
    zalo_oa_template_data: dict[str, str] = Field(default_factory=dict)
    zalo_oa_template_value_max: int = Field(default=100, ge=10)  # ⚠ per-parameter length
    # A stored webhook delivery is handled by one worker at a time for this long; unhandled
    # ones (a crash, a failure) are looked for this often.
    zalo_oa_delivery_lease_seconds: float = Field(default=120.0, gt=0)
    zalo_oa_redelivery_seconds: float = Field(default=30.0, gt=0)
    # Stored deliveries handled at once by one process (the rest wait, already stored).
    zalo_oa_handling_concurrency: int = Field(default=4, ge=1, le=100)

    # Unset: INFO while serving chat platforms, WARNING for the console and every other command
    # (a person at the terminal sees only the conversation or the command's output).
    log_level: str | None = None
    # "json": one JSON object per line, for a log collector; "text" for people reading a terminal.
    log_format: Literal["text", "json"] = "text"

    @field_validator(
        "telegram_token",
        "zalo_token",
        "telegram_webhook_secret",
        "telegram_webhook_url",
        "zalo_webhook_secret",
        "zalo_webhook_url",
        "webhook_listen",
        "web_listen",
        "public_base_url",
        "metrics_token",
        "zalo_oa_app_id",
        "zalo_oa_app_secret",
        "zalo_oa_secret_key",
        "zalo_oa_access_token",
        "zalo_oa_refresh_token",
        "zalo_oa_redirect_uri",
        "zalo_oa_template_id",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `ZALO_WEBHOOK_URL=` in a .env file means "not set", not "the empty URL".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("media_url_secret")
    @classmethod
    def _strong_media_secret(cls, value: SecretStr) -> SecretStr:
        # An empty key would make every link's signature a public constant.
        if len(value.get_secret_value()) < 32:
            raise ValueError(
                "MEDIA_URL_SECRET must be at least 32 characters (or unset: a random key)"
            )
        return value

    @field_validator("metrics_token")
    @classmethod
    def _strong_metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("METRICS_TOKEN must be at least 32 characters (or unset)")
        return value

    @field_validator("zalo_media_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(host.strip().lower() for host in value.split(",") if host.strip())
        return value

    @field_validator("quiet_start", "quiet_end", mode="before")
    @classmethod
    def _time_of_day(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                hours, minutes = (int(part) for part in value.strip().split(":"))
                return time(hours, minutes)
            except ValueError:
                raise ValueError(f"must be {_TIME_OF_DAY}, not {value!r}") from None
        return value

    @field_validator("report_period_h1", "report_period_year")
    @classmethod
    def _month_day_window(cls, value: str) -> str:
        start, sep, end = value.partition("..")
        try:
            if not sep:
                raise ValueError(value)
            for part in (start, end):
                datetime.strptime(f"2000-{part.strip()}", "%Y-%m-%d")  # 2000: 29/02 exists
        except ValueError:
            raise ValueError(f"expected a window like 12-01..05-31, not {value!r}") from None
        return f"{start.strip()}..{end.strip()}"

    @field_validator("languages", "report_themes", "photo_optional_activities", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(code.strip() for code in value.split(",") if code.strip())
        return value

    @field_validator("languages")
    @classmethod
    def _vietnamese_first(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "vi" not in value:
            raise ValueError("must include vi, the source language")
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The zone of everything a user sees (Vietnam has no daylight saving time)."""
        return ZoneInfo(self.timezone)

    @property
    def web_address(self) -> str | None:
        """Where Loa's web server listens ("host:port"), if it runs at all."""
        return self.webhook_listen or self.web_listen

    @property
    def desk_enabled(self) -> bool:
        """Whether the web desk is served and its links have an address to point to."""
        return bool(self.web_address and self.public_base_url)

    @property
    def channels_configured(self) -> tuple[str, ...]:
        """Names of the chat platforms that have a token."""
        names = []
        if self.telegram_token is not None and self.telegram_token.get_secret_value():
            names.append("telegram")
        if self.zalo_token is not None and self.zalo_token.get_secret_value():
            names.append("zalo")
        if self.zalo_oa_app_id and self.zalo_oa_app_secret and self.zalo_oa_secret_key:
            names.append("zalo_oa")
        return tuple(names)


def read_settings() -> Settings:
    """The settings from the environment and `.env`; a StartupError naming each bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        raise StartupError(settings_problem(exc)) from None


def settings_problem(exc: ValidationError) -> str:
    """A validation error as one line: each variable, what is wrong, what was given."""
    problems = []
    for error in exc.errors():
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        # Pydantic prefixes our own validators' messages with "Value error, ".
        message = str(error["msg"]).removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]
        if error["type"] != "value_error" and "input" in error and name not in _SECRET_NAMES:
            message = f"{message}, not {error['input']!r}"
        problems.append(f"{name}: {message}")
    return "; ".join(problems) + " (fix it in the environment or .env)"


_SECRET_NAMES = frozenset(
    name.upper()
    for name, field in Settings.model_fields.items()
    if field.annotation in (SecretStr, SecretStr | None)
)
