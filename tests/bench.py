"""`make bench`: measure build speed and page size, print the numbers, write build/bench.json.

One cold build, and every other number reuses it. For lessons 01, 02 and 05 on an otherwise
idle 2-core machine: 8.5 minutes without the browser measurements (the cold build is 7 of
them), about 16 with Lighthouse and the screenshots.
  - the cold build (publish quality): wall time, job-seconds by stage and by lesson, core
    utilisation, the critical path through the jobs' needs, render core-seconds per
    frame pair (CPU seconds of the render workers and their ffmpeg, over the frames of
    the light videos), and the shard balance: the cold build's jobs split in 3 as
    `build --shard K/3` splits them, the slowest share over the whole (all from
    build/timings.json);
  - warm: the no-op and prose-edit rebuilds against mkdocs, then a one-caption edit of the
    captioned scene that rendered quickest, its CPU seconds over a full render of the
    edited scene;
  - the published site: page weights, widget redraw times, Lighthouse, screenshots.
`--lessons 01,02` measures only those lessons of the series, `--project PATH` another
project (a small one, to check the bench itself), `--no-browser` leaves out the browser
measurements.

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

LESSON = lesson_slugs()[0]  # the lesson whose widgets are measured: the series' first


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


def lighthouse(site: Path) -> dict[str, object]:
    from tests.lighthouse import lighthouse_scores

    return lighthouse_scores(site)


def job_numbers(timings: dict, wall: float) -> dict[str, object]:
    """What the cold build's jobs (build/timings.json) say: seconds by stage and by lesson,
    how busy the workers were, and the critical path through the jobs' needs."""
    jobs, workers = timings["jobs"], timings["workers"]
    seconds = {(job["stage"], job["name"]): job["end"] - job["start"] for job in jobs}
    by_stage: dict[str, float] = {}
    by_lesson: dict[str, float] = {}
    for job in jobs:
        by_stage[job["stage"]] = by_stage.get(job["stage"], 0.0) + seconds[job["stage"], job["name"]]
        by_lesson[job["lesson"]] = by_lesson.get(job["lesson"], 0.0) + seconds[job["stage"], job["name"]]
    span = max((job["end"] for job in jobs), default=0.0)
    trained = {job["name"]: job for job in jobs if job["stage"] == "train"}
    path: dict[tuple[str, str], tuple[float, list[str]]] = {}

    def longest(job: dict) -> tuple[float, list[str]]:
        """The longest chain of jobs ending in this one, each waiting for the one before."""
        me = (job["stage"], job["name"])
        if me not in path:
            before = max((longest(trained[need]) for need in job["needs"] if need in trained),
                         default=(0.0, []))
            path[me] = (before[0] + seconds[me], before[1] + [f"{job['stage']}:{job['name']}"])
        return path[me]

    critical = max((longest(job) for job in jobs), default=(0.0, []))
    cpu = sum(job.get("cpu_seconds") or 0.0 for job in jobs)
    pooled = sum(seconds.values())
    cores = len(os.sched_getaffinity(0))
    return {
        "cold_build_s": round(wall, 1),
        "cold_jobs_span_s": round(span, 1),
        "cold_job_seconds_by_stage": {k: round(v, 1) for k, v in sorted(by_stage.items())},
        "cold_job_seconds_by_lesson": {k: round(v, 1) for k, v in sorted(by_lesson.items())},
        "cold_job_seconds": round(sum(seconds.values()), 1),
        "cold_worker_cpu_seconds": round(cpu, 1),
        "workers": workers,
        # Busy workers over the time the pool ran: 1.0 means no worker ever waited for a job.
        "worker_utilisation": round(pooled / (span * workers), 3) if span else None,
        # CPU seconds the workers (and their ffmpeg) used over the cores' seconds while the pool
        # ran: below the worker figure when other processes share the machine.
        "core_utilisation": round(cpu / (span * cores), 3) if span else None,
        "critical_path_s": round(critical[0], 1),
        "critical_path": critical[1],
    }


def render_per_frame_pair(project: Path, timings: dict) -> dict[str, object]:
    """CPU seconds of every cold render (worker and its ffmpeg) per frame pair (light + dark)."""
    from generator.render import probe

    cpu = sum(job.get("cpu_seconds") or 0.0 for job in timings["jobs"] if job["stage"] == "render")
    frames = sum(probe(video).get("frames", 0) for video in (project / "build" / "cache" / "render").rglob("*.mp4")
                 if video.stem.endswith("-light"))
    return {"render_cpu_s": round(cpu, 1), "render_frame_pairs": frames,
            "render_core_s_per_frame_pair": round(cpu / frames, 4) if frames else None}


def shard_balance(timings: dict, count: int = 3) -> dict[str, object]:
    """The cold build's training and render jobs split as `build --shard K/N` splits them
    (generator/schedule.shard_units, with each job's measured seconds): the slowest
    share's job-seconds over the whole build's."""
    from generator.schedule import Task, shard_units

    tasks = [Task(job["stage"], job["name"], job["lesson"], job["needs"], job["end"] - job["start"])
             for job in timings["jobs"] if job["stage"] != "export"]  # a merge does the exports
    shares = [sum(task.expected for task in share) for share in shard_units(tasks, count)]
    total = sum(shares)
    return {f"shard_{count}_seconds": [round(s, 1) for s in shares],
            f"shard_{count}_slowest_over_single": round(max(shares) / total, 3) if total else None}


