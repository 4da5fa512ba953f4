"""The three reports (ranking, Optuna search, OptFS search) rendered from small generated data
in headless Chromium: screenshots of the expected size that are not blank, and the table
script sorting, filtering and expanding in a real browser. Skipped where no Chromium binary
is found (Debian: ``apt-get install chromium``; .ci/run installs it)."""

from __future__ import annotations

import re
import runpy
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

import autofeat

ROOT = Path(__file__).resolve().parents[2]
SHOTS = runpy.run_path(str(ROOT / "docs" / "make_screenshots.py"), run_name="make_screenshots")
BROWSER = SHOTS["find_chromium"]()
SIZE = SHOTS["SIZE"]

pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no chromium binary on PATH (Debian: apt-get install chromium): report screenshots not checked")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    return struct.unpack(">II", data[16:24])


def _check_image(png: Path) -> None:
    """A PNG of SIZE that is not one colour: many colours, and a real share of non-white pixels."""
    assert _png_size(png.read_bytes()) == SIZE
    image = pytest.importorskip("PIL.Image")
    with image.open(png) as im:
        rgb = im.convert("RGB")
        colors = rgb.getcolors(maxcolors=1 << 20) or []
        white = next((n for n, c in colors if c == (255, 255, 255)), 0)
    assert len(colors) > 50, f"{png.name}: {len(colors)} colours"
    assert white < 0.97 * SIZE[0] * SIZE[1], f"{png.name}: blank"


def _screens(pages: dict[str, Path], out: Path, names: tuple[str, ...]) -> None:
    for name, report, sections, rows in SHOTS["SHOTS"]:
        if report in names and report in pages:
            _check_image(SHOTS["screenshot"](BROWSER, pages[report], out / name, sections=sections, open_rows=rows))


def test_ranking_report_screenshots(tmp_path):
    pages = SHOTS["build_reports"](tmp_path, rows=6000, which=("ranking",))
    _screens(pages, tmp_path, ("ranking",))


@pytest.mark.slow
def test_search_report_screenshots(tmp_path):
    # 20k rows as docs/make_screenshots.py (on 6k, OptFS's path can have no state within the
    # tolerance of both the best AUC and the best log loss: choose_state fails)
    pages = SHOTS["build_reports"](tmp_path, rows=20_000, which=("optuna", "optfs"))
    assert "optuna" in pages
    _screens(pages, tmp_path, ("optuna", "optfs"))
    if "optfs" in pages:  # the search records the training rows' share
        assert "share of training rows whose value is kept" in pages["optfs"].read_text()


def _dom_after(page: Path, script: str) -> str:
    """The page's DOM after its own scripts and ``script`` have run, from headless Chromium."""
    run_page = page.with_name("run.html")
    run_page.write_text(page.read_text().replace("</body>", f"<script>{script}</script></body>"))
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                              "--dump-dom", run_page.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-400:]
    return run.stdout


def test_the_table_sorts_filters_and_expands_in_a_browser(tmp_path, ctr_ranking):
    page = tmp_path / "report.html"
    autofeat.write_report(ctr_ranking, page)
    dom = _dom_after(page, """
        var t=document.getElementById("features");
        t.tHead.rows[0].cells[3].click();  // score, ascending
        t.tBodies[0].rows[0].click();      // expand the (new) first row
        var box=document.querySelector("[data-filter=features]"); box.value="inf"; box.dispatchEvent(new Event("input"));
    """)
    bodies = re.findall(r"<tbody class=\"([^\"]*)\" id=\"f-([^\"]*)\"( hidden=\"\")?>(.*?)</tbody>", dom, flags=re.S)
    assert len(bodies) == len(ctr_ranking.features)
    scores = [float(re.findall(r'data-v="([^"]*)"', body)[1]) for _, _, _, body in bodies]
    assert scores == sorted(scores)
    assert re.search(r'<th data-sort="num" class="[^"]*\basc\b', dom)  # the sorted column is marked
    klass, _, _, first = bodies[0]
    assert "open" in klass and re.search(r'<tr class="detail">', first)  # no longer hidden
    shown = [name for _, name, hidden, _ in bodies if not hidden]
    assert shown and all("inf" in n or "inf" in body for _, n, hidden, body in bodies if not hidden)
    assert len(shown) < len(bodies)
    assert re.search(rf">{len(shown)} of {len(bodies)} shown<", dom)
