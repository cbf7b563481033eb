"""Stage 4, render: every Manim scene as a web-ready video in each theme, from one render.

A scene is one file: shared ones in `scenes/<name>.py`, a lesson's own in
`content/NN-slug/scenes/<name>.py` (found with no registration; for that lesson it wins
over a shared scene of the same name). The video name is the stem with '_' -> '-'. A
scene may import scenes/common.py and modules beside it. Besides its Scene class it
declares, as plain literals the build reads with `ast` (no manim import needed to plan a
build, and every `load_record("lesson/run")` with a literal name is checked against them
before anything renders):

    SCENE = "ClassName"                  # the Scene class to render
    RECORDS = ["NN-slug/run", ...]       # run records it reads ([] for none)
    TIMEOUT = 3600                       # optional: seconds the scene may take to render

Each (scene, theme) is one cache entry ("render", "<key>-<theme>") holding, where the
key is the video name for a shared scene and "<lesson-slug>--<name>" for a lesson's own:
  <key>-<theme>.mp4     H.264, yuv420p, moov atom first (+faststart), no audio
  <key>-<theme>.webp    poster: the final picture (scenes end on their most complete one)
  <key>-<theme>.vtt     WebVTT cues from the scene's `self.say(...)` calls (scenes/common.py)
  <key>-<theme>.chapters.vtt  WebVTT chapters from its `self.chapter(...)` calls
  segments/<hash>.mp4   the video's pieces (whole play()/wait() calls, >= 8 s), named by what they show
File names are unique across scenes so pages can copy them all into one folder.

A scene with any stale theme is rendered once, in one of `workers` spawned processes,
through Manim's Python API: drawn in the first theme's palette, each stale theme painted
from that one drawing (generator/frames.py). A worker hands a scene its palette and records
through a JSON "scene context" file named by the SCENE_CONTEXT environment variable. The
segments are encoded by ffmpeg straight into the pending cache entries and joined there
without re-encoding; a segment an earlier entry of the same video already holds is linked,
not redrawn, so an edit redraws only the segments whose pictures changed.

Input:  scenes_dir, a lesson's own scene files, {"lesson/run": record path}.
Output: {scene key: {theme: {"video": Path, "poster": Path, "captions": Path, "chapters": Path}}}.
"""
from __future__ import annotations

import ast
import json
import subprocess
import time
from concurrent.futures import as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from generator import webvtt
from generator.cache import Cache, entry_damage, file_digest, text_digest
from generator.declarations import read_declarations
from generator.errors import BuildError, deepest_frame, did_you_mean, line_in, location, relative
from generator.frames import cairo_fingerprint
from generator.safety import FOLDER_NAME
from generator.sources import installed_version, local_imports, tree_digest
from generator.theme import THEMES, manim_colors
from generator.workers import (TimedOut, broken_pool_error, check_timeout, time_limit,
                               worker_pool)

# Size and speed of each quality. CRF was tuned so a publish video of these flat,
# mostly static drawings stays well under 2 MB per 30 s (see `benchmark`).
# Publish preset, measured on 17 segments (1080p, light) of the longest published video (39 s), CRF 30,
# x264 CPU-seconds / MB: slow 20.3 / 0.536, medium 18.0 / 0.540, fast 20.1 / 0.535,
# veryfast 15.3 / 0.493 (smaller at the same CRF because it keeps less detail). Medium: 11% less
# CPU than slow for the same size and quality settings.
# No intermediate format: frames go raw from Cairo into this encoder, one run per segment,
# and segments are joined without re-encoding. The alternative on the same 17 pieces, a
# lossless x264 file per piece (qp 0, ultrafast: 9.8 CPU-s, 10.7 MB) decoded (6.4) into one
# medium encode of the whole (12.3), costs 28.5 CPU-s against 18.0, and again on every edit.
# (Its 0.33 MB against 0.54 came from 17 keyframes fewer: hence segments of >= 8 s, frames.py.)
QUALITIES = {
    "draft": {"width": 854, "height": 480, "fps": 15, "crf": 30, "preset": "veryfast"},
    "publish": {"width": 1920, "height": 1080, "fps": 30, "crf": 30, "preset": "medium"},
}
_SUFFIXES = {"video": ".mp4", "poster": ".webp", "captions": ".vtt", "chapters": ".chapters.vtt"}


