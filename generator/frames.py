"""Inside a render worker: one drawing pass for every theme, and a video cut into reusable segments.

Manim runs the scene once, in the first theme's palette. Instead of painting pixels, the
renderer below records each frame as a *display list*: for every shape Manim would draw,
its path, fill and stroke colours, widths and line style — exactly what Manim's Cairo camera
reads. Each theme then paints the same display list with its own colours:

  - the first theme paints it as recorded;
  - every other theme maps each colour through its palette (light token -> the same token
    in that theme; a blend of two palette colours, e.g. a colour animation, to the same blend
    of their counterparts) and paints with Cairo as usual.

So the scene's Python (animations, updaters, text layout) runs once for all themes, and
overlaps of two palette colours or anti-aliased edges come out as a native render of that
theme would draw them: they are composited by Cairo in the target colours, not guessed
from finished pixels.

Consecutive play()/wait() calls, at least SEGMENT_SECONDS of them, become one segment per
theme: an H.264 file in the final encoding, named by a hash of its display lists and everything else that decides its pixels (size,
frame rate, encoder settings, target palette, this file, the Cairo and ffmpeg versions).
The published video is the segments joined without re-encoding. After an edit, the scene
runs again (its Python, not the painting), but a segment whose display lists hash the same
is taken from the previous render instead of being painted and encoded; since the hash is of what is drawn rather than
of the scene's objects, a changed picture can never reuse a stale segment.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from generator.workers import child_process_options


# --------------------------------------------------------------------------- colours per theme
def _rgb(color: str) -> tuple[float, float, float]:
    return tuple(int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))


class ColorMap:
    """Maps a colour of the source palette to the same token's colour in a target palette.

    A colour that is no palette colour is placed on the nearest segment between two source
    colours (fades between tokens, a colour animation) and mapped to the same point between
    their targets.
    """

    def __init__(self, source: dict[str, str], target: dict[str, str]):
        pairs: dict[tuple[float, ...], tuple[tuple[float, ...], str]] = {}
        for token, color in source.items():
            if token not in target:
                raise ValueError(f"palette token {token!r} has no colour in the target theme")
            src, dst = _rgb(color), _rgb(target[token])
            if src in pairs and pairs[src][0] != dst:
                raise ValueError(f"palette tokens {pairs[src][1]!r} and {token!r} share the colour {color} but "
                                 "differ in another theme, so that theme cannot be derived; make them differ")
            pairs[src] = (dst, token)
        self.identity = all(src == dst for src, (dst, _) in pairs.items())
        self.sources = np.array(list(pairs), dtype=float)
        self.targets = np.array([dst for dst, _ in pairs.values()], dtype=float)
        self.fingerprint = json.dumps([list(source.items()), sorted(target.items())], sort_keys=True)
        self._memo: dict[tuple[float, float, float], np.ndarray] = {}

    def rgb(self, rgb: tuple[float, float, float]) -> np.ndarray:
        found = self._memo.get(rgb)
        if found is None:
            found = self._memo[rgb] = self._map(np.array(rgb, dtype=float))
        return found

    def _map(self, x: np.ndarray) -> np.ndarray:
        exact = np.all(np.abs(self.sources - x) < 1e-6, axis=1)
        if exact.any():
            return self.targets[np.argmax(exact)]
        best, best_distance = x, np.inf
        n = len(self.sources)
        for i in range(n):
            for j in range(i, n):
                a, b = self.sources[i], self.sources[j]
                span = b - a
                length = float(span @ span)
                t = 0.0 if length == 0 else float(np.clip((x - a) @ span / length, 0, 1))
                distance = float(np.linalg.norm(a + t * span - x))
                if distance < best_distance:
                    best_distance = distance
                    best = self.targets[i] + t * (self.targets[j] - self.targets[i])
        return best

    def rgbas(self, rgbas: np.ndarray) -> np.ndarray:
        if self.identity:
            return rgbas
        mapped = rgbas.copy()
        for k, row in enumerate(rgbas):
            mapped[k, :3] = self.rgb((float(row[0]), float(row[1]), float(row[2])))
        return mapped


# --------------------------------------------------------------------------- display lists
@dataclass
class Shape:
    """One VMobject as Manim's Cairo camera would draw it."""

    xy: np.ndarray             # points[:, :2], flattened
    subpaths: np.ndarray       # (start, end, closed) per subpath, in points
    fill: np.ndarray           # fill RGBAs (one row: flat colour; more: a linear gradient)
    stroke: np.ndarray
    background_stroke: np.ndarray
    stroke_width: float
    background_stroke_width: float
    joint: object               # Manim's LineJointType and CapStyleType
    cap: object
    gradient: np.ndarray | None  # gradient start and end points, when any colour has more rows
    digest: bytes = b""

    def __post_init__(self):
        h = hashlib.blake2b(digest_size=16)
        for array in (self.xy, self.subpaths, self.fill, self.stroke, self.background_stroke):
            h.update(np.ascontiguousarray(array).tobytes())
            h.update(str(array.shape).encode())
        h.update(f"{self.stroke_width!r}|{self.background_stroke_width!r}|{self.joint}|{self.cap}".encode())
        if self.gradient is not None:
            h.update(self.gradient.tobytes())
        self.digest = h.digest()


