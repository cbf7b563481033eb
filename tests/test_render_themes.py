"""One drawing for every theme, and edits that redraw only what changed (generator/frames.py).

A tiny scene of their own, at draft quality, is rendered:
  - drawn in the light palette with dark derived, and drawn natively in dark; the raw frames
    (before any lossy encoding) must agree, and palette colours land on their theme's colour;
  - cold, then edited in a warm cache; the edited video must equal a cold render of the edited
    scene frame for frame, and only the segments whose pictures changed are redrawn.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from generator.cache import Cache
from generator.frames import SEGMENT_SECONDS, ColorMap
from generator.plan import BuildContext
from generator.render import read_scene, render_scenes, sample_frames
from generator.theme import THEMES, manim_colors
from tests.test_render import Progress, write_scene

ROOT = Path(__file__).resolve().parent.parent

# Overlapping translucent markers of two palette colours, text, lines over a filled panel, a
# fade, a colour animation between two tokens, and an updater: what derived themes get wrong
# when they are guessed from finished pixels.
SCENE = """
    from manim import (DOWN, LEFT, RIGHT, UP, Circle, Create, Dot, FadeIn, Line, Rectangle, ValueTracker, VGroup,
                       always_redraw, linear, smooth)
    from common import ThemedScene, label

    SCENE = "Palette"
    RECORDS = []
    LIFT = 0.0  # read only by the dot's updater

    class Palette(ThemedScene):
        def construct(self):
            c = self.c
            title = label("Overlaps and edges", size=30).to_edge(UP)
            panel = Rectangle(width=5, height=2.6, stroke_color=c["border"], stroke_width=3).set_fill(c["surface"], 1)
            panel.shift(0.3 * UP)
            axis = Line(3 * LEFT, 3 * RIGHT, color=c["muted"], stroke_width=6).shift(0.6 * DOWN)
            left = Circle(radius=0.9, color=c["train"], stroke_width=8).set_fill(c["train"], 0.55).shift(0.5 * LEFT)
            right = Circle(radius=0.9, color=c["validation"], stroke_width=8).set_fill(c["validation"], 0.55)
            right.shift(0.5 * RIGHT + 0.4 * UP)
            # Three segments (each at least SEGMENT_SECONDS): the long waits close them.
            self.say("CAPTION_ONE")
            self.play(FadeIn(title), FadeIn(panel), Create(axis), run_time=0.6)
            self.play(FadeIn(left), FadeIn(right), run_time=0.6)
            self.wait(SEGMENT_SECONDS)
            self.say("CAPTION_TWO")
            self.play(left.animate.set_color(c["model"]), run_time=0.6, rate_func=linear)
            self.wait(SEGMENT_SECONDS)
            where = ValueTracker(-2.0)
            dot = always_redraw(lambda: Dot([where.get_value(), LIFT - 0.6, 0], radius=0.14, color=c["highlight"]))
            self.add(dot)
            self.play(where.animate.set_value(2.0), run_time=0.8, rate_func=linear)
            self.wait(0.3)
            self.play(FadeIn(label("the end", size=30, color="truth").shift(1.6 * DOWN)), run_time=0.4)
    """.replace("SEGMENT_SECONDS", repr(SEGMENT_SECONDS))


@pytest.fixture
def scenes_dir(tmp_path) -> Path:
    folder = tmp_path / "scenes"
    folder.mkdir()
    shutil.copy(ROOT / "scenes" / "common.py", folder / "common.py")
    write_scene(folder, "palette.py", SCENE)
    return folder


# --------------------------------------------------------------------------- fast: the colour map
def test_palette_colours_and_their_blends_map_to_the_other_theme():
    light, dark = manim_colors("light"), manim_colors("dark")
    colors = ColorMap(light, dark)

    def rgb(hex_colour):
        return np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])

    for token in light:
        assert np.allclose(colors.rgb(tuple(rgb(light[token]))), rgb(dark[token]))
    blend = tuple(0.3 * rgb(light["train"]) + 0.7 * rgb(light["highlight"]))
    assert np.allclose(colors.rgb(blend), 0.3 * rgb(dark["train"]) + 0.7 * rgb(dark["highlight"]), atol=1e-9)
    assert ColorMap(light, light).identity and not colors.identity


def test_a_palette_that_cannot_be_derived_is_refused():
    light = {"background": "#ffffff", "a": "#112233", "b": "#112233"}
    dark = {"background": "#000000", "a": "#445566", "b": "#778899"}
    with pytest.raises(ValueError, match="'a' and 'b' share the colour #112233"):
        ColorMap(light, dark)


# --------------------------------------------------------------------------- slow: derived vs native
@pytest.mark.slow
def test_derived_theme_matches_a_native_render(scenes_dir, tmp_path):
    scene = read_scene(scenes_dir / "palette.py", scenes_dir.parent)
    derived, native = tmp_path / "derived", tmp_path / "native"
    sample_frames(scene, {}, scenes_dir.parent, "draft", THEMES[0], THEMES, 5, derived)
    other = THEMES[1]
    sample_frames(scene, {}, scenes_dir.parent, "draft", other, (other,), 5, native)
    names = sorted(p.name for p in (native / other).glob("*.npy"))
    assert len(names) >= 10 and names == sorted(p.name for p in (derived / other).glob("*.npy"))

    source_palette, target_palette = manim_colors(THEMES[0]), manim_colors(other)
    solid_checked = 0
    for name in names:
        ours = np.load(derived / other / name).astype(int)
        theirs = np.load(native / other / name).astype(int)
        drawn = np.load(derived / THEMES[0] / name).astype(int)
        difference = np.abs(ours - theirs)
        assert difference.mean() <= 1, f"frame {name}: mean difference {difference.mean():.2f} of 255"
        assert np.percentile(difference, 99.9) <= 32, f"frame {name}: 99.9th percentile too large"
        # Solid pixels (a 3x3 block of one colour) of a palette colour in the drawn theme land
        # on that token's colour in the derived one.
        same = np.ones(drawn.shape[:2], dtype=bool)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                same &= np.all(np.roll(drawn, (dy, dx), axis=(0, 1)) == drawn, axis=2)
        for token, colour in source_palette.items():
            if token == "background":
                continue
            source = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
            target = np.array([int(target_palette[token][i:i + 2], 16) for i in (1, 3, 5)])
            solid = same & np.all(drawn == source, axis=2)
            if solid.any():
                assert np.abs(ours[solid] - target).max() <= 3, f"frame {name}: {token} pixels off its colour"
                solid_checked += int(solid.sum())
    assert solid_checked > 2000  # text, lines and fills were really checked


# --------------------------------------------------------------------------- slow: edits
def decoded(video: Path) -> str:
    """A hash of every decoded frame's pixels, with the frame count."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return f"{len(raw) // (854 * 480 * 3)} frames, {hashlib.sha256(raw).hexdigest()}"


