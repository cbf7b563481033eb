"""Lighthouse scores of the built site: the index, the search page and every lesson, with
the mobile preset (Lighthouse's default: slow 4G, a 4x slower CPU) and the desktop one, in
the light and dark theme.

    from tests.lighthouse import lighthouse_scores
    lighthouse_scores(Path("build/site"))
    # {"index": {"mobile": {"light": {"performance": 1.0, "accessibility": 1.0, ...,
    #                                 "rendered_dark": False}, "dark": {...}}, "desktop": {...}},
    #  "NN-slug": {...}}  (one entry per lesson)

Budgets (issue 14): mobile performance >= 0.95, accessibility, best practices and SEO 1.0;
desktop 1.0. `budget_misses` lists the scores under them. The numbers are measurements, not
test assertions: on a shared 2-core machine the performance score moves with the load.

Runs npm's `lighthouse` (node_modules, see package.json) with the system Chromium, offline. The dark run starts Chromium with --force-dark-mode, which
makes `prefers-color-scheme: dark` match, so the page picks its dark theme exactly as it
does for a reader whose system is dark (Lighthouse has no setting of its own for it).
`rendered_dark` checks that from the final screenshot's brightness.

Run by hand: `.venv/bin/python tests/lighthouse.py [SITE]` prints the scores as JSON.
"""
from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `tests` importable
    sys.path.insert(0, str(ROOT))

from tests.plugin import CHROMIUM, CHROMIUM_ARGS, SiteServer  # noqa: E402

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
THEME_FLAGS = {"light": [], "dark": ["--force-dark-mode"]}
PRESETS = ("mobile", "desktop")
BUDGETS = {"mobile": {"performance": 0.95, "accessibility": 1.0, "best-practices": 1.0, "seo": 1.0},
           "desktop": {category: 1.0 for category in CATEGORIES}}


def site_pages(site: Path) -> dict[str, str]:
    """Page name -> path under the site root: the index, search and every lesson."""
    pages = {"index": ""}
    if (site / "search.html").is_file():
        pages["search"] = "search.html"
    for folder in sorted(p for p in site.iterdir() if p.is_dir() and (p / "index.html").is_file()
                         and p.name[:2].isdigit()):
        pages[folder.name] = folder.name + "/"
    return pages


def run_lighthouse(url: str, theme: str, preset: str = "desktop", timeout: float = 240) -> dict:
    """One Lighthouse run; returns its JSON report."""
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as profile:
        flags = [*CHROMIUM_ARGS, f"--user-data-dir={profile}", *THEME_FLAGS[theme]]
        command = [str(LIGHTHOUSE), url, "--output=json", "--output-path=stdout", "--quiet",
                   f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={' '.join(flags)}"]
        if preset == "desktop":
            command.append("--preset=desktop")  # no flag: Lighthouse's default, the mobile preset
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                                env=dict(os.environ, CHROME_PATH=CHROMIUM))
    if result.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url} ({theme}): {result.stderr.strip()[-2000:]}")
    return json.loads(result.stdout)


def screenshot_is_dark(report: dict) -> bool | None:
    """Mean brightness of the final screenshot below one half: the page rendered dark."""
    shot = report.get("audits", {}).get("final-screenshot", {}).get("details", {}).get("data")
    if not shot:
        return None
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(base64.b64decode(shot.split(",", 1)[1]))).convert("L")
    return ImageStat.Stat(image).mean[0] < 128


def failing_audits(report: dict) -> list[str]:
    """Audits below a full score in the categories, for reading why a score dropped."""
    failing = []
    for category in CATEGORIES:
        for ref in report["categories"][category]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                failing.append(f"{category}/{ref['id']}: {audit['score']}")
    return failing


def lighthouse_scores(site: Path, presets=PRESETS) -> dict:
    """{page: {preset: {theme: {category: score, "rendered_dark": bool, "failing": [...],
    "lcp_ms", "cls", "tbt_ms"}}}} for every page `site_pages` names."""
    site = site.resolve()
    server = SiteServer(site, "/")
    try:
        scores: dict[str, dict] = {}
        for page, path in site_pages(site).items():
            for preset in presets:
                for theme in THEME_FLAGS:
                    report = run_lighthouse(server.url(path), theme, preset)
                    entry = {c: report["categories"][c]["score"] for c in CATEGORIES}
                    entry["rendered_dark"] = screenshot_is_dark(report)
                    entry["failing"] = failing_audits(report)
                    audits = report["audits"]
                    entry["lcp_ms"] = round(audits["largest-contentful-paint"]["numericValue"])
                    entry["tbt_ms"] = round(audits["total-blocking-time"]["numericValue"])
                    entry["cls"] = round(audits["cumulative-layout-shift"]["numericValue"], 3)
                    scores.setdefault(page, {}).setdefault(preset, {})[theme] = entry
        return scores
    finally:
        server.close()


def budget_misses(scores: dict) -> list[str]:
    """'page preset theme category: score < budget' for each score under its budget."""
    misses = []
    for page, presets in scores.items():
        for preset, themes in presets.items():
            for theme, entry in themes.items():
                for category, floor in BUDGETS[preset].items():
                    if entry[category] is not None and entry[category] < floor:
                        misses.append(f"{page} {preset} {theme} {category}: {entry[category]} < {floor}")
    return misses


if __name__ == "__main__":
    print(json.dumps(lighthouse_scores(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "site")),
                     indent=1))
