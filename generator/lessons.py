"""Stage 0, lessons: find the series' lessons and read each one's front matter and embeds.

Input:  the content folder. Each lesson is `content/NN-slug/lesson.md` (front matter
        between `---` lines, then Markdown) with an optional `experiments.py`; the
        series' title and its planned-but-unwritten lessons are in `content/series.yaml`.
Output: a Series: lessons in folder order, each with validated metadata and the list of
        embeds (`::: kind name key=value | caption`) found in its body, with line numbers.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.errors import BuildError, did_you_mean, location

LESSON_DIR = re.compile(r"^(?P<number>\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)$")
EMBED_LINE = re.compile(r"^:::\s+(?P<kind>[a-z]+)\s+(?P<rest>.*?)\s*$")
EMBED_KINDS = ("widget", "video", "code")

# Every front-matter key a lesson may use: name -> (type, required, what it is).
FRONT_MATTER: dict[str, tuple[type, bool, str]] = {
    "title": (str, True, "the lesson's title"),
    "summary": (str, True, "one sentence for the index page and the description meta"),
    "prerequisites": (list, False, "what the reader should know already (list of short strings)"),
    "next": (list, False, "numbers of the lessons to read next, as strings like '02'"),
    "references": (list, False, "works cited: each {text: ..., url: ...} (url optional)"),
    "poster": (str, False, "the video scene whose poster is the lesson's thumbnail"),
}
SERIES_KEYS = {"title", "tagline", "planned"}
PLANNED_KEYS = {"number", "title", "summary"}


@dataclass(frozen=True)
class Embed:
    kind: str            # widget | video | code
    name: str            # widget type, scene name or file path
    args: dict[str, str]
    caption: str
    line: int            # line in lesson.md (1-based)


@dataclass
class Lesson:
    number: str          # "01"
    slug: str            # "01-why-the-weights-move"
    folder: Path
    source: Path         # .../lesson.md
    meta: dict[str, Any]
    body: str
    body_line: int       # line of lesson.md where the body starts (1-based)
    embeds: list[Embed] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.meta["title"]

    @property
    def experiments(self) -> Path:
        return self.folder / "experiments.py"


@dataclass
class PlannedLesson:
    number: str
    title: str
    summary: str


@dataclass
class Series:
    title: str
    tagline: str
    lessons: list[Lesson]
    planned: list[PlannedLesson]

    def by_number(self, number: str) -> Lesson | PlannedLesson | None:
        for item in [*self.lessons, *self.planned]:
            if item.number == number:
                return item
        return None


def load_series(content: Path, root: Path) -> Series:
    """Every lesson folder in order, plus the series file. Raises BuildError on bad input."""
    series_file = content / "series.yaml"
    if not series_file.is_file():
        raise BuildError(location(series_file, None, root), "series file is missing",
                         "create it with at least 'title: ...'")
    data = _load_yaml(series_file.read_text(), series_file, 0, root)
    _reject_unknown(data, SERIES_KEYS, series_file, root, "series.yaml")
    lessons = []
    for folder in sorted(p for p in content.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        if not LESSON_DIR.match(folder.name):
            raise BuildError(location(folder, None, root), "lesson folder name must look like 'NN-some-slug'",
                             "rename the folder")
        lessons.append(load_lesson(folder, root))
    planned = []
    for item in data.get("planned") or []:
        if not isinstance(item, dict) or set(item) - PLANNED_KEYS or not {"number", "title"} <= set(item):
            raise BuildError(location(series_file, None, root), f"planned lesson {item!r} is malformed",
                             "give each one number, title and summary")
        planned.append(PlannedLesson(f"{int(item['number']):02d}", str(item["title"]), str(item.get("summary", ""))))
    numbers = [lesson.number for lesson in lessons]
    for p in planned:
        if p.number in numbers:
            raise BuildError(location(series_file, None, root), f"planned lesson {p.number} already exists as a folder",
                             "remove it from 'planned'")
    series = Series(str(data.get("title", "")), str(data.get("tagline", "")), lessons, planned)
    for lesson in lessons:
        for number in lesson.meta.get("next", []):
            if series.by_number(str(number)) is None:
                raise BuildError(location(lesson.source, _key_line(lesson, "next"), root),
                                 f"'next' names lesson {number}, which is neither a folder nor planned",
                                 "add it to content/series.yaml under 'planned' or fix the number")
    return series


def load_lesson(folder: Path, root: Path) -> Lesson:
    source = folder / "lesson.md"
    if not source.is_file():
        raise BuildError(location(source, None, root), "lesson file is missing",
                         "every lesson folder needs a lesson.md")
    text = source.read_text(encoding="utf-8")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise BuildError(location(source, 1, root), "front matter must start the file with a '---' line",
                         "add '---', the metadata, and a closing '---'")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise BuildError(location(source, 1, root), "front matter is never closed",
                         "add a '---' line after the metadata") from None
    meta = _load_yaml("\n".join(lines[1:end]), source, 1, root)
    _check_front_matter(meta, "\n".join(lines[1:end]), source, root)
    match = LESSON_DIR.match(folder.name)
    lesson = Lesson(
        number=match["number"], slug=folder.name, folder=folder, source=source, meta=meta,
        body="\n".join(lines[end + 1:]), body_line=end + 2,
    )
    lesson.embeds = find_embeds(lesson, root)
    return lesson


def _load_yaml(text: str, path: Path, line_offset: int, root: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        # Where the broken construct began (an unclosed bracket) beats where YAML gave up.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise BuildError(location(path, line, root), f"front matter is not valid YAML ({problem})",
                         "fix the indentation or quoting on that line") from None
    if not isinstance(data, dict):
        raise BuildError(location(path, line_offset + 1, root), "front matter must be a mapping of keys to values",
                         "write it as 'key: value' lines")
    return data


def _reject_unknown(data: dict[str, Any], allowed: set[str], path: Path, root: Path, what: str) -> None:
    for key in data:
        if key not in allowed:
            raise BuildError(location(path, _line_of_key(path.read_text(), key), root),
                             f"unknown key '{key}' in {what}", f"allowed keys: {', '.join(sorted(allowed))}")


def _line_of_key(text: str, key: str, offset: int = 0) -> int | None:
    for i, line in enumerate(text.split("\n"), 1):
        if re.match(rf"^{re.escape(str(key))}\s*:", line):
            return i + offset
    return None


def _key_line(lesson: Lesson, key: str) -> int | None:
    return _line_of_key(lesson.source.read_text(encoding="utf-8"), key)


def _check_front_matter(meta: dict[str, Any], text: str, source: Path, root: Path) -> None:
    for key, value in meta.items():
        line = _line_of_key(text, key, offset=1)
        if key not in FRONT_MATTER:
            raise BuildError(location(source, line, root), f"unknown front-matter key '{key}'",
                             f"allowed keys: {', '.join(FRONT_MATTER)}")
        expected = FRONT_MATTER[key][0]
        if not isinstance(value, expected):
            raise BuildError(location(source, line, root),
                             f"front-matter key '{key}' must be a {expected.__name__}, got {type(value).__name__}",
                             FRONT_MATTER[key][2])
    for key, (_, required, meaning) in FRONT_MATTER.items():
        if required and not meta.get(key):
            raise BuildError(location(source, 1, root), f"front matter lacks '{key}'", f"add {key}: {meaning}")
    for i, ref in enumerate(meta.get("references", [])):
        if not (isinstance(ref, dict) and "text" in ref and set(ref) <= {"text", "url"}):
            raise BuildError(location(source, _line_of_key(text, "references", 1), root),
                             f"reference {i + 1} must be a mapping with 'text' and optional 'url'",
                             "write '- text: ...' and '  url: ...'")
    meta["next"] = [f"{int(n):02d}" if str(n).isdigit() else str(n) for n in meta.get("next", [])]


def find_embeds(lesson: Lesson, root: Path) -> list[Embed]:
    """Every `::: kind name key=value | caption` line of the body, outside fenced code."""
    embeds = []
    in_fence = False
    for offset, line in enumerate(lesson.body.split("\n")):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if in_fence:
            continue
        match = EMBED_LINE.match(line)
        if match:
            embeds.append(parse_embed(match["kind"], match["rest"], lesson.source, lesson.body_line + offset, root))
    return embeds


def parse_embed(kind: str, rest: str, source: Path, line: int, root: Path) -> Embed:
    where = location(source, line, root)
    if kind not in EMBED_KINDS:
        raise BuildError(where, f"unknown embed kind '{kind}'", f"use one of: {', '.join(EMBED_KINDS)}")
    spec, _, caption = rest.partition(" | ")
    try:
        words = shlex.split(spec)
    except ValueError as exc:
        raise BuildError(where, f"cannot read embed arguments ({exc})", "check the quotes") from None
    if not words:
        raise BuildError(where, f"'::: {kind}' needs a name", f"write '::: {kind} NAME key=value | caption'")
    name, args = words[0], {}
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if not eq or not key or not value:
            raise BuildError(where, f"embed argument '{word}' is not key=value",
                             "write arguments as key=value, and the caption after ' | '")
        if key in args:
            raise BuildError(where, f"embed argument '{key}' is given twice", "keep one")
        args[key] = value
    return Embed(kind, name, args, caption.strip(), line)


def find_lesson_folder(content: Path, wanted: str, root: Path) -> Path:
    """The folder of lesson `wanted`: its number ("05" or "5") or its folder's name."""
    folders = sorted(p for p in content.iterdir() if p.is_dir() and LESSON_DIR.match(p.name)) \
        if content.is_dir() else []
    number = f"{int(wanted):02d}" if wanted.isdigit() else None
    for folder in folders:
        if folder.name == wanted or folder.name[:2] == number:
            return folder
    names = [p.name for p in folders]
    raise BuildError(location(content, None, root), f"no lesson '{wanted}'{did_you_mean(wanted, names)}",
                     f"lessons: {', '.join(names) or 'none'}; give a number like 01 or a folder name")
