"""Steps 2-4 of a build as one pool: every stale training run, widget export and scene render.

Each run is one job, each widget embed one job, each scene one job (both themes from one
drawing, generator/frames.py). A job waits only for the records it reads: a scene that
reads no record renders while the runs train, and an export starts as soon as the
records it reads are committed. At most `ctx.workers` jobs run at once, each in a spawned
worker process with its time limit (generator/workers.py); runs, exports and renders
keep separate workers, so no worker carries another stage's libraries.

Of the jobs that are ready, the one with the longest expected chain goes first: its own
duration plus the longest job waiting for its record. Each job's duration is kept beside
its cache entries (cache.remember_seconds), so a rebuild knows last time's.

With a shard (K, N) only share K of the stale runs and renders are done, and nothing is
exported: `shard_units` splits them in N duration-balanced shares the same way on every
machine, and `python -m generator merge` combines the shard caches and publishes.

Input:  the plan, the BuildContext.
Output: records {lesson: {run: path}}, widgets {lesson: {embed id: ExportedWidget}},
        videos {scene key: {theme: files}}; ctx.timings lists every job that ran.
"""
from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.cache import remember_seconds, remembered_seconds
from generator.errors import BuildError, location

# What a job is expected to take when no build remembers it: a render is usually the
# longest job of a build, an export a few seconds (a worker importing matplotlib).
FIRST_GUESS = {"train": 10.0, "export": 3.0, "render": 60.0}
CACHE_STAGE = {"train": "record", "export": "export", "render": "render"}


@dataclass
class Task:
    stage: str               # train, export or render
    name: str                # "<lesson>/<run>", "<lesson>/<embed id>" or the scene key
    lesson: str              # whose job it is (a scene: the first lesson that shows it)
    needs: list[str]         # records "<lesson>/<run>" it reads
    expected: float          # seconds, as remembered (or FIRST_GUESS)
    work: Any = None         # the run's LessonRuns, the plan's ExportJob, or the SceneSource
    rank: float = 0.0        # expected + the longest job waiting for it
    started: float | None = None
    pending: dict = field(default_factory=dict)   # cache entries it fills (a render: one per theme)
    extra: dict = field(default_factory=dict)

    @property
    def cache_names(self) -> list[str]:
        """The cache names its duration is remembered under."""
        if self.stage == "render":
            from generator.theme import THEMES

            return [f"{self.name}-{theme}" for theme in THEMES]
        return [self.name]


def run_timed(fn, *args) -> dict:
    """In a worker: run a job, with the wall and CPU seconds it took (its tools', ffmpeg, included)."""
    import resource

    def cpu() -> float:
        own, tools = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + tools.ru_utime + tools.ru_stime

    began, before = time.perf_counter(), cpu()
    value = fn(*args)
    return {"value": value, "seconds": time.perf_counter() - began, "cpu_seconds": round(cpu() - before, 3)}


def expected_seconds(cache, stage: str, names: list[str]) -> float:
    remembered = [s for s in (remembered_seconds(cache, CACHE_STAGE[stage], n) for n in names) if s is not None]
    return max(remembered) if remembered else FIRST_GUESS[stage]


# --------------------------------------------------------------------------- the jobs
def stale_tasks(plan, ctx, videos: bool, exports: bool = True) -> tuple[list[Task], dict[str, Path]]:
    """Every job the build may have to run, and the records already fresh. An export or a
    render is only a candidate: it may turn out fresh once its records are known."""
    from generator import training

    tasks: list[Task] = []
    fresh: dict[str, Path] = {}
    for slug, runs in plan.runs.items():
        found, stale = training.find_records(runs, ctx)
        fresh |= {f"{slug}/{name}": path for name, path in found.items()}
        for name in stale:
            record = f"{slug}/{name}"
            task = Task("train", record, slug, [], 0.0, runs, extra={"run": name})
            task.expected = expected_seconds(ctx.cache, "train", task.cache_names)
            tasks.append(task)
    if exports:
        from generator.export import embed_id

        for slug, jobs in plan.exports.items():
            for job in jobs:
                task = Task("export", f"{slug}/{embed_id(job.embed)}", slug, job.needs, 0.0, job)
                task.expected = expected_seconds(ctx.cache, "export", task.cache_names)
                tasks.append(task)
    if videos:
        shown_in = {}
        for slug, names in plan.videos.items():
            for key in names.values():
                shown_in.setdefault(key, slug)
        for job in plan.renders:
            scene = job.scene
            task = Task("render", scene.key, shown_in.get(scene.key, scene.lesson or "shared"), job.needs, 0.0, scene)
            task.expected = expected_seconds(ctx.cache, "render", task.cache_names)
            tasks.append(task)
    by_record = {task.name: task for task in tasks if task.stage == "train"}
    for task in tasks:
        task.rank = max(task.rank, task.expected)
        for need in task.needs:
            if need in by_record:
                by_record[need].rank = max(by_record[need].rank, by_record[need].expected + task.expected)
    return tasks, fresh


