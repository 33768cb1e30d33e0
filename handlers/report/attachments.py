"""Photos and voice notes kept with a report, each checked before it is stored."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.core.chat import MediaRef, escape
from bot.core.i18n import _
from bot.engine import Context
from bot.reports.media import (
    MediaChecks,
    MediaLimits,
    MediaProblem,
    MediaRejected,
    attachment_row,
    delete_media_if_unreferenced,
    open_store,
    take_voice,
)
from db.models import MediaKind, Report
from handlers.report.flow import MAX_PHOTOS
from handlers.report.views import problem_text, voice_problem_text


def _media_label(ref: MediaRef, number: int, count: int) -> str:
    label = _("Photo {number}").format(number=number) if count > 1 else _("The photo")
    if ref.file_name:
        label += f" ({escape(ref.file_name[:60])})"
    return label


async def attach_photos(
    ctx: Context, report: Report, media: Sequence[MediaRef]
) -> tuple[list[str], int, int]:
    """Check and store each photo: lines to tell the user, how many were added, how many the
    report has now.

    A refused photo leaves everything else as it was; the same file twice in one report is
    kept once; a file another report already has is kept and marked as a repeat.
    """
    settings = ctx.services.settings
    checks = ctx.services.media or MediaChecks(settings)
    limits = checks.limits
    existing = await ctx.repos.reports.media(report.id, MediaKind.photo)
    known = {item.sha256 for item in existing}
    total = len(existing)
    lines: list[str] = []
    added = 0
    if not media:
        media = (MediaRef("", problem=MediaProblem.download_failed.value),)
    for number, ref in enumerate(media, 1):
        label = _media_label(ref, number, len(media))
        if total >= MAX_PHOTOS:
            lines.append(
                _("{photo} was not added: a report has at most {limit} photos.").format(
                    photo=label, limit=MAX_PHOTOS
                )
            )
            continue
        try:
            stored = await checks.photo(ref)
        except MediaRejected as rejected:
            lines.append(
                _("{photo} was not added: {reason}").format(
                    photo=label, reason=problem_text(rejected.problem, limits.max_bytes)
                )
            )
            continue
        if stored.sha256 in known:
            lines.append(
                _("{photo} is already in this report; it was not added again.").format(photo=label)
            )
            continue
        repeat_of = await ctx.repos.reports.first_report_with(stored.sha256, other_than=report.id)
        await ctx.repos.reports.add_media(
            attachment_row(stored, report.id, at=ctx.now, duplicate=repeat_of is not None)
        )
        known.add(stored.sha256)
        total += 1
        added += 1
        if repeat_of is not None:
            lines.append(
                _(
                    "{photo} was already sent with report #{number}. It is kept, and "
                    "marked for the officer as sent before."
                ).format(photo=label, number=repeat_of)
            )
    if added:
        lines.insert(
            0,
            _("Photos saved: {added}. This report has {total} (at most {limit}).").format(
                added=added, total=total, limit=MAX_PHOTOS
            ),
        )
    report.updated_at = ctx.now
    return lines, added, total


async def attach_voice(
    ctx: Context, report: Report, media: Sequence[MediaRef]
) -> tuple[str, bool]:
    """Keep a voice message with the report; what to tell the user, and whether it was kept."""
    settings = ctx.services.settings
    limits = MediaLimits.of(settings)
    ref = media[0] if media else MediaRef("", problem=MediaProblem.download_failed.value)
    try:
        stored = await take_voice(open_store(settings), ref, limits)
    except MediaRejected as rejected:
        reason = voice_problem_text(rejected.problem, limits.max_bytes)
        return _("The voice message was not kept: {reason}").format(reason=reason), False
    await ctx.repos.reports.add_media(attachment_row(stored, report.id, at=ctx.now))
    report.updated_at = ctx.now
    return _("Voice message saved with the report."), True


async def forget_files(ctx: Context, digests: Iterable[str]) -> None:
    """Unlink the stored files of rows just deleted, unless another row still has them."""
    await delete_media_if_unreferenced(ctx.repos, open_store(ctx.services.settings), digests)
