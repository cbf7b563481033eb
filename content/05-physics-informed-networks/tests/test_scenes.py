"""Lesson 05's own scenes as the session build rendered them: at least two, each lasting what
the page allows, with a bottom band left clear for the captions and captions that follow the
animation. (Both themes, captions, chapters, poster, web-ready video on the theme's
background: tests/test_every_lesson.py.)
"""
from __future__ import annotations

import re

import pytest

from generator.render import probe, read_scene, scene_files
from generator.theme import THEMES, manim_colors
from tests.plugin import ROOT
from tests.test_render import frame_pixels, hex_rgb

BAND = 0.2   # the bottom share of the frame that captions cover (scenes/common.py CAPTION_BAND)


@pytest.fixture(scope="module")
def videos(lesson, built_site) -> dict[str, dict]:
    """Scene key -> {theme: video path} for the lesson's own scenes."""
    scenes = [read_scene(path, ROOT, lesson.slug) for path in scene_files(lesson.folder / "scenes")]
    assert len(scenes) >= 2
    return {s.key: {theme: built_site / "video" / f"{s.key}-{theme}.mp4" for theme in THEMES} for s in scenes}


def test_every_scene_lasts_15_to_60_seconds(videos):
    for name, variants in videos.items():
        assert 15 <= probe(variants["light"])["duration"] <= 60, name


@pytest.mark.slow
@pytest.mark.parametrize("theme", THEMES)
def test_caption_band_stays_clear(videos, theme):
    """Every pixel in the bottom band is the theme's background, at several moments."""
    background = hex_rgb(manim_colors(theme)["background"])
    for name, variants in videos.items():
        info = probe(variants[theme])
        width, height = info["width"], info["height"]
        for share in (0.1, 0.4, 0.7, 0.98):
            band = frame_pixels(variants[theme], info["duration"] * share)[int(height * (1 - BAND)) * width * 3:]
            worst = max(max(abs(band[i + k] - background[k]) for k in range(3)) for i in range(0, len(band), 3 * 7))
            assert worst <= 12, f"{name} {theme} at {share:.0%}: something drawn in the caption band"


def test_captions_follow_the_animation(videos):
    for name, variants in videos.items():
        text = variants["light"].with_suffix(".vtt").read_text(encoding="utf-8")
        cues = re.findall(r"^(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(.+)$", text, re.M)
        assert len(cues) >= 4, name
