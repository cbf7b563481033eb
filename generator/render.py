"""Stage 4, render: every Manim scene, once per theme, as a web-ready video.

A scene is one file: shared ones in `scenes/<name>.py`, a lesson's own in
`content/NN-slug/scenes/<name>.py` (found with no registration; for that lesson it wins
over a shared scene of the same name). The video name is the stem with '_' -> '-'. A
scene may import scenes/common.py and modules beside it. Besides its Scene class it
declares, as plain literals the build reads with `ast` (no manim import needed to plan a
build, and every `load_record("lesson/run")` with a literal name is checked against them
before anything renders):

    SCENE = "ClassName"                  # the Scene class to render
    RECORDS = ["NN-slug/run", ...]       # run records it reads ([] for none)
    TIMEOUT = 3600                       # optional: seconds one theme may take to render

Each (scene, theme) is one cache entry ("render", "<key>-<theme>") holding, where the
key is the video name for a shared scene and "<lesson-slug>--<name>" for a lesson's own:
  <key>-<theme>.mp4     H.264, yuv420p, moov atom first (+faststart), no audio
  <key>-<theme>.webp    poster: the last frame (scenes end on their most complete picture)
  <key>-<theme>.vtt     WebVTT cues from the scene's `self.say(...)` calls (scenes/common.py)
  <key>-<theme>.chapters.vtt  WebVTT chapters from its `self.chapter(...)` calls
File names are unique across scenes so pages can copy them all into one folder.

Stale entries are rendered in `workers` spawned processes through Manim's Python API.
A worker hands a scene its theme and records through a JSON "scene context" file named
by the SCENE_CONTEXT environment variable. Manim writes only into a temporary folder;
the final files are encoded by ffmpeg straight into the pending cache entry.

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
from generator.cache import Cache, file_digest, text_digest
from generator.declarations import read_declarations
from generator.errors import BuildError, deepest_frame, did_you_mean, line_in, location, relative
from generator.safety import FOLDER_NAME
from generator.theme import THEMES, manim_colors
from generator.sources import installed_version, local_imports, tree_digest
from generator.workers import (TimedOut, broken_pool_error, check_timeout, child_process_options, time_limit,
                               worker_pool)

# Size and speed of each quality. CRF was tuned so a publish video of these flat,
# mostly static drawings stays well under 2 MB per 30 s (see `benchmark`).
QUALITIES = {
    "draft": {"width": 854, "height": 480, "fps": 15, "crf": 30, "preset": "veryfast"},
    "publish": {"width": 1920, "height": 1080, "fps": 30, "crf": 30, "preset": "slow"},
}
_SUFFIXES = {"video": ".mp4", "poster": ".webp", "captions": ".vtt", "chapters": ".chapters.vtt"}


def output_files(folder: Path, scene: str, theme: str) -> dict[str, Path]:
    """{"video": ..., "poster": ..., "captions": ..., "chapters": ...} inside one cache entry."""
    return {kind: folder / f"{scene}-{theme}{suffix}" for kind, suffix in _SUFFIXES.items()}
HELPER_MODULES = {"common.py"}  # shared code in scenes/, not scenes themselves
# Bump when a change to this module changes what a render writes (the encode, the poster,
# the captions): every video is then rendered again once. Refactoring it bumps nothing.
RENDER_VERSION = 1
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
    # Only this theme's colours: retinting the dark palette leaves light videos alone.
    inputs["palette"] = text_digest(json.dumps(manim_colors(theme), sort_keys=True))
    inputs["quality"] = json.dumps(QUALITIES[quality], sort_keys=True)
    inputs["version:manim"] = installed_version("manim")
    inputs["version:ffmpeg"] = ffmpeg_fingerprint()
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
    poster and captions per theme. Returns scene key -> theme -> files."""
    if ctx.quality not in QUALITIES:
        raise BuildError("render", f"unknown quality {ctx.quality!r}", f"use one of {sorted(QUALITIES)}")
    results: dict[str, dict[str, dict[str, Path]]] = {}
    stale = []
    for scene in scenes:
        for theme in THEMES:
            inputs = scene_inputs(scene, theme, records, ctx.quality, ctx.root)
            entry = ctx.cache.lookup("render", f"{scene.key}-{theme}", inputs)
            if entry is not None:
                results.setdefault(scene.key, {})[theme] = output_files(entry.folder, scene.key, theme)
            else:
                stale.append((scene, theme, inputs))
    for scene, theme, inputs in stale:
        name = f"{scene.key}-{theme}"
        ctx.rebuilt.append(f"render/{name}: {ctx.cache.why('render', name, inputs, ctx.record_notes)}")
    for scene, theme, folder in _render_all(stale, records, ctx):
        results.setdefault(scene.key, {})[theme] = output_files(folder, scene.key, theme)
    return {name: results[name] for name in sorted(results)}


