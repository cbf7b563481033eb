"""The render stage: scene files, cache keys, author errors, and the videos themselves.

The fast tests use small scene files written into a temporary folder. The slow tests
render the real scenes at draft quality, both themes, once per module, from a real
record of the lesson's 'overfit' run, and check the files a browser will get.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from generator.cache import Cache, key_of
from generator.errors import BuildError
from generator import webvtt
from generator.plan import BuildContext
from generator.render import faststart, probe, read_scene, render_scenes, scene_files, scene_inputs
from generator.theme import THEMES, manim_colors

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_SECONDS = {"layer-forward-pass": (30, 60), "watch-the-fit": (20, 40)}


class Progress:
    """Stands in for the build's progress display; remembers what it was told."""

    def __init__(self):
        self.items: list[tuple] = []

    def item(self, stage, name, index, total):
        self.items.append((stage, name, index, total))

    def note(self, text):
        pass


def write_scene(folder: Path, filename: str, body: str) -> Path:
    path = folder / filename
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def scenes_dir(tmp_path) -> Path:
    """A scenes folder with the real helper module and two tiny scenes."""
    folder = tmp_path / "scenes"
    folder.mkdir()
    shutil.copy(ROOT / "scenes" / "common.py", folder / "common.py")
    write_scene(folder, "first_scene.py", """
        from common import ThemedScene
        SCENE = "First"
        RECORDS = []
        class First(ThemedScene):
            def construct(self):
                self.wait(0.2)
        """)
    write_scene(folder, "second_scene.py", """
        from common import ThemedScene
        SCENE = "Second"
        RECORDS = ["lesson/run"]
        class Second(ThemedScene):
            def construct(self):
                self.wait(0.2)
        """)
    return folder


@pytest.fixture
def fake_records(tmp_path) -> dict[str, Path]:
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"schema": "run-record/1", "run": "run", "constants": {}, "series": {},
                                "snapshots": {}, "facts": {}}))
    return {"lesson/run": path}


# --------------------------------------------------------------------------- fast: reading scenes
def test_scene_files_skip_helpers(scenes_dir):
    """A file without a SCENE declaration is a helper the scenes import, never a scene."""
    (scenes_dir / "_draft.py").write_text("x = 1\n")
    (scenes_dir / "plot.py").write_text('"""A helper: SCENE = 1 in a docstring declares nothing."""\n'
                                        "def axis_label(text):\n    return text\n")
    names = [p.name for p in scene_files(scenes_dir)]
    assert names == ["first_scene.py", "second_scene.py"]
    (scenes_dir / "plot.py").write_text('SCENE = "Plot"\nclass Plot:\n    pass\n')
    assert "plot.py" in [p.name for p in scene_files(scenes_dir)]
    scene = read_scene(scenes_dir / "second_scene.py", scenes_dir.parent)
    assert (scene.name, scene.class_name, scene.records) == ("second-scene", "Second", ("lesson/run",))
    assert scene.deps == (scenes_dir / "common.py",)


def test_every_shipped_scene_reads_as_named_steps():
    """construct() is a short list of named steps (Manim's example style), under 40 lines."""
    import ast

    files = [*scene_files(ROOT / "scenes"), *(p for folder in sorted((ROOT / "content").glob("*/scenes"))
                                             for p in scene_files(folder))]
    assert len(files) >= 4
    for path in files:
        [construct] = [n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                       if isinstance(n, ast.FunctionDef) and n.name == "construct"]
        assert construct.end_lineno - construct.lineno < 40, f"{path.name}: construct() is too long"


def test_real_scenes_declare_what_they_read(built_records):
    """Every record a shared scene declares is one the build wrote."""
    scenes = {s.name: s for s in (read_scene(p, ROOT) for p in scene_files(ROOT / "scenes"))}
    assert set(scenes) >= set(EXPECTED_SECONDS)
    assert scenes["layer-forward-pass"].records == ()
    for scene in scenes.values():
        assert set(scene.records) <= set(built_records), scene.name


