"""The periodic report's files from the desk: choose a period and a scope, download the
workbook (XLSX) or the draft report (DOCX).

The same aggregation as `loa export` and chat's /export: `summarize` counts the approved
reports (bot/reports/summary.py) and `write_exports` writes the files in Vietnamese with the
chat's names for activity kinds and roles (bot/exports/). Officers choose among their own unit
and the units under it, admins among every unit or the whole map.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.engine import Services
from bot.exports import FORMATS, wording, write_exports
from bot.reports.summary import Period, Summary, recent_periods, summarize
from db.models import Role, Unit, UnitKind, User
from db.repositories import Repos
from db.repositories.units import tree_order
from handlers.exports import vocabulary

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def periods(today: date, services: Services) -> list[Period]:
    """The periods offered: the three that ended last and the one in progress (as in chat)."""
    return recent_periods(today, services.settings)


async def scopes(repos: Repos, user: User) -> list[Unit]:
    """The units this user may export (villages aside, unless it is their own unit).

    Admins may also export the whole map (no unit), which the page offers first.
    """
    units = tree_order(await repos.units.active())
    if user.role == Role.admin.value:
        allowed = None
    elif user.unit_id is None:
        return []
    else:
        allowed = await repos.reports.subtree(user.unit_id)
    return [
        unit
        for unit in units
        if (allowed is None or unit.id in allowed)
        and (unit.kind != UnitKind.village.value or unit.id == user.unit_id)
    ]


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A written file, ready to download."""

    name: str
    content_type: str
    data: bytes


async def tally(
    repos: Repos, services: Services, period: Period, scope: str | None, today: date
) -> Summary:
    """The summary the files are written from."""
    return await summarize(repos, services.settings, period, scope=scope, today=today)


async def write(summary: Summary, kind: str, services: Services, today: date) -> ExportFile:
    """Write one file of the summary (`kind`: "xlsx" or "docx") and read it back."""
    if kind not in FORMATS:
        raise ValueError(kind)
    settings = services.settings
    words = wording(settings.locales_dir)
    names = vocabulary(services.catalogs, "vi")  # official files are in Vietnamese

    def written() -> tuple[str, bytes]:
        with tempfile.TemporaryDirectory(prefix="loa-desk-") as folder:
            (path,) = write_exports(summary, (kind,), Path(folder), names, words, today)
            return path.name, path.read_bytes()

    name, data = await asyncio.to_thread(written)
    return ExportFile(name, CONTENT_TYPES[kind], data)
