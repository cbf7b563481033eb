"""Step 1 of a build: one plan of everything the build will do, made once.

The plan reads every lesson, embed, run declaration, widget and scene once (Python files
through generator.sources, so each is parsed once per build) and makes every check once,
before anything trains: a typo in an embed, a missing scene or a record no lesson
declares stops the build here. The later stages take the plan's jobs and one
BuildContext instead of threaded arguments.

The plan is a list of jobs with explicit inputs and outputs:
  train   one lesson's runs          needs nothing          gives records "<lesson>/<run>"
  export  one widget embed           needs the records it reads   gives data, figures, alt text
  render  one scene (both themes)    needs the records in RECORDS  gives videos, posters, captions
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import lessons as lessons_stage
from generator import safety, training
from generator.cache import Cache
from generator.errors import BuildError, did_you_mean, location


@dataclass
class BuildContext:
    """What every stage needs besides its jobs: where, the cache, how to report, how wide."""

    root: Path
    cache: Cache
    progress: Any
    workers: int = 2
    quality: str = "publish"
    rebuilt: list[str] = field(default_factory=list)   # "stage/name: reason" lines for --why
    seen: dict = field(default_factory=dict)           # the input listing taken as the build began (manifest)
    # "record:<lesson>/<run>" -> "fields: ..." for every record this build changed (--why says which)
    record_notes: dict[str, str] = field(default_factory=dict)
    # One line per job the scheduler ran: stage, name, lesson, needs, start, end, seconds, CPU seconds.
    timings: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class ExportJob:
    lesson: Any        # lessons.Lesson
    embed: Any         # lessons.Embed
    widget: Any        # widgets.Widget
    args: dict[str, str]

    @property
    def needs(self) -> list[str]:
        return [f"{self.lesson.slug}/{run}" for run in self.widget.runs_of(self.args)]


@dataclass(frozen=True)
class RenderJob:
    scene: Any         # render.SceneSource

    @property
    def needs(self) -> list[str]:
        return list(self.scene.records)


@dataclass
class Plan:
    series: Any                                   # lessons.Series
    targets: list                                 # the lessons this build publishes
    runs: dict[str, training.LessonRuns]          # lesson slug -> its runs (targets and what their scenes read)
    exports: dict[str, list[ExportJob]]           # lesson slug -> its widget embeds
    renders: list[RenderJob]                      # every scene a target embeds, once
    videos: dict[str, dict[str, str]]             # lesson slug -> video name -> scene key

    def jobs(self) -> list["Job"]:
        """Every job of the build with what it needs and what it gives, in an order that
        works (a scheduler may run any job whose needs are met)."""
        listed = [Job("train", slug, [], [f"{slug}/{name}" for name in runs.names]) for slug, runs in self.runs.items()]
        listed += [Job("export", f"{slug}/{job.embed.line}", job.needs, [f"export:{slug}/{job.embed.line}"])
                   for slug, jobs in self.exports.items() for job in jobs]
        return listed + [Job("render", job.scene.key, job.needs, [f"video:{job.scene.key}"]) for job in self.renders]


@dataclass(frozen=True)
class Job:
    stage: str          # train, export or render
    name: str
    needs: list[str]    # the records ("<lesson>/<run>") it reads
    gives: list[str]    # records for a train job; the output's label otherwise


def make_plan(options, ctx: BuildContext) -> Plan:
    """Read and check everything the build will touch, once."""
    from generator import export, render, widgets

    series = lessons_stage.load_series(options.content, options.root)
    targets = _target_lessons(series, options)
    scenes: dict[str, Any] = {}
    videos = {lesson.slug: _lesson_scenes(lesson, options, scenes) for lesson in targets}
    needed = {lesson.slug: lesson for lesson in targets}
    for scene in scenes.values():  # the lessons whose records a scene reads are trained too
        for run_id in scene.records:
            other = next((x for x in series.lessons if x.slug == run_id.split("/")[0]), None)
            if other is not None:
                needed.setdefault(other.slug, other)
    runs = {slug: training.plan_runs(lesson.experiments, slug, options.root, ctx.cache)
            for slug, lesson in needed.items()}
    known_records = {f"{slug}/{name}" for slug, lesson_runs in runs.items() for name in lesson_runs.names}
    exports = {}
    builtins = widgets.catalogue(options.root)  # read and checked once, whatever the lessons
    for lesson in targets:
        safety.check_unique_embeds(lesson, options.root)
        checked = export.check_lesson_widgets(lesson, set(runs[lesson.slug].names), options.root, builtins)
        exports[lesson.slug] = [ExportJob(lesson, embed, *checked[embed.line])
                                for embed in lesson.embeds if embed.kind == "widget"]
    for scene in scenes.values():
        render.check_records(scene, known_records, options.root)
    return Plan(series, targets, runs, exports, [RenderJob(scenes[key]) for key in sorted(scenes)], videos)


def _target_lessons(series, options) -> list:
    """The lessons this build trains, exports, renders and publishes."""
    if options.lesson is None:
        return list(series.lessons)
    folder = lessons_stage.find_lesson_folder(options.content, options.lesson, options.root)
    if safety.site_link_target(options.site, options.out, options.root) is None:
        raise BuildError(location(options.site, None, options.root), "--lesson keeps the other lessons from the "
                         "published site, and there is none yet", "run a full build once: python -m generator build")
    return [lesson for lesson in series.lessons if lesson.folder == folder]


def _lesson_scenes(lesson, options, scenes: dict[str, Any]) -> dict[str, str]:
    """Video name -> scene key for every scene a lesson embeds (or uses as its poster);
    each scene file is read once into `scenes` (scene key -> SceneSource)."""
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
    found = {}
    for name, line in wanted.items():
        path = render.find_scene(name, lesson.folder, options.scenes)
        if path is None:
            stem = name.replace("-", "_")
            known = render.scene_names(lesson.folder, options.scenes)
            raise BuildError(location(lesson.source, line, options.root),
                             f"video '{name}' has no scene file{did_you_mean(name, known)}",
                             f"add scenes/{stem}.py (shared) or {lesson.slug}/scenes/{stem}.py, or fix the name")
        own = lesson.slug if path.parent == lesson.folder / "scenes" else None
        key = name if own is None else f"{own}--{name}"
        if key not in scenes:
            scenes[key] = render.read_scene(path, options.root, own)
        found[name] = key
    return found
