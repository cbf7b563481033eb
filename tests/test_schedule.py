"""One pool for the build's jobs (generator/schedule.py) and sharded builds (generator/shards.py).

A small project: the tiny fixture lesson with a second run and two scenes of its own,
one reading no record and one reading the tiny run's record. The second run waits (up
to a minute) until the scene that reads no record has started rendering, and
fails if it never does: a build that rendered only after training would fail.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from generator.cache import Cache
from generator.schedule import shard_units, stale_tasks, stale_work
from tests.helpers import cli, fixture_project, tree_digest

LESSON = "01-tiny-lesson"

WAITING_RUN = '''

@run(seed=0)
def waits_for_scene(rec, *, seed: int) -> None:
    """When the test asks, fails unless the scene that reads no record starts within a minute."""
    import os
    import time
    from pathlib import Path

    marker = os.environ.get("SCHEDULE_MARKER")
    if marker:
        deadline = time.monotonic() + 60
        while not Path(marker).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not Path(marker).exists():
            raise RuntimeError("the scene that reads no record did not start while this run trained")
    rec.fact(seed=seed)
'''

SCENE = '''"""A scene for the scheduler's tests."""
import os
from pathlib import Path

from manim import Scene, Square

SCENE = "{cls}"
RECORDS = {records}


class {cls}(Scene):
    def construct(self):
        if os.environ.get("SCHEDULE_MARKER"):
            Path(os.environ["SCHEDULE_MARKER"]).touch()
        self.add(Square(side_length={side}))
        self.wait(0.2)
