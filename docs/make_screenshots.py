"""Render the three reports (ranking, Optuna search, OptFS search) from small generated data and
screenshot them with headless Chromium into docs/img/: ``python docs/make_screenshots.py``.

tests/report/test_screenshots.py runs the same functions (into a temporary folder) and checks
the images; it is skipped where no Chromium binary is found (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1200, 900)  # window of every screenshot, in CSS pixels
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_chromium() -> str | None:
    """Path of a Chromium (or Chrome) binary on PATH, or None."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def build_reports(out: Path, *, rows: int = 20_000, seed: int = 0,
                  which: tuple[str, ...] = ("ranking", "optuna", "optfs")) -> dict[str, Path]:
    """Rank, and search with Optuna + LightGBM and with OptFS, on ``rows`` generated rows;
    returns the path of each report in ``which`` by name. OptFS is left out when PyTorch is
    not installed."""
    import autofeat
    from autofeat.datasets import CTRSpec, make_ctr

    spec = CTRSpec(n_informative=5, n_noise=4, n_uniform_noise=1, max_cardinality=2000, max_noise_cardinality=20000)
    table, _ = make_ctr(rows, spec=spec, seed=seed)
    ranking = autofeat.rank(table, "click")
    autofeat.save(ranking, out / "rank")
    paths = {"ranking": out / "rank" / "report.html"}
    if "optuna" in which:
        autofeat.search(table, "click", method="optuna", ranking=ranking, out=out / "optuna", n_trials=12,
                        max_features=10, seed=seed)
        paths["optuna"] = out / "optuna" / "report.html"
    if "optfs" in which and importlib.util.find_spec("torch") is not None:
        autofeat.search(table, "click", method="optfs", ranking=ranking, out=out / "optfs", max_features=10,
                        seed=seed, batch_size=1024, epochs=4)
        paths["optfs"] = out / "optfs" / "report.html"
    return {k: v for k, v in paths.items() if k in which}


def screenshot(browser: str, page: Path, png: Path, *, size: tuple[int, int] = SIZE, sections: list[str] | None = None,
               open_rows: list[str] | None = None, timeout: float = 120) -> Path:
    """The top ``size`` (width, height) of ``page`` as a PNG, by headless Chromium. With
    ``sections`` (headings), only the page's title and those sections are shown; ``open_rows``
    names ranking features whose detail rows are shown open. (A headless screenshot of a
    scrolled page comes out blank, so the page is cut instead of scrolled.)"""
    if sections or open_rows:
        script = ("<script>(function(){var keep=%s,rows=%s,on=!keep.length;"
                  "Array.prototype.forEach.call(document.body.children,function(e){"
                  "if(e.tagName==='H2')on=!keep.length||keep.indexOf(e.textContent)>=0;"
                  "if(e.tagName!=='H1'&&e.tagName!=='SCRIPT'&&!on)e.style.display='none'});"
                  "rows.forEach(function(n){var b=document.getElementById('f-'+n);"
                  "if(b&&b.rows[1]){b.rows[1].hidden=false;b.classList.add('open')}})})();</script>"
                  % (json.dumps(sections or []), json.dumps(open_rows or [])))
        cut = png.with_suffix(".cut.html")
        cut.write_text(page.read_text().replace("</body>", script + "</body>"))
        page = cut
    with tempfile.TemporaryDirectory() as profile:  # a fresh profile: no state, no first-run prompts
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--no-first-run", "--no-default-browser-check", f"--user-data-dir={profile}",
               f"--window-size={size[0]},{size[1]}", f"--screenshot={png}", page.resolve().as_uri()]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if page.name.endswith(".cut.html"):
        page.unlink()
    if run.returncode != 0 or not png.exists():
        raise RuntimeError(f"{browser} made no screenshot (exit {run.returncode}): {run.stderr.strip()[-400:]}")
    return png


# The committed screenshots: (file name, report, sections shown (all when empty), rows opened).
SHOTS = [
    ("report_ranking.png", "ranking", [], []),
    ("report_ranking_table.png", "ranking", ["Ranked features"], ["int_a", "num_signal"]),
    ("report_ranking_charts.png", "ranking", ["Score vs cardinality"], []),
    ("report_optuna.png", "optuna", [], []),
    ("report_optfs.png", "optfs", [], []),
    ("report_optfs_gates.png", "optfs", ["Gate values over the search", "Search: validation AUC per epoch"], []),
]


def shrink(png: Path) -> None:
    """Rewrite ``png`` with a 256-colour palette (a third of the size; needs Pillow)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(png) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(png, optimize=True)


def main() -> int:
    browser = find_chromium()
    if browser is None:
        print("no chromium binary on PATH (Debian: apt-get install chromium)", file=sys.stderr)
        return 1
    img = ROOT / "docs" / "img"
    img.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pages = build_reports(Path(tmp))
        for name, report, sections, rows in SHOTS:
            if report in pages:
                png = screenshot(browser, pages[report], img / name, sections=sections, open_rows=rows)
                shrink(png)
                print(f"wrote {png.relative_to(ROOT)} ({png.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