def output_files(folder: Path, scene: str, theme: str) -> dict[str, Path]:
    """{"video": ..., "poster": ..., "captions": ..., "chapters": ...} inside one cache entry."""
    return {kind: folder / f"{scene}-{theme}{suffix}" for kind, suffix in _SUFFIXES.items()}
# Every scene is drawn once, in the first theme's palette; the others are painted from the same
# drawing (generator/frames.py).
DRAWN_IN = THEMES[0]
SEGMENT_FORMAT_VERSION = "1"  # bump when segments change in a way no hashed input shows
HELPER_MODULES = {"common.py"}  # shared code in scenes/, not scenes themselves
# Bump when a change to this module or frames.py changes what a render writes (the encode,
# the poster, the captions, how a frame is painted): every video is then rendered again
# once. Refactoring either bumps nothing.
RENDER_VERSION = 2
# Seconds one (scene, theme) may take to render, unless its file says `TIMEOUT = ...`.
DEFAULT_SCENE_TIMEOUT = 1800.0


# --------------------------------------------------------------------------- reading scene files
@dataclass(frozen=True)
class SceneSource:
    name: str              # the video name: the file's stem with '_' -> '-'
    path: Path
    class_name: str        # SCENE
    records: tuple[str, ...]
    records_line: int | None
    deps: tuple[Path, ...]  # local modules it imports (scenes/common.py, modules beside it)
    lesson: str | None = None  # the lesson slug of a lesson's own scene
    timeout: float = DEFAULT_SCENE_TIMEOUT

    @property
    def key(self) -> str:
        """Unique across the site: names its cache entries and output files."""
        return self.name if self.lesson is None else f"{self.lesson}--{self.name}"


def scene_name(path: Path) -> str:
    return path.stem.replace("_", "-")


def find_scene(name: str, lesson_folder: Path | None, scenes_dir: Path) -> Path | None:
    """The file of video `name` for a lesson: its own scenes/ first, then the shared one."""
    stem = name.replace("-", "_") + ".py"
    for folder in ([lesson_folder / "scenes"] if lesson_folder else []) + [scenes_dir]:
        if (folder / stem).is_file() and stem not in HELPER_MODULES and not stem.startswith("_"):
            return folder / stem
    return None


def scene_names(lesson_folder: Path | None, scenes_dir: Path) -> list[str]:
    """Every video name a lesson can embed: its own scenes and the shared ones."""
    folders = ([lesson_folder / "scenes"] if lesson_folder else []) + [scenes_dir]
    return sorted({scene_name(p) for folder in folders for p in scene_files(folder)})


def scene_files(scenes_dir: Path) -> list[Path]:
    """Every scene file, sorted: the *.py files that declare SCENE. Any other module there
    (common.py, a plotting helper, a file starting with '_') is a helper scenes import."""
    if not scenes_dir.is_dir():
        return []
    return sorted(p for p in scenes_dir.glob("*.py")
                  if not p.name.startswith("_") and p.name not in HELPER_MODULES and declares_scene(p))


