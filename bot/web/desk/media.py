"""Report photos for the desk: only to a signed-in user who may see that report.

`/desk/photo/<id>` is the thumbnail (made when the photo came in, EXIF-free by construction),
`/desk/photo/<id>/full` the photo itself, re-encoded without EXIF (no location, no camera)
like every image Loa publishes. Anything else — another unit's photo, a voice note, a file
that is gone — is a plain 404; files are found by id, never by path, so nothing is listed.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.channels.files import without_metadata
from bot.reports.media import open_store
from bot.web.desk.auth import Desk, signed_in
from bot.web.desk.review import visible_report
from db.models import MediaKind, ReportMedia

routes = web.RouteTableDef()

CACHE = "private, max-age=3600"


async def _photo(request: web.Request, desk: Desk) -> ReportMedia:
    media = await desk.repos.session.get(ReportMedia, int(request.match_info["media_id"]))
    if media is None or media.kind != MediaKind.photo.value:
        raise web.HTTPNotFound()
    if await visible_report(desk, media.report_id) is None:
        raise web.HTTPNotFound()
    return media


@routes.get(r"/desk/photo/{media_id:\d+}")
@signed_in()
async def thumbnail(request: web.Request, desk: Desk) -> web.StreamResponse:
    """The photo's thumbnail (JPEG)."""
    media = await _photo(request, desk)
    path = open_store(desk.loa.settings).local_path(media.thumb_path or media.path)
    if not media.thumb_path or not path.is_file():
        raise web.HTTPNotFound()
    body = await asyncio.to_thread(path.read_bytes)
    return web.Response(body=body, content_type="image/jpeg", headers={"Cache-Control": CACHE})


@routes.get(r"/desk/photo/{media_id:\d+}/full")
@signed_in()
async def full_size(request: web.Request, desk: Desk) -> web.StreamResponse:
    """The photo at full size, without its metadata (JPEG)."""
    media = await _photo(request, desk)
    path = open_store(desk.loa.settings).local_path(media.path)
    if not path.is_file():
        raise web.HTTPNotFound()
    body = await asyncio.to_thread(lambda: without_metadata(path.read_bytes()))
    return web.Response(body=body, content_type="image/jpeg", headers={"Cache-Control": CACHE})