def _render_all(stale, records, ctx):
    """Render stale (scene, theme) pairs in worker processes; commit each as it finishes."""
    if not stale:
        return []
    root, cache, progress, quality = ctx.root, ctx.cache, ctx.progress, ctx.quality
    workers = max(1, min(ctx.workers, len(stale)))
    progress.note(f"rendering {len(stale)} videos in {workers} worker processes")
    pendings = [cache.begin("render", f"{scene.key}-{theme}", inputs) for scene, theme, inputs in stale]
    jobs = [_job(scene, theme, records, root, quality, pending.folder)
            for (scene, theme, _), pending in zip(stale, pendings)]
    done = []
    committed: set[int] = set()
    try:
        # Spawned workers, each a fresh interpreter with its own Manim config; on an error or
        # Ctrl-C they are killed (their ffmpeg with them) and their pending entries abandoned.
        with worker_pool(workers) as pool:
            futures = {pool.submit(_render_job, job): i for i, job in enumerate(jobs)}
            for count, future in enumerate(as_completed(futures), 1):
                i = futures[future]
                try:
                    outcome = future.result()
                except BrokenProcessPool:  # a worker died under a scene (a crash, a kill)
                    running = [f"{stale[k][0].key} ({stale[k][1]})" for k in sorted(set(futures.values()) - committed)]
                    raise broken_pool_error(location(stale[i][0].path, None, root), "scene", running) from None
                if "error" in outcome:
                    for f in futures:
                        f.cancel()
                    raise BuildError(*outcome["error"])
                scene, theme, _ = stale[i]
                entry = pendings[i].commit()
                committed.add(i)
                frames = probe(output_files(entry.folder, scene.key, theme)["video"]).get("frames", "?")
                progress.item("render", f"{scene.key}-{theme}, {frames} frames in {outcome['seconds']:.0f}s",
                              count, len(jobs))
                done.append((scene, theme, entry.folder))
    finally:
        for i, pending in enumerate(pendings):
            if i not in committed:
                pending.abandon()
    return done


def _job(scene: SceneSource, theme: str, records: dict[str, Path], root: Path, quality: str, out: Path) -> dict:
    """Everything a worker needs, as plain picklable values."""
    return {
        "scene": scene.key,
        "path": str(scene.path),
        "import_paths": [str(scene.path.parent), str(root / "scenes")],  # its folder, then common.py's
        "class_name": scene.class_name,
        "theme": theme,
        "colors": manim_colors(theme),
        "records": {run_id: str(Path(records[run_id]).resolve()) for run_id in scene.records},
        "root": str(root),
        "quality": quality,
        "out": str(out),
        "timeout": scene.timeout,
    }


# --------------------------------------------------------------------------- in the worker
def _render_job(job: dict) -> dict:
    """Runs in a worker process. Returns {"seconds": ...} or {"error": (where, problem, fix)}.

    Errors come back as plain tuples: a BuildError does not survive pickling.
    """
    started = time.perf_counter()
    try:
        with time_limit(job["timeout"]):
            _render_one(job)
    except TimedOut:
        return {"error": (location(job["path"], None, Path(job["root"])),
                          f"scene '{job['scene']}' ({job['theme']}) did not finish rendering within its "
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
        return {"error": (where, f"scene '{job['scene']}' ({job['theme']}) raised {detail}",
                          "fix the scene and rebuild")}
    return {"seconds": time.perf_counter() - started}


def _render_one(job: dict) -> None:
    import importlib.util
    import os
    import shutil
    import sys
    import tempfile

    settings = QUALITIES[job["quality"]]
    out = Path(job["out"])
    scratch = Path(tempfile.mkdtemp(prefix=f"render-{job['scene']}-{job['theme']}-"))
    try:
        scene_context = scratch / "scene-context.json"
        scene_context.write_text(json.dumps({key: job[key] for key in ("theme", "colors", "records")}))
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
            "background_color": job["colors"]["background"],
            "disable_caching": True,  # our cache decides what to render
            "progress_bar": "none",
            "verbosity": "WARNING",
            "write_to_movie": True,
            "save_last_frame": False,
            # Near-lossless segments: ffmpeg does the one real (lossy) encode below.
            "video_encoder_options": {"crf": "8", "preset": "ultrafast"},
        }
        with tempconfig(options):
            module_name = f"_scene_{job['scene'].replace('-', '_')}_{job['theme']}"  # key: unique per lesson
            spec = importlib.util.spec_from_file_location(module_name, job["path"])
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            scene = getattr(module, job["class_name"])()
            scene.render()
            movie = Path(scene.renderer.file_writer.movie_file_path or "")
            last_frame = scene.renderer.get_frame()
            cues = list(getattr(scene, "cues", []))
            chapters = list(getattr(scene, "chapters", []))
            duration = float(scene.renderer.time)

        if duration <= 0 or not movie.is_file():  # nothing played: no movie for ffmpeg to encode
            raise BuildError(location(job["path"], None, Path(job["root"])),
                             f"scene '{job['scene']}' ({job['theme']}) drew nothing: its construct() played no "
                             "animation and waited no time", "add self.play(...) or self.wait(...)")
        files = output_files(out, job["scene"], job["theme"])
        encode_mp4(movie, files["video"], settings)
        write_poster(last_frame, files["poster"])
        files["captions"].write_text(webvtt.write(cues, duration), encoding="utf-8")
        files["chapters"].write_text(webvtt.write(chapters, duration), encoding="utf-8")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def encode_mp4(source: Path, target: Path, settings: dict) -> None:
    """The one lossy encode: H.264 yuv420p, moov atom first so playback starts at once."""
    command = [
        "ffmpeg", "-v", "error", "-y", "-i", str(source), "-an",
        "-c:v", "libx264", "-preset", settings["preset"], "-tune", "animation", "-crf", str(settings["crf"]),
        "-pix_fmt", "yuv420p", "-r", str(settings["fps"]),
        "-movflags", "+faststart", "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
        str(target),
    ]
    result = subprocess.run(command, capture_output=True, text=True, **child_process_options())
    if result.returncode != 0:
        raise BuildError(str(target), f"ffmpeg failed: {result.stderr.strip()[-300:]}", "check the ffmpeg install")


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
