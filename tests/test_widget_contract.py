"""Widgets and scenes as units: found without registration, checked against what they declare.

A fixture lesson (tests/fixtures/local-units) brings its own widget and its own scene; it
is built in a temporary folder with the project's generator and templates untouched.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.lessons import Embed
from generator.widgets import catalogue, check_embed, data_mismatch
from tests.helpers import ROOT, break_and_build, cli, tree_digest
from tests.js_fields import undeclared_reads, uses_data

LOCAL_UNITS = ROOT / "tests" / "fixtures" / "local-units"
LESSON = "01-two-paths"


def all_widgets():
    """Every widget folder in the project and its fixtures: built-ins and lessons' own."""
    found = list(catalogue(ROOT).values())
    for content in (ROOT / "content", ROOT / "tests" / "fixtures" / "site" / "content", LOCAL_UNITS / "content"):
        for lesson in sorted(p for p in content.iterdir() if p.is_dir()):
            found += [w for w in catalogue(ROOT, lesson).values() if w.lesson is not None]
    return found


def all_scene_names() -> set[str]:
    names = set()
    for folder in [ROOT / "scenes", *(ROOT / "content").glob("*/scenes"), *(LOCAL_UNITS / "content").glob("*/scenes")]:
        for path in folder.glob("*.py"):
            if path.name != "common.py" and not path.name.startswith("_"):
                names |= {path.stem, path.stem.replace("_", "-")}
                names |= set(re.findall(r'^SCENE\s*=\s*"(\w+)"', path.read_text(), re.M))
    return names


# --------------------------------------------------------------------------- the catalogue
def test_built_in_widgets_are_found_by_their_folders():
    widgets = catalogue(ROOT)
    folders = sorted(p.name for p in (ROOT / "templates" / "widgets").iterdir() if p.is_dir())
    assert sorted(widgets) == folders and len(folders) >= 5
    for widget in widgets.values():
        assert widget.doc and widget.js.is_file() and widget.lesson is None
        for arg in widget.args.values():
            assert arg["help"]


def test_a_lessons_own_widget_wins_for_that_lesson_only(tmp_path):
    lesson = tmp_path / "content" / "02-x"
    shutil.copytree(ROOT / "templates" / "widgets" / "layer-playground", lesson / "widgets" / "layer-playground")
    mine = catalogue(ROOT, lesson)["layer-playground"]
    assert mine.lesson == "02-x" and mine.folder == lesson / "widgets" / "layer-playground"
    assert catalogue(ROOT)["layer-playground"].lesson is None


def test_generator_names_no_widget_or_scene():
    names = {w.name for w in all_widgets()} | all_scene_names()
    assert {"overfit-player", "three-knobs", "path-pair", "watch-the-fit", "WatchTheFit"} <= names
    for module in sorted((ROOT / "generator").glob("*.py")):
        text = module.read_text()
        # Also in prose ("the loss landscape"): a docstring naming a widget is naming it too.
        forms = {n: [n, n.replace("-", " ")] for n in names}
        named = sorted(n for n, spelled in forms.items()
                       if any(re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text, re.I) for s in spelled))
        assert not named, f"generator/{module.name} names {named}"


# --------------------------------------------------------------------------- the data contract
@pytest.mark.parametrize("widget", all_widgets(), ids=lambda w: f"{w.lesson or 'built-in'}/{w.name}")
def test_widget_js_reads_only_declared_fields(widget):
    source = widget.js.read_text()
    assert uses_data(source), "name the data `const data = w.data;` so the check can follow it"
    assert undeclared_reads(source, widget.data) == []


def test_the_field_check_finds_undeclared_reads():
    widget = catalogue(ROOT)["three-knobs"]
    source = widget.js.read_text()
    assert "s.weight_norm" in source and "knob.name" in source
    assert undeclared_reads(source.replace("s.weight_norm", "s.weight_nrm"), widget.data) \
        and "weight_nrm" in undeclared_reads(source.replace("s.weight_norm", "s.weight_nrm"), widget.data)[0]
    assert undeclared_reads(source.replace("knob.name}", "knob.title}"), widget.data)  # a callback parameter
    assert undeclared_reads(source + "\nconst { epochs, nope } = data;\n", widget.data)  # destructuring
    player = catalogue(ROOT)["overfit-player"]
    assert undeclared_reads(player.js.read_text().replace("snaps.train_loss[i]", "snaps.train[i]"), player.data)