def test_cache_key_follows_the_scene_file_only(scenes_dir, fake_records):
    root = scenes_dir.parent
    first = scenes_dir / "first_scene.py"
    second = scenes_dir / "second_scene.py"

    def key(path: Path, theme: str = "light") -> str:
        return key_of(scene_inputs(read_scene(path, root), theme, fake_records, "draft", root))

    before_first, before_second = key(first), key(second)
    assert key(first, "light") != key(first, "dark")
    first.write_text(first.read_text() + "# a comment alone changes no key\n")
    assert key(first) == before_first
    first.write_text(first.read_text() + "\nEDITED = 1\n")
    assert key(first) != before_first
    assert key(second) == before_second  # the other scene is untouched
    fake_records["lesson/run"].write_text("{}")
    assert key(second) != before_second  # the record it reads changed
    common = scenes_dir / "common.py"
    common.write_text(common.read_text() + "\nSHARED_EDIT = 1\n")
    assert key(first) != before_first and key(second) != before_second


def test_quality_is_part_of_the_key(scenes_dir, fake_records):
    root = scenes_dir.parent
    scene = read_scene(scenes_dir / "first_scene.py", root)
    assert key_of(scene_inputs(scene, "light", fake_records, "draft", root)) != \
        key_of(scene_inputs(scene, "light", fake_records, "publish", root))


# --------------------------------------------------------------------------- fast: author errors
def test_missing_record_names_scene_and_line(scenes_dir, tmp_path):
    with pytest.raises(BuildError) as caught:
        render_scenes(scenes_dir, {}, BuildContext(scenes_dir.parent, Cache(tmp_path / "cache"), Progress(), 2, "draft"))
    message = caught.value.one_line()
    assert "scenes/second_scene.py:3" in message
    assert "second-scene" in message and "lesson/run" in message


def test_syntax_error_points_at_the_line(scenes_dir, tmp_path, fake_records):
    write_scene(scenes_dir, "broken.py", """
        SCENE = "Broken"
        RECORDS = []
        def oops(:
            pass
        """)
    with pytest.raises(BuildError) as caught:
        render_scenes(scenes_dir, fake_records, BuildContext(scenes_dir.parent, Cache(tmp_path / "cache"), Progress(), 2,
                                                          "draft"))
    assert re.search(r"scenes/broken\.py:3: scene 'broken' has a syntax error", caught.value.one_line())


def test_scene_must_name_its_class(scenes_dir, tmp_path, fake_records):
    write_scene(scenes_dir, "nameless.py", """
        SCENE = "Missing"
        class Other:
            pass
        """)
    with pytest.raises(BuildError, match=r"scenes/nameless\.py:1: scene 'nameless': SCENE names class 'Missing'"):
        render_scenes(scenes_dir, fake_records, BuildContext(scenes_dir.parent, Cache(tmp_path / "cache"), Progress(), 2,
                                                          "draft"))


def test_scene_that_raises_names_file_and_line(scenes_dir, tmp_path, fake_records):
    write_scene(scenes_dir, "crash.py", """
        from common import ThemedScene
        SCENE = "Crash"
        RECORDS = []
        class Crash(ThemedScene):
            def construct(self):
                self.wait(0.1)
                raise ValueError("no such curve")
        """)
    cache = Cache(tmp_path / "cache")
    with pytest.raises(BuildError) as caught:
        render_scenes(scenes_dir, fake_records, BuildContext(scenes_dir.parent, cache, Progress(), 2, "draft"),
                      only={"crash"})
    message = caught.value.one_line()
    assert "scenes/crash.py:7" in message
    assert "scene 'crash'" in message and "ValueError: no such curve" in message
    assert not list((tmp_path / "cache" / "render").glob("crash-*/*"))  # nothing half-made is kept


