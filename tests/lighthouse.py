"""Lighthouse scores of the built site: the index and lesson 01, in the light and dark theme.

    from tests.lighthouse import lighthouse_scores
    lighthouse_scores(Path("build/site"))
    # {"index": {"light": {"performance": 1.0, "accessibility": 1.0, ...,
    #                      "rendered_dark": False}, "dark": {...}}, "lesson-01": {...}}

Runs npm's `lighthouse` (node_modules, see package.json) with the system Chromium and
the desktop preset, offline. The dark run starts Chromium with --force-dark-mode, which
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

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, SiteServer  # noqa: E402

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
THEME_FLAGS = {"light": [], "dark": ["--force-dark-mode"]}


def lesson_01(site: Path) -> str:
    folders = sorted(p.name for p in site.iterdir() if p.is_dir() and p.name.startswith("01-"))
    if not folders:
        raise FileNotFoundError(f"no lesson 01 folder in {site}")
    return folders[0] + "/"


def run_lighthouse(url: str, theme: str, timeout: float = 180) -> dict:
    """One Lighthouse run; returns its JSON report."""
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as profile:
        flags = [*CHROMIUM_ARGS, f"--user-data-dir={profile}", *THEME_FLAGS[theme]]
        command = [str(LIGHTHOUSE), url, "--preset=desktop", "--output=json", "--output-path=stdout", "--quiet",
                   f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={' '.join(flags)}"]
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


def lighthouse_scores(site: Path) -> dict:
    """{page: {theme: {category: score, "rendered_dark": bool, "failing": [...]}}} for index and lesson 01."""
    site = site.resolve()
    server = SiteServer(site, "/")
    try:
        pages = {"index": "", "lesson-01": lesson_01(site)}
        scores: dict[str, dict] = {}
        for page, path in pages.items():
            for theme in THEME_FLAGS:
                report = run_lighthouse(server.url(path), theme)
                entry = {c: report["categories"][c]["score"] for c in CATEGORIES}
                entry["rendered_dark"] = screenshot_is_dark(report)
                entry["failing"] = failing_audits(report)
                scores.setdefault(page, {})[theme] = entry
        return scores
    finally:
        server.close()


if __name__ == "__main__":
    print(json.dumps(lighthouse_scores(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "site")),
                     indent=1))
