"""Lesson 05's own scenes, rendered in both themes: web-ready video, the theme's
background, captions that follow the animation, and a bottom band left clear for them."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from generator.cache import Cache
from generator.progress import Silent
from generator.plan import BuildContext
from generator.render import probe, read_scene, render_scenes
from generator.theme import THEMES, manim_colors

ROOT = Path(__file__).resolve().parent.parent
LESSON = "05-physics-informed-networks"
SCENES = sorted((ROOT / "content" / LESSON / "scenes").glob("*.py"))
WIDTH, HEIGHT = 854, 480
BAND = 0.2   # the bottom share of the frame that captions cover (scenes/common.py CAPTION_BAND)


@pytest.fixture(scope="module")
def rendered(built_site, built_records):
    """The lesson's scenes as the session build rendered them (the cache hands them back)."""
    from tests.plugin import TEST_CACHE

    scenes = [read_scene(path, ROOT, LESSON) for path in SCENES]
    records = {r: built_records[r] for s in scenes for r in s.records}
    why: list[str] = []
    outputs = render_scenes(ROOT / "scenes", records, BuildContext(ROOT, Cache(TEST_CACHE), Silent(), 2, "draft",
                                                                rebuilt=why), only=set(), lesson_scenes=scenes)
    return {name: variants for name, variants in outputs.items() if name.startswith(LESSON)}


def frame(video: Path, at: float) -> bytes:
    return subprocess.run(["ffmpeg", "-v", "error", "-ss", f"{at:.2f}", "-i", str(video), "-frames:v", "1",
                           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout


def hex_rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def test_two_scenes_at_least():
    assert len(SCENES) >= 2


@pytest.mark.slow
def test_every_scene_renders_in_both_themes(rendered):
    assert len(rendered) == len(SCENES)
    for name, variants in rendered.items():
        assert set(variants) == set(THEMES), name
        for theme, files in variants.items():
            info = probe(files["video"])
            assert (info["codec"], info["width"], info["height"]) == ("h264", WIDTH, HEIGHT), (name, theme)
            assert 15 <= info["duration"] <= 60, (name, info["duration"])


@pytest.mark.slow
@pytest.mark.parametrize("theme", THEMES)
def test_background_and_clear_caption_band(rendered, theme):
    """Every pixel in the bottom band is the theme's background, at several moments."""
    background = hex_rgb(manim_colors(theme)["background"])
    for name, variants in rendered.items():
        video = variants[theme]["video"]
        duration = probe(video)["duration"]
        for share in (0.1, 0.4, 0.7, 0.98):
            pixels = frame(video, duration * share)
            first_row = int(HEIGHT * (1 - BAND))
            band = pixels[first_row * WIDTH * 3:]
            worst = max(max(abs(band[i + k] - background[k]) for k in range(3)) for i in range(0, len(band), 3 * 7))
            assert worst <= 12, f"{name} {theme} at {share:.0%}: something drawn in the caption band"
        corner = frame(video, 1.0)[:3]
        assert all(abs(a - b) <= 6 for a, b in zip(corner, background))


@pytest.mark.slow
def test_captions_follow_the_animation(rendered):
    for name, variants in rendered.items():
        text = variants["light"]["captions"].read_text(encoding="utf-8")
        assert text.startswith("WEBVTT\n")
        cues = re.findall(r"^(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(.+)$", text, re.M)
        assert len(cues) >= 4, name
        assert text == variants["dark"]["captions"].read_text(encoding="utf-8")