@dataclass
class Frame:
    """What one frame shows: a static layer (shared by an animation's frames) and shapes on top."""

    static: "Frame | None"
    shapes: list[Shape]
    digest: bytes = field(default=b"")

    def __post_init__(self):
        h = hashlib.blake2b(digest_size=16)
        h.update(self.static.digest if self.static else b"-")
        for shape in self.shapes:
            h.update(shape.digest)
        self.digest = h.digest()


def record(camera, mobjects, **kwargs) -> list[Shape]:
    """The display list of `mobjects`, in the order and form Manim's Camera would draw them."""
    from manim.mobject.types.image_mobject import AbstractImageMobject
    from manim.mobject.types.point_cloud_mobject import PMobject
    from manim.mobject.types.vectorized_mobject import VMobject

    shapes = []
    for mob in camera.get_mobjects_to_display(mobjects, **kwargs):
        if isinstance(mob, VMobject):
            if mob.get_background_image():
                raise TypeError(f"{type(mob).__name__} with a background image cannot be drawn in several themes; "
                                "colour it with palette tokens instead")
            shapes.append(_shape(camera, mob))
        elif isinstance(mob, (PMobject, AbstractImageMobject)):
            raise TypeError(f"{type(mob).__name__} cannot be drawn in several themes (only vector shapes can); "
                            "draw it with VMobjects in palette colours")
        # any other Mobject draws nothing, as in Manim's Camera
    return shapes


def _shape(camera, vmob) -> Shape:
    points = camera.transform_points_pre_display(vmob, vmob.points)
    subpaths = np.zeros((0, 3), dtype=np.int64)
    if len(points):
        split = np.asarray(vmob.get_subpath_split_indices_from_points(points, n_dims=2), dtype=np.int64).reshape(-1, 2)
        split = split[split[:, 1] - split[:, 0] >= vmob.n_points_per_cubic_curve]
        # Closed when first and last points match, as VMobject.consider_points_equals_2d decides.
        first, last = points[split[:, 0], :2], points[split[:, 1] - 1, :2]
        gap = np.abs(first - last)
        closed = np.all((gap == 0) | (gap <= vmob.tolerance_for_point_equality + 1e-5 * np.abs(last)), axis=1)
        subpaths = np.column_stack([split, closed.astype(np.int64)])
    fill = np.array(vmob.get_fill_rgbas(), dtype=float)
    stroke = np.array(vmob.get_stroke_rgbas(False), dtype=float)
    background_stroke = np.array(vmob.get_stroke_rgbas(True), dtype=float)
    gradient = None
    if max(len(fill), len(stroke), len(background_stroke)) > 1:
        gradient = np.array(camera.transform_points_pre_display(vmob, vmob.get_gradient_start_and_end_points()),
                            dtype=float)[:, :2].copy()
    return Shape(np.ascontiguousarray(points[:, :2], dtype=float).ravel().copy(),
                 np.ascontiguousarray(subpaths), fill, stroke, background_stroke,
                 float(vmob.get_stroke_width(False)), float(vmob.get_stroke_width(True)),
                 vmob.joint_type, vmob.cap_style, gradient)


