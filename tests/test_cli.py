"""The `loa` command as an operator or a newcomer uses it, in a real subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.cli.common import LOCALE_VARIABLES, table_language
from bot.core.config import DEFAULT_ORG_FILE, MAP_2022, ROOT, Settings

LOA = Path(sys.executable).parent / "loa"


def run_loa(
    *args: str,
    stdin: str = "",
    env: dict[str, str] | None = None,
    timeout: float = 60,
    org_file: Path | None = MAP_2022,
) -> subprocess.CompletedProcess[str]:
    """Run the installed `loa` console script.

    On the plan's 2022 map, as the `loa` fixture (they share the test database, and the CLI
    syncs its map's units on start); `org_file=None` leaves ORG_FILE to Loa's default. The
    terminal names no language (tables are in Vietnamese) unless `env` sets LANG or LANGUAGE.
    """
    left_out = {
        "TELEGRAM_TOKEN",
        "ZALO_TOKEN",
        "DATABASE_URL",
        "ORG_FILE",
        "LOG_LEVEL",
        *LOCALE_VARIABLES,
    }
    full_env = {k: v for k, v in os.environ.items() if k not in left_out}
    if org_file is not None:
        full_env["ORG_FILE"] = str(org_file)
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


def loa_json(*args: str, env: dict[str, str] | None = None) -> Any:
    """Run `loa` (as `run_loa`), check that it succeeded, and read the JSON it printed."""
    result = run_loa(*args, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


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


def test_org_show_prints_the_current_map_by_default_and_the_2022_one_on_request() -> None:
    current = run_loa("org", "show", org_file=None)
    assert current.returncode == 0, current.stderr
    assert DEFAULT_ORG_FILE.name == "ia-hdrai-2025.yaml"
    assert "quang-ngai-2025: Xã Ia Tơi và xã Ia Đal, tỉnh Quảng Ngãi" in current.stdout
    assert "dissolved ia-dom" in current.stdout and "→ ia-toi" in current.stdout
    old = run_loa("org", "show", "--org-file", str(MAP_2022), org_file=None)
    assert "ia-dom: Xã Ia Dom" in old.stdout


def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("setting", "env", "says"),
    [
        (
            "DATABASE_URL",
            {"DATABASE_URL": "postgresql+asyncpg://loa:hunter22@127.0.0.1:{port}/loa"},
            "DATABASE_URL: cannot use the database postgresql+asyncpg://loa:***@127.0.0.1:{port}"
            "/loa",
        ),
        (
            "DATABASE_URL",
            {"DATABASE_URL": "sqlite+aiosqlite:////proc/no-such-dir/loa.db"},
            "check the file's path in DATABASE_URL and that its folder can be written",
        ),
        (
            "ORG_FILE",
            {"ORG_FILE": "db/org/ia-hdrai-2030.yaml"},
            "ORG_FILE: no such file db/org/ia-hdrai-2030.yaml: set ORG_FILE to an org file",
        ),
        (
            "DEADLINES_FILE",
            {"DEADLINES_FILE": "/no/such/deadlines.yaml"},
            "DEADLINES_FILE: /no/such/deadlines.yaml: [Errno 2] No such file or directory",
        ),
        (
            "QUIET_START",
            {"QUIET_START": "25:00"},
            "QUIET_START: must be a time of day as HH:MM on the 24-hour clock, for example "
            "21:00, not '25:00'",
        ),
        (
            "LANGUAGES",
            {"LANGUAGES": "vi,xx"},
            "LANGUAGES names unknown language codes xx: use codes listed in",
        ),
    ],
)
def test_an_operators_mistake_is_one_line_naming_the_setting(
    setting: str, env: dict[str, str], says: str, tmp_path: Path
) -> None:
    port = closed_port()
    env = {k: v.format(port=port) for k, v in env.items()}
    env.setdefault("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'loa.db'}")
    # Every command that opens the database or reads settings refuses; languages matter to `run`.
    commands = [("run",)] if setting == "LANGUAGES" else [("run",), ("reports", "list")]
    for command in commands:
        result = run_loa(*command, env={"MEDIA_DIR": str(tmp_path / "media"), **env})
        assert result.returncode == 2, result.stderr
        (line,) = [line for line in result.stderr.splitlines() if "Loa ready" not in line]
        assert line.startswith(f"error: {setting}"), line
        assert says.format(port=port) in line
        assert "hunter22" not in result.stderr
        assert "Menu" not in result.stdout


@pytest.mark.parametrize(
    ("environ", "code"),
    [
        ({}, "vi"),  # the district's officers read Vietnamese
        ({"LANG": "vi_VN.UTF-8"}, "vi"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANGUAGE": "en", "LANG": "vi_VN.UTF-8"}, "en"),
        ({"LANGUAGE": "vi:en", "LANG": "C"}, "vi"),
        ({"LC_ALL": "vi_VN", "LANG": "C.UTF-8"}, "vi"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),  # a language Loa does not speak
    ],
)
def test_cli_tables_follow_language_then_the_locale(environ: dict[str, str], code: str) -> None:
    assert table_language(Settings(_env_file=None), environ) == code  # type: ignore[call-arg]
