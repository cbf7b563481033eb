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

The site is served as GitHub Pages serves it: text gzipped, files cacheable for ten
minutes (CompressedServer); an uncompressed local server would understate every page.

Run by hand: `.venv/bin/python tests/lighthouse.py [SITE] [RUNS]` prints the scores as JSON;
with RUNS > 1, only the mobile preset, RUNS times, and the worst run of each page.
"""
from __future__ import annotations

import base64
import functools
import gzip
import http.server
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `tests` importable
    sys.path.insert(0, str(ROOT))

from tests.plugin import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
THEME_FLAGS = {"light": [], "dark": ["--force-dark-mode"]}
PRESETS = ("mobile", "desktop")
BUDGETS = {"mobile": {"performance": 0.95, "accessibility": 1.0, "best-practices": 1.0, "seo": 1.0},
           "desktop": {category: 1.0 for category in CATEGORIES}}


COMPRESSED_TYPES = (".html", ".css", ".js", ".json", ".svg", ".vtt", ".xml", ".txt", ".mjs", ".wasm")


class _GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, text gzipped when the browser accepts it, cacheable for ten minutes."""

    def log_message(self, format, *args):  # quiet
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def do_GET(self):  # noqa: N802
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (path.suffix in COMPRESSED_TYPES and path.is_file()
                and "gzip" in self.headers.get("Accept-Encoding", "") and not self.path.endswith("/.")):
            if not self.path.split("?")[0].endswith("/") and (Path(self.translate_path(self.path))).is_dir():
                return super().do_GET()  # the directory redirect
            body = gzip.compress(path.read_bytes(), 6, mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


class CompressedServer:
    """The site at http://127.0.0.1:PORT/, compressed as GitHub Pages serves it."""

    def __init__(self, site: Path):
        handler = functools.partial(_GzipHandler, directory=str(site))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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
    server = CompressedServer(site)
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
                    entry["fcp_ms"] = round(audits["first-contentful-paint"]["numericValue"])
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


def worst_of_runs(site: Path, runs: int) -> dict:
    """{page: {theme: [mobile performance of each run]}} and the worst, over `runs` runs."""
    out: dict[str, dict] = {}
    for _ in range(runs):
        for page, presets in lighthouse_scores(site, presets=("mobile",)).items():
            for theme, entry in presets["mobile"].items():
                row = out.setdefault(page, {}).setdefault(theme, {"performance": [], "fcp_ms": [], "lcp_ms": [],
                                                                  "tbt_ms": [], "other": set()})
                for key in ("performance", "fcp_ms", "lcp_ms", "tbt_ms"):
                    row[key].append(entry[key])
                row["other"] |= {f"{c}={entry[c]}" for c in CATEGORIES[1:] if entry[c] != 1}
    for themes in out.values():
        for row in themes.values():
            row["worst"] = min(row["performance"])
            row["other"] = sorted(row["other"])
    return out


if __name__ == "__main__":
    site_arg = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "site")
    if len(sys.argv) > 2:
        print(json.dumps(worst_of_runs(site_arg, int(sys.argv[2])), indent=1))
    else:
        print(json.dumps(lighthouse_scores(site_arg), indent=1))