def declares_scene(path: Path) -> bool:
    """True if the file assigns SCENE at its top level (or cannot be parsed: then reading it
    as a scene reports the syntax error with its line)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return True
    targets = [t for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
               for t in (node.targets if isinstance(node, ast.Assign) else [node.target])]
    return any(isinstance(t, ast.Name) and t.id == "SCENE" for t in targets)


def read_scene(path: Path, root: Path, lesson: str | None = None) -> SceneSource:
    """Parse a scene file's declarations without importing it, and check that every
    load_record("...") with a literal name loads a record RECORDS lists."""
    name = scene_name(path)
    if not FOLDER_NAME.fullmatch(name):  # it names cache folders, video files and ids on the page
        raise BuildError(location(path, None, root), f"scene file name {path.name[:80]!r} is not a plain name",
                         "rename it with letters, digits and '_' (at most 64 characters)")
    tree, constants, classes = read_declarations(path, ("SCENE", "RECORDS", "TIMEOUT"), f"scene '{name}'", root,
                                                 'write it as SCENE = "ClassName" or RECORDS = ["lesson/run"]')
    if "SCENE" not in constants:
        raise BuildError(location(path, None, root), f"scene '{name}' does not say which class to render",
                         'add SCENE = "ClassName" at the top of the file')
    class_name, scene_line = constants["SCENE"]
    if class_name not in classes:
        raise BuildError(location(path, scene_line, root), f"scene '{name}': SCENE names class {class_name!r}, "
                         "which the file does not define", f"define it or fix SCENE (classes: {sorted(classes)})")
    records, records_line = constants.get("RECORDS", ([], None))
    if not isinstance(records, (list, tuple)) or not all(isinstance(r, str) for r in records):
        raise BuildError(location(path, records_line, root), f"scene '{name}': RECORDS must be a list of strings",
                         'like RECORDS = ["NN-slug/run"]')
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called_name(node.func) == "load_record" and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str) \
                and node.args[0].value not in records:
            where = f"line {records_line}" if records_line else "a RECORDS = [...] line"
            raise BuildError(location(path, node.lineno, root),
                             f"scene '{name}' loads record '{node.args[0].value}', which its RECORDS does not list"
                             f"{did_you_mean(node.args[0].value, records)}",
                             f"add it to RECORDS ({where})")
    deps = set(local_imports(path, path.parent)) | set(local_imports(path, root / "scenes"))
    timeout, timeout_line = constants.get("TIMEOUT", (DEFAULT_SCENE_TIMEOUT, None))
    if check_timeout(timeout):
        raise BuildError(location(path, timeout_line, root), f"scene '{name}': {check_timeout(timeout)}",
                         "write e.g. TIMEOUT = 600")
    return SceneSource(name, path, class_name, tuple(records), records_line, tuple(sorted(deps)), lesson,
                       float(timeout))


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def check_records(scene: SceneSource, records: dict[str, Path], root: Path) -> None:
    for run_id in scene.records:
        if run_id not in records:
            known = ", ".join(sorted(records)) or "none"
            raise BuildError(location(scene.path, scene.records_line, root),
                             f"scene '{scene.name}' reads record '{run_id}', which no lesson declares"
                             f"{did_you_mean(run_id, records)}",
                             f"name one of the recorded runs ({known}) as 'lesson-slug/run'")


def scene_inputs(scene: SceneSource, theme: str, records: dict[str, Path], quality: str, root: Path) -> dict[str, str]:
    """Exactly what one (scene, theme) video depends on."""
    inputs = {relative(scene.path, root): tree_digest(scene.path)}
    for dep in scene.deps:
        inputs[relative(dep, root)] = tree_digest(dep)
    for run_id in scene.records:
        inputs[f"record:{run_id}"] = file_digest(records[run_id])
    # This theme's colours, and the first theme's, which the scene is drawn in (see frames.py):
    # retinting the dark palette leaves light videos alone.
    inputs["palette"] = text_digest(json.dumps(manim_colors(theme), sort_keys=True))
    inputs["palette:drawn-in"] = text_digest(json.dumps(manim_colors(DRAWN_IN), sort_keys=True))
    inputs["quality"] = json.dumps(QUALITIES[quality], sort_keys=True)
    inputs["version:manim"] = installed_version("manim")
    inputs["version:ffmpeg"] = ffmpeg_fingerprint()
    inputs["version:pycairo"] = installed_version("pycairo")
    inputs["render-version"] = str(RENDER_VERSION)
    return inputs


def ffmpeg_fingerprint() -> str:
    """Stands in for ffmpeg's version: the binary's path, size and mtime change with an upgrade.

    A stat instead of running `ffmpeg -version` keeps a rebuild with nothing to do fast.
    """
    import shutil

    binary = shutil.which("ffmpeg")
    if binary is None:
        return "absent"
    stat = Path(binary).resolve().stat()
    return f"{Path(binary).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


# --------------------------------------------------------------------------- the stage
def render_scenes(scenes_dir: Path, records: dict[str, Path], ctx, only: set[str] | None = None,
                  lesson_scenes: list[SceneSource] = ()) -> dict[str, dict[str, dict[str, Path]]]:
    """The shared scenes in `only` (all of them if None) and the lessons' own scenes given,
    read, checked and rendered: for callers without a plan (tests, the benchmark)."""
    scenes = [read_scene(p, ctx.root) for p in scene_files(scenes_dir)]
    if only is not None:
        missing = sorted(only - {s.name for s in scenes})
        if missing:
            raise BuildError(location(scenes_dir, None, ctx.root), f"no scene file for {missing}",
                             f"add scenes/{missing[0].replace('-', '_')}.py or fix the embed's name")
        scenes = [s for s in scenes if s.name in only]
    scenes += list(lesson_scenes)
    for scene in scenes:  # fail before any rendering starts
        check_records(scene, records, ctx.root)
    return render_jobs(scenes, records, ctx)


def render_jobs(scenes: list[SceneSource], records: dict[str, Path], ctx) -> dict[str, dict[str, dict[str, Path]]]:
    """Make sure every scene given (read and checked by the plan) has a fresh video,
    poster and captions per theme, both drawn from one render. Returns scene key -> theme -> files."""
    quality, root, cache = ctx.quality, ctx.root, ctx.cache
    if quality not in QUALITIES:
        raise BuildError("render", f"unknown quality {quality!r}", f"use one of {sorted(QUALITIES)}")
    results: dict[str, dict[str, dict[str, Path]]] = {}
    stale: dict[str, tuple[SceneSource, dict[str, dict[str, str]]]] = {}  # scene key -> (scene, {theme: inputs})
    for scene in scenes:
        for theme in THEMES:
            inputs = scene_inputs(scene, theme, records, quality, root)
            entry = cache.lookup("render", f"{scene.key}-{theme}", inputs)
            if entry is not None:
                results.setdefault(scene.key, {})[theme] = output_files(entry.folder, scene.key, theme)
            else:
                stale.setdefault(scene.key, (scene, {}))[1][theme] = inputs
    for scene, themes in stale.values():
        for theme, inputs in themes.items():
            name = f"{scene.key}-{theme}"
            ctx.rebuilt.append(f"render/{name}: {cache.why('render', name, inputs, ctx.record_notes)}")
    for scene, theme, folder in _render_all(list(stale.values()), records, ctx):
        results.setdefault(scene.key, {})[theme] = output_files(folder, scene.key, theme)
    return {name: results[name] for name in sorted(results)}


def _render_all(stale, records, ctx):
    """Render each stale scene once, in a worker process, for all its stale themes; commit each
    theme's entry as its scene finishes."""
    if not stale:
        return []
    root, cache, progress, quality = ctx.root, ctx.cache, ctx.progress, ctx.quality
    workers = max(1, min(ctx.workers, len(stale)))
    total = sum(len(themes) for _, themes in stale)
    progress.note(f"rendering {total} videos ({len(stale)} scenes) in {workers} worker processes")
    pendings = [{theme: cache.begin("render", f"{scene.key}-{theme}", inputs) for theme, inputs in themes.items()}
                for scene, themes in stale]
    jobs = [scene_job(scene, {theme: pending.folder for theme, pending in pending_themes.items()}, records, root, quality,
                 {theme: earlier_renders(cache, f"{scene.key}-{theme}") for theme in themes})
            for (scene, themes), pending_themes in zip(stale, pendings)]
    done = []
    committed: set[tuple[int, str]] = set()
    count = 0
    try:
        # Spawned workers, each a fresh interpreter with its own Manim config; on an error or
        # Ctrl-C they are killed (their ffmpeg with them) and their pending entries abandoned.
        with worker_pool(workers) as pool:
            futures = {pool.submit(render_in_worker, job): i for i, job in enumerate(jobs)}
            for future in as_completed(futures):
                i = futures[future]
                try:
                    outcome = future.result()
                except BrokenProcessPool:  # a worker died under a scene (a crash, a kill)
                    running = [stale[k][0].key for k in sorted(set(futures.values()) - {k for k, _ in committed})]
                    raise broken_pool_error(location(stale[i][0].path, None, root), "scene", running) from None
                if "error" in outcome:
                    for f in futures:
                        f.cancel()
                    raise BuildError(*outcome["error"])
                scene, _ = stale[i]
                for theme, pending in pendings[i].items():
                    entry = pending.commit()
                    committed.add((i, theme))
                    count += 1
                    frames = probe(output_files(entry.folder, scene.key, theme)["video"]).get("frames", "?")
                    progress.item("render", f"{scene.key}-{theme}, {frames} frames in {outcome['seconds']:.0f}s "
                                  f"({outcome['painted']} of {outcome['segments']} segments drawn, "
                                  f"the rest reused)", count, total)
                    done.append((scene, theme, entry.folder))
    finally:
        for i, pending_themes in enumerate(pendings):
            for theme, pending in pending_themes.items():
                if (i, theme) not in committed:
                    pending.abandon()
    return done


