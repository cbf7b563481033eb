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

from generator.errors import BuildError

FOLDER = "thumbs"
WIDTHS = (400, 800)           # one for a 1x screen, one for 2x (and for a phone's full-width card)
MAX_BYTES = 30 * 1024         # each file, whatever its width
QUALITIES = (82, 72, 62, 50, 40)


def write_thumbnails(site: Path, posters: dict[str, dict[str, str]]) -> dict[str, dict[str, dict[str, str]]]:
    sets: dict[str, dict[str, dict[str, str]]] = {}
    for number, themes in posters.items():
        for theme_name, poster in themes.items():
            urls = []
            with Image.open(site / poster) as image:
                image = image.convert("RGB")
                for width in WIDTHS:
                    height = round(image.height * width / image.width)
                    data = _smallest_fitting(image.resize((width, height), Image.LANCZOS))
                    if data is None:
                        raise BuildError(poster, f"its {width}-px thumbnail stays over {MAX_BYTES // 1024} KB "
                                                 "even at low quality", "choose a plainer poster scene")
                    target = site / FOLDER / f"{number}-{theme_name}-{width}.webp"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                    urls.append((f"{FOLDER}/{target.name}", width))
            sets.setdefault(number, {})[theme_name] = {
                "src": urls[0][0], "srcset": ", ".join(f"{url} {width}w" for url, width in urls)}
    return sets


def _smallest_fitting(image: Image.Image) -> bytes | None:
    """The image as WebP at the best quality that keeps it under MAX_BYTES."""
    for quality in QUALITIES:
        buffer = io.BytesIO()
        image.save(buffer, "WEBP", quality=quality, method=6)
        if buffer.tell() <= MAX_BYTES:
            return buffer.getvalue()
    return None