# --------------------------------------------------------------------------- painting
class Canvas:
    """One theme's pixels: paints display lists with that theme's colours (Cairo, like Manim's Camera)."""

    def __init__(self, camera, colors: ColorMap, background: tuple[float, float, float]):
        import cairo

        from manim.camera.camera import CAP_STYLE_MAP, LINE_JOIN_MAP

        self.cairo, self.joins, self.caps = cairo, LINE_JOIN_MAP, CAP_STYLE_MAP
        self.colors = colors
        width, height = camera.pixel_width, camera.pixel_height
        self.pixels = np.zeros((height, width, 4), dtype=np.uint8)
        r, g, b = colors.rgb(background)
        self.background = np.array([round(r * 255), round(g * 255), round(b * 255), 255], dtype=np.uint8)
        surface = cairo.ImageSurface.create_for_data(self.pixels.data, cairo.FORMAT_ARGB32, width, height)
        self.ctx = cairo.Context(surface)
        fw, fh, fc = camera.frame_width, camera.frame_height, camera.frame_center
        self.ctx.set_matrix(cairo.Matrix(width / fw, 0, 0, -(height / fh),
                                         width / 2 - fc[0] * width / fw, height / 2 + fc[1] * height / fh))
        self.line_width_multiple = camera.cairo_line_width_multiple
        self._static: tuple[bytes, np.ndarray] | None = None
        self._last = b""  # digest of the frame the pixels show

    def paint(self, frame: Frame) -> np.ndarray:
        """The frame's pixels (RGBA, height x width x 4); valid until the next call."""
        if frame.digest == self._last:  # nothing moved: a wait with updaters, an animation's still tail
            return self.pixels
        self._last = b""
        if frame.static is not None:
            if self._static is None or self._static[0] != frame.static.digest:
                self.paint(frame.static)
                self._static = (frame.static.digest, self.pixels.copy())
            self.pixels[:] = self._static[1]
        else:
            self.pixels[:] = self.background
        for shape in frame.shapes:
            self._draw(shape)
        self._last = frame.digest
        return self.pixels

    def _draw(self, shape: Shape) -> None:
        ctx = self.ctx
        ctx.new_path()
        xy = shape.xy
        for start, end, closed in shape.subpaths.tolist():
            ctx.new_sub_path()
            ctx.move_to(xy[2 * start], xy[2 * start + 1])
            for i in range(start, end - 3, 4):
                b = 2 * (i + 1)
                ctx.curve_to(xy[b], xy[b + 1], xy[b + 2], xy[b + 3], xy[b + 4], xy[b + 5])
            if closed:
                ctx.close_path()
        if not len(shape.subpaths):
            return
        self._stroke(shape, shape.background_stroke, shape.background_stroke_width)
        self._source(shape.fill, shape)
        ctx.fill_preserve()
        self._stroke(shape, shape.stroke, shape.stroke_width)

    def _stroke(self, shape: Shape, rgbas: np.ndarray, width: float) -> None:
        if width == 0:
            return
        self._source(rgbas, shape)
        self.ctx.set_line_width(width * self.line_width_multiple)
        self.ctx.set_line_join(self.joins[shape.joint])
        self.ctx.set_line_cap(self.caps[shape.cap])
        self.ctx.stroke_preserve()

    def _source(self, rgbas: np.ndarray, shape: Shape) -> None:
        rgbas = self.colors.rgbas(rgbas)
        if len(rgbas) == 1:  # Cairo's ARGB32 is BGRA in memory: reversed, the array reads RGBA
            self.ctx.set_source_rgba(rgbas[0][2], rgbas[0][1], rgbas[0][0], rgbas[0][3])
            return
        (x0, y0), (x1, y1) = shape.gradient[0], shape.gradient[-1]
        pattern = self.cairo.LinearGradient(x0, y0, x1, y1)
        for rgba, offset in zip(rgbas, np.linspace(0, 1, len(rgbas))):
            pattern.add_color_stop_rgba(offset, rgba[2], rgba[1], rgba[0], rgba[3])
        self.ctx.set_source(pattern)


# --------------------------------------------------------------------------- segments
def cairo_fingerprint() -> str:
    import cairo

    return f"{cairo.version}/{cairo.cairo_version_string()}"


