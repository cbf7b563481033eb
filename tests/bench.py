"""`make bench`: measure build speed and page size, print the numbers, write build/bench.json.

Targets (2-core machine): no-op rebuild < 0.5 s and <= 0.6x `mkdocs build` of the same
Markdown, a prose edit of one lesson <= 1.5x `mkdocs build` (both median of 5 pairs run
side by side, so load on the machine hits both alike), each lesson page
<= 150 KB gzipped without videos and fonts; Lighthouse on every page, mobile preset:
performance >= 0.95, the other categories 1.0; desktop 1.0 (tests/lighthouse.py).
The numbers are printed and saved, not asserted: they are measurements (the stable ones,
page weight, axe, Nu, third-party requests, are also tested by the suite).
Each measurement works on a scratch copy of the project so the real build/ is untouched.
It also writes screenshots of every page at 1280 and 390 px in both themes into
build/screenshots/ (tests/screenshots.py): look at them.
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.plugin import copy_project, lesson_slugs  # noqa: E402

LESSON = lesson_slugs()[0]  # the lesson measured: the series' first


def run_build(project: Path, *extra: str) -> float:
    started = time.perf_counter()
    # A site address, so the sitemap, feed and social cards are built and measured too.
    subprocess.run([sys.executable, "-m", "generator", "--root", str(project), "build",
                    "--site-url", "https://example.org/series/", *extra],
                   check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def mkdocs_project(project: Path, folder: Path) -> Path:
    """A mkdocs project of the same Markdown: every lesson.md, nothing else. Its build is
    the yardstick for ours (a static site generator doing the least there is to do)."""
    docs = folder / "docs"
    docs.mkdir(parents=True)
    (docs / "index.md").write_text("# Index\n")
    for lesson in sorted((project / "content").glob("[0-9][0-9]-*/lesson.md")):
        (docs / f"{lesson.parent.name}.md").write_text(lesson.read_text())
    (folder / "mkdocs.yml").write_text("site_name: bench\n")
    return folder / "mkdocs.yml"


def run_mkdocs(config: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config)], check=True,
                   capture_output=True, cwd=config.parent)
    return time.perf_counter() - started


def side_by_side(ours, theirs, pairs: int = 5) -> dict[str, float]:
    """Median seconds of `ours()` and `theirs()` run in alternation, and their ratio."""
    import statistics

    mine, yardstick = [], []
    for _ in range(pairs):
        mine.append(ours())
        yardstick.append(theirs())
    a, b = statistics.median(mine), statistics.median(yardstick)
    return {"s": round(a, 3), "mkdocs_s": round(b, 3), "vs_mkdocs": round(a / b, 2)}


def page_bytes_gzip(site: Path, lesson: str) -> dict[str, int]:
    """Bytes the lesson page loads on opening in Chromium (390 px wide), by kind: text
    gzipped as a server would send it, images as they are. Videos are left out."""
    from playwright.sync_api import sync_playwright

    from tests.plugin import CHROMIUM, CHROMIUM_ARGS, SiteServer

    server = SiteServer(site, "/")
    sizes: dict[str, int] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            tab = browser.new_page(viewport={"width": 390, "height": 844})
            responses = []
            tab.on("response", lambda response: responses.append(response))
            tab.goto(server.url(f"{lesson}/"), wait_until="networkidle")
            for response in responses:
                name = response.url.rsplit("/", 1)[1].split("?")[0] or "index.html"
                kind = name.rsplit(".", 1)[-1] if "." in name else "html"
                if kind == "mp4":
                    continue
                body = response.body()
                raw = kind in ("png", "webp", "woff2")
                sizes[kind] = sizes.get(kind, 0) + (len(body) if raw else len(gzip.compress(body, mtime=0)))
            browser.close()
    finally:
        server.close()
    return dict(sorted(sizes.items()))


# The slider that redraws each widget, and the values it steps through.
REDRAW_SLIDERS = {
    "overfit-player": ".epoch-slider",
    "layer-playground": ".x-slider",
    "loss-landscape": ".step-slider",
    "loss-curve-reading": ".epoch-slider",
    "three-knobs": ".strength-slider",
}

# Runs inside the page (evaluate is allowed by the CSP; wait_for_function is not): 100
# slider moves, each timed from the input event to the end of the synchronous redraw.
TIME_MOVES = """(input) => {
  const min = Number(input.min), max = Number(input.max), step = Number(input.step) || 1;
  const count = Math.round((max - min) / step) + 1;
  const times = [];
  for (let i = 0; i < 100; i++) {
    input.value = String(min + ((i * 7) % count) * step);
    const started = performance.now();
    input.dispatchEvent(new Event("input", { bubbles: true }));
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[94];
}"""


def widget_redraw_p95_ms(site: Path) -> dict[str, float]:
    """p95 of a slider redraw over 100 moves, per widget, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    from tests.plugin import CHROMIUM, CHROMIUM_ARGS, SiteServer

    server = SiteServer(site, "/repo/")
    results = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(server.url(f"{LESSON}/index.html"))
            for name, slider in REDRAW_SLIDERS.items():
                figure = f"figure[data-widget='{name}']"
                if tab.locator(figure).count() == 0:
                    continue
                # Widgets mount as they near the viewport: bring this one there first.
                tab.locator(f"{figure}").first.scroll_into_view_if_needed()
                tab.wait_for_selector(f"{figure}[data-ready='true']")
                tab.locator(figure).scroll_into_view_if_needed()
                results[name] = round(tab.eval_on_selector(f"{figure} {slider}", TIME_MOVES), 2)
            browser.close()
    finally:
        server.close()
    return results


def render_numbers(project: Path) -> dict[str, object]:
    """Draft and publish render times, the 2-worker speedup and published video sizes."""
    from generator.render import benchmark

    from generator.cache import Cache
    from generator.training import cached_records

    records = {}
    for lesson in (project / "build" / "cache" / "runs").iterdir():
        records |= {f"{lesson.name}/{run}": path
                    for run, path in cached_records(Cache(project / "build" / "cache"), lesson.name).items()}
    numbers = benchmark(project, records, ROOT / "scenes")
    return {name: round(value, 3) for name, value in numbers.items()}


def lighthouse(site: Path) -> dict[str, object]:
    from tests.lighthouse import lighthouse_scores

    return lighthouse_scores(site)


def main() -> None:
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as scratch:
        project = copy_project(Path(scratch))
        subprocess.run(["git", "init", "-q"], cwd=project)
        results["cold_build_draft_s"] = round(run_build(project, "--quality", "draft"), 2)
        run_build(project, "--quality", "draft")  # the first rebuild writes the manifest if the cold one did not
        yardstick = mkdocs_project(project, Path(scratch) / "mkdocs")
        noop = side_by_side(lambda: run_build(project, "--quality", "draft"), lambda: run_mkdocs(yardstick))
        results |= {f"noop_rebuild_{k}": v for k, v in noop.items()}
        lesson_md = project / "content" / LESSON / "lesson.md"
        text = lesson_md.read_text()
        sentence = "Nothing in that animation is magic."
        assert sentence in text, "bench: the sentence it edits is gone from the lesson; pick another"
        edits = iter(range(1000))

        def prose_edit() -> float:
            lesson_md.write_text(text.replace(sentence, f"Nothing in that animation is magic ({next(edits)}).", 1))
            return run_build(project, "--quality", "draft")

        prose = side_by_side(prose_edit, lambda: run_mkdocs(yardstick))
        results |= {f"prose_edit_rebuild_{k}": v for k, v in prose.items()}
        from generator.authoring import execute
        from generator.training import load_experiments

        specs = load_experiments(project / "content" / LESSON / "experiments.py", project)
        started = time.perf_counter()
        for spec in specs:
            execute(spec)
        results["training_s"] = round(time.perf_counter() - started, 2)
        results["training_runs"] = len(specs)
        site = project / "build" / "site"
        for lesson in sorted(p.parent.name for p in site.glob("[0-9][0-9]-*/index.html")):
            sizes = page_bytes_gzip(site, lesson)
            results[f"page_bytes_gzip_without_video_fonts:{lesson}"] = sum(v for k, v in sizes.items() if k != "woff2")
            results[f"page_bytes_gzip_parts:{lesson}"] = sizes
        results["font_bytes"] = {p.name: p.stat().st_size for p in sorted((site / "static" / "fonts").glob("*"))}
        results["lesson_json_bytes_gzip"] = sum(len(gzip.compress(p.read_bytes(), mtime=0))
                                                for p in (site / LESSON / "data").glob("*.json"))
        results["widget_json_bytes_gzip"] = {
            p.stem: len(gzip.compress(p.read_bytes(), mtime=0)) for p in sorted((site / LESSON / "data").glob("*.json"))
        }
        results["widget_redraw_p95_ms"] = widget_redraw_p95_ms(site)
        from tests.lighthouse import budget_misses
        from tests.screenshots import take_screenshots

        results["lighthouse"] = lighthouse(site)
        results["lighthouse_budget_misses"] = budget_misses(results["lighthouse"])
        shots = take_screenshots(site, ROOT / "build" / "screenshots")
        results["screenshots"] = f"{len(shots)} files in build/screenshots/"
        if os.environ.get("BENCH_QUICK") != "1":  # the publish-quality numbers take many minutes
            results |= render_numbers(project)
            publish_copy = copy_project(Path(scratch) / "publish")
            subprocess.run(["git", "init", "-q"], cwd=publish_copy)
            results["cold_build_publish_s"] = round(run_build(publish_copy, "--quality", "publish"), 1)
    for name, value in results.items():
        print(f"{name:32s} {value}")
    out = ROOT / "build" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    previous = json.loads(out.read_text()) if out.is_file() else {}
    out.write_text(json.dumps(previous | results, indent=2, sort_keys=True))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