def test_data_mismatch_names_the_first_wrong_field():
    spec = {"epochs": "int", "loss": "float[]", "paths": [{"w": "float[][]", "note": "str?"}]}
    good = {"epochs": 3, "loss": [1, 0.5], "paths": [{"w": [[0.0, 1.0]], "note": None}]}
    assert data_mismatch(spec, good, "data") is None
    assert data_mismatch(spec, {**good, "extra": 1}, "data") == "data.extra is not declared"
    assert data_mismatch(spec, {"loss": [], "paths": []}, "data") == "data.epochs is missing"
    assert "data.loss[1]" in data_mismatch(spec, {**good, "loss": [1.0, "x"]}, "data")
    assert "data.paths[0].w" in data_mismatch(spec, {**good, "paths": [{"w": [0.0], "note": "a"}]}, "data")
    assert "DATA says int" in data_mismatch(spec, {**good, "epochs": True}, "data")


def embed(args: dict[str, str], name: str = "layer-playground") -> Embed:
    return Embed("widget", name, args, "", 7)


@pytest.mark.parametrize("args, name, message", [
    ({"activation": "relu"}, "no-such-widget", r"lesson\.md:7: unknown widget 'no-such-widget'.*known widgets"),
    ({"actvation": "relu"}, "layer-playground", r"lesson\.md:7: .*has no argument 'actvation'.*it takes: activation"),
    ({"activation": "gelu"}, "layer-playground", r"lesson\.md:7: .*activation=gelu.*use one of: identity, relu"),
    ({}, "overfit-player", r"lesson\.md:7: .*needs run=RUN"),
    ({"run": "overfitt"}, "overfit-player", r"lesson\.md:7: .*names run 'overfitt'.*declared runs: overfit"),
])
def test_embed_arguments_are_checked_against_args(args, name, message):
    with pytest.raises(BuildError) as caught:
        check_embed(embed(args, name), ROOT / "content" / "x" / "lesson.md", {"overfit"}, catalogue(ROOT), ROOT)
    assert re.search(message, str(caught.value)), str(caught.value)


def test_defaults_are_filled_in():
    widget, args = check_embed(embed({}), ROOT / "lesson.md", set(), catalogue(ROOT), ROOT)
    assert args == {"activation": "relu"} and widget.runs_of(args) == []


# --------------------------------------------------------------------------- a lesson's own units
@pytest.fixture(scope="module")
def local_project(tmp_path_factory) -> Path:
    """The fixture lesson built with the real generator, templates and scenes/common.py."""
    project = tmp_path_factory.mktemp("local") / "project"
    shutil.copytree(LOCAL_UNITS / "content", project / "content")
    shutil.copytree(ROOT / "templates", project / "templates")
    (project / "scenes").mkdir()
    shutil.copy(ROOT / "scenes" / "common.py", project / "scenes" / "common.py")
    before = {name: tree_digest(ROOT / name) for name in ("generator", "templates")}
    result = cli(project, "build", "--quality", "draft")
    assert result.returncode == 0, result.stderr
    # Nothing of the project's own generator or templates was touched to do it.
    assert {name: tree_digest(ROOT / name) for name in ("generator", "templates")} == before
    return project


def test_lesson_with_its_own_widget_and_scene_builds(local_project):
    site = local_project / "build" / "site"
    page = (site / LESSON / "index.html").read_text()
    assert 'data-widget="path-pair"' in page and 'data-module="widgets/path-pair/widget.js"' in page
    # The widget's CSS joins the page's inline styles (no render-blocking request).
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    assert ".path-pair-note{font-style: italic}" in style
    assert (site / LESSON / "widgets" / "path-pair" / "widget.js").is_file()
    assert (site / LESSON / "widgets" / "path-pair" / "widget.css").is_file()
    assert not list(site.rglob("widget.py"))  # the build's part stays out of the site
    for theme in ("light", "dark"):
        assert (site / "video" / f"{LESSON}--path-pair-{theme}.mp4").stat().st_size > 1000
        assert f"../video/{LESSON}--path-pair-{theme}.mp4" in page
    assert (site / LESSON / "data" / "path-pair--plain-momentum-light.png").is_file()
    # 2-D weight paths went through the Recorder and came back with their shape.
    import json

    data = json.loads((site / LESSON / "data" / "path-pair--plain-momentum.json").read_text())
    assert [len(p["w"][0]) for p in data["paths"]] == [2, 2] and len(data["paths"][0]["w"]) == 31