def encoder_command(target: Path, width: int, height: int, settings: dict, still: int = 0) -> list[str]:
    """Raw RGBA frames on stdin -> H.264 yuv420p in MP4, bit-exact so equal input gives equal bytes.

    `still`: the input is one frame to show `still` times (a wait): ffmpeg converts it once and
    repeats it, instead of being sent and converting every copy.
    """
    repeat = ["-vf", f"format=yuv420p,tpad=stop={still - 1}:stop_mode=clone"] if still > 1 else []
    return ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{width}x{height}",
            "-r", str(settings["fps"]), "-i", "-", "-an", *repeat,
            "-c:v", "libx264", "-preset", settings["preset"], "-tune", "animation", "-crf", str(settings["crf"]),
            *settings.get("x264", []),
            "-pix_fmt", "yuv420p", "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
            "-f", "mp4", str(target)]


# A segment holds whole animations, at least this long. Each segment starts with a keyframe,
# and a keyframe at 1080p costs about 27 kB: one segment per play()/wait() made a 39 s video
# 1.58 MB instead of 0.51 MB. x264 puts a keyframe every 250 frames (8.3 s at 30 fps) anyway,
# so segments this long cost about nothing in size, and an edit repaints about this much.
SEGMENT_SECONDS = 8.0


class SegmentWriter:
    """Groups animations' frames into segments of at least SEGMENT_SECONDS and writes one file
    per segment and theme, reusing a file an earlier render already made."""

    def __init__(self, camera, themes: dict[str, ColorMap], background: tuple[float, float, float],
                 settings: dict, out: dict[str, Path], reuse: dict[str, list[Path]], fingerprint: str,
                 samples: dict | None = None):
        self.camera, self.themes, self.settings = camera, themes, settings
        # {"every": N, "folder": Path}: keep every Nth painted frame raw (RGB .npy), before
        # any lossy encoding, to compare themes drawn in different palettes.
        self.samples = samples or {}
        self.frame_index = 0
        self.background = background
        self.out, self.reuse = out, reuse
        self.fingerprint = fingerprint
        self.canvases: dict[str, Canvas] = {}
        self.segments: dict[str, list[Path]] = {theme: [] for theme in themes}
        self.painted = 0   # segments painted and encoded (counting every theme once)
        self.reused = 0    # segments taken from an earlier render
        self.pending: list[tuple[Frame, int]] = []  # frames of the animations not yet in a segment

    def canvas(self, theme: str) -> Canvas:
        if theme not in self.canvases:
            self.canvases[theme] = Canvas(self.camera, self.themes[theme], self.background)
        return self.canvases[theme]

    def add(self, frames: list[tuple[Frame, int]]) -> None:
        """One animation's frames, each with how many times it repeats."""
        self.pending += frames
        if sum(repeats for _, repeats in self.pending) >= SEGMENT_SECONDS * self.settings["fps"]:
            self.flush()

    def flush(self) -> None:
        """Make the segment of the animations added since the last one (call at the end too)."""
        frames, self.pending = self.pending, []
        if not frames:
            return
        h = hashlib.blake2b(digest_size=16)
        h.update(self.fingerprint.encode())
        for frame, repeats in frames:
            h.update(frame.digest)
            h.update(repeats.to_bytes(4, "little"))
        drawn = h.hexdigest()
        missing = {}
        for theme, colors in self.themes.items():
            name = hashlib.blake2b(f"{drawn}|{colors.fingerprint}".encode(), digest_size=16).hexdigest() + ".mp4"
            target = self.out[theme] / "segments" / name
            self.segments[theme].append(target)
            if not target.exists() and not self._take(name, target):
                missing[theme] = target
        if missing:
            self._encode(frames, missing)
            self.painted += 1
        else:
            self.reused += 1

    def _sample(self, theme: str, pixels: np.ndarray, repeats: int) -> None:
        every = self.samples.get("every")
        if every is None:
            return
        first = -(-self.frame_index // every) * every  # the first multiple of `every` among these frames
        if first < self.frame_index + repeats:
            folder = self.samples["folder"] / theme
            folder.mkdir(parents=True, exist_ok=True)
            np.save(folder / f"{first:06d}.npy", pixels[:, :, :3].copy())

    def _take(self, name: str, target: Path) -> bool:
        """Link (or copy) a segment of the same name from an earlier render of this video."""
        theme = next(t for t, folder in self.out.items() if target.is_relative_to(folder))
        for folder in self.reuse.get(theme, []):
            source = folder / "segments" / name
            if source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copyfile(source, target)
                return True
        return False

    def _encode(self, frames: list[tuple[Frame, int]], targets: dict[str, Path]) -> None:
        width, height = self.camera.pixel_width, self.camera.pixel_height
        still = frames[0][1] if len(frames) == 1 else 0
        encoders = {}
        try:
            for theme, target in targets.items():
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(f".{target.name}.part")
                command = encoder_command(partial, width, height, self.settings, still)
                encoders[theme] = (subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                                    stderr=subprocess.PIPE, **child_process_options()), partial)
            for frame, repeats in frames:
                for theme, (process, _) in encoders.items():
                    pixels = self.canvas(theme).paint(frame)
                    self._sample(theme, pixels, repeats)
                    for _ in range(1 if still else repeats):
                        process.stdin.write(pixels.data)
                self.frame_index += repeats
            for theme, (process, partial) in encoders.items():
                process.stdin.close()
                error = process.stderr.read().decode(errors="replace")
                if process.wait() != 0:
                    raise RuntimeError(f"ffmpeg failed encoding a segment: {error.strip()[-300:]}")
                os.replace(partial, targets[theme])
        finally:
            for process, partial in encoders.values():
                if process.poll() is None:
                    process.kill()
                    process.wait()
                partial.unlink(missing_ok=True)