'''


def make_project(folder: Path) -> Path:
    project = fixture_project(folder)
    lesson = project / "content" / LESSON
    (lesson / "experiments.py").write_text((lesson / "experiments.py").read_text() + WAITING_RUN)
    scenes = lesson / "scenes"
    scenes.mkdir()
    (scenes / "no_record.py").write_text(SCENE.format(cls="NoRecord", records="[]", side=1))
    (scenes / "reads_record.py").write_text(SCENE.format(cls="ReadsRecord", records=f'["{LESSON}/tiny"]', side=2))
    page = lesson / "lesson.md"
    page.write_text(page.read_text() + "\n## Videos\n\n::: video no-record | No record.\n\n"
                    "::: video reads-record | Reads a record.\n")
    return project


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """The project built once in one pool of two workers; (the built project, a clean copy of its sources)."""
    scratch = tmp_path_factory.mktemp("schedule")
    project = make_project(scratch / "project")
    sources = scratch / "sources"
    shutil.copytree(project, sources)
    os.environ["SCHEDULE_MARKER"] = str(scratch / "scene-started")
    try:
        result = cli(project, "build", "--quality", "draft", "--jobs", "2")
    finally:
        del os.environ["SCHEDULE_MARKER"]
    assert result.returncode == 0, result.stderr
    (scratch / "build.log").write_text(result.stderr)  # what the build printed while it worked
    return project, sources


def timings(project: Path) -> dict[str, dict]:
    return {job["name"]: job for job in json.loads((project / "build" / "timings.json").read_text())["jobs"]}


def test_a_scene_that_reads_no_record_renders_while_runs_train(built):
    project, _ = built
    jobs = timings(project)
    trains = [job for job in jobs.values() if job["stage"] == "train"]
    assert {job["name"] for job in trains} == {f"{LESSON}/tiny", f"{LESSON}/waits_for_scene"}
    no_record = jobs[f"{LESSON}--no-record"]  # one job draws both themes
    assert no_record["start"] < max(job["end"] for job in trains)
    # and waits_for_scene, which ends only once the scene has started, succeeded (the build did)
    assert jobs[f"{LESSON}/waits_for_scene"]["end"] > no_record["start"]


def test_a_scene_that_reads_a_record_waits_for_it(built):
    project, _ = built
    jobs = timings(project)
    trained = jobs[f"{LESSON}/tiny"]
    render = jobs[f"{LESSON}--reads-record"]
    assert render["needs"] == [f"{LESSON}/tiny"]
    assert render["start"] >= trained["end"]
    exports = [job for job in jobs.values() if job["stage"] == "export"]
    assert exports, "the lesson's widgets were not exported as jobs"
    for export in exports:  # in worker processes, each after the records it reads
        assert export["start"] >= max((jobs[need]["end"] for need in export["needs"]), default=0.0)
        assert export["cpu_seconds"] is not None


def test_progress_says_what_runs_what_waits_and_the_time_left(built):
    project, _ = built
    line = re.compile(r"\[jobs\] running (.+); (\d+) waiting \((\d+) on records\); about (\d+)s left")
    states = [line.fullmatch(text) for text in (project.parent / "build.log").read_text().splitlines()
              if text.startswith("[jobs]")]
    assert states and all(states), "no progress line, or one in another form"
    first = states[0]
    # At first two jobs run (--jobs 2) and the scene that reads the tiny run's record waits for it.
    assert len(first[1].split(", ")) == 2 and int(first[3]) >= 1 and int(first[2]) >= int(first[3])
    runs = {f"{LESSON}/tiny", f"{LESSON}/waits_for_scene"}
    assert any(f"{LESSON}--no-record" in state[1].split(", ") and runs & set(state[1].split(", "))
               for state in states), "no line shows a render running beside a training run"


def test_each_job_remembers_its_duration_for_the_next_build(built):
    project, _ = built
    cache = project / "build" / "cache"
    for stage, name in [("record", f"{LESSON}__tiny"), ("render", f"{LESSON}--no-record-light"),
                        ("render", f"{LESSON}--no-record-dark")]:
        seconds = json.loads((cache / stage / name / "seconds.json").read_text())["seconds"]
        assert seconds > 0


def test_shares_are_deterministic_balanced_and_keep_a_scene_with_its_records(tmp_path, built):
    _, sources = built
    project = tmp_path / "p"
    shutil.copytree(sources, project)
    from generator.build import BuildOptions
    from generator.plan import BuildContext, make_plan
    from generator.progress import Silent

    options = BuildOptions(project, quality="draft")
    ctx = BuildContext(project, Cache(options.out / "cache"), Silent(), 2, "draft")
    plan = make_plan(options, ctx)
    tasks, fresh = stale_tasks(plan, ctx, videos=True)
    shares = shard_units(stale_work(tasks, fresh, ctx), 3)
    again = shard_units(stale_work(*stale_tasks(plan, ctx, videos=True), ctx), 3)
    assert [[t.name for t in share] for share in shares] == [[t.name for t in share] for share in again]
    names = sorted(t.name for share in shares for t in share)
    assert names == sorted(t.name for t in tasks if t.stage != "export")  # every job once, exports left to merge
    where = {t.name: i for i, share in enumerate(shares) for t in share}
    assert where[f"{LESSON}--reads-record"] == where[f"{LESSON}/tiny"]
    assert all(shares), "three shares of four jobs, one pair bound together: none is empty"


def test_three_shards_and_a_merge_publish_the_single_build_byte_for_byte(tmp_path, built):
    single, sources = built
    shard_folders = []
    for k in (1, 2, 3):  # each shard on a machine of its own: its own copy, a cold cache
        machine = tmp_path / f"machine-{k}"
        shutil.copytree(sources, machine)
        result = cli(machine, "build", "--quality", "draft", "--jobs", "2", "--shard", f"{k}/3")
        assert result.returncode == 0, result.stderr
        assert not (machine / "build" / "site").exists()  # a shard publishes nothing
        shard_folders.append(machine / "build" / f"shard-{k}-of-3")
    for folder in shard_folders:
        assert any(folder.glob("*/*/*/entry.json")), f"{folder.name} made no entries"
    merger = tmp_path / "merger"
    shutil.copytree(sources, merger)
    result = cli(merger, "merge", "--quality", "draft", *map(str, shard_folders))
    assert result.returncode == 0, result.stderr
    merged_jobs = {job["stage"] for job in json.loads((merger / "build" / "timings.json").read_text())["jobs"]}
    assert "render" not in merged_jobs and "train" not in merged_jobs  # the shards did all of that
    assert tree_digest(merger / "build" / "site") == tree_digest(single / "build" / "site")


def test_a_damaged_shard_cache_is_one_line_and_publishes_nothing(tmp_path):
    project = fixture_project(tmp_path / "p")
    shard = tmp_path / "shard"
    entry = shard / "record" / f"{LESSON}__tiny" / "0123"
    entry.mkdir(parents=True)
    (entry / "entry.json").write_text(json.dumps({"files": {"tiny.json": "0" * 64}}))
    result = cli(project, "merge", "--quality", "draft", str(shard))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: {entry}: shard cache entry is damaged")
    assert not (project / "build" / "site").exists()