def test_pages_without_a_widget_link_no_widget_styles(local_project):
    index = (local_project / "build" / "site" / "index.html").read_text()
    assert "widget.css" not in index and ".path-pair-note" not in index


def test_editing_one_widget_re_exports_only_its_embeds(local_project, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(local_project, project, symlinks=True)
    css = project / "content" / LESSON / "widgets" / "path-pair" / "widget.css"
    css.write_text(css.read_text() + "/* edited */\n")
    result = cli(project, "build", "--quality", "draft", "--why")
    assert result.returncode == 0, result.stderr
    rebuilt = [line for line in result.stdout.split("\n") + result.stderr.split("\n") if line.startswith(("export/",
                                                                                                        "runs/",
                                                                                                        "render/"))]
    assert rebuilt == [f"export/{LESSON}/path-pair--plain-momentum: changed: "
                       f"widget:content/{LESSON}/widgets/path-pair/widget.css"], rebuilt


@pytest.mark.parametrize("breakage", ["undeclared-field", "scene-load", "scene-records", "widget-arg"])
def test_bad_units_give_one_line(local_project, tmp_path, breakage):
    lesson = Path("content") / LESSON

    def break_it(project: Path) -> str:
        if breakage == "undeclared-field":
            path = project / lesson / "widgets" / "path-pair" / "widget.py"
            path.write_text(path.read_text().replace('{"paths": [', '{"extra": 1, "paths": ['))
            return r"lesson\.md:\d+: widget 'path-pair' export does not match its DATA: data\.extra is not declared"
        if breakage == "scene-load":
            path = project / lesson / "scenes" / "path_pair.py"
            path.write_text(path.read_text().replace('load_record("01-two-paths/momentum")',
                                                     'load_record("01-two-paths/momentun")'))
            return r"scenes/path_pair\.py:18: scene 'path-pair' loads record '01-two-paths/momentun', " \
                   r"which its RECORDS does not list"
        if breakage == "scene-records":
            path = project / lesson / "scenes" / "path_pair.py"
            path.write_text(path.read_text().replace('"01-two-paths/momentum"]',
                                                     '"01-two-paths/momentum", "01-two-paths/x"]'))
            return r"scenes/path_pair\.py:\d+: scene 'path-pair' reads record '01-two-paths/x', " \
                   r"which no lesson declares"
        path = project / lesson / "lesson.md"
        path.write_text(path.read_text().replace("runs=plain,momentum", "runs=plain,momentum colour=red"))
        return r"lesson\.md:\d+: widget 'path-pair' has no argument 'colour'"

    break_and_build(local_project, tmp_path, break_it)


@pytest.mark.browser
def test_a_lessons_own_widget_mounts_in_the_browser(local_project, page):
    from tests.plugin import SiteServer

    server = SiteServer(local_project / "build" / "site", "/repo/")
    try:
        tab, watch = page
        tab.goto(server.url(f"{LESSON}/index.html"))
        # Widgets mount as they near the viewport: bring this one there first.
        tab.locator("figure[data-widget='path-pair']").first.scroll_into_view_if_needed()
        tab.wait_for_selector("figure[data-widget='path-pair'][data-ready='true']")
        figure = tab.locator("figure[data-widget='path-pair']")
        assert figure.get_attribute("data-points") == "62"
        light = figure.get_attribute("data-drawn-with")
        tab.click("#theme-toggle")
        assert figure.get_attribute("data-drawn-with") not in (light, None)  # redrawn in the new palette
        assert tab.locator(".path-pair-note").evaluate("e => getComputedStyle(e).fontStyle") == "italic"
        assert watch.errors == [] and watch.foreign_requests() == []
    finally:
        server.close()


# --------------------------------------------------------------------------- lesson 01's charts
def test_chart_text_is_at_least_12_css_px():
    sources = [ROOT / "templates" / "static" / "js" / "chart.js"] + [w.js for w in catalogue(ROOT).values()]
    sizes = [int(m) for path in sources for m in re.findall(r"(\d+(?:\.\d+)?)px [\w-]", path.read_text())
             if "." not in m]
    assert sizes and min(sizes) >= 12
