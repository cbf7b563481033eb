"""The cached build: what a rebuild redoes, what --why says, the atomic swap, the lock."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.build import BuildOptions, build, build_lock
from generator.errors import BuildError
from generator.progress import Silent
from tests.helpers import ROOT, cli, fixture_project, tree_digest

LESSON = "content/01-tiny-lesson"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    project = fixture_project(tmp_path_factory.mktemp("build"))
    assert cli(project, "build", "--quality", "draft").returncode == 0
    return project


def test_nothing_changed_nothing_rebuilt(project):
    os.environ["SITE_COMMIT"] = "0123456789abcdef"
    os.environ["SITE_COMMIT_DATE"] = "2026-01-02T03:04:05+00:00"
    try:
        site_before = os.readlink(project / "build" / "site")
        result = build(BuildOptions(project, quality="draft"), Silent())
        assert result.changed is False and result.rebuilt == []
        assert os.readlink(project / "build" / "site") == site_before
    finally:
        del os.environ["SITE_COMMIT"], os.environ["SITE_COMMIT_DATE"]


def test_prose_edit_retrains_nothing(project):
    lesson = project / LESSON / "lesson.md"
    lesson.write_text(lesson.read_text().replace("## The snippet", "## The snippet, edited"))
    result = cli(project, "build", "--quality", "draft", "--why")
    assert result.returncode == 0, result.stderr
    why = result.stdout.strip().split("\n")
    assert len(why) == 1 and why[0].startswith("site: changed: ")
    assert "content/01-tiny-lesson/lesson.md" in why[0]
    assert "<h2 id=\"the-snippet-edited\">" in (project / "build/site/01-tiny-lesson/index.html").read_text()


def test_experiment_edit_retrains_its_runs_and_says_why(project):
    experiments = project / LESSON / "experiments.py"
    experiments.write_text(experiments.read_text().replace("epochs=30,", "epochs=31,"))
    result = cli(project, "build", "--quality", "draft", "--why")
    assert result.returncode == 0, result.stderr
    why = result.stdout
    assert "record/01-tiny-lesson/tiny: changed: config, content/01-tiny-lesson/experiments.py" in why
    export_line = next(line for line in why.split("\n") if line.startswith("export/01-tiny-lesson/"))
    assert export_line.startswith("export/01-tiny-lesson/overfit-player--tiny: changed: ")
    assert "record:" in export_line and "tiny" in export_line.split("record:")[1]
    assert "After <span class=\"fact\" data-fact=\"tiny.epochs\">31</span> epochs" in \
        (project / "build/site/01-tiny-lesson/index.html").read_text()


def test_template_edit_rerenders_pages_only(project):
    template = project / "templates" / "404.html"
    template.write_text(template.read_text().replace("Page not found</h1>", "Nothing here</h1>"))
    result = cli(project, "build", "--quality", "draft", "--why")
    assert result.returncode == 0
    assert result.stdout.strip().startswith("site: changed: templates/404.html")
    assert "Nothing here" in (project / "build/site/404.html").read_text()


def test_second_build_is_refused_while_one_holds_the_lock(project):
    with build_lock(project / "build"):
        result = cli(project, "build", "--quality", "draft")
    assert result.returncode == 1
    assert "another build is running" in result.stderr
    assert "wait for it to finish" in result.stderr


def test_failed_build_keeps_site_and_leaves_no_staging(project):
    before = tree_digest(project / "build" / "site")
    lesson = project / LESSON / "lesson.md"
    good = lesson.read_text()
    lesson.write_text(good.replace("run=tiny", "run=nope"))
    try:
        with pytest.raises(BuildError):
            build(BuildOptions(project, quality="draft"), Silent())
    finally:
        lesson.write_text(good)
    assert tree_digest(project / "build" / "site") == before
    assert not list((project / "build").glob(".staging-*"))


def test_base_path_reaches_the_404_page_only(project):
    result = cli(project, "build", "--quality", "draft", "--base-path", "/my-repo")
    assert result.returncode == 0
    site = project / "build" / "site"
    # The stylesheet is inline; its font URLs are what depend on where the page is.
    assert 'url("/my-repo/static/fonts/text-regular.woff2")' in (site / "404.html").read_text()
    assert 'url("../static/fonts/text-regular.woff2")' in (site / "01-tiny-lesson" / "index.html").read_text()
    assert "/my-repo/" not in (site / "index.html").read_text()


def test_cli_commands_have_help():
    for command in ([], ["build"], ["serve"], ["clean"]):
        result = cli(Path("."), *command, "--help")
        assert result.returncode == 0 and "usage:" in result.stdout
        assert len(result.stdout.split("\n")) > 3


def test_nothing_to_do_imports_no_heavy_library(project):
    """A no-op rebuild must stay fast: torch, manim and matplotlib are not even imported."""
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from generator.build import BuildOptions, build; "
            "from generator.progress import Silent; "
            f"r = build(BuildOptions(Path({str(project)!r}), quality='draft'), Silent()); "
            "print(r.changed, sorted(m for m in ('torch', 'manim', 'matplotlib', 'jinja2', 'markdown') "
            "if m in sys.modules))")
    env = {**__import__("os").environ, "SITE_COMMIT": "x", "SITE_COMMIT_DATE": "y"}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    assert second.stdout.strip() == "False []", second.stdout
