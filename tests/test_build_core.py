"""The build core: what each cache key follows, the one plan, the no-op manifest.

Each test works on a copy of the tiny fixture site (tests/fixtures/site). The tests that
edit the generator itself build with a copy of the generator package, put first on the
build's import path, so the real one is never touched.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, fixture_project

LESSON = "content/01-tiny-lesson"
ROBUST = ROOT / "tests" / "fixtures" / "robust"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def build(project: Path, package: Path | None = None, *extra: str) -> tuple[list[str], str]:
    """Build with --why; returns the rebuilt lines and stderr. `package` holds the copy of
    the generator to build with (the real one if None)."""
    env = dict(os.environ, SITE_COMMIT="0123456789abcdef", SITE_COMMIT_DATE="2026-01-02T03:04:05+00:00")
    cwd = package or ROOT
    env["PYTHONPATH"] = str(cwd)
    result = subprocess.run([sys.executable, "-m", "generator", "--root", str(project), "build", "--quality",
                             "draft", "--why", *extra], capture_output=True, text=True, cwd=cwd, env=env,
                            timeout=900)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.strip().split("\n") if line and line != "Nothing was rebuilt."]
    return lines, result.stderr


def stages(lines: list[str]) -> list[str]:
    """The rebuilt lines of the stages keyed on content (records, exports, renders)."""
    return [line for line in lines if line.split("/")[0] in ("record", "export", "render")]


SECOND_LESSON_RUN = '''

@run(seed=1, epochs=5, lr=0.01)
def other(rec, *, seed: int, epochs: int, lr: float) -> None:
    rec.fact(epochs=epochs)
    rec.log(0, loss=float(seed))
'''


# --------------------------------------------------------------------------- keys follow one rule
@pytest.fixture(scope="module")
def with_package(tmp_path_factory) -> tuple[Path, Path]:
    """A project of two lessons and a video, and a copy of the generator to edit."""
    tmp = tmp_path_factory.mktemp("core")
    project = fixture_project(tmp / "project")
    shutil.copy(ROOT / "scenes" / "common.py", project / "scenes")
    shutil.copy(ROBUST / "tiny_dot.py", project / "scenes")
    lesson = project / LESSON / "lesson.md"
    lesson.write_text(lesson.read_text() + "\n## A video\n\n::: video tiny-dot | A circle is drawn.\n")
    second = project / "content" / "02-second-tiny"
    shutil.copytree(project / LESSON, second)
    edit(second / "lesson.md", "title: A tiny lesson", "title: A second tiny lesson")
    edit(second / "lesson.md", 'next: ["02"]', "next: []")
    (second / "experiments.py").write_text((second / "experiments.py").read_text() + SECOND_LESSON_RUN)
    series = project / "content" / "series.yaml"
    series.write_text(series.read_text().split("planned:")[0])
    package = tmp / "package"
    shutil.copytree(ROOT / "generator", package / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    lines, _ = build(project, package)
    assert any(line.startswith("render/tiny-dot-") for line in lines), lines
    return project, package


def test_a_comment_in_any_generator_module_rebuilds_no_record_export_or_video(with_package):
    project, package = with_package
    edited = []
    for module in sorted((package / "generator").glob("*.py")):
        text = module.read_text()
        # A comment and blank lines at the top (below a docstring's first line would be in
        # it) and at the end: every line number after it moves.
        module.write_text("# edited: a comment only\n\n" + text + "\n\n# another comment\n")
        edited.append(module.name)
    assert {"training.py", "export.py", "render.py", "authoring.py", "widget_api.py", "build.py"} <= set(edited)
    lines, _ = build(project, package)
    assert stages(lines) == [], lines


def test_editing_the_authoring_api_retrains_every_lesson(with_package):
    project, package = with_package
    authoring = package / "generator" / "authoring.py"
    authoring.write_text(authoring.read_text() + "\nAPI_EDITED = True\n")
    lines, _ = build(project, package)
    retrained = sorted(line.split(":")[0] for line in lines if line.startswith("record/"))
    assert retrained == ["record/01-tiny-lesson/tiny", "record/02-second-tiny/other", "record/02-second-tiny/tiny"]
    assert all("generator/authoring.py" in line for line in lines if line.startswith("record/"))
    # Deterministic runs give the same records: nothing keyed on them is redone.
    assert all("the record came out the same" in line for line in lines if line.startswith("record/")), lines
    assert not [line for line in lines if line.startswith(("export/", "render/"))], lines


def test_bumping_a_stage_version_redoes_that_stage_only(with_package):
    project, package = with_package
    export = package / "generator" / "export.py"
    from generator.export import EXPORT_VERSION

    edit(export, f"EXPORT_VERSION = {EXPORT_VERSION}", f"EXPORT_VERSION = {EXPORT_VERSION + 1}")
    lines, _ = build(project, package)
    assert sorted(line.split(":")[0] for line in stages(lines)) == [
        "export/01-tiny-lesson/overfit-player--tiny", "export/02-second-tiny/overfit-player--tiny"], lines
    assert all("export-version" in line for line in stages(lines))


# --------------------------------------------------------------------------- finer keys for runs
HELPERS = '''

SHARED_SCALE = 2.0


def shared_helper(value: float) -> float:
    return value * SHARED_SCALE


def only_for_a(value: float) -> float:
    return value + 1.0


@run(seed=0, steps=3)
def run_a(rec, *, seed: int, steps: int) -> None:
    for step in range(steps):
        rec.log(step, value=only_for_a(shared_helper(float(step))))


@run(seed=0, steps=3)
def run_b(rec, *, seed: int, steps: int) -> None:
    for step in range(steps):
        rec.log(step, value=shared_helper(float(step)))


@run(seed=0)
def reads_data(rec, *, seed: int) -> None:
    import json
    from pathlib import Path

    rec.fact(value=json.loads((Path(__file__).parent / "data.json").read_text())["value"])
'''


@pytest.fixture(scope="module")
def runs_project(tmp_path_factory) -> Path:
    project = fixture_project(tmp_path_factory.mktemp("runs") / "project")
    experiments = project / LESSON / "experiments.py"
    experiments.write_text(experiments.read_text() + HELPERS)
    (project / LESSON / "data.json").write_text('{"value": 1}')
    build(project)
    return project


def retrained(lines: list[str]) -> list[str]:
    return sorted(line.split(":")[0].rsplit("/", 1)[1] for line in lines if line.startswith("record/"))


def test_comments_and_blank_lines_retrain_nothing(runs_project):
    experiments = runs_project / LESSON / "experiments.py"
    edit(experiments, "def shared_helper", "# a comment about the helper\n\n\ndef shared_helper")
    edit(experiments, "    return value + 1.0", "    # why one\n    return value + 1.0  # one")
    lines, _ = build(runs_project)
    assert stages(lines) == [], lines


def test_editing_one_run_retrains_that_run_only(runs_project):
    edit(runs_project / LESSON / "experiments.py", "@run(seed=0, steps=3)\ndef run_b", "@run(seed=0, steps=4)\ndef run_b")
    assert retrained(build(runs_project)[0]) == ["run_b"]


def test_adding_a_run_trains_that_run_only(runs_project):
    experiments = runs_project / LESSON / "experiments.py"
    experiments.write_text(experiments.read_text() + "\n\n@run(seed=3)\ndef added(rec, *, seed: int) -> None:\n"
                           "    rec.fact(seed=seed)\n")
    assert retrained(build(runs_project)[0]) == ["added"]
    # What tests read a built project's records through: every run, each its own entry.
    from generator.cache import Cache
    from generator.training import cached_records

    records = cached_records(Cache(runs_project / "build" / "cache"), "01-tiny-lesson")
    assert sorted(records) == ["added", "reads_data", "run_a", "run_b", "tiny"]
    assert json.loads(records["added"].read_text())["facts"] == {"seed": 3}


def test_a_helper_retrains_the_runs_that_reach_it(runs_project):
    experiments = runs_project / LESSON / "experiments.py"
    edit(experiments, "return value + 1.0", "return value + 2.0")
    assert retrained(build(runs_project)[0]) == ["run_a"]
    edit(experiments, "SHARED_SCALE = 2.0", "SHARED_SCALE = 3.0")  # reached through shared_helper
    assert retrained(build(runs_project)[0]) == ["run_a", "run_b"]


def test_a_data_file_beside_the_experiments_retrains_the_runs(runs_project):
    (runs_project / LESSON / "data.json").write_text('{"value": 2}')
    lines, _ = build(runs_project)
    assert "reads_data" in retrained(lines)
    record = next(p for p in (runs_project / "build" / "cache" / "record").glob("*__reads_data/*/reads_data.json"))
    assert json.loads(record.read_text())["facts"]["value"] == 2
    assert any("data:content/01-tiny-lesson/data.json" in line for line in lines if "reads_data" in line)


def test_globals_make_every_run_depend_on_the_whole_module(runs_project):
    experiments = runs_project / LESSON / "experiments.py"
    experiments.write_text(experiments.read_text() + "\nglobals()['LATE'] = 1\n")
    first = retrained(build(runs_project)[0])
    assert first == sorted(["tiny", "run_a", "run_b", "reads_data", "added"]), first
    # Now any edit anywhere in the module retrains them all, even of code no run reaches.
    experiments.write_text(experiments.read_text() + "\n\ndef unused() -> int:\n    return 1\n")
    assert retrained(build(runs_project)[0]) == first


# --------------------------------------------------------------------------- measures and --why
def test_a_measure_is_shown_but_rebuilds_nothing_downstream(tmp_path):
    project = fixture_project(tmp_path / "project")
    experiments = project / LESSON / "experiments.py"
    edit(experiments, "    rec.fact(final_val_loss=", "    import time\n    rec.measure(ns=time.perf_counter_ns())\n"
                                                        "    rec.fact(final_val_loss=")
    lesson = project / LESSON / "lesson.md"
    lesson.write_text(lesson.read_text() + "\nMeasured: [[tiny.ns]] ns.\n")
    build(project)
    page = project / "build" / "site" / "01-tiny-lesson" / "index.html"
    assert 'data-fact="tiny.ns"' in page.read_text()
    shown = page.read_text()
    for entry in (project / "build" / "cache" / "record").glob("*/*"):
        if entry.is_dir():
            shutil.rmtree(entry)  # the run must execute again: a new measure
    os.utime(project / LESSON / "lesson.md")  # past the manifest: a deleted cache entry is not an input
    lines, _ = build(project)
    assert [line.split(":")[0] for line in stages(lines)] == ["record/01-tiny-lesson/tiny"], lines
    assert page.read_text() != shown  # the page shows the new measure


def test_why_names_the_record_fields_that_changed(tmp_path):
    project = fixture_project(tmp_path / "project")
    build(project)
    edit(project / LESSON / "experiments.py", "lr=0.01)", "lr=0.02)")
    lines, _ = build(project)
    record = next(line for line in lines if line.startswith("record/"))
    assert "record fields changed: " in record and "series.train_loss" in record and "config.lr" in record
    assert "facts.epochs" not in record  # the same 30 epochs
    export = next(line for line in lines if line.startswith("export/"))
    assert "record:tiny (fields: " in export and "series.val_loss" in export


# --------------------------------------------------------------------------- one plan, a fast no-op
def test_a_whole_build_parses_each_source_file_at_most_once(tmp_path):
    project = fixture_project(tmp_path / "project")
    shutil.copy(ROOT / "scenes" / "common.py", project / "scenes")
    shutil.copy(ROBUST / "tiny_dot.py", project / "scenes")
    lesson = project / LESSON / "lesson.md"
    lesson.write_text(lesson.read_text() + "\n::: video tiny-dot | A circle is drawn.\n")
    code = ("import json, sys; from pathlib import Path; from generator.build import BuildOptions, build; "
            "from generator.progress import Silent; from generator import sources; "
            f"build(BuildOptions(Path({str(project)!r}), quality='draft'), Silent()); "
            "print(json.dumps(dict(sources.PARSES)))")
    env = dict(os.environ, SITE_COMMIT="x", SITE_COMMIT_DATE="y")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                            timeout=900)
    assert result.returncode == 0, result.stderr
    parses = json.loads(result.stdout.strip().split("\n")[-1])
    # The files every plan must read: the scene, its helper, the experiments, widget code.
    assert {str(project / "scenes" / "tiny_dot.py"), str(project / "scenes" / "common.py"),
            str(project / LESSON / "experiments.py")} <= set(parses), parses
    assert any(name.endswith("widget.py") for name in parses), parses
    assert max(parses.values()) == 1, {name: n for name, n in parses.items() if n > 1}


def test_nothing_changed_is_answered_from_the_manifest(tmp_path):
    project = fixture_project(tmp_path / "project")
    build(project)
    code = ("import sys; from pathlib import Path; from generator.build import BuildOptions, build; "
            "from generator.progress import Silent; "
            f"r = build(BuildOptions(Path({str(project)!r}), quality='draft'), Silent()); "
            "print(r.changed, sorted(m for m in sys.modules if m.startswith('generator.') or m in "
            "('yaml', 'jinja2', 'markdown', 'numpy', 'torch')))")
    env = dict(os.environ, SITE_COMMIT="0123456789abcdef", SITE_COMMIT_DATE="2026-01-02T03:04:05+00:00")

    def no_op() -> str:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    # No stage, no lesson reader, no parser, no YAML: the build module, the manifest, the cache,
    # errors, the check that build/ holds no link out (safety: os and re only), and the
    # progress printer this test imports.
    quiet = ("False ['generator.build', 'generator.cache', 'generator.errors', 'generator.manifest', "
             "'generator.progress', 'generator.safety']")
    assert no_op() == quiet
    # A file saved without a change: hashes decide, nothing is rebuilt, and the manifest is renewed.
    os.utime(project / LESSON / "lesson.md")
    lines, stderr = build(project)
    assert lines == [] and "up to date" in stderr
    assert no_op() == quiet
    # A real change is never answered from the manifest.
    edit(project / LESSON / "lesson.md", "## The snippet", "## The snippet, edited")
    lines, _ = build(project)
    assert [line.split(":")[0] for line in lines] == ["site"]


def test_a_file_saved_while_a_build_runs_is_changed_for_the_next_build(tmp_path):
    """The manifest keeps the stamps taken before the build read anything, also for a code
    embed's file, so an edit made mid-build is never answered with "up to date"."""
    from generator import manifest
    from generator.build import BuildOptions

    project = fixture_project(tmp_path / "project")
    build(project)
    options = BuildOptions(project, quality="draft")
    lesson = project / LESSON / "lesson.md"
    _, taken = manifest.check(options)
    stamp = lesson.stat().st_mtime_ns
    os.utime(lesson, ns=(stamp + 10**9, stamp + 10**9))        # saved while the build runs
    manifest.record(options, taken, [str(lesson.relative_to(project))])
    unchanged, _ = manifest.check(options)
    assert not unchanged


