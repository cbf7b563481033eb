"""What every scene shares: the theme's colours, the run records, and captions.

The render stage does not pass arguments to a scene. Before it builds one, it writes a
small JSON "scene context" and names it in the SCENE_CONTEXT environment variable:

    {"colors": {token: "#hex", ...}, "records": {"lesson/run": "/path.json"}}

Scenes read it through `colors()` and `load_record()`, so a scene file holds no colour
literal and no path. A scene is rendered once, in the first theme's palette, and every
other theme is painted from that drawing by swapping each palette colour for the same
token's colour (generator/frames.py): so a scene draws only in palette colours (blends of
two are fine) and never chooses shapes or layout by theme. To preview a scene by hand, write such a file and run
`SCENE_CONTEXT=ctx.json manim -ql scenes/watch_the_fit.py WatchTheFit`.

Captions: a scene calls `self.say("...")` when something new appears on screen. The cue
starts at that moment of the video and lasts until the next one (the last until the end),
so the captions follow the animation's real timing without hand-kept timestamps.

Layout rules, checked after every animation and wait while the scene renders (so a
scene that breaks them fails its render, naming the scene and the offending mobject):
  - while a caption shows, the bottom CAPTION_BAND of the frame holds no content, because
    in fullscreen the browser draws the caption there (in the page it goes under the video);
  - every Text is at least MIN_TEXT_EM of the frame height per em, so it still reads in a
    390-px-wide page (a video about 200 px tall, so about 10 px per em): at least
    font_size 29 (30 is a good size for labels);
  - everything visible stays inside the frame, and no two texts overlap (larger text
    crowds a layout: this catches a label pushed off the edge or onto another).
Chapters work the same way: `self.chapter("Title")` opens a section of the video that the
page lists, so a reader can jump to it.
"""
from __future__ import annotations

import json
import math
import os
from functools import lru_cache

from manim import ORIGIN, Circle, Scene, Text, VGroup, VMobject, config

CAPTION_BAND = 0.2        # share of the frame height, at the bottom, kept free for captions
MIN_TEXT_EM = 1 / 20      # smallest em of on-screen text, as a share of the frame height
EM_PER_FONT_SIZE = 1 / 72  # Manim draws text at font_size / 72 scene units per em (8-unit frame)
CAPTION_LINE_CHARS = 130  # a longer cue wraps to more lines than the band holds at 390 px

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


def label(text: str, size: float = 30, color: str = "text", mono: bool = False, **kwargs) -> Text:
    """Text in the scene's font, coloured by palette token."""
    return Text(text, font=MONO if mono else FONT, font_size=size, color=colors()[color], **kwargs)


class LayoutError(RuntimeError):
    """A scene put content where a caption goes, text too small to read on a phone, content
    outside the frame, or one text over another."""