def earlier_renders(cache: Cache, name: str) -> list[Path]:
    """Intact earlier entries of one video, newest first: their segments may be reused."""
    folder = cache._name_dir("render", name)  # noqa: SLF001 (the cache's own layout)
    if not folder.is_dir():
        return []
    entries = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / "entry.json").is_file()]
    entries.sort(key=lambda p: (p / "entry.json").stat().st_mtime_ns, reverse=True)
    return [p for p in entries if not entry_damage(p)]


def segments_fingerprint(settings: dict) -> str:
    """Everything besides the drawing that decides a segment's bytes."""
    return json.dumps({"settings": settings, "render-version": RENDER_VERSION,
                       "format": SEGMENT_FORMAT_VERSION, "ffmpeg": ffmpeg_fingerprint(),
                       "cairo": cairo_fingerprint()}, sort_keys=True)


def scene_job(scene: SceneSource, out: dict[str, Path], records: dict[str, Path], root: Path, quality: str,
         reuse: dict[str, list[Path]], drawn_in: str = "") -> dict:
    """Everything a worker needs, as plain picklable values. `out`: theme -> pending entry folder."""
    return {
        "scene": scene.key,
        "path": str(scene.path),
        "import_paths": [str(scene.path.parent), str(root / "scenes")],  # its folder, then common.py's
        "class_name": scene.class_name,
        "drawn_in": drawn_in or DRAWN_IN,
        "palettes": {theme: manim_colors(theme) for theme in THEMES},
        "records": {run_id: str(Path(records[run_id]).resolve()) for run_id in scene.records},
        "root": str(root),
        "quality": quality,
        "out": {theme: str(folder) for theme, folder in out.items()},
        "reuse": {theme: [str(p) for p in folders] for theme, folders in reuse.items()},
        "fingerprint": segments_fingerprint(QUALITIES[quality]),
        "timeout": scene.timeout,
    }


