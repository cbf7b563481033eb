"""What every scene shares: the theme's colours, the run records, and captions.

The render stage does not pass arguments to a scene. Before it builds one, it writes a
small JSON "scene context" and names it in the SCENE_CONTEXT environment variable:

    {"theme": "dark", "colors": {token: "#hex", ...}, "records": {"lesson/run": "/path.json"}}

Scenes read it through `colors()` and `load_record()`, so a scene file holds no colour
literal and no path. To preview a scene by hand, write such a file and run
`SCENE_CONTEXT=ctx.json manim -ql scenes/watch_the_fit.py WatchTheFit`.

Captions: a scene calls `self.say("...")` when something new appears on screen. The cue
starts at that moment of the video and lasts until the next one (the last until the end),
so the captions follow the animation's real timing without hand-kept timestamps.
Chapters work the same way: `self.chapter("Title")` opens a section of the video that the
page lists, so a reader can jump to it.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache

from manim import ORIGIN, Circle, Scene, Text, VGroup, VMobject

FONT = "DejaVu Sans"  # installed everywhere we render; naming it keeps frames identical
MONO = "DejaVu Sans Mono"


def context() -> dict:
    path = os.environ.get("SCENE_CONTEXT")
    if not path:
        raise RuntimeError("SCENE_CONTEXT is not set: scenes are rendered by the build (generator/render.py)")
    return _read_json(path)


@lru_cache(maxsize=8)
def _read_json(path: str) -> dict:
    # Keyed by path: a worker process renders several (scene, theme) jobs in turn.
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def colors() -> dict[str, str]:
    """The theme's palette as token -> hex (see generator/theme.py)."""
    return context()["colors"]


def load_record(run_id: str) -> dict:
    """A run record the scene declared in its RECORDS list, e.g. '01-why-the-weights-move/overfit'."""
    records = context()["records"]
    if run_id not in records:
        raise KeyError(f"record '{run_id}' was not passed to this scene; list it in RECORDS")
    return _read_json(records[run_id])


def label(text: str, size: float = 24, color: str = "text", mono: bool = False, **kwargs) -> Text:
    """Text in the scene's font, coloured by palette token."""
    return Text(text, font=MONO if mono else FONT, font_size=size, color=colors()[color], **kwargs)


class ThemedScene(Scene):
    """A Scene drawn in the current theme that can say what is happening (captions)."""

    def setup(self) -> None:
        self.c = colors()
        self.camera.background_color = self.c["background"]
        self.cues: list[tuple[float, str]] = []
        self.chapters: list[tuple[float, str]] = []

    def say(self, text: str) -> None:
        """Start a caption cue now; it runs until the next cue or the end of the video."""
        self.cues.append((float(self.renderer.time), text))

    def chapter(self, title: str) -> None:
        """Open a chapter now; it runs until the next chapter or the end of the video."""
        self.chapters.append((float(self.renderer.time), title))


def node(text: str, radius: float = 0.42, color: str = "accent", size: float = 22) -> VGroup:
    """A labelled circle: an input or a neuron in a network diagram."""
    c = colors()
    ring = Circle(radius=radius, color=c[color], stroke_width=3).set_fill(c["surface"], opacity=1)
    return VGroup(ring, label(text, size=size).move_to(ring))


def bracketed(rows: list[list[str]], size: float = 24, color: str = "text", col_gap: float = 0.35,
              row_gap: float = 0.22) -> VGroup:
    """A matrix or column vector of numbers between square brackets, drawn without LaTeX.

    Returns VGroup(entries, left bracket, right bracket); entries[r][c] is one number.
    """
    c = colors()
    entries = VGroup(*[VGroup(*[label(v, size=size, color=color, mono=True) for v in row]) for row in rows])
    width = max(e.width for row in entries for e in row)
    height = max(e.height for row in entries for e in row)
    for r, row in enumerate(entries):
        for k, entry in enumerate(row):
            # right-aligned columns keep decimal points lined up
            entry.move_to([k * (width + col_gap) + (width - entry.width) / 2, -r * (height + row_gap), 0])
    entries.move_to(ORIGIN)
    pad, tick = 0.12, 0.12
    top, bottom = entries.get_top()[1] + pad, entries.get_bottom()[1] - pad
    left, right = entries.get_left()[0] - pad, entries.get_right()[0] + pad
    stroke = {"color": c[color], "stroke_width": 2.5}
    left_bracket = VMobject(**stroke).set_points_as_corners(
        [[left + tick, top, 0], [left, top, 0], [left, bottom, 0], [left + tick, bottom, 0]])
    right_bracket = VMobject(**stroke).set_points_as_corners(
        [[right - tick, top, 0], [right, top, 0], [right, bottom, 0], [right - tick, bottom, 0]])
    return VGroup(entries, left_bracket, right_bracket)
