"""The report flow's photo and location steps: photos (an album at once) or a voice note, picking
photos to remove, then a shared location."""

from __future__ import annotations

from bot.core.chat import Attachment, AttachmentKind, Kind, Reply, choice
from bot.core.i18n import _
from bot.engine import BadInput, Context
from bot.reports.media import open_store
from db.models import MediaKind, Report
from handlers.report.attachments import attach_photos, attach_voice, forget_files
from handlers.report.flow import (
    DESCRIPTION_MAX,
    MAX_PHOTOS,
    Answer,
    ReportStep,
    advance,
    photos_prompt,
    photos_required,
    wrong_button,
)
from handlers.report.parse import NO_WORDS, fold, is_done, is_skip


async def take_photos(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """Photos (an album at once), a voice message, "done", or removing what was sent."""
    event = answer.event
    if answer.action in REMOVING:
        return await remove_photos(answer, ctx, report)
    if answer.action == "done" or (event.kind is Kind.text and is_done(answer.text)):
        has_photos = bool(await ctx.repos.reports.media(report.id, MediaKind.photo))
        if not has_photos and photos_required(ctx, report):
            raise BadInput(_("Please send at least one photo of the activity first."))
        return await advance(ctx, report, ReportStep.photos)
    if answer.action:
        raise wrong_button()
    if event.kind is Kind.voice:
        line, _kept = await attach_voice(ctx, report, event.media)
        return [Reply(line, choices=(await photos_prompt(ctx, report)).choices)]
    if event.kind not in (Kind.photo, Kind.document):
        raise BadInput(_('Please send photos, or type "done" when you have sent them all.'))
    lines, added, total = await attach_photos(ctx, report, event.media)
    caption = event.text.strip()
    if caption and is_done(caption):
        caption = ""
        if total:
            return await advance(ctx, report, ReportStep.photos, "\n".join(lines))
    if caption:
        joined = f"{report.description}\n{caption}".strip()
        if len(joined) <= DESCRIPTION_MAX:
            report.description = joined
            lines.append(_("The caption was added to the description."))
    if total >= MAX_PHOTOS:
        lines.append(_("That is the most a report can have."))
        return await advance(ctx, report, ReportStep.photos, "\n".join(lines))
    reply = await photos_prompt(ctx, report)
    if total and not added:
        lines.append(_("Photos so far: {count}.").format(count=total))
    lines.append(_('Send more, or type "done".') if total else reply.text)
    return [Reply("\n".join(lines), choices=reply.choices)]


REMOVING = frozenset({"rmp", "rmx", "rmall", "keep"})


async def remove_photos(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """Show the photos to pick one to remove; remove it, or all of them, or none."""
    photos = await ctx.repos.reports.media(report.id, MediaKind.photo)
    done = ""
    if answer.action == "rmall":
        await forget_files(ctx, await ctx.repos.reports.remove_media(report.id, MediaKind.photo))
        done = _("The photos were removed.")
    elif answer.action == "rmx":
        # By id, not position: a number shown before another removal would name another photo.
        ids = [str(photo.id) for photo in photos]
        if not answer.args or answer.args[0] not in ids:
            raise wrong_button()
        await forget_files(ctx, await ctx.repos.reports.remove_one_media(int(answer.args[0])))
        number = ids.index(answer.args[0]) + 1
        done = _("Photo {number} was removed.").format(number=number)
    if answer.action != "rmp" or not photos:
        report.updated_at = ctx.now
        reply = await photos_prompt(ctx, report)
        text = f"{done}\n\n{reply.text}" if done else reply.text
        return [Reply(text, choices=reply.choices)]
    store = open_store(ctx.services.settings)
    replies = [
        Reply(
            _("Photo {number}").format(number=n),
            attachment=Attachment(
                AttachmentKind.photo, store.local_path(photo.thumb_path or photo.path)
            ),
        )
        for n, photo in enumerate(photos, 1)
    ]
    choices = [
        choice("rp", "rmx", photo.id, label=_("🗑 Photo {number}").format(number=n))
        for n, photo in enumerate(photos, 1)
    ]
    if len(photos) > 1:
        choices.append(
            choice("rp", "rmall", label=_("🗑 All {count} photos").format(count=len(photos)))
        )
    choices.append(choice("rp", "keep", label=_("⬅ Keep them all")))
    replies.append(Reply(_("Which photo do you want to remove?"), choices=tuple(choices)))
    return replies


async def take_location(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """A shared location, or skip."""
    event = answer.event
    declined = event.kind is Kind.text and (is_skip(answer.text) or fold(answer.text) in NO_WORDS)
    if answer.action == "skip" or declined:
        return await advance(ctx, report, ReportStep.location)
    if answer.action:
        raise wrong_button()
    point = event.location
    if event.kind is not Kind.location or point is None:
        raise BadInput(_("Please share a location, or choose Skip."))
    if not (-90 <= point.latitude <= 90 and -180 <= point.longitude <= 180):
        raise BadInput(_("That location is not valid. Please share it again, or choose Skip."))
    report.latitude, report.longitude = point.latitude, point.longitude
    return await advance(ctx, report, ReportStep.location, _("Location saved."))
