"""The build: plan, run what is stale, publish atomically.

    plan (lessons, runs, widgets, scenes) -> one pool of training, export and render jobs
    (generator/schedule.py) -> pages -> swap

Before any of it, the manifest the last full build left (generator/manifest.py) answers
"nothing changed" from file sizes and times alone, importing no stage. Otherwise the
plan reads and checks every source once, and each stage takes the plan's jobs and one
BuildContext. Every stage caches its outputs under build/cache by a hash of exactly their inputs, so
a rebuild redoes only what changed. The site itself is written into a staging folder;
`build/site` is a symbolic link that is switched to the new folder in one atomic
rename only when everything succeeded. A failed or killed build leaves the previous
site exactly as it was. A lock file keeps two builds from interleaving.

`--shard K/N` does share K of N of the stale training and render jobs and publishes
nothing; `merge` copies the shares' cache entries in and builds (generator/shards.py).

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
import re
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from generator import manifest, safety
from generator.cache import Cache, file_digest, key_of
from generator.errors import BuildError

PACKAGE_DIR = Path(__file__).parent
# Where the site is served from: '/' or '/seg/.../' (it is written into pages, CSS and the 404 page).
BASE_PATH = re.compile(r"/([A-Za-z0-9._~-]+/)*")


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
    shard: tuple[int, int] | None = None  # (K, N): do share K of N of the jobs, publish nothing
    merge: tuple[Path, ...] = ()     # shard caches to copy into the cache before building

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.out = (self.out or self.root / "build").resolve()
        if self.quality not in ("draft", "publish"):
            raise BuildError("--quality", f"unknown quality '{self.quality}'", "use draft or publish")
        if not self.base_path.startswith("/"):
            self.base_path = "/" + self.base_path
        if not self.base_path.endswith("/"):
            self.base_path += "/"
        if not BASE_PATH.fullmatch(self.base_path) or any(set(part) == {"."} for part in self.base_path.split("/")):
            raise BuildError("--base-path", f"base path {self.base_path[:80]!r} is not a URL path of plain segments",
                             "give it like /my-repo/ (letters, digits, '.', '_', '~' and '-' between slashes)")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise BuildError("--jobs", f"{self.workers!r} is not a number of worker processes",
                             "give a whole number of at least 1, e.g. --jobs 2")
        if self.site_url and not self.site_url.endswith("/"):
            self.site_url += "/"
        if self.shard is not None and not (self.shard[1] >= 1 and 1 <= self.shard[0] <= self.shard[1]):
            raise BuildError("--shard", f"shard {self.shard[0]}/{self.shard[1]} does not exist",
                             "give K/N with 1 <= K <= N, like --shard 2/3")
        if self.shard is not None and (self.lesson is not None or not self.videos):
            raise BuildError("--shard", "a shard is a share of a full build", "drop --lesson and --no-video")
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

    @property
    def shard_cache(self) -> Path:
        """Where `--shard K/N` leaves the cache entries it made, for `merge`."""
        return self.out / f"shard-{self.shard[0]}-of-{self.shard[1]}"


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
    # Never through a link: a link here would let the build empty a file outside build/.
    with os.fdopen(safety.open_no_follow(lock_path), "r+") as handle:
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
        # A link where the build deletes or writes could reach outside build/: refused first.
        safety.check_build_folder(options.out, options.root)
        # Whatever a killed build left half-made goes first, even if this build has nothing to do.
        Cache(options.out / "cache").remove_leftovers()
        _remove_leftovers(options.out)
        if options.merge:
            from generator import shards

            added = shards.merge_into(Cache(options.out / "cache"), list(options.merge))
            progress.note(f"[merge] {added} cache entries from {len(options.merge)} shards")
        unchanged, seen = manifest.check(options) if options.shard is None else (False, {})
        if unchanged:  # nothing on the last build's list changed: no stage imported, no file parsed
            progress.finish("Site is up to date: nothing to do.")
            return BuildResult(options.site, False, [])
        return _build_locked(options, progress, seen)


def _build_locked(options: BuildOptions, progress, seen: dict) -> BuildResult:
    from generator import plan as planning

    ctx = planning.BuildContext(options.root, Cache(options.out / "cache"), progress, options.workers,
                                options.quality, seen=seen)
    # 1. plan: every lesson, embed, run, widget and scene read and checked once.
    plan = planning.make_plan(options, ctx)
    # 2-4. one pool for every stale run, widget export and scene render (none with
    # --no-video), each waiting only for the records it reads (generator/schedule.py).
    from generator.schedule import Scheduler

    scheduler = Scheduler(plan, ctx, videos=options.videos, shard=options.shard)
    try:
        records, widgets, videos = scheduler.run()
    finally:
        _write_timings(options, ctx)
    if options.shard is not None:  # no publish: hand the entries this share made to `merge`
        from generator import shards

        shards.save_shard(ctx.cache, scheduler.made, options.shard_cache)
        ctx.progress.finish(f"Shard {options.shard[0]}/{options.shard[1]}: {len(scheduler.made)} cache entries "
                            f"in {options.shard_cache} after {ctx.progress.elapsed():.1f}s")
        return BuildResult(options.shard_cache, True, ctx.rebuilt)
    # 5. pages: only when something the site depends on changed.
    return write_pages(plan, {"records": records, "widgets": widgets, "videos": videos}, options, ctx)


def _write_timings(options: BuildOptions, ctx) -> None:
    """build/timings.json: every job this build ran, when, and its wall and CPU seconds (make bench reads it)."""
    import json

    from generator.cache import write_atomic

    write_atomic(options.out / "timings.json", json.dumps({"workers": ctx.workers, "jobs": ctx.timings}, indent=1))


def write_pages(plan, made: dict, options: BuildOptions, ctx) -> BuildResult:
    """Publish the site from what the stages made, unless the published one is current."""
    commit = tuple(ctx.seen.get("commit") or git_commit(options.root))
    site_inputs = _site_inputs(options, plan.series, made, commit)
    current = options.site.resolve() if options.site.is_symlink() else None
    if options.lesson is not None:
        # A new version derived from the one it starts from: always republished (pages are cheap).
        site_inputs = {"previous-site": current.name, **site_inputs}
    site_key = key_of(site_inputs)
    if current is not None and current.name == site_key and current.is_dir():
        if options.lesson is None:
            manifest.record(options, ctx.seen, _snippets(plan.series))
        ctx.progress.finish("Site is up to date: nothing to do.")
        return BuildResult(options.site, False, ctx.rebuilt)
    ctx.rebuilt.append(f"site: {ctx.cache.why('site', 'site', site_inputs)}" if options.lesson is None
                       else f"site: lesson {plan.targets[0].slug} rebuilt into the previous site {current.name}")
    from generator import pages

    assets = {lesson.slug: pages.LessonAssets(made["widgets"][lesson.slug],
                                              _lesson_videos(plan.videos[lesson.slug], made["videos"]),
                                              made["records"][lesson.slug])
              for lesson in plan.targets}
    config = pages.SiteConfig.of(options, commit)
    staging = options.out / f".staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        if options.lesson is None:
            staging.mkdir(parents=True)
            pages.write_site(staging, plan.series, assets, config, ctx)
        else:
            shutil.copytree(current, staging, symlinks=False)
            pages.write_one_lesson(staging, plan.series, plan.targets[0], assets, config, ctx)
        publish(staging, options.out / "sites" / site_key, options.site)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _after_publish(options, ctx, site_inputs, _snippets(plan.series))
    ctx.progress.finish(f"Built {options.site} in {ctx.progress.elapsed():.1f}s")
    return BuildResult(options.site, True, ctx.rebuilt)


def _after_publish(options: BuildOptions, ctx, site_inputs: dict[str, str], snippets: list[str]) -> None:
    """Record what a full build compares against; drop old versions and unused cache entries."""
    if options.lesson is None:  # the record `--why` compares a full build against
        ctx.cache.begin("site", "site", site_inputs).commit()
    _remove_old_versions(options.out / "sites", keep=options.site.resolve().name)
    _remove_leftovers(options.out)
    # A lesson build or a build without videos prunes nothing: the entries it did not use
    # (other lessons', the videos) are the ones the next full build wants.
    if options.lesson is None and options.videos:
        ctx.cache.prune()
    if options.lesson is None:
        manifest.record(options, ctx.seen, snippets)


def _snippets(series) -> list[str]:
    """The project files code embeds show (the site key reads them too)."""
    return sorted({embed.name for lesson in series.lessons for embed in lesson.embeds if embed.kind == "code"})


def _lesson_videos(names: dict[str, str], videos):
    """Video name -> its files, for the videos this lesson shows."""
    return {name: videos[key] for name, key in names.items() if key in videos}


def _site_inputs(options, series, made: dict, commit: tuple[str, str]) -> dict[str, str]:
    """Everything the published site depends on, as labelled fingerprints."""
    records, widgets, videos = made["records"], made["widgets"], made["videos"]
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
            measures = path.with_name(path.stem + ".measures.json")  # they change without the key
            inputs[f"measures:{slug}/{run}"] = file_digest(measures) if measures.is_file() else ""
    for slug, exported in widgets.items():
        for eid, widget in exported.items():
            inputs[f"export:{slug}/{eid}"] = widget.data_file.parent.name
    for scene, variants in videos.items():
        for theme_name, files in variants.items():
            inputs[f"video:{scene}-{theme_name}"] = Path(files["video"]).parent.name
    from generator import fonts, search  # both light: no heavy library
    from generator.theme import palette_fingerprint

    inputs |= {"palette": palette_fingerprint(), "base_path": options.base_path, "site_url": options.site_url,
               "quality": options.quality,
               "commit": commit[0], "commit_date": commit[1]}
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