def stale_renders(task: Task, records: dict[str, Path], ctx) -> tuple[dict[str, dict], dict[str, dict]]:
    """({theme: files} of the cached themes, {theme: inputs} of the stale ones) of a render."""
    from generator import render
    from generator.theme import THEMES

    done, stale = {}, {}
    for theme in THEMES:
        inputs = render.scene_inputs(task.work, theme, records, ctx.quality, ctx.root)
        entry = ctx.cache.lookup("render", f"{task.name}-{theme}", inputs)
        if entry is None:
            stale[theme] = inputs
        else:
            done[theme] = render.output_files(entry.folder, task.name, theme)
    return done, stale


def stale_work(tasks: list[Task], fresh: dict[str, Path], ctx) -> list[Task]:
    """The runs and renders that will run: a render whose records are all fresh is looked
    up now and left out when both its videos are cached. Exports are left out (a merge
    does them: they are short)."""
    work = []
    for task in tasks:
        if task.stage == "export":
            continue
        if task.stage == "render" and all(need in fresh for need in task.needs) \
                and not stale_renders(task, fresh, ctx)[1]:
            continue
        work.append(task)
    return work


def shard_units(tasks: list[Task], count: int) -> list[list[Task]]:
    """Jobs split into `count` shares of about equal expected seconds.

    A render and the stale runs it reads go to one share, so no shard waits on another, as
    do two renders that read one record. Each such unit goes, longest first, to the share
    with the least work so far; the same tasks give the same split on every machine."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    names = {task.name for task in tasks}
    for task in tasks:
        find(task.name)
        for need in task.needs:
            if need in names:
                parent[find(need)] = find(task.name)
    cost = {task.name: task.expected for task in tasks}
    groups: dict[str, list[str]] = {}
    for task in tasks:
        groups.setdefault(find(task.name), []).append(task.name)
    units = sorted(groups.values(), key=lambda group: (-sum(cost[n] for n in group), min(group)))
    shares: list[list[str]] = [[] for _ in range(count)]
    loads = [0.0] * count
    for group in units:
        lightest = loads.index(min(loads))
        shares[lightest] += group
        loads[lightest] += sum(cost[n] for n in group)
    by_name = {task.name: task for task in tasks}
    return [[by_name[n] for n in sorted(share)] for share in shares]


# --------------------------------------------------------------------------- running them
class Scheduler:
    def __init__(self, plan, ctx, videos: bool = True, shard: tuple[int, int] | None = None):
        self.plan, self.ctx = plan, ctx
        self.width = max(1, ctx.workers)
        self.tasks, fresh = stale_tasks(plan, ctx, videos, exports=shard is None)
        if shard is not None:
            k, n = shard
            mine = {task.name for task in shard_units(stale_work(self.tasks, fresh, ctx), n)[k - 1]}
            self.tasks = [task for task in self.tasks if task.name in mine]
        self.records = dict(fresh)               # "<lesson>/<run>" -> record path, as they arrive
        self.widgets: dict[str, dict] = {slug: {} for slug in plan.exports}
        self.videos: dict[str, dict[str, dict[str, Path]]] = {}
        self.waiting = list(self.tasks)
        self.running: dict[Any, Task] = {}       # future -> task
        self.made: list[Path] = []               # the entry folders this build committed
        self.began = time.monotonic()
        self.finished, self.shown = 0, ""
        self.before = {task.name: (ctx.cache.why("record", task.name, task.work.keys[task.extra["run"]]),
                                   ctx.cache.previous("record", task.name))
                       for task in self.tasks if task.stage == "train"}  # taken before any commit
        ctx.timings.clear()

    def run(self):
        try:
            with ExitStack() as stack:
                from generator.workers import worker_pool

                # Separate workers per stage, started when first needed; at most `width` jobs
                # run at once among them. Leaving the block early kills every worker.
                pools: dict[str, Any] = {}

                def pool(stage: str):
                    if stage not in pools:
                        pools[stage] = stack.enter_context(worker_pool(self.width))
                    return pools[stage]

                while True:
                    self._start_ready(pool)
                    if not self.running:
                        break
                    self._show()
                    finished, _ = wait(list(self.running), timeout=2.0, return_when=FIRST_COMPLETED)
                    for future in finished:
                        self._finish(future, self.running[future])
                        del self.running[future]
                if self.waiting:
                    missing = sorted({n for t in self.waiting for n in t.needs if n not in self.records})
                    raise BuildError("build", f"jobs wait for records no job makes: {', '.join(missing)}",
                                     "this is a bug in the build; report it")
        finally:
            for task in self.tasks:  # anything cut short leaves no entry behind
                for pending in task.pending.values():
                    pending.abandon()
        from generator import training

        for runs in self.plan.runs.values():
            if all(f"{runs.slug}/{name}" in self.records for name in runs.names):
                training.write_index(runs, self.ctx)
        return self._results()

    # ---- deciding what starts
    def _ready(self, task: Task) -> bool:
        return all(need in self.records for need in task.needs)

    def _start_ready(self, pool) -> None:
        ready = [t for t in self.waiting if self._ready(t)]
        for task in ready:  # an export or render whose inputs are now known may be cached
            if task.stage != "train" and "inputs" not in task.extra and self._is_cached(task):
                self.waiting.remove(task)
        ready = sorted((t for t in self.waiting if self._ready(t)), key=lambda t: (-t.rank, t.name))
        for task in ready[:max(0, self.width - len(self.running))]:
            self.waiting.remove(task)
            task.started = time.monotonic()
            self.running[self._submit(pool(task.stage), task)] = task

    def _is_cached(self, task: Task) -> bool:
        """Look a render or export up now that its records are known; a cached one is done."""
        if task.stage == "export":
            from generator import export

            job = task.work
            own = self._lesson_records(task)
            name, inputs, entry = export.look_up(job, own, self.ctx)
            if entry is not None:
                self.widgets[job.lesson.slug][task.name.split("/", 1)[1]] = export.exported_widget(job, entry)
                return True
            task.extra["inputs"], task.extra["records"] = inputs, own
            return False
        done, stale = stale_renders(task, self.records, self.ctx)
        self.videos.setdefault(task.name, {}).update(done)
        if not stale:
            return True
        for theme, inputs in stale.items():
            name = f"{task.name}-{theme}"
            self.ctx.rebuilt.append(f"render/{name}: "
                                    f"{self.ctx.cache.why('render', name, inputs, self.ctx.record_notes)}")
        task.extra["inputs"] = stale
        return False

    def _lesson_records(self, task: Task) -> dict[str, Path]:
        """run name -> record path of the records an export reads (its lesson's)."""
        return {need.split("/", 1)[1]: self.records[need] for need in task.needs}

    def _submit(self, pool, task: Task):
        from generator import export, render, training
        from generator.safety import inside

        cache, root = self.ctx.cache, self.ctx.root
        if task.stage == "train":
            runs, run = task.work, task.extra["run"]
            pending = task.pending[""] = cache.begin("record", task.name, runs.keys[run])
            out = inside(pending.file(f"{run}.json"), pending.folder)
            return pool.submit(run_timed, training.train_in_worker, str(runs.experiments), run, str(out), str(root))
        if task.stage == "export":
            job = task.work
            pending = task.pending[""] = cache.begin("export", task.name, task.extra["inputs"])
            return pool.submit(run_timed, export.export_in_worker, str(job.widget.folder), job.widget.lesson,
                               str(root), job.args, task.extra["records"], export.where_of(job, root),
                               str(pending.folder))
        for theme, inputs in task.extra["inputs"].items():
            task.pending[theme] = cache.begin("render", f"{task.name}-{theme}", inputs)
        job = render.scene_job(task.work, {theme: p.folder for theme, p in task.pending.items()}, self.records, root,
                          self.ctx.quality, {theme: render.earlier_renders(cache, f"{task.name}-{theme}")
                                             for theme in task.pending})
        return pool.submit(run_timed, render.render_in_worker, job)

    # ---- a job finished
    def _finish(self, future, task: Task) -> None:
        from generator import export, render, training

        try:
            outcome = future.result()  # a run's or a widget's BuildError is raised here
        except BrokenProcessPool:
            raise self._broken(task) from None
        value = outcome["value"]
        if isinstance(value, dict) and "error" in value:  # a scene's error comes back as plain values
            raise BuildError(*value["error"])
        entries = {theme: pending.commit() for theme, pending in task.pending.items()}
        task.pending = {}
        self.made += [entry.folder for entry in entries.values()]
        for name in task.cache_names:
            if task.stage != "render" or name.rsplit("-", 1)[1] in entries:
                remember_seconds(self.ctx.cache, CACHE_STAGE[task.stage], name, outcome["seconds"])
        self._log(task, outcome)
        self.finished += 1
        seconds = outcome["seconds"]
        if task.stage == "train":
            run, entry = task.extra["run"], entries[""]
            path = entry.file(f"{run}.json")
            self.records[task.name] = path
            training.note_trained(task.work, run, path, *self.before[task.name], self.ctx)
            label = f"{run} of {task.lesson} in {seconds:.0f}s"
        elif task.stage == "export":
            job = task.work
            self.widgets[job.lesson.slug][task.name.split("/", 1)[1]] = export.exported_widget(job, entries[""])
            label = f"{task.name} in {seconds:.0f}s"
        else:
            files = {theme: render.output_files(entry.folder, task.name, theme) for theme, entry in entries.items()}
            self.videos.setdefault(task.name, {}).update(files)
            frames = render.probe(next(iter(files.values()))["video"]).get("frames", "?")
            label = (f"{task.name}-{'+'.join(entries)}, {frames} frames in {seconds:.0f}s "
                     f"({value['painted']} of {value['segments']} segments drawn, the rest reused)")
        self.ctx.progress.item(task.stage, label, self.finished, len(self.tasks))

    def _broken(self, task: Task) -> BuildError:
        """A worker died (a crash, a kill): name the jobs of its stage that were running."""
        from generator.workers import broken_pool_error

        running = [t for t in self.running.values() if t.stage == task.stage]
        if task.stage == "train":
            return broken_pool_error(location(task.work.experiments, None, self.ctx.root), "run",
                                     [t.extra["run"] for t in running])
        if task.stage == "export":
            from generator import export

            return broken_pool_error(export.where_of(task.work, self.ctx.root), "widget",
                                     [t.work.widget.name for t in running])
        return broken_pool_error(location(task.work.path, None, self.ctx.root), "scene", [t.name for t in running])

    def _log(self, task: Task, outcome: dict) -> None:
        now = time.monotonic()
        self.ctx.timings.append({"stage": task.stage, "name": task.name, "lesson": task.lesson, "needs": task.needs,
                                 "start": round(task.started - self.began, 3), "end": round(now - self.began, 3),
                                 "seconds": round(outcome["seconds"], 3), "cpu_seconds": outcome["cpu_seconds"],
                                 "expected": round(task.expected, 3)})

    def _show(self) -> None:
        """What runs, what waits and an estimate of the time left: the expected seconds of
        the jobs not yet done spread over the workers, or the longest running job's rest
        if that is longer."""
        now = time.monotonic()
        rests = [max(0.0, t.expected - (now - t.started)) for t in self.running.values()]
        left = max((sum(rests) + sum(t.expected for t in self.waiting)) / self.width, max(rests, default=0.0))
        blocked = sum(1 for t in self.waiting if not self._ready(t))
        running = ", ".join(sorted(t.name for t in self.running.values()))
        state = f"running {running or 'nothing'}; {len(self.waiting)} waiting ({blocked} on records)"
        if state != self.shown or getattr(self.ctx.progress, "live", False):  # a log gets a line per change
            self.shown = state
            self.ctx.progress.note(f"[jobs] {state}; about {left:.0f}s left")

    def _results(self):
        records: dict[str, dict[str, Path]] = {}
        for slug, runs in self.plan.runs.items():
            records[slug] = {name: self.records[f"{slug}/{name}"] for name in runs.names
                             if f"{slug}/{name}" in self.records}
        videos = {key: self.videos[key] for key in sorted(self.videos)}
        widgets = {}  # in the lesson's order of embeds
        from generator.export import embed_id

        for slug, jobs in self.plan.exports.items():
            ids = [embed_id(job.embed) for job in jobs]
            widgets[slug] = {eid: self.widgets[slug][eid] for eid in ids if eid in self.widgets[slug]}
        return records, widgets, videos
