"""Who gets into the web desk, and what stays shut: /desk links, sessions, CSRF, scopes."""

from __future__ import annotations

from db.models import Role
from tests.web.desk import DeskSite


async def test_an_officer_signs_in_with_the_link_from_desk(desk: DeskSite) -> None:
    officer = await desk.person(Role.officer, "ia-toi", name="Y Blong")
    async with desk.client() as client:
        link = await desk.link_for(officer)
        assert link.startswith(desk.base_url + "/desk/signin/")
        assert await client.sign_in(link) == 303
        status, home = await client.get("/desk/")
    assert status == 200
    assert "Xã Ia Tơi" in home