def test_the_plan_lists_jobs_whose_needs_other_jobs_give(tmp_path):
    from generator.build import BuildOptions
    from generator.cache import Cache
    from generator.plan import BuildContext, make_plan
    from generator.progress import Silent

    project = fixture_project(tmp_path / "project")
    shutil.copy(ROOT / "scenes" / "common.py", project / "scenes")
    shutil.copy(ROBUST / "tiny_dot.py", project / "scenes")
    lesson = project / LESSON / "lesson.md"
    lesson.write_text(lesson.read_text() + "\n::: video tiny-dot | A circle is drawn.\n")
    options = BuildOptions(project, quality="draft")
    jobs = make_plan(options, BuildContext(project, Cache(options.out / "cache"), Silent())).jobs()
    # An export job is named by its embed's line.
    line = next(i for i, text in enumerate(lesson.read_text().split("\n"), 1) if text.startswith("::: widget"))
    assert [(job.stage, job.name) for job in jobs] == [
        ("train", "01-tiny-lesson"), ("export", f"01-tiny-lesson/{line}"), ("render", "tiny-dot")]
    given = {record for job in jobs for record in job.gives}
    assert jobs[1].needs == ["01-tiny-lesson/tiny"] and set(jobs[1].needs) <= given
    assert jobs[2].needs == []