class ThemedScene(Scene):
    """A Scene drawn in the current theme that can say what is happening (captions).

    It checks its own layout as it renders (see the module docstring).
    """

    def setup(self) -> None:
        self.c = colors()
        self.camera.background_color = self.c["background"]
        self.cues: list[tuple[float, str]] = []
        self.chapters: list[tuple[float, str]] = []

    def say(self, text: str) -> None:
        """Start a caption cue now; it runs until the next cue or the end of the video."""
        if len(text) > CAPTION_LINE_CHARS:
            raise LayoutError(f"{type(self).__name__}: caption {text[:40]!r}... is {len(text)} characters; "
                              f"keep it under {CAPTION_LINE_CHARS} so it fits the caption band")
        self.cues.append((float(self.renderer.time), text))

    def chapter(self, title: str) -> None:
        """Open a chapter now; it runs until the next chapter or the end of the video."""
        self.chapters.append((float(self.renderer.time), title))

    def play(self, *args, **kwargs) -> None:
        super().play(*args, **kwargs)
        self.check_layout()

    def wait(self, *args, **kwargs) -> None:
        super().wait(*args, **kwargs)
        self.check_layout()

    def check_layout(self) -> None:
        """Raise LayoutError naming the scene and the mobject that breaks a layout rule (module docstring)."""
        frame_h, frame_w = config.frame_height, config.frame_width
        band_top = -frame_h / 2 + CAPTION_BAND * frame_h
        min_font_size = MIN_TEXT_EM * frame_h / EM_PER_FONT_SIZE
        name = type(self).__name__
        shown_texts: list[Text] = []
        for mob in self.mobjects:
            family = mob.get_family()
            texts = [part for part in family if isinstance(part, Text)]
            in_text = {id(glyph) for text in texts for glyph in text.get_family()}
            for text in texts:
                if text.font_size < min_font_size - 1e-6 and _visible(text):
                    raise LayoutError(f"{name}: text {_words(text)!r} is font_size {text.font_size:.0f}"
                                      f"; use at least {min_font_size:.0f} so it reads at 390 px wide")
            # A text is judged whole (named by its letters); other shapes one by one.
            shapes = texts + [part for part in family if id(part) not in in_text and part.has_points()]
            for part in shapes:
                if not _visible(part):
                    continue
                what = _words(part) if isinstance(part, Text) else type(part).__name__
                if self.cues and part.get_bottom()[1] < band_top - 1e-6:
                    raise LayoutError(f"{name}: {what!r} reaches y = {part.get_bottom()[1]:.2f}, into "
                                      f"the caption band (below {band_top:.2f}) while a caption shows; move it up")
                left, right, bottom, top = part.get_left()[0], part.get_right()[0], part.get_bottom()[1], part.get_top()[1]
                if max(abs(left), abs(right)) > frame_w / 2 + 1e-6 or max(abs(bottom), abs(top)) > frame_h / 2 + 1e-6:
                    raise LayoutError(f"{name}: {what!r} leaves the frame (x {left:.2f} to {right:.2f}, y {bottom:.2f} "
                                      f"to {top:.2f}; the frame is {frame_w:.2f} wide and {frame_h:.0f} high); "
                                      "move or shorten it")
            shown_texts += [text for text in texts if _visible(text) and text.text.strip()]
        for i, first in enumerate(shown_texts):
            for second in shown_texts[i + 1:]:
                if _overlap(first, second):
                    raise LayoutError(f"{name}: text {_words(first)!r} overlaps text {_words(second)!r}; "
                                      "move one of them or shorten it")


def _words(text: Text) -> str:
    """A text as written (Text.text drops the spaces)."""
    return getattr(text, "original_text", text.text)


def _overlap(a, b) -> bool:
    """Do the bounding boxes of a and b overlap (touching is fine)?"""
    return (a.get_left()[0] < b.get_right()[0] - 1e-6 and b.get_left()[0] < a.get_right()[0] - 1e-6
            and a.get_bottom()[1] < b.get_top()[1] - 1e-6 and b.get_bottom()[1] < a.get_top()[1] - 1e-6)


def _visible(mob) -> bool:
    if not isinstance(mob, VMobject):
        return False  # value trackers and other invisible helpers
    return mob.get_stroke_opacity() > 0 and mob.get_stroke_width() > 0 or mob.get_fill_opacity() > 0


def node(text: str, radius: float = 0.5, color: str = "accent", size: float = 30) -> VGroup:
    """A labelled circle: an input or a neuron in a network diagram."""
    c = colors()
    ring = Circle(radius=radius, color=c[color], stroke_width=3).set_fill(c["surface"], opacity=1)
    return VGroup(ring, label(text, size=size).move_to(ring))


def bracketed(rows: list[list[str]], size: float = 30, color: str = "text", col_gap: float = 0.35,
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


# --------------------------------------------------------------------------- numbers and axes
def num(value: float, digits: int = 3) -> str:
    """A number as printed on screen: `digits` decimals and a real minus sign (never "−0.000")."""
    text = f"{value:.{digits}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", "−")


def log_step(step: float) -> float:
    """x of a log(step + 1) axis: step 0 sits at 0, steps 1, 10, 100 at 0.30, 1.04, 2.00."""
    return math.log10(step + 1)
