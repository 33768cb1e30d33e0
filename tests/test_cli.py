"""The `loa` command as an operator or a newcomer uses it, in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.config import ROOT

LOA = Path(sys.executable).parent / "loa"


def run_loa(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the installed `loa` console script."""
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TELEGRAM_TOKEN", "ZALO_TOKEN", "DATABASE_URL", "LOG_LEVEL"}
    }
    full_env.update(env or {})
    return subprocess.run(  # noqa: S603 (our own console script)
        [str(LOA), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=ROOT,
        check=False,
    )


@pytest.fixture
def console_env(database_url: str, tmp_path: Path, loa) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Environment for a console run on the test database (wiped by the `loa` fixture)."""
    return {"DATABASE_URL": database_url, "MEDIA_DIR": str(tmp_path / "media")}


def test_scripted_console_session_shows_the_vietnamese_menu(console_env: dict[str, str]) -> None:
    result = run_loa("run", stdin="/start\n1\n4\n", env=console_env)
    assert result.returncode == 0, result.stderr
    assert "Chọn ngôn ngữ" in result.stdout
    assert "  1. Tiếng Việt" in result.stdout
    assert "  4. Bỏ qua" in result.stdout  # the commune, asked once after the language
    assert "Menu chính" in result.stdout
    assert "  1. Chương trình MTQG và 10 dự án" in result.stdout


def test_console_shows_only_the_conversation(console_env: dict[str, str]) -> None:
    result = run_loa("run", stdin="/start\n1\nxin chao\n", env=console_env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no "Loa ready…", no scheduler lines
    assert "Loa ready" not in result.stdout and "apscheduler" not in result.stdout.lower()
    assert "Xin chào! Tôi là Loa." in result.stdout
    loud = run_loa("run", stdin="/menu\n", env={**console_env, "LOG_LEVEL": "INFO"})
    assert "Loa ready" in loud.stderr  # asked for: logs are there


def test_commands_are_quiet_on_stderr_unless_something_is_wrong() -> None:
    for args in (("org", "show"), ("ask", "vay von"), ("i18n", "coverage")):
        result = run_loa(*args)
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", args


def test_console_answers_a_question_typed_without_accents(console_env: dict[str, str]) -> None:
    result = run_loa(
        "run", stdin="/start\n1\nnha toi duoc ho tro bao nhieu tien lam nha\n", env=console_env
    )
    assert result.returncode == 0, result.stderr
    assert "Dự án 1" in result.stdout or "nhà ở" in result.stdout.lower()


def test_console_switches_users_and_sends_photos(
    console_env: dict[str, str], tmp_path: Path
) -> None:
    picture = tmp_path / "field.jpg"
    picture.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    script = f"/start\n/user Y Blong\n/photo {picture}\n/photo /no/such/file.jpg\n/menu\n"
    result = run_loa("run", stdin=script, env=console_env)
    assert result.returncode == 0, result.stderr
    assert "(console) you are now Y Blong" in result.stdout
    assert "Cảm ơn bạn đã gửi ảnh" in result.stdout
    assert "(console) no such file: /no/such/file.jpg" in result.stdout


def test_run_continues_a_conversation_across_restarts(console_env: dict[str, str]) -> None:
    first = run_loa("run", stdin="/start\n1\n4\n", env=console_env)
    assert "Menu chính" in first.stdout
    second = run_loa("run", stdin="7\n", env=console_env)  # "7" answers the menu shown before
    assert "Dữ liệu của bạn" in second.stdout


def test_content_check_passes_and_lists_what_to_verify() -> None:
    result = run_loa("content", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout
    assert "to verify" in result.stdout


def test_content_check_fails_on_broken_content(tmp_path: Path) -> None:
    (tmp_path / "vi").mkdir()
    (tmp_path / "vi" / "a.md").write_text(
        "---\nid: a\ntitle: A\nparent: nowhere\nsources: []\n---\n" + "x" * 2500 + "\n"
    )
    (tmp_path / "topics.yaml").write_text("- {id: a}\n- {id: b}\n")
    result = run_loa("content", "check", "--content-dir", str(tmp_path))
    assert result.returncode == 1
    assert "missing content/vi/b.md" in result.stderr
    assert "parent nowhere does not exist" in result.stderr
    assert "no sources" in result.stderr
    assert "paragraph 1 has 2500 characters" in result.stderr


def test_ask_json_reads_one_question_per_line() -> None:
    result = run_loa(
        "ask", "--json", "-", stdin="vay von uu dai\nthoi han bao cao\n\nasdfgh qwerty\n"
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["q"] for row in rows] == ["vay von uu dai", "thoi han bao cao", "asdfgh qwerty"]
    assert rows[0]["results"][0]["topic"] == "tin-dung-chinh-sach"
    assert rows[1]["results"][0]["topic"] == "che-do-bao-cao"
    first = rows[0]["results"][0]
    assert set(first) == {"topic", "score", "title"} and 0 <= first["score"] <= 1
    assert len(rows[0]["results"]) <= 5
    assert rows[0]["confident"] is True and rows[2]["confident"] is False


def test_ask_json_says_what_loa_would_do_with_each_answer() -> None:
    questions = [
        "phat tao hon bao nhieu",
        "vay von uu dai duoc bao nhieu tien",
        "lam so do dat mat bao lau",
        "Mẹ em chưa có lương hưu thì có được hưởng gì không? Còn nhà em muốn vay vốn ngân hàng "
        "chính sách để nuôi bò thì sao?",
        "chong toi say ruou ve danh vo con",
    ]
    result = run_loa("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    fine, loan, land, two, hurt = (json.loads(line) for line in result.stdout.splitlines())
    assert fine["results"][0]["topic"] == "tao-hon-can-huyet"
    assert fine["confident"] is True and fine["fact_found"] is False
    assert fine["out_of_scope"] is False and len(fine["parts"]) == 1
    assert loan["confident"] is True and loan["fact_found"] is True
    assert land["out_of_scope"] is True and land["confident"] is False
    assert [part["out_of_scope"] for part in two["parts"]] == [True, False]
    assert two["parts"][1]["topic"] == "tin-dung-chinh-sach"
    assert hurt["urgent"] is True and hurt["confident"] is False  # the safety answer comes first


def test_ask_prints_the_best_topics() -> None:
    result = run_loa("ask", "khoan bao ve rung")
    assert result.returncode == 0, result.stderr
    assert "du-an-3" in result.stdout.splitlines()[1]


def test_org_show_prints_both_maps() -> None:
    old = run_loa("org", "show")
    assert "ia-dom: Xã Ia Dom" in old.stdout
    new = run_loa("org", "show", "--org-file", str(ROOT / "db/org/ia-hdrai-2025.yaml"))
    assert "dissolved ia-dom" in new.stdout and "→ ia-toi" in new.stdout
