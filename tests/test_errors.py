"""Bad input: one line naming file and line, a non-zero exit, and the previous site intact."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import break_and_build, cli, fixture_project

LESSON = "content/01-tiny-lesson"


@pytest.fixture(scope="module")
def good_project(tmp_path_factory) -> Path:
    project = fixture_project(tmp_path_factory.mktemp("errors"))
    result = cli(project, "build", "--quality", "draft")
    assert result.returncode == 0, result.stderr
    return project


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def break_front_matter(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "summary: One widget", "summary: [One widget")
    return r"lesson\.md:3: front matter is not valid YAML"


def unknown_key(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "prerequisites:", "titel: oops\nprerequisites:")
    return r"lesson\.md:4: unknown front-matter key 'titel'; allowed keys: title"


def unknown_run(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "run=tiny", "run=tinny")
    return r"lesson\.md:\d+: widget 'overfit-player' names run 'tinny'.*declared runs: tiny"


def unknown_widget(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "::: widget overfit-player", "::: widget overfit-slider")
    return r"lesson\.md:\d+: unknown widget 'overfit-slider' \(did you mean 'overfit-player'\?\); known widgets: .*overfit-player"


def experiment_raises(p: Path) -> str:
    edit(p / LESSON / "experiments.py", "    grid = np.linspace(-1, 1, 21)",
         "    grid = np.linspace(-1, 1, 21)\n    raise RuntimeError('boom')")
    return r"experiments\.py:\d+: run 'tiny' raised RuntimeError: boom; fix the experiment"


def loss_becomes_nan(p: Path) -> str:
    edit(p / LESSON / "experiments.py", "train_loss=loss_fn(model(xt), yt)",
         "train_loss=loss_fn(model(xt), yt) * (float('nan') if epoch == 5 else 1.0)")
    return r"experiments\.py:\d+: run 'tiny' recorded a non-finite train_loss at step 5"


def missing_lesson_file(p: Path) -> str:
    (p / LESSON / "lesson.md").unlink()
    return r"content/01-tiny-lesson/lesson\.md: lesson file is missing"


def missing_snippet_region(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "region=model", "region=modle")
    return r"lesson\.md:\d+: '.*experiments\.py' has no region 'modle'; regions there: model"


def wrong_config_type(p: Path) -> str:
    edit(p / LESSON / "experiments.py", "epochs=30,", "epochs='30',")
    return r"experiments\.py:\d+: run 'tiny' config 'epochs' is str '30'; it must be int"


def unknown_fact(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "[[tiny.epochs]]", "[[tiny.epoch]]")
    return r"lesson\.md:\d+: run 'tiny' recorded no fact 'epoch' \(did you mean 'epochs'\?\); its facts: epochs, final_val_loss"


def fact_is_none(p: Path) -> str:
    """An unreached target recorded as None must not print the word 'None' into the prose."""
    edit(p / LESSON / "experiments.py", "epochs=epochs)", "epochs=None)")
    n = line_of(p / LESSON / "lesson.md", "[[tiny.epochs")
    return rf"lesson\.md:{n}: tiny\.epochs is None, not a number the prose can state; change the run"


def fact_is_nan(p: Path) -> str:
    edit(p / LESSON / "experiments.py", "final_val_loss=rec.series[\"val_loss\"][-1]", "final_val_loss=float('nan')")
    n = line_of(p / LESSON / "lesson.md", "[[tiny.final_val_loss")
    return rf"lesson\.md:{n}: tiny\.final_val_loss is nan, not a number the prose can state"


def unknown_citation(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "shows [@example2020]", "shows [@exampel2020]")
    return (r"lesson\.md:18: citation \[@exampel2020\] names no reference; give a reference 'key: exampel2020' "
            r"in the front matter, or use one of: plain2019, example2020")


def duplicate_reference_key(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "    key: plain2019", "    key: example2020")
    return r"lesson\.md:12: reference key 'example2020' is used twice; give each reference its own key"


def uncited_reference(p: Path) -> str:
    """Every reference is cited: one the prose never names is reported at its own line."""
    edit(p / LESSON / "lesson.md", " [@plain2019]", "")
    return (r"lesson\.md:9: reference 'plain2019' is never cited in the text; cite it with \[@plain2019\] "
            r"where the text relies on it, or drop it")


def reference_without_key(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "    key: plain2019\n", "")
    edit(p / LESSON / "lesson.md", " [@plain2019]", "")
    return r"lesson\.md:8: reference 1 has no key, so the prose cannot cite it"


def second_run_raises_in_a_worker(p: Path) -> str:
    """Two runs train in worker processes: the error must still come back whole."""
    path = p / LESSON / "experiments.py"
    path.write_text(path.read_text() + "\n\n@run(seed=0)\ndef broken(rec, *, seed: int) -> None:\n"
                    "    raise ValueError('bad data')\n")
    line = path.read_text().split("\n").index("    raise ValueError('bad data')") + 1
    return rf"experiments\.py:{line}: run 'broken' raised ValueError: bad data"


@pytest.mark.parametrize("breakage", [second_run_raises_in_a_worker, unknown_fact, fact_is_none, fact_is_nan,
                                      unknown_citation, duplicate_reference_key, uncited_reference, reference_without_key,
                                      break_front_matter, unknown_key,
                                      unknown_run, unknown_widget,
                                      experiment_raises, loss_becomes_nan, missing_lesson_file,
                                      missing_snippet_region, wrong_config_type])
def test_bad_input_is_reported_and_site_kept(good_project, tmp_path, breakage):
    break_and_build(good_project, tmp_path, breakage)


# --------------------------------------------------------------------------- more bad input (issue 10)
def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().split("\n"), 1) if text in line)


def not_utf8(p: Path) -> str:
    path = p / LESSON / "lesson.md"
    n = line_of(path, "## The widget")
    path.write_bytes(path.read_bytes().replace(b"## The widget", b"## The widget \xe9t\xe9"))
    return rf"lesson\.md:{n}: the file is not UTF-8 text \(byte 0xe9\); save it as UTF-8"


def code_embed_on_a_binary_file(p: Path) -> str:
    (p / LESSON / "weights.bin").write_bytes(bytes(range(256)))
    edit(p / LESSON / "lesson.md", "::: code content/01-tiny-lesson/experiments.py region=model",
         "::: code content/01-tiny-lesson/weights.bin")
    n = line_of(p / LESSON / "lesson.md", "weights.bin")
    return rf"lesson\.md:{n}: code embed names 'content/01-tiny-lesson/weights\.bin', which is not UTF-8 text"


def series_number_in_words(p: Path) -> str:
    edit(p / "content" / "series.yaml", "number: 2", "number: five")
    return r"content/series\.yaml:4: series file: planned lesson number 'five' is not a whole number from 1 to 99"


def series_number_null(p: Path) -> str:
    edit(p / "content" / "series.yaml", "number: 2", "number: null")
    return r"content/series\.yaml:4: series file: planned lesson number None is not a whole number"


def series_planned_not_a_list(p: Path) -> str:
    text = (p / "content" / "series.yaml").read_text()
    (p / "content" / "series.yaml").write_text(text.split("planned:")[0] + "planned: 5\n")
    return r"content/series\.yaml:3: series file: 'planned' must be a list, got int"


def series_not_yaml(p: Path) -> str:
    edit(p / "content" / "series.yaml", "title: Fixture series", "title: [Fixture series")
    return r"content/series\.yaml:1: series file is not valid YAML"


def unwritable_build_folder(p: Path) -> str:
    """build/ that cannot be written (as root, permissions do not stop writes: a file stands in the way)."""
    import os
    import shutil

    edit(p / LESSON / "experiments.py", "epochs=30,", "epochs=31,")  # training must write a new entry
    records = p / "build" / "cache" / "record"
    if os.geteuid() == 0:
        shutil.rmtree(records)
        records.write_text("not a folder")
    else:
        records.chmod(0o555)
    return r"error: \S*build/cache/record\S*: cannot read or write it \(.+\); check that build/ is a writable folder"


def unclosed_display_math(p: Path) -> str:
    path = p / LESSON / "lesson.md"
    n = line_of(path, "$$")
    edit(path, "\\frac{\\partial L}{\\partial w}\n$$", "\\frac{\\partial L}{\\partial w}\n")
    return rf"lesson\.md:{n}: a '\$\$' block is never closed; fix the TeX"


def invalid_tex(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "## The widget", "Squared: $x^$.\n\n## The widget")
    n = line_of(p / LESSON / "lesson.md", "Squared")
    return rf"lesson\.md:{n}: cannot typeset \$x\^\$: missing super script or subscript; fix the TeX"


def unclosed_brace_in_tex(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "## The widget", "Half: $\\frac{1}{2$.\n\n## The widget")
    n = line_of(p / LESSON / "lesson.md", "Half")
    return rf"lesson\.md:{n}: cannot typeset \$\\frac\{{1\}}\{{2\$: 1 '\{{' never closed; fix the TeX"


def missing_poster_scene(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "next:", "poster: no-such-scene\nnext:")
    n = line_of(p / LESSON / "lesson.md", "poster:")
    return rf"lesson\.md:{n}: video 'no-such-scene' has no scene file; add scenes/no_such_scene\.py"


def code_embed_without_a_name(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "::: code content/01-tiny-lesson/experiments.py region=model |", "::: code |")
    n = line_of(p / LESSON / "lesson.md", "::: code")
    return rf"lesson\.md:{n}: '::: code' needs a name; write '::: code NAME"


def video_without_a_name(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "## The snippet", "::: video\n\n## The snippet")
    n = line_of(p / LESSON / "lesson.md", "::: video")
    return rf"lesson\.md:{n}: '::: video' needs a name"


def two_lessons_with_one_number(p: Path) -> str:
    import shutil

    shutil.copytree(p / LESSON, p / "content" / "01-another-lesson")
    return r"content/01-tiny-lesson: lesson number 01 is also used by 01-another-lesson; give each lesson folder"


def raw_html_image_to_nothing(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "## The widget", "<div class=\"wide\"><img src='missing.png' alt=\"A plot\"></div>\n\n## The widget")
    n = line_of(p / LESSON / "lesson.md", "missing.png")
    return rf"lesson\.md:{n}: 'missing\.png' points to no file of the built site"


def reference_url_to_nothing(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "    key: plain2019",
         "    key: plain2019\n  - text: A local page.\n    url: ../02-nowhere/notes.html\n    key: local2021")
    edit(p / LESSON / "lesson.md", "[@plain2019]", "[@plain2019; @local2021]")  # cited, as every reference must be
    n = line_of(p / LESSON / "lesson.md", "02-nowhere")
    return rf"lesson\.md:{n}: reference url '\.\./02-nowhere/notes\.html' points to no file of the built site"


def next_names_itself(p: Path) -> str:
    edit(p / LESSON / "lesson.md", 'next: ["02"]', 'next: ["02", "01"]')
    n = line_of(p / LESSON / "lesson.md", "next:")
    return rf"lesson\.md:{n}: 'next' names lesson 01, which is this lesson itself"


def huge_fact_width(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "[[tiny.epochs]]", "[[tiny.epochs:>300000000]]")
    n = line_of(p / LESSON / "lesson.md", "300000000")
    return rf"lesson\.md:{n}: format '>300000000' asks for 300000000 characters or digits, over the limit of 100"


def huge_fact_precision(p: Path) -> str:
    edit(p / LESSON / "lesson.md", "[[tiny.final_val_loss:.3f]]", "[[tiny.final_val_loss:.5000f]]")
    n = line_of(p / LESSON / "lesson.md", ".5000f")
    return rf"lesson\.md:{n}: format '\.5000f' asks for 5000 characters"


def huge_embed_line(p: Path) -> str:
    """3 MB of argument: refused at once (shlex would take minutes on it)."""
    edit(p / LESSON / "lesson.md", "run=tiny |", "run=tiny note=" + "x" * 3_000_000 + " |")
    n = line_of(p / LESSON / "lesson.md", "note=")
    return rf"lesson\.md:{n}: embed line is 3000\d\d\d characters long, over the limit of 2000"


@pytest.mark.parametrize("breakage", [
    not_utf8, code_embed_on_a_binary_file, series_number_in_words, series_number_null, series_planned_not_a_list,
    series_not_yaml, unwritable_build_folder, unclosed_display_math, invalid_tex, unclosed_brace_in_tex,
    missing_poster_scene, code_embed_without_a_name, video_without_a_name, two_lessons_with_one_number,
    raw_html_image_to_nothing, reference_url_to_nothing, next_names_itself, huge_fact_width, huge_fact_precision,
    huge_embed_line])
def test_more_bad_input_is_one_line_and_site_kept(good_project, tmp_path, breakage):
    break_and_build(good_project, tmp_path, breakage)


def test_optional_front_matter_keys_are_optional_and_a_bom_is_accepted(good_project, tmp_path):
    import shutil

    project = tmp_path / "p"
    shutil.copytree(good_project, project, symlinks=True)
    path = project / LESSON / "lesson.md"
    text = path.read_text()
    front, body = text.split("\n---\n", 1)
    minimal = "\n".join(line for line in front.split("\n") if line.startswith(("---", "title:", "summary:")))
    import re

    body = re.sub(r" ?\[@[\w:-]+\]", "", body)  # citations name references, which are gone too
    path.write_bytes("\ufeff".encode() + f"{minimal}\n---\n{body}".encode())
    result = cli(project, "build", "--quality", "draft")
    assert result.returncode == 0, result.stderr
    page = (project / "build" / "site" / "01-tiny-lesson" / "index.html").read_text()
    assert "A tiny lesson" in page and 'id="prerequisites"' not in page and 'id="references"' not in page


SMALL_PAGE_LIMIT = """
import sys
import generator.pages as pages
pages.MAX_PAGE_BYTES = 4096  # the fixture's page is larger: it must be refused
from generator.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_page_over_the_size_limit_is_one_line(good_project, tmp_path):
    import os
    import re
    import shutil
    import subprocess
    import sys

    from tests.helpers import ROOT, tree_digest

    project = tmp_path / "p"
    shutil.copytree(good_project, project, symlinks=True)
    before = tree_digest(project / "build" / "site")
    edit(project / LESSON / "lesson.md", "## The formula", "## The formula, again")
    env = dict(os.environ, SITE_COMMIT="0123456789abcdef", SITE_COMMIT_DATE="2026-01-02T03:04:05+00:00")
    result = subprocess.run([sys.executable, "-c", SMALL_PAGE_LIMIT, "--root", str(project), "build", "--quality",
                             "draft"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert result.returncode == 1
    lines = [line for line in result.stderr.strip().split("\n") if not line.startswith("[")]
    assert len(lines) == 1 and re.fullmatch(rf"error: {LESSON}/lesson\.md: the page would be \d+ KB, over the limit "
                                            "of 4 KB; look for a runaway fact format or embed", lines[0]), result.stderr
    assert tree_digest(project / "build" / "site") == before


def test_readme_states_the_time_limits_the_code_applies():
    import re

    from generator.render import DEFAULT_SCENE_TIMEOUT
    from generator.authoring import DEFAULT_RUN_TIMEOUT
    from tests.helpers import ROOT

    readme = " ".join((ROOT / "README.md").read_text().split())
    assert int(re.search(r"A run that takes longer than (\d+) minutes", readme)[1]) * 60 == DEFAULT_RUN_TIMEOUT
    assert int(re.search(r"A scene may take (\d+) minutes", readme)[1]) * 60 == DEFAULT_SCENE_TIMEOUT