def join_segments(segments: list[Path], target: Path) -> None:
    """The segments one after another, without re-encoding; moov atom first (+faststart)."""
    listing = target.with_name(f".{target.name}.list")
    listing.write_text("".join(f"file '{path.resolve()}'\n" for path in segments), encoding="utf-8")
    try:
        command = ["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy",
                   "-movflags", "+faststart", "-map_metadata", "-1", "-fflags", "+bitexact", str(target)]
        result = subprocess.run(command, capture_output=True, text=True, **child_process_options())
        if result.returncode != 0:
            raise RuntimeError(f"ffmpeg failed joining segments: {result.stderr.strip()[-300:]}")
    finally:
        listing.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the renderer
def make_renderer(writer_options: dict):
    """A Manim CairoRenderer that records display lists and hands each animation to a SegmentWriter.

    Defined in a function so importing this module does not import Manim.
    """
    from manim.renderer.cairo_renderer import CairoRenderer
    from manim.utils.iterables import list_update

    class ThemesRenderer(CairoRenderer):
        def __init__(self):
            super().__init__()
            self.current: Frame | None = None
            self.frames: list[tuple[Frame, int]] = []
            self.writer: SegmentWriter | None = None
            self.final: Frame | None = None

        def _writer(self) -> SegmentWriter:
            if self.writer is None:  # the scene's setup() has set the background colour by now
                from manim import ManimColor

                background = tuple(float(v) for v in ManimColor.parse(self.camera.background_color).to_rgb())
                self.writer = SegmentWriter(self.camera, background=background, **writer_options)
            return self.writer

        def play(self, scene, *args, **kwargs) -> None:
            # Manim's CairoRenderer.play without its hashing and file writer: the frames go to our writer.
            self.skip_animations = self._original_skipping_status
            self.update_skipping_status()
            scene.compile_animation_data(*args, **kwargs)
            if self.skip_animations:
                self.time += scene.duration
            self.frames = []
            scene.begin_animations()
            self.save_static_frame_data(scene, scene.static_mobjects)
            if scene.is_current_animation_frozen_frame():
                self.update_frame(scene, mobjects=scene.moving_mobjects)
                self.freeze_current_frame(scene.duration)
            else:
                scene.play_internal()
            self._writer().add(self.frames)
            self.frames = []
            self.num_plays += 1

        def update_frame(self, scene, mobjects=None, include_submobjects=True, ignore_skipping=True, **kwargs):
            if self.skip_animations and not ignore_skipping:
                return
            if not mobjects:
                mobjects = list_update(scene.mobjects, scene.foreground_mobjects)
            kwargs["include_submobjects"] = include_submobjects
            self.current = Frame(self.static_image, record(self.camera, mobjects, **kwargs))

        def get_frame(self):
            return self.current  # a display list; Canvas.paint turns it into pixels

        def add_frame(self, frame, num_frames: int = 1) -> None:
            if self.skip_animations:
                return
            self.time += num_frames / self.camera.frame_rate
            if num_frames > 0:
                self.frames.append((frame, num_frames))

        def scene_finished(self, scene) -> None:
            if self.writer is not None:
                self.writer.flush()
            # The poster: the scene's final state, whole (not only what moved last).
            self.static_image = None
            self.update_frame(scene)
            self.final = self.current

    return ThemesRenderer()
