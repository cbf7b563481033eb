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


def second_run_raises_in_a_worker(p: Path) -> str:
    """Two runs train in worker processes: the error must still come back whole."""
    path = p / LESSON / "experiments.py"
    path.write_text(path.read_text() + "\n\n@run(seed=0)\ndef broken(rec, *, seed: int) -> None:\n"
                    "    raise ValueError('bad data')\n")
    line = path.read_text().split("\n").index("    raise ValueError('bad data')") + 1
    return rf"experiments\.py:{line}: run 'broken' raised ValueError: bad data"


@pytest.mark.parametrize("breakage", [second_run_raises_in_a_worker, unknown_fact, break_front_matter, unknown_key, unknown_run, unknown_widget,
                                      experiment_raises, loss_becomes_nan, missing_lesson_file,
                                      missing_snippet_region, wrong_config_type])
def test_bad_input_is_reported_and_site_kept(good_project, tmp_path, breakage):
    break_and_build(good_project, tmp_path, breakage)
