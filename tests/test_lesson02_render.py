"""Lesson 02's own scene, k-fold-rotation, as the session build rendered it (draft).

It must exist in both themes with the theme's background, its captions must carry the
fold scores of the cv_folds record, and the scene file must read only what it declares.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.render import faststart, probe, read_scene
from generator.theme import THEMES, manim_colors
from tests.test_render import close, frame_pixels, hex_rgb

ROOT = Path(__file__).resolve().parent.parent
SLUG = "02-a-first-model-with-scikit-learn"
SCENE_FILE = ROOT / "content" / SLUG / "scenes" / "k_fold_rotation.py"


def test_scene_declares_class_and_the_record_it_reads():
    scene = read_scene(SCENE_FILE, ROOT)
    assert scene.class_name == "KFoldRotation"
    assert scene.records == (f"{SLUG}/cv_folds",)
    source = SCENE_FILE.read_text(encoding="utf-8")
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b", source), "colours come from the palette tokens"


@pytest.mark.slow
@pytest.mark.parametrize("theme", THEMES)
def test_video_in_each_theme(built_site, theme):
    video = built_site / "video" / f"{SLUG}--k-fold-rotation-{theme}.mp4"
    info = probe(video)
    assert (info["codec"], info["pix_fmt"], info["width"], info["height"]) == ("h264", "yuv420p", 854, 480)
    assert 15 <= info["duration"] <= 60
    assert faststart(video)
    background = hex_rgb(manim_colors(theme)["background"])
    for at in (0.5, info["duration"] - 0.5):
        pixels = frame_pixels(video, at)
        for x, y in [(2, 2), (851, 2), (2, 477), (851, 477)]:
            offset = (y * 854 + x) * 3
            assert close(tuple(pixels[offset:offset + 3]), background), f"corner {x},{y} at {at}s, {theme}"


@pytest.mark.slow
def test_captions_state_the_recorded_fold_scores(built_site, built_records):
    record = json.loads(built_records[f"{SLUG}/cv_folds"].read_text())
    scores = record["constants"]["scores"]
    text = (built_site / "video" / f"{SLUG}--k-fold-rotation-light.vtt").read_text(encoding="utf-8")
    assert text.startswith("WEBVTT")
    for k, score in enumerate(scores, 1):
        assert f"fold {k} scores an accuracy of {score:.3f}" in text
    mean = sum(scores) / len(scores)
    assert f"Report both: mean {mean:.3f}" in text
    assert all(len(line) <= 60 for line in text.split("\n")), "one caption line at 390 px"
    assert text == (built_site / "video" / f"{SLUG}--k-fold-rotation-dark.vtt").read_text(encoding="utf-8")