@pytest.mark.parametrize("body, problem", [
    ("""self.say("A caption."); self.play(FadeIn(label("low", size=30).move_to([0, -3.5, 0])))""",
     r"'low' reaches y = -3\.\d+, into the caption band"),
    ("""self.play(FadeIn(label("tiny", size=16)))""", r"text 'tiny' is font_size 16; use at least 29"),
    # 1/25 of the frame per em was the old floor: 1/20 now, so 28 is too small.
    ("""self.play(FadeIn(label("almost", size=28)))""", r"text 'almost' is font_size 28; use at least 29"),
    ("""self.play(FadeIn(label("far right", size=30).move_to([6.8, 0, 0])))""",
     r"'far right' leaves the frame \(x 5\.\d+ to 7\.\d+"),
    ("""self.play(FadeIn(label("first", size=30)), FadeIn(label("second", size=30).shift([0.5, 0.1, 0])))""",
     r"text 'first' overlaps text 'second'"),
    ("""self.say("A caption that goes on " * 8)""", r"characters; keep it under"),
])
def test_a_scene_that_breaks_the_caption_layout_fails_its_render(scenes_dir, tmp_path, fake_records, body, problem):
    """Content in the caption band while a caption shows, or text too small for a phone, stops the render."""
    write_scene(scenes_dir, "cramped.py", f"""
        from manim import FadeIn
        from common import ThemedScene, label
        SCENE = "Cramped"
        RECORDS = []
        class Cramped(ThemedScene):
            def construct(self):
                {body}
        """)
    with pytest.raises(BuildError, match=problem) as caught:
        render_scenes(scenes_dir, fake_records, BuildContext(scenes_dir.parent, Cache(tmp_path / "cache"), Progress(), 2,
                                                          "draft"), only={"cramped"})
    assert "scenes/cramped.py" in caught.value.one_line()


def test_content_above_the_band_or_before_any_caption_renders(scenes_dir, tmp_path, fake_records):
    write_scene(scenes_dir, "roomy.py", """
        from manim import FadeIn
        from common import ThemedScene, label
        SCENE = "Roomy"
        RECORDS = []
        class Roomy(ThemedScene):
            def construct(self):
                self.play(FadeIn(label("no caption yet", size=30).move_to([0, -3.5, 0])), run_time=0.2)
                self.clear()
                self.say("Now a caption.")
                self.play(FadeIn(label("high enough", size=30).move_to([0, -2.1, 0])), run_time=0.2)
        """)
    render_scenes(scenes_dir, fake_records, BuildContext(scenes_dir.parent, Cache(tmp_path / "cache"), Progress(), 2,
                                                      "draft"), only={"roomy"})


def test_webvtt_cues_run_until_the_next():
    text = webvtt.write([(0.0, "first"), (2.5, "second --> third")], 4.25)
    assert text.startswith("WEBVTT\n\n")
    assert "00:00:00.000 --> 00:00:02.500\nfirst" in text
    assert "00:00:02.500 --> 00:00:04.250\nsecond --&gt; third" in text


def test_webvtt_text_is_escaped_and_one_line():
    """Caption text is text: WebVTT tags (<c>, <v>) and entities in it must not be read as such,
    and a newline (or a blank line, which would end the cue) cannot split a cue or a chapter title."""
    text = webvtt.write([(0.0, "a < b & </c> c"), (1.0, "Part one\n\nstill the title")], 2.0)
    cues = text.strip().split("\n\n")[1:]
    assert cues[0].split("\n") == ["1", "00:00:00.000 --> 00:00:01.000", "a &lt; b &amp; &lt;/c&gt; c"]
    assert cues[1].split("\n") == ["2", "00:00:01.000 --> 00:00:02.000", "Part one still the title"]


# --------------------------------------------------------------------------- slow: the real videos
@pytest.fixture(scope="module")
def rendered(built_site, built_records):
    """Both real scenes, both themes, draft quality: the videos the session build rendered.

    Rendering them again in a fresh cache would only repeat the build's work; the cache
    hands back exactly the files the site publishes.
    """
    from tests.plugin import TEST_CACHE

    records = {r: built_records[r] for p in scene_files(ROOT / "scenes") for r in read_scene(p, ROOT).records}
    cache, progress, why = Cache(TEST_CACHE), Progress(), []
    outputs = render_scenes(ROOT / "scenes", records, BuildContext(ROOT, cache, progress, 2, "draft", rebuilt=why),
                            only=set(EXPECTED_SECONDS))
    return {"outputs": outputs, "why": why, "progress": progress, "records": records, "cache": cache}