def render(scenes_dir: Path, cache_dir: Path) -> tuple[dict, list[tuple[int, int]]]:
    """The scene's outputs, and (segments drawn, segments in all) for each theme rendered."""
    progress = Progress()
    ctx = BuildContext(scenes_dir.parent, Cache(cache_dir), progress, 2, "draft")
    outputs = render_scenes(scenes_dir, {}, ctx, only={"palette"})["palette"]
    counts = [tuple(int(v) for v in re.search(r"\((\d+) of (\d+) segments drawn", name).groups())
              for _, name, _, _ in progress.items]
    return outputs, counts


@pytest.mark.slow
@pytest.mark.parametrize("old, new, drawn", [
    ('self.say("CAPTION_TWO")', 'self.say("A caption, reworded.")', 0),  # captions are not in the picture
    ("run_time=0.6, rate_func=linear)", "run_time=0.6, rate_func=smooth)", 1),  # one play(), same end state
    ("LIFT = 0.0", "LIFT = 0.25", 1),  # a constant only an updater reads, in the last segment
])
def test_an_edit_redraws_only_what_changed_and_equals_a_cold_render(scenes_dir, tmp_path, old, new, drawn):
    warm = tmp_path / "warm"
    before, counts = render(scenes_dir, warm)
    segments = counts[0][1]
    assert segments == 3 and counts == [(segments, segments)] * len(THEMES)

    path = scenes_dir / "palette.py"
    assert path.read_text().count(old) == 1
    path.write_text(path.read_text().replace(old, new))
    after, counts = render(scenes_dir, warm)
    assert counts == [(drawn, segments)] * len(THEMES)
    cold, _ = render(scenes_dir, tmp_path / "cold")
    for theme in THEMES:
        assert decoded(after[theme]["video"]) == decoded(cold[theme]["video"])
        assert after[theme]["poster"].read_bytes() == cold[theme]["poster"].read_bytes()
        assert after[theme]["captions"].read_text() == cold[theme]["captions"].read_text()
        changed = decoded(after[theme]["video"]) != decoded(before[theme]["video"])
        assert changed == (drawn > 0)
