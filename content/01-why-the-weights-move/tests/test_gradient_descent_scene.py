"""The shared 'gradient-descent' scene: this lesson's learning-rate runs replayed on L(w).

Fast tests check what the build reads from the scene file without importing Manim, and
that the records it reads hold what the scene draws (the parabola, a run that settles,
one that overshoots). The slow test renders it at draft quality in both themes.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from generator.cache import Cache
from generator.plan import BuildContext
from generator.render import faststart, probe, read_scene, render_scenes, scene_files
from generator.theme import THEMES, manim_colors
from tests.plugin import ROOT
from tests.test_render import Progress, close, frame_pixels, hex_rgb

SCENE_FILE = ROOT / "scenes" / "gradient_descent.py"
LESSON = Path(__file__).parents[1].name
EXPERIMENTS = ROOT / "content" / LESSON / "experiments.py"
RUNS = ("lr_good", "lr_oscillate")


@pytest.fixture(scope="module")
def specs():
    from generator.training import load_experiments

    return {s.name: s for s in load_experiments(EXPERIMENTS, ROOT)}


@pytest.fixture(scope="module")
def records(specs):
    """The two learning-rate runs the scene reads, executed (40 steps each: fast)."""
    from generator.authoring import execute

    return {name: execute(specs[name]) for name in RUNS}


# --------------------------------------------------------------------------- fast: the scene file
def test_scene_declares_class_and_records():
    scene = read_scene(SCENE_FILE, ROOT)
    assert SCENE_FILE in scene_files(ROOT / "scenes")
    assert (scene.name, scene.class_name) == ("gradient-descent", "GradientDescent")
    assert scene.records == tuple(f"{LESSON}/{name}" for name in RUNS)
    assert scene.deps == (ROOT / "scenes" / "common.py",)


def test_scene_reads_only_recorded_runs(specs):
    scene = read_scene(SCENE_FILE, ROOT)
    for run_id in scene.records:
        lesson, name = run_id.split("/")
        assert lesson == LESSON and name in specs, f"{run_id} is not a run of {LESSON}"


def test_scene_has_no_colour_literals_or_latex():
    source = SCENE_FILE.read_text(encoding="utf-8")
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b", source), "colours come from the palette tokens"
    imported = {alias.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    assert not imported & {"MathTex", "Tex", "Integer", "DecimalNumber"}  # these need LaTeX


# --------------------------------------------------------------------------- fast: what it draws
@pytest.mark.parametrize("name", RUNS)
def test_records_lie_on_the_parabola_the_scene_draws(records, name):
    const, series = records[name]["constants"], records[name]["series"]
    w = np.array(series["w"])
    assert {"c2", "c1", "c0", "w_star", "b", "lr"} <= set(const)
    assert len(w) == len(series["loss"]) == len(series["grad"]) == len(series["step"]) > 2
    # The scene draws L(w) = c2 w² + c1 w + c0 and puts each recorded step on it.
    assert np.allclose(series["loss"], const["c2"] * w ** 2 + const["c1"] * w + const["c0"], rtol=1e-6, atol=1e-9)
    assert np.allclose(series["grad"], 2 * const["c2"] * w + const["c1"], rtol=1e-6, atol=1e-9)
    assert const["w_star"] == pytest.approx(-const["c1"] / (2 * const["c2"]))


def test_same_parabola_good_settles_large_overshoots(records):
    good, large = records["lr_good"], records["lr_oscillate"]
    for key in ("c2", "c1", "c0", "w_star"):
        assert good["constants"][key] == large["constants"][key]
    assert good["constants"]["lr"] < large["constants"]["lr"]
    w_star = good["constants"]["w_star"]
    gap_good = np.array(good["series"]["w"]) - w_star
    gap_large = np.array(large["series"]["w"]) - w_star
    # Sides only count while w is measurably off w* (a settled run rounds to either side).
    side_good = np.sign(gap_good[np.abs(gap_good) > 1e-6])
    side_large = np.sign(gap_large[np.abs(gap_large) > 1e-6])
    assert len(side_large) > 10
    assert np.all(side_good[1:] == side_good[0])   # slides down one side
    assert np.all(side_large[1:] != side_large[:-1])  # crosses the minimum on every step
    for rec in (good, large):  # both settle, and stay inside the view the scene sizes from them
        assert abs(rec["series"]["w"][-1] - w_star) < 0.01
        assert not rec["facts"]["diverged"]


# --------------------------------------------------------------------------- slow: the videos
@pytest.fixture(scope="module")
def rendered(built_site, built_records):
    """The scene as the session build rendered it (draft, both themes), from its cache."""
    from tests.plugin import TEST_CACHE

    paths = {f"{LESSON}/{name}": built_records[f"{LESSON}/{name}"] for name in RUNS}
    return render_scenes(ROOT / "scenes", paths, BuildContext(ROOT, Cache(TEST_CACHE), Progress(), 2, "draft"),
                         only={"gradient-descent"})["gradient-descent"]


@pytest.mark.slow
@pytest.mark.parametrize("theme", THEMES)
def test_video_in_each_theme(rendered, theme):
    files = rendered[theme]
    info = probe(files["video"])
    assert (info["codec"], info["pix_fmt"], info["width"], info["height"]) == ("h264", "yuv420p", 854, 480)
    assert 20 <= info["duration"] <= 45
    assert faststart(files["video"])
    background = hex_rgb(manim_colors(theme)["background"])
    assert (sum(background) / 3 > 128) == (theme == "light")
    for at in (1.0, info["duration"] - 0.5):
        pixels = frame_pixels(files["video"], at)
        for x, y in [(2, 2), (851, 2), (2, 477), (851, 477)]:
            offset = (y * 854 + x) * 3
            assert close(tuple(pixels[offset:offset + 3]), background), f"corner {x},{y} at {at}s, {theme}"


@pytest.mark.slow
def test_captions_name_both_rates(rendered, records):
    text = rendered["light"]["captions"].read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n")
    for rec in records.values():
        assert f"Learning rate {rec['constants']['lr']:g}" in text
    assert text == rendered["dark"]["captions"].read_text(encoding="utf-8")