def scene_edit(project: Path, timings: dict, quality: str, scratch: Path) -> dict[str, object]:
    """Edit one caption of the captioned scene that rendered quickest cold, rebuild, and
    compare that scene's render with a full render of the edited scene: the same rebuild in
    a copy whose cache holds nothing of that scene (so both pay a fresh worker's start)."""
    import re
    import shutil

    rendered = [job for job in timings["jobs"] if job["stage"] == "render"]
    candidates = []
    for path in sorted((project / "scenes").glob("*.py")) + sorted((project / "content").glob("*/scenes/*.py")):
        name = path.stem.replace("_", "-")
        key = name if path.parent == project / "scenes" else f"{path.parent.parent.name}--{name}"
        cold = [job for job in rendered if job["name"] == key]
        caption = re.search(r'self\.say\((["\'])', path.read_text())
        if cold and caption:
            candidates.append((sum(job["end"] - job["start"] for job in cold), key, path, caption))
    if not candidates:
        return {"scene_edit": "no rendered scene has a caption to edit"}
    _, key, path, caption = min(candidates)
    text = path.read_text()
    path.write_text(text[:caption.end()] + "Edited: " + text[caption.end():])

    def scene_seconds(folder: Path) -> tuple[float, float]:
        jobs = json.loads((folder / "build" / "timings.json").read_text())["jobs"]
        mine = [job for job in jobs if job["stage"] == "render" and job["name"] == key]
        return sum(job["end"] - job["start"] for job in mine), sum(job.get("cpu_seconds") or 0.0 for job in mine)

    full = scratch / "scene-full"
    shutil.copytree(project, full, symlinks=True)
    from generator.theme import THEMES

    for theme in THEMES:  # every cached video of this scene, and the segments an edit may reuse
        shutil.rmtree(full / "build" / "cache" / "render" / f"{key}-{theme}")
    run_build(project, "--quality", quality)
    edit_s, edit_cpu = scene_seconds(project)
    run_build(full, "--quality", quality)
    full_s, full_cpu = scene_seconds(full)
    shutil.rmtree(full, ignore_errors=True)
    return {"scene_edit_scene": key, "scene_edit_render_s": round(edit_s, 1), "scene_full_render_s": round(full_s, 1),
            "scene_edit_cpu_s": round(edit_cpu, 1), "scene_full_cpu_s": round(full_cpu, 1),
            "scene_edit_ratio": round(edit_cpu / full_cpu if full_cpu else edit_s / full_s, 3) if full_s else None}


def first_prose_line(text: str) -> str:
    """The first line of a lesson's prose (after its front matter, not a heading or an embed)."""
    body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
    return next(line for line in body.splitlines() if line[:1].isalpha())


def main() -> None:
    import argparse
    import shutil

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, help="measure this project instead of a copy of this one")
    parser.add_argument("--quality", default="publish", choices=("draft", "publish"))
    parser.add_argument("--lessons", help="measure only these lessons of the series, e.g. 01,02,05")
    parser.add_argument("--no-browser", action="store_true", help="no page weights, Lighthouse or screenshots")
    options = parser.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as scratch:
        if options.project is None:
            project = copy_project(Path(scratch) / "project")
            if options.lessons:
                keep = tuple(options.lessons.split(","))
                for folder in (project / "content").glob("[0-9][0-9]-*"):
                    if not folder.name.startswith(keep):
                        shutil.rmtree(folder)
        else:
            project = Path(scratch) / "project"
            shutil.copytree(options.project, project, ignore=shutil.ignore_patterns("build", "__pycache__"))
        subprocess.run(["git", "init", "-q"], cwd=project)
        quality = ("--quality", options.quality)
        # 1. The one cold build, and what its jobs' timings say.
        wall = run_build(project, *quality)
        timings = json.loads((project / "build" / "timings.json").read_text())
        (ROOT / "build").mkdir(exist_ok=True)  # kept beside bench.json: every job of the cold build
        (ROOT / "build" / "bench-timings.json").write_text(json.dumps(timings, indent=1))
        results |= job_numbers(timings, wall)
        results |= render_per_frame_pair(project, timings)
        results |= shard_balance(timings)
        save(results)
        # 2. Warm: no-op and prose edits against mkdocs, then one caption of one scene.
        run_build(project, *quality)  # the first rebuild writes the manifest if the cold one did not
        yardstick = mkdocs_project(project, Path(scratch) / "mkdocs")
        noop = side_by_side(lambda: run_build(project, *quality), lambda: run_mkdocs(yardstick))
        results |= {f"noop_rebuild_{k}": v for k, v in noop.items()}
        lesson_md = sorted((project / "content").glob("[0-9][0-9]-*/lesson.md"))[0]
        text = lesson_md.read_text()
        sentence = first_prose_line(text)
        edits = iter(range(1000))

        def prose_edit() -> float:
            lesson_md.write_text(text.replace(sentence, f"{sentence} ({next(edits)})", 1))
            return run_build(project, *quality)

        prose = side_by_side(prose_edit, lambda: run_mkdocs(yardstick))
        results |= {f"prose_edit_rebuild_{k}": v for k, v in prose.items()}
        if results.get("render_frame_pairs"):
            results |= scene_edit(project, timings, options.quality, Path(scratch))
        save(results)
        # 3. The published site.
        site = project / "build" / "site"
        if not options.no_browser:
            results |= site_numbers(site)
    save(results)


def save(results: dict[str, object]) -> None:
    """Print the numbers and merge them into build/bench.json (called after each part, so a
    part that fails later loses none of the ones before)."""
    for name, value in results.items():
        print(f"{name:32s} {value}", flush=True)
    out = ROOT / "build" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    previous = json.loads(out.read_text()) if out.is_file() else {}
    out.write_text(json.dumps(previous | results, indent=2, sort_keys=True))
    print(f"wrote {out}", flush=True)


def site_numbers(site: Path) -> dict[str, object]:
    """Page weights, widget redraw times, Lighthouse and screenshots of the published site."""
    results: dict[str, object] = {}
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
    return results


if __name__ == "__main__":
    main()
