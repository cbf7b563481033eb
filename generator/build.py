"""The build: plan, run what is stale, publish atomically.

    lessons -> training -> export -> render -> pages -> swap into build/site

Every stage caches its outputs under build/cache by a hash of exactly their inputs, so
a rebuild redoes only what changed. The site itself is written into a staging folder;
`build/site` is a symbolic link that is switched to the new folder in one atomic
rename only when everything succeeded. A failed or killed build leaves the previous
site exactly as it was. A lock file keeps two builds from interleaving.

Two ways to build less while writing:
  --lesson NN   trains, exports and renders only lesson NN (and the records its scenes
                read), then publishes a new site version made of the previous site with
                that lesson's page, data and videos replaced. Every other lesson's page,
                the index and static/ are kept exactly as the previous build published
                them, even if their sources changed since: they are not rebuilt.
  --no-video    renders nothing; each video embed becomes a placeholder saying so. Such a
                site never counts as up to date for a build with videos.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from generator import lessons as lessons_stage
from generator import training
from generator.cache import Cache, file_digest, key_of
from generator.errors import BuildError, did_you_mean, location
from generator.theme import palette_fingerprint

PACKAGE_DIR = Path(__file__).parent


@dataclass
class BuildOptions:
    root: Path
    quality: str = "publish"
    base_path: str = "/"
    site_url: str = ""               # absolute URL the site is published at (sitemap, feed, social cards)
    workers: int = 2
    out: Path | None = None          # default: <root>/build
    lesson: str | None = None        # build only this lesson ("05" or "05-slug"), keep the rest
    videos: bool = True              # False: render nothing, pages show placeholders

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.out = (self.out or self.root / "build").resolve()
        if self.quality not in ("draft", "publish"):
            raise BuildError("--quality", f"unknown quality '{self.quality}'", "use draft or publish")
        if not self.base_path.startswith("/"):
            self.base_path = "/" + self.base_path
        if not self.base_path.endswith("/"):
            self.base_path += "/"
        if self.site_url and not self.site_url.endswith("/"):
            self.site_url += "/"
        if self.site_url and not self.site_url.startswith(("https://", "http://")):
            raise BuildError("--site-url", f"site URL '{self.site_url}' is not absolute",
                             "give it with its scheme, like https://me.github.io/repo/")

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def scenes(self) -> Path:
        return self.root / "scenes"

    @property
    def site(self) -> Path:
        return self.out / "site"


@dataclass
class BuildResult:
    site: Path
    changed: bool                      # False: nothing to do, the site was already current
    rebuilt: list[str] = field(default_factory=list)   # "stage/name: reason" lines


@contextmanager
def build_lock(out: Path):
    """Only one build at a time per output folder; a second one stops with a message."""
    out.mkdir(parents=True, exist_ok=True)
    lock_path = out / ".lock"
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise BuildError(str(lock_path), f"another build is running (pid {holder})",
                             "wait for it to finish, then build again") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def git_commit(root: Path) -> tuple[str, str]:
    """The commit the site is built from and its date; stable across builds of one commit."""
    if os.environ.get("SITE_COMMIT"):
        return os.environ["SITE_COMMIT"], os.environ.get("SITE_COMMIT_DATE", "")
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%H %cI"], cwd=root, capture_output=True,
                             text=True, timeout=10, check=True).stdout.split()
        return out[0], out[1]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unversioned", ""


def build(options: BuildOptions, progress) -> BuildResult:
    with build_lock(options.out):
        return _build_locked(options, progress)


def _build_locked(options: BuildOptions, progress) -> BuildResult:
    root, cache = options.root, Cache(options.out / "cache")
    rebuilt: list[str] = []
    # Whatever a killed build left half-made goes first, even if this build has nothing to do.
    cache.remove_leftovers()
    _remove_leftovers(options.out)

    # 1. lessons: what the series holds and what each lesson embeds, every embed checked
    #    against the widget, scene and runs it names before any training starts.
    series = lessons_stage.load_series(options.content, root)
    targets = _target_lessons(series, options)
    if options.lesson is not None and not (options.site.is_symlink() and options.site.resolve().is_dir()):
        raise BuildError(location(options.site, None, root), "--lesson keeps the other lessons from the published "
                         "site, and there is none yet", "run a full build once: python -m generator build")
    # The lessons whose records are needed: the targets, and any lesson a target's scene reads.
    needed = {lesson.slug: lesson for lesson in targets}
    for lesson in targets:
        for scene in _lesson_scenes(lesson, options):
            for run_id in scene.records:
                other = next((x for x in series.lessons if x.slug == run_id.split("/")[0]), None)
                if other is not None:
                    needed.setdefault(other.slug, other)
    declared = {slug: training.declared_runs(lesson.experiments, slug, root, cache) for slug, lesson in needed.items()}
    check_embeds(targets, declared, options)

    # 2. training: a fresh record for every declared run.
    records: dict[str, dict[str, Path]] = {}
    for lesson in needed.values():
        records[lesson.slug] = training.train_lesson(lesson.experiments, lesson.slug, root, cache, progress,
                                                     options.workers, rebuilt)

    # 3. export: compact JSON and static figures for every widget embed.
    from generator import export

    widgets = {lesson.slug: export.export_lesson(lesson, records[lesson.slug], root, cache, progress, rebuilt)
               for lesson in targets}

    # 4. render: light and dark videos for every scene a lesson embeds (none with --no-video).
    videos = render_videos(targets, records, options, cache, progress, rebuilt) if options.videos else {}

    # 5. pages: only when something the site depends on changed.
    commit, commit_date = git_commit(root)
    site_inputs = _site_inputs(options, series, records, widgets, videos, commit, commit_date)
    current = options.site.resolve() if options.site.is_symlink() else None
    if options.lesson is not None:
        # A new version derived from the one it starts from: always republished (pages are cheap).
        site_inputs = {"previous-site": current.name, **site_inputs}
    site_key = key_of(site_inputs)
    if current is not None and current.name == site_key and current.is_dir():
        progress.finish("Site is up to date: nothing to do.")
        return BuildResult(options.site, False, rebuilt)
    rebuilt.append(f"site: {cache.why('site', 'site', site_inputs)}" if options.lesson is None
                   else f"site: lesson {targets[0].slug} rebuilt into the previous site {current.name}")

    from generator import pages

    assets = {lesson.slug: pages.LessonAssets(widgets[lesson.slug], _lesson_videos(lesson, videos),
                                              records[lesson.slug])
              for lesson in targets}
    config = pages.SiteConfig(options.base_path, commit, commit_date, options.quality, options.site_url,
                              options.videos)
    versions = options.out / "sites"
    staging = options.out / f".staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        if options.lesson is None:
            staging.mkdir(parents=True)
            pages.write_site(staging, root, options.templates, series, assets, config, progress, cache)
        else:
            shutil.copytree(current, staging, symlinks=False)
            pages.write_one_lesson(staging, root, options.templates, series, targets[0], assets, config,
                                   progress, cache)
        publish(staging, versions / site_key, options.site)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if options.lesson is None:  # the record `--why` compares a full build against
        pending = cache.begin("site", "site", site_inputs)
        pending.commit()
    _remove_old_versions(versions, keep=site_key)
    _remove_leftovers(options.out)
    # A lesson build or a build without videos prunes nothing: the entries it did not use
    # (other lessons', the videos) are the ones the next full build wants.
    if options.lesson is None and options.videos:
        cache.prune()
    progress.finish(f"Built {options.site} in {progress.elapsed():.1f}s")
    return BuildResult(options.site, True, rebuilt)


def _target_lessons(series, options) -> list:
    """The lessons this build trains, exports, renders and publishes."""
    if options.lesson is None:
        return list(series.lessons)
    folder = lessons_stage.find_lesson_folder(options.content, options.lesson, options.root)
    return [lesson for lesson in series.lessons if lesson.folder == folder]


def check_embeds(lessons, declared: dict[str, list[str]], options) -> None:
    """Widget and video embeds against the widgets, scenes and runs they name (reading
    widget and scene files without importing them): a typo stops the build before any
    training starts."""
    from generator import export, render

    known_records = {f"{slug}/{run}": Path() for slug, runs in declared.items() for run in runs}
    for lesson in lessons:
        export.check_lesson_widgets(lesson, set(declared[lesson.slug]), options.root)
        for scene in _lesson_scenes(lesson, options):
            render.check_records(scene, known_records, options.root)


def _lesson_scenes(lesson, options):
    """The scenes a lesson embeds (or uses as its poster), read and checked."""
    from generator import render

    wanted: dict[str, int | None] = {}
    for embed in lesson.embeds:
        if embed.kind != "video":
            continue
        if embed.args:  # a video takes none: a stray key=value is a typo, not an option
            raise BuildError(location(lesson.source, embed.line, options.root),
                             f"video embed takes no arguments, got {', '.join(sorted(embed.args))}",
                             f"write '::: video {embed.name} | caption'")
        wanted.setdefault(embed.name, embed.line)
    if lesson.meta.get("poster"):
        wanted.setdefault(lesson.meta["poster"], lessons_stage.key_line(lesson, "poster"))
    scenes = []
    for name, line in wanted.items():
        path = render.find_scene(name, lesson.folder, options.scenes)
        if path is None:
            stem = name.replace("-", "_")
            known = render.scene_names(lesson.folder, options.scenes)
            raise BuildError(location(lesson.source, line, options.root),
                             f"video '{name}' has no scene file{did_you_mean(name, known)}",
                             f"add scenes/{stem}.py (shared) or {lesson.slug}/scenes/{stem}.py, or fix the name")
        own = path.parent == lesson.folder / "scenes"
        scenes.append(render.read_scene(path, options.root, lesson.slug if own else None))
    return scenes


def render_videos(lessons, records, options, cache, progress, rebuilt):
    """Render every scene one of `lessons` embeds (or uses as its poster)."""
    shared: set[str] = set()
    own: dict[str, object] = {}
    for lesson in lessons:
        for scene in _lesson_scenes(lesson, options):
            if scene.lesson is None:
                shared.add(scene.name)
            else:
                own[scene.key] = scene
    if not shared and not own:
        return {}
    from generator import render

    all_records = {f"{slug}/{run}": path for slug, runs in records.items() for run, path in runs.items()}
    return render.render_scenes(options.scenes, all_records, options.root, cache, progress, options.quality,
                                options.workers, rebuilt, only=shared, lesson_scenes=list(own.values()))


def _lesson_videos(lesson, videos):
    """Video name -> its files, for the videos this lesson shows (its own scene first)."""
    names = {e.name for e in lesson.embeds if e.kind == "video"}
    if lesson.meta.get("poster"):
        names.add(lesson.meta["poster"])
    found = {}
    for name in names:
        own = f"{lesson.slug}--{name}"
        if own in videos:
            found[name] = videos[own]
        elif name in videos:
            found[name] = videos[name]
    return found


def _site_inputs(options, series, records, widgets, videos, commit, commit_date) -> dict[str, str]:
    """Everything the published site depends on, as labelled fingerprints."""
    inputs: dict[str, str] = {}
    for path in sorted(options.content.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            inputs[str(path.relative_to(options.root))] = file_digest(path)
    for path in sorted(options.templates.rglob("*")):
        if path.is_file():
            inputs[str(path.relative_to(options.root))] = file_digest(path)
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        inputs[f"generator/{path.name}"] = file_digest(path)
    for slug, runs in records.items():
        for run, path in runs.items():
            inputs[f"record:{slug}/{run}"] = path.parent.name  # the entry key
    for slug, exported in widgets.items():
        for eid, widget in exported.items():
            inputs[f"export:{slug}/{eid}"] = widget.data_file.parent.name
    for scene, variants in videos.items():
        for theme_name, files in variants.items():
            inputs[f"video:{scene}-{theme_name}"] = Path(files["video"]).parent.name
    inputs |= {"palette": palette_fingerprint(), "base_path": options.base_path, "site_url": options.site_url,
               "quality": options.quality,
               "commit": commit, "commit_date": commit_date}
    from generator import fonts, search  # both light: no heavy library

    inputs |= fonts.fingerprints(options.templates) | search.fingerprints()
    # Code embeds read project files: their bytes matter too.
    for lesson in series.lessons:
        for embed in lesson.embeds:
            target = options.root / embed.name
            if embed.kind == "code" and target.is_file():
                inputs[f"snippet:{embed.name}"] = file_digest(target)
    return inputs


def publish(staging: Path, version_dir: Path, site_link: Path) -> None:
    """Move the finished site into place and switch `build/site` to it atomically."""
    version_dir.parent.mkdir(parents=True, exist_ok=True)
    if version_dir.exists():
        shutil.rmtree(version_dir)
    os.replace(staging, version_dir)
    if site_link.exists() and not site_link.is_symlink():
        # A plain folder from elsewhere: keep it aside rather than delete someone's files.
        os.replace(site_link, site_link.with_name("site.previous"))
    tmp_link = site_link.with_name(f".site-link-{os.getpid()}")
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(os.path.relpath(version_dir, site_link.parent), tmp_link)
    os.replace(tmp_link, site_link)  # the one atomic step: readers see old or new, never neither


def _remove_old_versions(versions: Path, keep: str) -> None:
    for folder in versions.iterdir():
        if folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)


def _remove_leftovers(out: Path) -> None:
    """Staging folders and links left by builds that were killed."""
    for leftover in list(out.glob(".staging-*")) + list(out.glob(".site-link-*")):
        if leftover.is_symlink() or leftover.is_file():
            leftover.unlink(missing_ok=True)
        else:
            shutil.rmtree(leftover, ignore_errors=True)
