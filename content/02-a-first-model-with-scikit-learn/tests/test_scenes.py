"""Lesson 02's own scene, k-fold-rotation, as the session build rendered it (draft): it reads
only what it declares, lasts what the page allows, and its captions carry the fold scores of
the cv_folds record. (Both themes, captions, chapters, poster, web-ready video on the theme's
background: tests/test_every_lesson.py.)
"""
from __future__ import annotations

import re

import pytest

from generator.render import probe, read_scene
from tests.plugin import ROOT


@pytest.fixture(scope="module")
def scene(lesson):
    return read_scene(lesson.folder / "scenes" / "k_fold_rotation.py", ROOT, lesson.slug)


def test_scene_declares_class_and_the_record_it_reads(scene, lesson):
    assert scene.class_name == "KFoldRotation"
    assert scene.records == (f"{lesson.slug}/cv_folds",)
    source = (lesson.folder / "scenes" / "k_fold_rotation.py").read_text(encoding="utf-8")
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b", source), "colours come from the palette tokens"


def test_video_lasts_15_to_60_seconds(built_site, scene):
    assert 15 <= probe(built_site / "video" / f"{scene.key}-light.mp4")["duration"] <= 60


def test_captions_state_the_recorded_fold_scores(built_site, records, scene):
    scores = records["cv_folds"]["constants"]["scores"]
    text = (built_site / "video" / f"{scene.key}-light.vtt").read_text(encoding="utf-8")
    for k, score in enumerate(scores, 1):
        assert f"fold {k} scores an accuracy of {score:.3f}" in text
    assert f"Report both: mean {sum(scores) / len(scores):.3f}" in text
    assert all(len(line) <= 60 for line in text.split("\n")), "one caption line at 390 px"