# --------------------------------------------------------------------------- the code a run reaches
def reached(source: str, run_name: str = "the_run") -> str | None:
    import ast

    from generator.training import reached_code

    tree = ast.parse(source)
    line = next(node.lineno for node in tree.body if getattr(node, "name", None) == run_name)
    return reached_code(tree, line)


RUN_SOURCE = '''
import math

SCALE = 2.0
name = "module level"


def helper(x):
    return [SCALE * v for v in x]


def unrelated():
    return 1


def the_run(rec, *, seed, name="a parameter"):
    def inner(values):
        return helper(values)
    value = sum(v for v in inner([1.0]))
    rec.fact(value=math.sqrt(value), name=name)
'''


def test_a_run_reaches_what_its_nested_code_reads_and_nothing_else():
    base = reached(RUN_SOURCE)
    assert base is not None
    # A helper reached through a nested function, and the constant that helper reads.
    assert reached(RUN_SOURCE.replace("SCALE * v", "SCALE * v + 0")) != base
    assert reached(RUN_SOURCE.replace("SCALE = 2.0", "SCALE = 3.0")) != base
    # Code no one reaches, and a module-level name the run only shadows with a parameter.
    assert reached(RUN_SOURCE.replace("return 1", "return 2")) == base
    assert reached(RUN_SOURCE.replace('name = "module level"', 'name = "edited"')) == base
    # Comments and moved lines change nothing.
    assert reached(RUN_SOURCE.replace("def unrelated", "# a comment\n\n\ndef unrelated")) == base