def sample_frames(scene: SceneSource, records: dict[str, Path], root: Path, quality: str, drawn_in: str,
                  themes: tuple[str, ...], every: int, folder: Path) -> None:
    """Render `scene` drawn in the `drawn_in` palette and keep every `every`-th frame of each theme
    raw (folder/<theme>/<frame>.npy, RGB), before any lossy encoding: a theme derived from another
    palette can then be compared with the same theme drawn natively."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = {theme: Path(tmp) / theme for theme in themes}
        for path in out.values():
            path.mkdir()
        job = scene_job(scene, out, records, root, quality, {}, drawn_in)
        job["samples"] = {"every": every, "folder": str(folder)}
        with worker_pool(1) as pool:
            outcome = pool.submit(render_in_worker, job).result()
        if "error" in outcome:
            raise BuildError(*outcome["error"])


# --------------------------------------------------------------------------- in the worker
def render_in_worker(job: dict) -> dict:
    """Runs in a worker process. Returns {"seconds", "painted", "segments"} or {"error": (where, problem, fix)}.

    Errors come back as plain tuples: a BuildError does not survive pickling.
    """
    started = time.perf_counter()
    what = f"scene '{job['scene']}' ({', '.join(job['out'])})"
    try:
        with time_limit(job["timeout"]):
            counts = _render_one(job)
    except TimedOut:
        return {"error": (location(job["path"], None, Path(job["root"])),
                          f"{what} did not finish rendering within its "
                          f"{job['timeout']:g} s time limit", "make it shorter, or set TIMEOUT = SECONDS in the file")}
    except BuildError as exc:
        return {"error": (exc.where, exc.problem, exc.fix)}
    except (Exception, SystemExit) as exc:  # the author's scene failed (or asked to exit): point at their line
        path = Path(job["path"])
        line = line_in(exc, path)
        detail = f"{type(exc).__name__}: {exc}"
        helper = deepest_frame(exc, lambda p: p.parent == path.parent.resolve())
        if helper and Path(helper[0]).resolve() != path.resolve():
            detail += f" (in {Path(helper[0]).name}:{helper[1]})"
        where = location(path, line, Path(job["root"]))
        return {"error": (where, f"{what} raised {detail}", "fix the scene and rebuild")}
    return {"seconds": time.perf_counter() - started, **counts}


def _render_one(job: dict) -> dict:
    """Run the scene once, drawn in the `drawn_in` palette, and write every theme in job["out"]."""
    import importlib.util
    import os
    import shutil
    import sys
    import tempfile

    from generator.frames import ColorMap, join_segments, make_renderer

    settings = QUALITIES[job["quality"]]
    out = {theme: Path(folder) for theme, folder in job["out"].items()}
    drawn_in = job["palettes"][job["drawn_in"]]
    scratch = Path(tempfile.mkdtemp(prefix=f"render-{job['scene']}-"))
    try:
        scene_context = scratch / "scene-context.json"
        # No theme name: the drawing serves every theme.
        scene_context.write_text(json.dumps({"colors": drawn_in, "records": job["records"]}))
        os.environ["SCENE_CONTEXT"] = str(scene_context)
        sys.dont_write_bytecode = True  # leave no __pycache__ in scenes/
        for folder in reversed(job["import_paths"]):
            if folder in sys.path:
                sys.path.remove(folder)
            sys.path.insert(0, folder)

        from manim import tempconfig

        options = {
            "media_dir": str(scratch / "media"),
            "pixel_width": settings["width"],
            "pixel_height": settings["height"],
            "frame_rate": settings["fps"],
            "background_color": drawn_in["background"],
            "disable_caching": True,  # our renderer (generator/frames.py) decides what to redraw
            "progress_bar": "none",
            "verbosity": "WARNING",
            "write_to_movie": True,
            "save_last_frame": False,
        }
        with tempconfig(options):
            module_name = f"_scene_{job['scene'].replace('-', '_')}"  # key: unique per lesson
            spec = importlib.util.spec_from_file_location(module_name, job["path"])
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            renderer = make_renderer({
                "themes": {theme: ColorMap(drawn_in, job["palettes"][theme]) for theme in out},
                "settings": settings, "out": out, "fingerprint": job["fingerprint"],
                "reuse": {theme: [Path(p) for p in folders] for theme, folders in job["reuse"].items()},
                "samples": {key: Path(value) if key == "folder" else value
                            for key, value in job.get("samples", {}).items()},
            })
            scene = getattr(module, job["class_name"])(renderer=renderer)
            scene.render()
            writer = renderer.writer
            if writer is None:
                raise BuildError(location(job["path"], None, Path(job["root"])),
                                 f"scene '{job['scene']}' drew nothing: its construct() played no animation "
                                 "and waited no time", "add self.play(...) or self.wait(...) to construct()")
            cues = list(getattr(scene, "cues", []))
            chapters = list(getattr(scene, "chapters", []))
            duration = float(scene.renderer.time)

            for theme, folder in out.items():
                files = output_files(folder, job["scene"], theme)
                join_segments(writer.segments[theme], files["video"])
                write_poster(writer.canvas(theme).paint(renderer.final), files["poster"])
                files["captions"].write_text(webvtt.write(cues, duration), encoding="utf-8")
                files["chapters"].write_text(webvtt.write(chapters, duration), encoding="utf-8")
        return {"painted": writer.painted, "segments": writer.painted + writer.reused}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_poster(frame, target: Path) -> None:
    """Lossless WebP: smaller than PNG for flat drawings, and text stays crisp."""
    from PIL import Image

    Image.fromarray(frame).convert("RGB").save(target, "WEBP", lossless=True, method=6)


# --------------------------------------------------------------------------- inspecting outputs
def probe(video: Path) -> dict:
    """The first video stream's codec, pix_fmt, size, frame rate and the duration (ffprobe)."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,pix_fmt,width,height,r_frame_rate,nb_frames:format=duration",
         "-of", "json", str(video)], capture_output=True, text=True, check=True)
    info = json.loads(result.stdout)
    stream = info["streams"][0]
    num, den = stream["r_frame_rate"].split("/")
    return {"codec": stream["codec_name"], "pix_fmt": stream["pix_fmt"], "width": stream["width"],
            "height": stream["height"], "fps": float(num) / float(den),
            "frames": int(stream.get("nb_frames", 0)), "duration": float(info["format"]["duration"])}


