"""Web fonts, subset to what the site shows (called by `pages` once every page is written).

Input:  the finished pages of a site folder; the text face (Charis SIL, SIL Open Font
        License, from Debian's `fonts-sil-charis`, installed by `make setup`) and the math
        face kept in templates/static/fonts/ (Latin Modern Math, with its MATH table).
Output: static/fonts/<face>.woff2 for each face, holding only the glyphs the pages can
        use, so a reader downloads tens of kilobytes instead of megabytes.

The text faces keep all of Basic Latin, Latin-1 and common punctuation whatever the
pages say, because charts draw labels in the page font from JavaScript. The math face
keeps the characters inside <math> elements plus the italic letters Chromium substitutes
for single-letter identifiers (x -> U+1D465). fontTools' subsetter keeps the MATH table's
size variants and assemblies for the glyphs kept, so stretchy sums and brackets still grow.
"""
from __future__ import annotations

import html
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from generator.cache import file_digest, text_digest
from generator.errors import BuildError

TEXT_FACE_DIR = Path("/usr/share/fonts/truetype/charis")
TEXT_FACE_PACKAGE = "fonts-sil-charis"


@dataclass(frozen=True)
class Face:
    output: str      # file name under static/fonts/
    source: Path     # the full font
    kind: str        # "text" or "math"


def faces(templates: Path) -> list[Face]:
    return [
        Face("text-regular.woff2", TEXT_FACE_DIR / "CharisSIL-Regular.ttf", "text"),
        Face("text-italic.woff2", TEXT_FACE_DIR / "CharisSIL-Italic.ttf", "text"),
        Face("text-bold.woff2", TEXT_FACE_DIR / "CharisSIL-Bold.ttf", "text"),
        Face("math.woff2", templates / "static" / "fonts" / "latinmodern-math.woff2", "math"),
    ]


# Everything a chart label, a readout or the site's own chrome may print.
ALWAYS_TEXT = ({chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x100)}
               | set("‐‑–—‘’‚“”„•…′″‹›€→←↑↓−×÷≈≠≤≥·∂√∞∑αβγδεηθλμπσφω✓"))
ALWAYS_MATH = set(" 0123456789+-=()[]{}.,√")  # √: <msqrt> draws it from the font though no text holds it

MATH_ELEMENT = re.compile(r"<math\b.*?</math>", re.S)
TAG = re.compile(r"<[^>]+>")
SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S)


def page_text(markup: str) -> str:
    """The characters a page shows: its markup without tags, scripts and styles, unescaped."""
    return html.unescape(TAG.sub(" ", SCRIPT_OR_STYLE.sub(" ", markup)))


def math_text(markup: str) -> str:
    return "".join(html.unescape(TAG.sub(" ", m)) for m in MATH_ELEMENT.findall(markup))


def italic_forms(chars: set[str]) -> set[str]:
    """The Mathematical Italic letters Chromium draws for single-letter <mi> elements."""
    out = set()
    for ch in chars:
        name = unicodedata.name(ch, "")
        for prefix in ("LATIN ", "GREEK "):
            if name.startswith(prefix) and " LETTER " in name:
                letter = name[len(prefix):].replace("LETTER ", "")
                try:
                    out.add(unicodedata.lookup(f"MATHEMATICAL ITALIC {letter}"))
                except KeyError:
                    if ch == "h":
                        out.add("\u210e")  # PLANCK CONSTANT stands in for italic h
    return out


def fingerprints(templates: Path) -> dict[str, str]:
    """The full faces the subsets are cut from, for the site's cache key."""
    return {f"font:{face.output}": file_digest(face.source) if face.source.is_file() else "missing"
            for face in faces(templates)}


def characters(pages: list[str]) -> dict[str, set[str]]:
    """{"text": chars, "math": chars} for a site's pages."""
    text, math = set(ALWAYS_TEXT), set(ALWAYS_MATH)
    for markup in pages:
        text |= set(page_text(MATH_ELEMENT.sub(" ", markup)))
        shown = set(math_text(markup))
        math |= shown | italic_forms(shown)
        if "<msqrt" in markup or "<mroot" in markup:
            math.add("\u221a")  # the radical sign is drawn by the element, never written in it
    return {"text": {c for c in text if c.isprintable()}, "math": {c for c in math if c.isprintable()}}


def subset(source: Path, chars: set[str]) -> bytes:
    """A woff2 of `source` with the glyphs for `chars` (and what their layout needs)."""
    import logging

    from fontTools import subset as ft_subset
    from fontTools.ttLib import TTFont

    # The subsetter warns about tables it drops (Graphite's Silt); the build's stderr is for errors.
    logging.getLogger("fontTools").setLevel(logging.ERROR)

    options = ft_subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]      # kerning, ligatures, math size variants
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the copyright and licence records
    options.notdef_outline = True
    options.hinting = False              # screens scale outlines; hints only add bytes
    options.desubroutinize = True        # compresses better under woff2
    font = TTFont(str(source), recalcTimestamp=False)  # the source's date: two builds give the same bytes
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in chars))
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff2"
    font.save(out)
    return out.getvalue()


def write_fonts(site: Path, templates: Path, cache=None) -> dict[str, int]:
    """Subset every face into site/static/fonts/. Returns output name -> bytes.

    `cache` (the build's Cache) keeps each subset by (font bytes, characters), so a prose
    edit that adds no new character costs no subsetting.
    """
    pages = [p.read_text(encoding="utf-8") for p in sorted(site.rglob("*.html"))]
    wanted = characters(pages)
    sizes = {}
    out_dir = site / "static" / "fonts"
    out_dir.mkdir(parents=True, exist_ok=True)
    for face in faces(templates):
        if not face.source.is_file():
            raise BuildError(str(face.source), f"font file for {face.output} is missing",
                             f"install the Debian package {TEXT_FACE_PACKAGE} (make setup does)"
                             if face.kind == "text" else "restore it from git")
        chars = wanted[face.kind]
        inputs = {"font": file_digest(face.source), "characters": text_digest("".join(sorted(chars))),
                  "version:fonttools": _subsetter_version(), "generator/fonts.py": file_digest(Path(__file__))}
        entry = cache.lookup("fonts", face.output, inputs) if cache is not None else None
        if entry is not None:
            data = entry.file(face.output).read_bytes()
        else:
            data = subset(face.source, chars)
            if cache is not None:
                pending = cache.begin("fonts", face.output, inputs)
                (pending.folder / face.output).write_bytes(data)
                pending.commit()
        (out_dir / face.output).write_bytes(data)
        sizes[face.output] = len(data)
    # The full faces the subsets came from are not published.
    for leftover in out_dir.iterdir():
        if leftover.name not in sizes:
            leftover.unlink()
    return sizes


def _subsetter_version() -> str:
    from generator.sources import installed_version

    return installed_version("fonttools")
