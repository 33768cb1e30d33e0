"""Back the database up to one file and restore it: SQLite's online backup, or pg_dump/pg_restore.

A backup holds every person's data: it is written with the process's umask (077 under `loa`),
and whoever keeps it keeps that data.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """The backup or restore could not be done (the message says why, for an operator)."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _pg_env(url: URL) -> dict[str, str]:
    # libpq reads these; a password on the command line would show in the process list.
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", str(url.port) if url.port else None),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[key] = str(value)
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise BackupError(
            f"{args[0]} is not installed (Debian: apt-get install postgresql-client)"
        )
    done = subprocess.run(  # noqa: S603 (a fixed PostgreSQL tool with our own arguments)
        [tool, *args[1:]], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip() or done.returncode}")


def backup(database_url: str, out: Path) -> None:
    """Write a consistent copy of the database to `out`, while Loa may be running."""
    url = make_url(database_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source_path = _sqlite_path(url)
        if not source_path.exists():
            raise BackupError(f"no database at {source_path}")
        partial = out.with_name(out.name + ".partial")
        source = sqlite3.connect(source_path)
        try:
            target = sqlite3.connect(partial)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
        partial.replace(out)
        return
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={out}"], _pg_env(url))


def restore(database_url: str, source: Path) -> None:
    """Replace the database's contents with the backup in `source` (stop Loa first)."""
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        target_path = _sqlite_path(url)
        target_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if backup_db.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupError(f"{source} is not a sound SQLite database")
            target = sqlite3.connect(target_path)
            try:
                backup_db.backup(target)
            finally:
                target.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a SQLite backup: {exc}") from exc
        finally:
            backup_db.close()
        return
    # Without --dbname pg_restore would print the SQL instead of restoring it.
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={url.database}",
            str(source),
        ],
        _pg_env(url) | {"PGOPTIONS": "-c client_min_messages=warning"},
    )