def faststart(video: Path) -> bool:
    """True if the 'moov' atom comes before 'mdat' among the top-level MP4 boxes."""
    order = []
    with open(video, "rb") as f:
        while len(order) < 8:
            header = f.read(8)
            if len(header) < 8:
                break
            size, kind = int.from_bytes(header[:4], "big"), header[4:].decode("latin-1")
            if size == 1:  # 64-bit size follows
                size = int.from_bytes(f.read(8), "big") - 8
            order.append(kind)
            if size < 8:
                break
            f.seek(size - 8, 1)
    return "moov" in order and "mdat" in order and order.index("moov") < order.index("mdat")


# --------------------------------------------------------------------------- benchmark
def benchmark(root: Path, records: dict[str, Path], scenes_dir: Path | None = None) -> dict[str, float]:
    """Time the render stage cold, each time into a fresh temporary cache.

    Returns seconds for render_draft_s (every scene, both themes, 2 workers),
    render_publish_s (same, publish quality), render_parallel_speedup (draft with 1
    worker divided by draft with 2), and size_mb:<scene>-<theme> for each publish video.
    Takes several minutes at publish quality.
    """
    import tempfile

    scenes_dir = scenes_dir or root / "scenes"

    from generator.progress import Silent

    def timed(quality: str, workers: int):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            from generator.plan import BuildContext

            ctx = BuildContext(root, Cache(Path(tmp)), Silent(), workers, quality)
            out = render_scenes(scenes_dir, records, ctx)
            seconds = time.perf_counter() - started
            sizes = {f"size_mb:{name}-{theme}": files["video"].stat().st_size / 1e6
                     for name, themes in out.items() for theme, files in themes.items()}
            durations = {f"duration_s:{name}-{theme}": probe(files["video"])["duration"]
                         for name, themes in out.items() for theme, files in themes.items()}
        return seconds, sizes, durations

    draft_2, _, _ = timed("draft", 2)
    draft_1, _, _ = timed("draft", 1)
    publish, sizes, durations = timed("publish", 2)
    return {"render_draft_s": draft_2, "render_draft_1_worker_s": draft_1,
            "render_parallel_speedup": draft_1 / draft_2, "render_publish_s": publish, **sizes, **durations}
