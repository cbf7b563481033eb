"""The authoring commands: new, widgets, build --lesson, build --no-video, and "did you mean"."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.errors import BuildError, did_you_mean
from generator.lessons import Embed
from generator.widgets import catalogue, check_embed, read_widget
from tests.helpers import ROOT, cli, fixture_project, tree_digest
from tests.js_fields import undeclared_reads

NEW = "03-first-steps"


def project_with_new_lesson(folder: Path) -> Path:
    project = fixture_project(folder)
    shutil.copy(ROOT / "scenes" / "common.py", project / "scenes" / "common.py")
    result = cli(project, "new", NEW, "First steps: a bowl")
    assert result.returncode == 0, result.stderr
    return project


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The fixture site plus a scaffolded lesson, built in full (videos included)."""
    project = project_with_new_lesson(tmp_path_factory.mktemp("cli") / "p")
    result = cli(project, "build", "--quality", "draft")
    assert result.returncode == 0, result.stderr
    return project


def copy_of(project: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(project, target, symlinks=True)
    return target


def error_line(result) -> str:
    lines = [line for line in result.stderr.strip().split("\n") if line and not line.startswith("[")]
    assert result.returncode != 0 and len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# --------------------------------------------------------------------------- new
def test_new_lesson_builds_at_once_with_one_of_each_embed(built):
    site = built / "build" / "site"
    page = (site / NEW / "index.html").read_text()
    assert re.search(r"<h1[^>]*>First steps: a bowl</h1>", page)  # a colon in the title survives the YAML
    assert 'data-widget="step-path"' in page and 'data-module="widgets/step-path/widget.js"' in page
    assert '<figure class="code-snippet">' in page and "bowl_loss" in page
    for theme in ("light", "dark"):
        assert (site / "video" / f"{NEW}--step-film-{theme}.mp4").stat().st_size > 1000
    # Facts in the prose are the record's numbers.
    data = json.loads((site / NEW / "data" / "step-path--descent.json").read_text())
    assert f'data-fact="descent.steps">{data["step"][-1]}<' in page
    assert len(data["w"][0]) == 2  # a 2-D weight per step, read back with its shape
    # The sentence "the loss goes from A to B" is true of the record: it falls.
    assert data["loss"][-1] < data["loss"][0] / 100


def test_scaffold_is_a_real_folder_written_to_the_contract(built):
    lesson = built / "content" / NEW
    widget = read_widget(lesson / "widgets" / "step-path", built, NEW)
    assert undeclared_reads(widget.js.read_text(), widget.data) == []
    assert widget.reads and "series w" in widget.reads
    # Every file comes from templates/scaffold/, tokens replaced.
    scaffold = ROOT / "templates" / "scaffold"
    copied = sorted(str(p.relative_to(lesson)) for p in lesson.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert copied == sorted(str(p.relative_to(scaffold)) for p in scaffold.rglob("*") if p.is_file()
                            and "__pycache__" not in p.parts)
    assert "__SLUG__" not in (lesson / "scenes" / "step_film.py").read_text()
    assert f'RECORDS = ["{NEW}/descent"]' in (lesson / "scenes" / "step_film.py").read_text()


def test_a_new_lesson_gets_every_common_check_and_a_passing_claim_test(built, tmp_path):
    """pytest, in a copy of the project with the new lesson, collects every check of
    tests/test_every_lesson.py for it, and they and the scaffolded claim test pass."""
    from tests.helpers import with_tests
    from tests.test_every_lesson import COMMON_CHECKS

    project = with_tests(built, tmp_path / "p")

    def pytest_in_project(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=project,
                              capture_output=True, text=True, timeout=1200)

    collected = pytest_in_project("--collect-only", "-q", "tests/test_every_lesson.py", f"content/{NEW}").stdout
    assert len(COMMON_CHECKS) >= 9
    for check in COMMON_CHECKS:
        assert re.search(rf"::{check}\[[^\]]*{NEW}", collected), f"{check} is not run on the new lesson"
    assert f"content/{NEW}/tests/test_claims.py::" in collected
    result = pytest_in_project("-q", "-k", f"{NEW} or test_claims", "tests/test_every_lesson.py", f"content/{NEW}")
    assert result.returncode == 0, result.stdout[-3000:]
    ran = re.search(r"(\d+) passed", result.stdout)
    assert ran and int(ran[1]) >= len(COMMON_CHECKS) + 3 and "skipped" not in result.stdout, result.stdout[-2000:]


@pytest.mark.parametrize("name, expected", [
    ("3-bad", r"must look like 'NN-some-slug'"),
    ("01-another", r"content/01-tiny-lesson: lesson number 01 is taken by 01-tiny-lesson"),
    ("02-planned", r"content/series\.yaml: lesson 02 is listed under 'planned'; remove that entry"),
    (NEW, rf"content/{NEW}: that folder exists already"),
    ("03-" + "a" * 300, r"a lesson's name is 303 characters long, over the limit of \d+ \(it names a folder and a URL\); "
                        r"choose a shorter slug"),
])
def test_new_refuses_and_changes_nothing(built, tmp_path, name, expected):
    project = copy_of(built, tmp_path)
    before = tree_digest(project / "content")
    line = error_line(cli(project, "new", name, "A title"))
    assert re.search(expected, line), line
    assert tree_digest(project / "content") == before


# --------------------------------------------------------------------------- widgets
def test_widgets_prints_every_built_in_with_arguments_and_fields():
    result = cli(ROOT, "widgets")
    assert result.returncode == 0, result.stderr
    for widget in catalogue(ROOT).values():
        block = result.stdout.split(f"\n{widget.name}  (built-in")[-1] if not result.stdout.startswith(widget.name) \
            else result.stdout
        assert f"{widget.name}  (built-in: templates/widgets/{widget.name})" in result.stdout
        for arg, spec in widget.args.items():
            assert f"    {arg}: {spec['type']}" in block and spec["help"] in block
    assert "activation: choice (identity | relu | sigmoid | tanh), default relu" in result.stdout
    assert "    best.val_loss: float" in result.stdout  # DATA fields, flattened


def test_widgets_with_a_lesson_adds_its_own(built):
    result = cli(built, "widgets", "--lesson", "03")
    assert result.returncode == 0, result.stderr
    assert f"step-path  (lesson {NEW}: content/{NEW}/widgets/step-path)" in result.stdout
    assert "reads: series w (a 2-vector per step), series loss and series step of the run." in result.stdout
    assert "overfit-player  (built-in" in result.stdout
    assert "step-path" not in cli(built, "widgets").stdout
    line = error_line(cli(built, "widgets", "--lesson", "03-first-step"))
    assert f"no lesson '03-first-step' (did you mean '{NEW}'?)" in line


# --------------------------------------------------------------------------- build --lesson
def test_lesson_build_replaces_only_that_lesson(built, tmp_path):
    project = copy_of(built, tmp_path)
    site = project / "build" / "site"
    before = tree_digest(site)
    # Both lessons change; only the one asked for is rebuilt.
    other = project / "content" / "01-tiny-lesson" / "lesson.md"
    other.write_text(other.read_text().replace("## The snippet", "## The snippet, edited"))
    (project / "content" / "01-tiny-lesson" / "experiments.py").write_text("raise RuntimeError('broken')\n")
    mine = project / "content" / NEW / "lesson.md"
    mine.write_text(mine.read_text().replace("## The path, step by step", "## The path, one step at a time"))
    result = cli(project, "build", "--quality", "draft", "--lesson", "03", "--why")
    assert result.returncode == 0, result.stderr
    assert not [line for line in result.stdout.split("\n") if line.startswith(("runs/", "export/", "render/"))]
    after = tree_digest(site)
    # The search index and the font subsets are made anew: they must cover the new page.
    refreshed = ("pagefind/", "static/fonts/")
    changed = sorted(k for k in after if after[k] != before.get(k) and not k.startswith(refreshed))
    assert changed == [f"{NEW}/index.html"]
    assert {k for k in after if not k.startswith(refreshed)} == {k for k in before if not k.startswith(refreshed)}
    assert any(k.startswith("pagefind/") for k in after)
    assert "one step at a time" in (site / NEW / "index.html").read_text()
    assert "The snippet, edited" not in (site / "01-tiny-lesson" / "index.html").read_text()


def test_lesson_build_needs_a_previous_site_and_a_known_lesson(built, tmp_path):
    project = copy_of(built, tmp_path)
    line = error_line(cli(project, "build", "--quality", "draft", "--lesson", "04"))
    assert "no lesson '04'" in line and "lessons: 01-tiny-lesson, 03-first-steps" in line
    shutil.rmtree(project / "build")
    line = error_line(cli(project, "build", "--quality", "draft", "--lesson", "03"))
    assert "--lesson keeps the other lessons from the published site, and there is none yet" in line


def test_failed_lesson_build_keeps_the_site(built, tmp_path):
    project = copy_of(built, tmp_path)
    before = tree_digest(project / "build" / "site")
    mine = project / "content" / NEW / "lesson.md"
    mine.write_text(mine.read_text().replace("[[descent.final_loss:.3g]]", "[[descent.final_los:.3g]]"))
    line = error_line(cli(project, "build", "--quality", "draft", "--lesson", NEW))
    assert re.search(rf"content/{NEW}/lesson\.md:\d+: run 'descent' recorded no fact 'final_los' "
                     r"\(did you mean 'final_loss'\?\)", line), line
    assert tree_digest(project / "build" / "site") == before


# --------------------------------------------------------------------------- build --no-video
def test_no_video_shows_placeholders_and_keeps_rendered_videos_for_later(built, tmp_path):
    project = copy_of(built, tmp_path)
    result = cli(project, "build", "--quality", "draft", "--no-video")
    assert result.returncode == 0, result.stderr
    site = project / "build" / "site"
    page = (site / NEW / "index.html").read_text()
    assert 'class="video video-placeholder" id="video-step-film"' in page
    assert "<code>--no-video</code>" in page and ".mp4" not in page
    assert not (site / "video").exists()
    # A build with videos is not 'up to date' after it, and re-renders nothing: the
    # no-video build left the rendered entries in the cache.
    result = cli(project, "build", "--quality", "draft", "--why")
    assert result.returncode == 0, result.stderr
    assert "render/" not in result.stdout and result.stdout.startswith("site: ")
    page = (site / NEW / "index.html").read_text()
    # (The placeholder's style is inlined in every page; its markup must be gone.)
    assert 'class="video video-placeholder"' not in page and f"../video/{NEW}--step-film-light.mp4" in page


def test_make_site_never_skips_videos():
    makefile = (ROOT / "Makefile").read_text()
    site_recipe = re.search(r"^site:.*\n((?:\t.*\n)+)", makefile, re.M)[1]
    assert "generator build" in site_recipe and "--no-video" not in site_recipe and "--lesson" not in site_recipe


def test_make_lesson_builds_one_lesson():
    out = subprocess.run(["make", "-n", "lesson", "N=03"], cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, MAKEFLAGS=""))
    assert out.returncode == 0, out.stderr
    assert re.search(r"-m generator build --lesson 03 --quality draft", out.stdout), out.stdout


# --------------------------------------------------------------------------- did you mean
def test_did_you_mean_finds_the_close_name_only():
    assert did_you_mean("overfitt", ["overfit", "tiny"]) == " (did you mean 'overfit'?)"
    assert did_you_mean("zzz", ["overfit", "tiny"]) == ""


@pytest.mark.parametrize("name, args, expected", [
    ("overfit-playr", {"run": "overfit"}, "unknown widget 'overfit-playr' (did you mean 'overfit-player'?)"),
    ("overfit-player", {"run": "overfitt"}, "does not declare (did you mean 'overfit'?)"),
    ("overfit-player", {"rn": "overfit"}, "has no argument 'rn' (did you mean 'run'?)"),
    ("layer-playground", {"activation": "rellu"}, "(did you mean 'relu'?)"),
])
def test_embed_errors_suggest_the_close_name(name, args, expected):
    with pytest.raises(BuildError) as caught:
        check_embed(Embed("widget", name, args, "", 7), ROOT / "lesson.md", {"overfit", "tiny"}, catalogue(ROOT), ROOT)
    assert expected in str(caught.value)


@pytest.mark.parametrize("breakage", ["run", "scene", "record"])
def test_build_errors_suggest_the_close_name(built, tmp_path, breakage):
    project = copy_of(built, tmp_path)
    lesson = project / "content" / NEW
    if breakage == "run":
        path, old, new = lesson / "lesson.md", "[[descent.steps]]", "[[descnt.steps]]"
        expected = "names run 'descnt', which experiments.py does not declare (did you mean 'descent'?)"
    elif breakage == "scene":
        path, old, new = lesson / "lesson.md", "::: video step-film", "::: video step-flim"
        expected = "video 'step-flim' has no scene file (did you mean 'step-film'?)"
    else:
        # RECORDS and load_record() both: the scene agrees with itself, not with the runs.
        path, old, new = lesson / "scenes" / "step_film.py", f'"{NEW}/descent"', f'"{NEW}/descnt"'
        expected = f"reads record '{NEW}/descnt', which no lesson declares (did you mean '{NEW}/descent'?)"
    path.write_text(path.read_text().replace(old, new))
    before = tree_digest(project / "build" / "site")
    assert expected in error_line(cli(project, "build", "--quality", "draft", "--lesson", "03"))
    assert tree_digest(project / "build" / "site") == before