def frame_pixels(video: Path, at: float) -> bytes:
    """One decoded frame as raw RGB bytes."""
    return subprocess.run(["ffmpeg", "-v", "error", "-ss", str(at), "-i", str(video), "-frames:v", "1",
                           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout


def hex_rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def close(a, b, tolerance: int = 6) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


@pytest.mark.slow
def test_every_scene_has_both_variants(rendered):
    outputs = rendered["outputs"]
    assert set(outputs) == set(EXPECTED_SECONDS)
    for name, variants in outputs.items():
        assert set(variants) == set(THEMES)
        for theme, files in variants.items():
            assert set(files) == {"video", "poster", "captions", "chapters"}
            assert all(path.is_file() for path in files.values())
            assert files["video"].name == f"{name}-{theme}.mp4"  # unique: pages copy them into one folder
    assert rendered["why"] == []  # the build rendered them already; nothing is redone


@pytest.mark.slow
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("name", sorted(EXPECTED_SECONDS))
def test_video_is_web_ready(rendered, name, theme):
    video = rendered["outputs"][name][theme]["video"]
    info = probe(video)
    assert (info["codec"], info["pix_fmt"], info["width"], info["height"]) == ("h264", "yuv420p", 854, 480)
    assert info["fps"] == 15
    low, high = EXPECTED_SECONDS[name]
    assert low <= info["duration"] <= high
    assert faststart(video), "moov atom must come before mdat"


@pytest.mark.slow
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("name", sorted(EXPECTED_SECONDS))
def test_background_matches_the_palette(rendered, name, theme):
    from PIL import Image

    files = rendered["outputs"][name][theme]
    background = hex_rgb(manim_colors(theme)["background"])
    pixels = frame_pixels(files["video"], 1.0)
    corners = [(2, 2), (851, 2), (2, 477), (851, 477)]
    for x, y in corners:
        offset = (y * 854 + x) * 3
        assert close(tuple(pixels[offset:offset + 3]), background), f"corner {x},{y} of {theme} video"
    brightness = sum(background) / 3
    assert (brightness > 128) == (theme == "light")
    poster = Image.open(files["poster"]).convert("RGB")
    assert poster.size == (854, 480)
    assert close(poster.getpixel((2, 2)), background, tolerance=1)


@pytest.mark.slow
@pytest.mark.parametrize("kind, fewest", [("captions", 4), ("chapters", 3)])
@pytest.mark.parametrize("name", sorted(EXPECTED_SECONDS))
def test_captions_and_chapters_are_webvtt(rendered, name, kind, fewest):
    duration = probe(rendered["outputs"][name]["light"]["video"])["duration"]
    text = rendered["outputs"][name]["light"][kind].read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n")
    cues = re.findall(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})\n(.+)$", text, re.M)
    assert len(cues) >= fewest
    def at(h, m, s, ms):
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    seconds = [(at(*cue[:4]), at(*cue[4:8])) for cue in cues]
    for (start, end), (next_start, _) in zip(seconds, seconds[1:] + [(duration + 0.1, None)]):
        assert start < end <= next_start + 1e-6
    assert seconds[-1][1] <= duration + 0.1
    assert text == rendered["outputs"][name]["dark"][kind].read_text(encoding="utf-8")


@pytest.mark.slow
def test_second_run_renders_nothing(rendered):
    why, progress = [], Progress()
    started = time.perf_counter()
    again = render_scenes(ROOT / "scenes", rendered["records"],
                          BuildContext(ROOT, rendered["cache"], progress, 2, "draft", rebuilt=why),
                          only=set(EXPECTED_SECONDS))
    assert time.perf_counter() - started < 2
    assert why == [] and progress.items == []
    assert again == rendered["outputs"]
