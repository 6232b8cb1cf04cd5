"""`python -m shop report`: the weekly report renders as HTML and as PDF, turned into PNG pages."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from shop.analytics.report import chromium, shown_text, write_report
from shop.cli import main
from shop.db import make_engine
from tests.analytics.builders import known_week, tracker_db
from tests.integration.conftest import ROOT, seeded_db

PICTURES = ROOT / "var" / "test-output" / "analytics"


def chromium_or_skip() -> str:
    found = chromium()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no chromium: .ci/run installs Debian's chromium")
        pytest.skip("no chromium installed (apt-get install chromium): PDF and browser tests skipped")
    return found


def pdftoppm_or_skip() -> str:
    found = shutil.which("pdftoppm")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no pdftoppm: .ci/run installs Debian's poppler-utils")
        pytest.skip("no pdftoppm (apt-get install poppler-utils)")
    return found


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    folder = tmp_path_factory.mktemp("report")
    tracker = tracker_db(known_week(), f"sqlite:///{folder / 'rasa_tracker.db'}")
    return tracker, make_engine(seeded_db(folder)), folder


def test_html_holds_the_week_against_the_week_before(sources: tuple, tmp_path: Path) -> None:
    tracker, shop, _ = sources
    files = write_report("2026-W49", tmp_path, tracker, shop, pdf=False)
    html = files.html.read_text(encoding="utf-8")
    assert "店小二客服周报 · 2026-W49" in html
    assert "2026-11-30（周一）至 2026-12-06（周日）" in html
    assert "「直播间链接在哪」本周出现 3 次，店小二没听懂，建议加入训练数据" in html
    # this week 5 conversations, the week before 1 (z)
    assert '<td>会话数</td><td class="num">5</td><td class="num">1</td>' in html
    assert '<td>机器人独立解决率</td><td class="num">40.0%</td><td class="num">100.0%</td>' in html
    assert (tmp_path / "echarts.min.js").exists() and files.pdf is None
    assert "cdn" not in html.lower()


def test_pdf_renders_chinese_and_its_charts(sources: tuple, tmp_path: Path) -> None:
    chromium_or_skip()
    pdftoppm = pdftoppm_or_skip()
    tracker, shop, _ = sources
    files = write_report("2026-W49", tmp_path, tracker, shop)
    assert files.pdf is not None and files.pdf.read_bytes().startswith(b"%PDF")
    PICTURES.mkdir(parents=True, exist_ok=True)
    subprocess.run([pdftoppm, "-png", "-r", "60", str(files.pdf), str(PICTURES / "report")], check=True, timeout=120)
    pages = sorted(PICTURES.glob("report-*.png"))
    assert len(pages) >= 2 and all(page.stat().st_size > 20_000 for page in pages)
    text = subprocess.run(["pdftotext", str(files.pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "店小二客服周报" in text and "机器人独立解决率" in text and "直播间链接在哪" in text


def test_the_cli_writes_the_report(sources: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    _, _, folder = sources
    monkeypatch.setenv("XIAOER_TRACKER_DB_URL", f"sqlite:///{folder / 'rasa_tracker.db'}")
    assert main(["--db", f"sqlite:///{folder / 'shop.db'}", "report", "--week", "2026-W49",
                 "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
    assert (tmp_path / "out" / "report.html").exists()
    assert str(tmp_path / "out" / "report.html") in capsys.readouterr().out


def test_the_cli_refuses_a_bad_week_and_a_missing_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        sources: tuple) -> None:
    _, _, folder = sources
    with pytest.raises(SystemExit) as usage:
        main(["report", "--week", "2026-W60", "--out", str(tmp_path)])
    assert usage.value.code == 2
    monkeypatch.setenv("XIAOER_TRACKER_DB_URL", f"sqlite:///{tmp_path / 'none.db'}")
    assert main(["--db", f"sqlite:///{folder / 'shop.db'}", "report", "--week", "2026-W49",
                 "--out", str(tmp_path / "out")]) == 1
    assert not (tmp_path / "out").exists()


def test_shown_text_masks_phones_and_cuts() -> None:
    assert shown_text("我的电话13812345678") == "我的电话138****5678"
    assert shown_text("好" * 100).endswith("…") and len(shown_text("好" * 100)) == 60
