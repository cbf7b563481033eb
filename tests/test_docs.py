"""docs/authoring.md is true and complete: its runnable examples build, every command,
option and built-in widget is documented, and its generated parts are current."""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import _parser
from generator.lessons import FRONT_MATTER, LESSON_ASSET_SUFFIXES
from generator.theme import PALETTE
from generator.widgets import catalogue, catalogue_markdown
from tests.helpers import ROOT, fixture_project

GUIDE = ROOT / "docs" / "authoring.md"
RUNNABLE = re.compile(r"<!-- runnable: (?P<target>\S+) -->\n```(?P<lang>\w*)\n(?P<body>.*?)\n```", re.S)
CATALOGUE = re.compile(r"(<!-- catalogue:start -->\n)(.*?)(<!-- catalogue:end -->)", re.S)


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def runnable_blocks() -> list[tuple[str, str]]:
    return [(m["target"], m["body"] + "\n") for m in RUNNABLE.finditer(guide())]


# --------------------------------------------------------------------------- the examples run
@pytest.fixture(scope="module")
def followed(tmp_path_factory) -> Path:
    """A fresh project where the guide is followed to the letter: its shell blocks run,
    its file blocks written, in the order they appear."""
    project = fixture_project(tmp_path_factory.mktemp("guide") / "p")
    shutil.copy(ROOT / "scenes" / "common.py", project / "scenes" / "common.py")
    env = dict(os.environ, PYTHONPATH=str(ROOT), SITE_COMMIT="0123456789abcdef", SITE_COMMIT_DATE="2026-01-02")
    for target, body in runnable_blocks():
        if target == "shell":
            for command in body.strip().split("\n"):
                command = command.replace("python -m generator", f"{sys.executable} -m generator", 1)
                result = subprocess.run(command, shell=True, cwd=project, env=env, capture_output=True, text=True,
                                        timeout=900)
                assert result.returncode == 0, f"{command}\n{result.stderr}"
        else:
            path = project / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
    return project


def test_guide_has_runnable_examples_of_every_part():
    targets = [target for target, _ in runnable_blocks()]
    for part in ("experiments.py", "lesson.md", "widget.py", "widget.js", "scenes/", "/tests/test_", "shell"):
        assert any(part in t for t in targets), f"no runnable example of {part}"


def test_the_guides_lesson_builds_with_its_widget_video_and_facts(followed):
    site = followed / "build" / "site"
    page = (site / "06-momentum" / "index.html").read_text()
    assert 'data-widget="path-pair"' in page and "../video/06-momentum--two-paths-dark.mp4" in page
    assert (site / "video" / "06-momentum--two-paths-light.mp4").stat().st_size > 1000
    assert (site / "06-momentum" / "downloads" / "momentum" / "final-w.pt").is_file()
    assert 'data-fact="momentum.beta">0.9<' in page
    assert not (followed / "content" / "06-momentum" / "widgets" / "step-path").exists()


def test_the_guides_widget_js_reads_only_declared_fields(followed):
    from generator.widgets import read_widget
    from tests.js_fields import undeclared_reads, uses_data

    widget = read_widget(followed / "content" / "06-momentum" / "widgets" / "path-pair", followed, "06-momentum")
    source = widget.js.read_text()
    assert uses_data(source) and undeclared_reads(source, widget.data) == []
    assert undeclared_reads(source.replace("path.loss[i]", "path.losses[i]"), widget.data)  # the check can fail


def test_the_guides_claim_test_passes(followed, tmp_path):
    """In the lesson's folder, with the fixtures every lesson gets, as the guide says."""
    from tests.helpers import with_tests

    project = with_tests(followed, tmp_path / "p")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "content/06-momentum/tests/test_claims.py"], cwd=project, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b4 passed\b", result.stdout), result.stdout


def test_the_guides_lesson_prose_is_true_of_its_records(followed):
    """'momentum at a lower [loss]': recomputed from the published data, not the facts."""
    import json

    data = json.loads((followed / "build" / "site" / "06-momentum" / "data" /
                       "path-pair--plain-momentum.json").read_text())
    final = {p["run"]: p["loss"][-1] for p in data["paths"]}
    assert final["momentum"] < final["plain"]


