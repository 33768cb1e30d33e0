"""What an operator relies on around the bot: private files, quiet logs, the deployment files."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.core.config import ROOT, Settings
from bot.core.logging import configure_logging
from db.session import Database
from tests.helpers import Chat
from tests.test_cli import run_loa


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_written_by_loa_is_private_to_its_user(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{data / 'loa.db'}",
        "MEDIA_DIR": str(data / "media"),
    }
    result = run_loa("run", stdin="/start\n1\n", env=env)
    assert result.returncode == 0, result.stderr
    assert _mode(data) == 0o700
    assert _mode(data / "loa.db") & 0o077 == 0


async def test_database_errors_do_not_carry_the_values_bound_to_them(
    database_url: str, loa: object
) -> None:
    db = Database(database_url)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    insert = text(
        "INSERT INTO users (channel, external_id, display_name, role, unreachable, "
        "created_at, last_seen_at) VALUES ('console', 'u-1', :name, 'villager', false, :at, :at)"
    )
    secret_name = "Rơ Mah H'Hen 0912345678"
    try:
        async with db.session() as session:
            await session.execute(insert, {"name": secret_name, "at": now})
        with pytest.raises(IntegrityError) as caught:
            async with db.session() as session:
                await session.execute(insert, {"name": secret_name, "at": now})
    finally:
        await db.close()
    assert "0912345678" not in str(caught.value)
    assert "parameters hidden" in str(caught.value)


def _compose() -> dict[str, object]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_loa_beside_postgresql_with_the_webhook_server() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    assert set(services) == {"loa", "db"}
    loa, db = services["loa"], services["db"]
    assert str(db["image"]).startswith("postgres:")
    assert loa["build"] == "."
    assert loa["depends_on"] == {"db": {"condition": "service_healthy"}}
    environment = loa["environment"]
    assert str(environment["DATABASE_URL"]).startswith("postgresql+asyncpg://")
    assert "WEBHOOK_LISTEN" in environment
    # Only the reverse proxy on the host reaches Loa: the port is bound to loopback.
    assert all(str(port).startswith("127.0.0.1:") for port in loa["ports"])


def test_the_dockerfile_installs_what_the_readme_says_and_runs_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    install = re.findall(r"pip install [^\n\\]*--require-hashes[^\n\\]*", dockerfile)
    assert install, "the image installs the locked, hash-checked dependencies"
    for command in install:
        assert command in readme, f"README's deploy section shows {command!r}"
    assert re.search(r"^USER loa$", dockerfile, re.M)
    assert re.search(r'^ENTRYPOINT \["loa"\]$', dockerfile, re.M)
    assert re.search(r'^CMD \["run"\]$', dockerfile, re.M)
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert "--hash=sha256:" in lock
    assert "pytest" not in lock, "the image's lock holds no test tools"


def test_the_systemd_unit_runs_loa_privately_and_stops_it_gently() -> None:
    unit = (ROOT / "deploy" / "loa.service").read_text(encoding="utf-8")
    for line in (
        "User=loa",
        "UMask=0077",
        "KillSignal=SIGTERM",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
    ):
        assert re.search(rf"^{re.escape(line)}$", unit, re.M), line
    assert re.search(r"^ExecStart=\S+/loa run$", unit, re.M)


def test_the_nginx_snippet_forwards_webhooks_and_media_and_nothing_else() -> None:
    conf = (ROOT / "deploy" / "nginx-loa.conf").read_text(encoding="utf-8")
    for location in ("/webhook/", "/media/", "/healthz"):
        assert f"location {location}" in conf
    assert "proxy_pass http://127.0.0.1:8080" in conf
    assert "client_max_body_size" in conf
    catch_all = conf[conf.index("location / {") :]
    assert "return 404;" in catch_all.split("}")[0]


async def _user_names(database_url: str) -> list[str]:
    db = Database(database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                text("SELECT external_id FROM users ORDER BY external_id")
            )
            return [str(row[0]) for row in rows]
    finally:
        await db.close()


async def test_a_backup_restores_what_was_lost(
    chat: Chat, settings: Settings, tmp_path: Path
) -> None:
    await chat.send("/start")
    assert await _user_names(settings.database_url) == ["villager-1"]
    env = {"DATABASE_URL": settings.database_url}
    backup_file = tmp_path / "backups" / "loa.backup"

    made = await asyncio.to_thread(run_loa, "db", "backup", "--out", str(backup_file), env=env)
    assert made.returncode == 0, made.stderr
    assert _mode(backup_file) & 0o077 == 0
    db = Database(settings.database_url)
    async with db.session() as session:
        await session.execute(text("DELETE FROM users"))
    await db.close()
    assert await _user_names(settings.database_url) == []

    restored = await asyncio.to_thread(
        run_loa, "db", "restore", str(backup_file), "--yes", env=env
    )
    assert restored.returncode == 0, restored.stderr
    assert await _user_names(settings.database_url) == ["villager-1"]
    replies = await chat.send("/menu")
    assert replies, "the restored database serves the same user"


def test_restoring_a_file_that_is_no_backup_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "loa.db"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{data}"}
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database")
    result = run_loa("db", "restore", str(junk), "--yes", env=env)
    assert result.returncode == 1
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_logs_are_one_object_per_line_without_secrets_or_phone_numbers() -> None:
    token = "123456:AAsecret-token-value-for-the-log-test"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token=token,
        log_format="json",
        log_level="INFO",
    )
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(settings, stream)
        log = logging.getLogger("loa.test")
        log.info("calling https://api/bot%s/sendMessage for %s", token, "0912 345 678")
        try:
            raise ValueError(f"mail y.blong@example.vn with {token}")
        except ValueError:
            log.exception("send failed")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [entry["level"] for entry in lines] == ["INFO", "ERROR"]
    assert lines[0]["logger"] == "loa.test"
    assert lines[0]["message"] == "calling https://api/bot[REDACTED]/sendMessage for [PERSONAL]"
    assert "ValueError" in lines[1]["exception"]
    everything = stream.getvalue()
    for leaked in ("secret-token-value", "0912", "y.blong@example.vn"):
        assert leaked not in everything
