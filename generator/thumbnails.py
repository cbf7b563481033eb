"""The index's lesson thumbnails: each lesson's poster frame, resized and compressed.

Input:  the finished site folder and, per lesson number and theme, the site path of its
        poster (a full video frame, PageRenderer.thumbnails()).
Output: site/thumbs/<number>-<theme>-<width>.webp at each of WIDTHS, each at most
        MAX_BYTES, and for the index template {number: {theme: {"src", "srcset"}}}.

A poster is a 1920-px frame of a few hundred KB; the card shows it about 384 CSS px wide.
"""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from generator.cache import file_digest
from generator.errors import BuildError
from generator.sources import installed_version

FOLDER = "thumbs"
WIDTHS = (400, 800)           # one for a 1x screen, one for 2x (and for a phone's full-width card)
MAX_BYTES = 30 * 1024         # each file, whatever its width
QUALITIES = (82, 72, 62, 50, 40)


def write_thumbnails(site: Path, posters: dict[str, dict[str, str]], cache=None) -> dict[str, dict[str, dict[str, str]]]:
    """`cache` (the build's Cache) keeps each poster's thumbnails by the poster's bytes and the
    settings, so a prose edit re-encodes none (WebP at method 6 is most of a page rebuild)."""
    sets: dict[str, dict[str, dict[str, str]]] = {}
    (site / FOLDER).mkdir(parents=True, exist_ok=True)
    for number, themes in posters.items():
        for theme_name, poster in themes.items():
            names = {width: f"{number}-{theme_name}-{width}.webp" for width in WIDTHS}
            inputs = {"poster": file_digest(site / poster), "widths": repr(WIDTHS), "max-bytes": str(MAX_BYTES),
                      "qualities": repr(QUALITIES), "version:pillow": installed_version("pillow")}
            entry = cache.lookup("thumbs", f"{number}-{theme_name}", inputs) if cache is not None else None
            if entry is None:
                made = _thumbnails(site / poster, poster)
                if cache is not None:
                    pending = cache.begin("thumbs", f"{number}-{theme_name}", inputs)
                    for width, data in made.items():
                        (pending.folder / f"{width}.webp").write_bytes(data)
                    pending.commit()
            else:
                made = {width: entry.file(f"{width}.webp").read_bytes() for width in WIDTHS}
            for width, data in made.items():
                (site / FOLDER / names[width]).write_bytes(data)
            sets.setdefault(number, {})[theme_name] = {
                "src": f"{FOLDER}/{names[WIDTHS[0]]}",
                "srcset": ", ".join(f"{FOLDER}/{names[width]} {width}w" for width in WIDTHS)}
    return sets


def _thumbnails(path: Path, poster: str) -> dict[int, bytes]:
    """Width -> WebP bytes of one poster."""
    made = {}
    with Image.open(path) as image:
        image = image.convert("RGB")
        for width in WIDTHS:
            height = round(image.height * width / image.width)
            data = _smallest_fitting(image.resize((width, height), Image.LANCZOS))
            if data is None:
                raise BuildError(poster, f"its {width}-px thumbnail stays over {MAX_BYTES // 1024} KB "
                                         "even at low quality", "choose a plainer poster scene")
            made[width] = data
    return made


def _smallest_fitting(image: Image.Image) -> bytes | None:
    """The image as WebP at the best quality that keeps it under MAX_BYTES."""
    for quality in QUALITIES:
        buffer = io.BytesIO()
        image.save(buffer, "WEBP", quality=quality, method=6)
        if buffer.tell() <= MAX_BYTES:
            return buffer.getvalue()
    return None