# --------------------------------------------------------------------------- complete and current
def commands_and_options() -> dict[str, list[str]]:
    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: [o for a in p._actions for o in a.option_strings if o.startswith("--") and o != "--help"]
            for name, p in sub.choices.items()}


def test_every_command_and_option_is_documented():
    text = guide()
    commands = commands_and_options()
    assert {"build", "serve", "clean", "new", "widgets"} <= set(commands)
    for command, options in commands.items():
        assert f"python -m generator {command}" in text, f"command '{command}' is not in the guide"
        for option in options:
            assert option in text, f"option {command} {option} is not in the guide"


def test_every_built_in_widget_and_front_matter_key_is_documented():
    text = guide()
    for name in catalogue(ROOT):
        assert f"#### `{name}`" in text
    for key in FRONT_MATTER:
        assert f"| `{key}` |" in text, f"front-matter key {key} is not in the guide's table"
    for suffix in LESSON_ASSET_SUFFIXES:
        assert f"`{suffix}`" in text, f"published file type {suffix} is not in the guide"


def js_exports(path: Path) -> list[str]:
    """Names a JS module exports, and the methods and constructor options of its classes."""
    source = path.read_text(encoding="utf-8")
    names = re.findall(r"^export (?:async )?(?:function|class|const) (\w+)", source, re.M)
    for cls in re.findall(r"^export class (\w+)", source, re.M):
        body = source[source.index(f"export class {cls}"):]
        body = body[:body.index("\n}\n")]
        names += [m for m in re.findall(r"^  (\w+)\(", body, re.M) if m != "constructor"]
        options = re.search(r"constructor\(\w+, \{([^}]*)\}", body)
        names += re.findall(r"(\w+)(?: = [^,]+)?(?:,|$)", options[1]) if options else []
    return names


def test_every_exported_helper_is_documented():
    """Every export of chart.js and mount.js (and Plot's methods and options), and every public
    function of generator.widget_api, named in the guide as code."""
    import inspect

    from generator import widget_api

    text = guide()
    js = ROOT / "templates" / "static" / "js"
    names = js_exports(js / "chart.js") + js_exports(js / "mount.js")
    assert {"Plot", "line", "points", "xLogEpoch", "yLog", "colors", "mountWidgets"} <= set(names)
    names += [n for n, f in vars(widget_api).items() if inspect.isfunction(f) and f.__module__ == widget_api.__name__
              and not n.startswith("_")]
    missing = [n for n in names if not re.search(rf"`[^`]*\b{n}\b[^`]*`", text)]
    assert missing == [], f"not in docs/authoring.md: {missing}"


def test_widget_catalogue_in_the_guide_is_current():
    found = CATALOGUE.search(guide())
    assert found, "the guide has no catalogue markers"
    assert found[2] == catalogue_markdown(catalogue(ROOT)), \
        "the catalogue is stale: run python -m tests.test_docs to refresh it"


def test_palette_tokens_in_the_guide_are_the_themes():
    listed = re.search(r"<!-- palette-tokens -->(.*?)<!-- /palette-tokens -->", guide())[1]
    assert re.findall(r"`(\w+)`", listed) == list(PALETTE["light"]) == list(PALETTE["dark"])


def test_readme_links_the_guide():
    assert "(docs/authoring.md)" in (ROOT / "README.md").read_text()


def refresh_catalogue() -> None:
    """Rewrite the guide's catalogue section from the widgets (python -m tests.test_docs)."""
    text = CATALOGUE.sub(lambda m: m[1] + catalogue_markdown(catalogue(ROOT)) + m[3], guide())
    GUIDE.write_text(text, encoding="utf-8")


def test_the_guides_example_error_is_what_the_build_says(followed, tmp_path):
    documented = re.search(r"^    (error: .*?); known widgets: \.\.\.$", guide(), re.M)[1]
    project = tmp_path / "p"
    shutil.copytree(followed, project, symlinks=True)
    lesson = project / "content" / "06-momentum" / "lesson.md"
    lesson.write_text(lesson.read_text().replace("::: widget path-pair", "::: widget path-pear"))
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--lesson", "06", "--quality", "draft"],
                            cwd=project, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 1
    assert result.stderr.strip().split("\n")[-1].startswith(documented + "; known widgets: "), result.stderr


if __name__ == "__main__":
    refresh_catalogue()