def test_a_run_the_analysis_cannot_follow_is_keyed_on_the_whole_module():
    assert reached(RUN_SOURCE.replace("value = sum(", "value = globals()['SCALE'] + sum(")) is None
    assert reached(RUN_SOURCE.replace("value = sum(", "value = made_at_run_time + sum(")) is None
    assert reached(RUN_SOURCE + "\nexec('SCALE = 5.0')\n") is None
    assert reached("from math import *\n" + RUN_SOURCE) is None


def test_a_run_name_declared_twice_is_one_line_naming_it(tmp_path):
    from generator.errors import BuildError
    from generator.training import load_experiments

    experiments = tmp_path / "experiments.py"
    experiments.write_text("from generator.authoring import run\n\n\ndef declare(name):\n"
                           "    def train(rec, *, seed: int) -> None:\n        rec.fact(seed=seed)\n\n"
                           "    train.__name__ = name\n    return run()(train)\n\n\n"
                           "declare('twice')\ndeclare('twice')\n")
    with pytest.raises(BuildError) as caught:
        load_experiments(experiments, tmp_path)
    assert caught.value.one_line() == ("experiments.py:5: run 'twice' is declared twice (also at line 5); "
                                       "give each run its own function name")


def test_index_thumbnails_are_encoded_again_only_for_a_new_poster(tmp_path, monkeypatch):
    """WebP encoding was most of a prose edit's page rebuild: the cache keeps each poster's
    thumbnails, and a poster with other pixels gets new ones."""
    from PIL import Image

    from generator import thumbnails
    from generator.cache import Cache

    encoded = []
    real = thumbnails._thumbnails
    monkeypatch.setattr(thumbnails, "_thumbnails", lambda *a: encoded.append(a[1]) or real(*a))
    cache = Cache(tmp_path / "cache")
    posters = {"01": {"light": "video/poster.png"}}

    def publish(colour) -> bytes:
        site = tmp_path / f"site-{len(encoded)}-{colour}"
        (site / "video").mkdir(parents=True)
        Image.new("RGB", (1920, 1080), colour).save(site / "video" / "poster.png")
        sets = thumbnails.write_thumbnails(site, posters, cache)
        return (site / sets["01"]["light"]["src"]).read_bytes()

    first = publish("white")
    assert publish("white") == first and encoded == ["video/poster.png"]
    assert publish("navy") != first and len(encoded) == 2
