"""Stage 1, lessons: find the series' lessons and read each one's front matter and embeds.

Input:  the content folder. Each lesson is `content/NN-slug/lesson.md` (front matter
        between `---` lines, then Markdown) with an optional `experiments.py`; the
        series' title and its planned-but-unwritten lessons are in `content/series.yaml`.
Output: a Series: lessons in folder order, each with validated metadata and the list of
        embeds (`::: kind name key=value | caption`) found in its body, with line numbers.
"""
from __future__ import annotations

import os
import re
import shlex
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.errors import BuildError, did_you_mean, location
from generator.safety import MAX_SLUG_LENGTH

LESSON_DIR = re.compile(r"^(?P<number>\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)$")
EMBED_LINE = re.compile(r"^:::\s+(?P<kind>[a-z]+)(?:\s+(?P<rest>.*?))?\s*$")
# Longer embed lines are refused before parsing, which keeps parsing time bounded.
MAX_EMBED_LINE = 2000
CAPTION_BAR = re.compile(r"(?:^|\s)\|(?:\s|$)")
EMBED_KINDS = ("widget", "video", "code")
# Files in a lesson folder that are published beside its page, so Markdown can show them.
LESSON_ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".pdf"}

# Every front-matter key a lesson may use: name -> (type, required, what it is).
FRONT_MATTER: dict[str, tuple[type, bool, str]] = {
    "title": (str, True, "the lesson's title"),
    "summary": (str, True, "one sentence for the index page and the description meta"),
    "prerequisites": (list, False, "what the reader should know already (list of short strings)"),
    "learn": (list, False, "what the reader takes away, one short string each (listed under \"What's in here\")"),
    "next": (list, False, "the lessons to read next, each {lesson: '02', why: one line on why read it next}; "
                          "the reason lives here, with the lesson that points on, because it depends on what "
                          "the reader just learned (a bare '02' is allowed, without a reason)"),
    "references": (list, False, "works cited: each {text: ..., url: ..., key: ...} (url optional; every "
                                "reference is cited in the text as [@key])"),
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
    assets: list[Path] = field(default_factory=list)  # images and documents published beside the page

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
    series_text = read_text(series_file, root)
    data = _load_yaml(series_text, series_file, 0, root, what="series file")
    _reject_unknown(data, SERIES_KEYS, series_file, root, "series.yaml")
    lessons = []
    for folder in sorted(p for p in content.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        if not LESSON_DIR.match(folder.name):
            raise BuildError(location(folder, None, root), "lesson folder name must look like 'NN-some-slug'",
                             "rename the folder")
        if len(folder.name) > MAX_SLUG_LENGTH:
            raise BuildError(location(folder, None, root), f"lesson folder name is {len(folder.name)} characters "
                             f"long, over the limit of {MAX_SLUG_LENGTH} (it names a folder and a URL)",
                             "rename the folder with a shorter slug")
        lessons.append(load_lesson(folder, root))
    by_number: dict[str, Lesson] = {}
    for lesson in lessons:
        if lesson.number in by_number:
            raise BuildError(location(lesson.folder, None, root),
                             f"lesson number {lesson.number} is also used by {by_number[lesson.number].slug}",
                             "give each lesson folder its own number")
        by_number[lesson.number] = lesson
    planned = _planned_lessons(data, series_text, series_file, root)
    numbers = [lesson.number for lesson in lessons]
    for p in planned:
        if p.number in numbers:
            raise BuildError(location(series_file, _line_of_number(series_text, p.number), root),
                             f"planned lesson {p.number} already exists as a folder", "remove it from 'planned'")
    series = Series(str(data.get("title", "")), str(data.get("tagline", "")), lessons, planned)
    for lesson in lessons:
        for number in lesson.meta.get("next", []):
            if number == lesson.number:
                raise BuildError(location(lesson.source, key_line(lesson, "next"), root),
                                 f"'next' names lesson {number}, which is this lesson itself",
                                 "name the lessons a reader should go on to")
            if series.by_number(str(number)) is None:
                raise BuildError(location(lesson.source, key_line(lesson, "next"), root),
                                 f"'next' names lesson {number}, which is neither a folder nor planned",
                                 "add it to content/series.yaml under 'planned' or fix the number")
    return series


def _planned_lessons(data: dict[str, Any], text: str, series_file: Path, root: Path) -> list[PlannedLesson]:
    """The series file's 'planned' list, checked: numbers are whole numbers from 1 to 99."""
    items = data.get("planned") or []
    if not isinstance(items, list):
        raise BuildError(location(series_file, _line_of_key(text, "planned"), root),
                         f"series file: 'planned' must be a list, got {type(items).__name__}",
                         "write '- number: 2' entries with title and summary under 'planned:'")
    planned = []
    for item in items:
        if not isinstance(item, dict) or set(item) - PLANNED_KEYS or not {"number", "title"} <= set(item):
            raise BuildError(location(series_file, _line_of_key(text, "planned"), root),
                             f"series file: planned lesson {item!r} is malformed",
                             "give each one number, title and summary")
        number = item["number"]
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 99:
            raise BuildError(location(series_file, _line_of_number(text, number), root),
                             f"series file: planned lesson number {number!r} is not a whole number from 1 to 99",
                             "write it like 'number: 2'")
        planned.append(PlannedLesson(f"{number:02d}", str(item["title"]), str(item.get("summary", ""))))
    return planned


def _line_of_number(text: str, number: object) -> int | None:
    """The line of the series file where `number: <number>` is written."""
    for i, line in enumerate(text.split("\n"), 1):
        match = re.match(r"^\s*-?\s*number\s*:\s*(.*?)\s*$", line)
        if match and (match[1] == str(number) or match[1].lstrip("0") == str(number).lstrip("0")
                      or (number is None and match[1] in ("", "null", "~"))):
            return i
    return None


def read_text(path: Path, root: Path) -> str:
    """A source file's text; not UTF-8 is one error naming the line. A leading BOM is dropped."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise BuildError(location(path, line, root), f"the file is not UTF-8 text (byte {data[exc.start]:#04x})",
                         "save it as UTF-8") from None


def load_lesson(folder: Path, root: Path) -> Lesson:
    source = folder / "lesson.md"
    if not source.is_file():
        raise BuildError(location(source, None, root), "lesson file is missing",
                         "every lesson folder needs a lesson.md")
    text = read_text(source, root)
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
    lesson.assets = lesson_asset_files(folder, root)
    return lesson


def lesson_asset_files(folder_path: Path, root: Path) -> list[Path]:
    """The images and documents of a lesson folder that are published beside its page.

    Each must be a regular file inside the folder: a symbolic link (to a file or a
    folder) could publish anything on the machine, so it is refused, not skipped.
    """
    found = []
    for folder, subfolders, files in os.walk(folder_path):  # os.walk lists a linked folder, never enters it
        if Path(folder) == folder_path:
            # A lesson's tests (and Python's caches) are the lesson's, never the reader's.
            subfolders[:] = [name for name in subfolders if name not in ("tests", "__pycache__")]
        for name in sorted(subfolders + files):
            path = Path(folder) / name
            published = name in files and path.suffix.lower() in LESSON_ASSET_SUFFIXES
            if path.is_symlink() or (published and not is_regular_file(path)):
                raise BuildError(location(path, None, root), "is a symbolic link or not a regular file; "
                                 "only regular files inside the lesson folder are published",
                                 "replace it with a copy of the file, or move it out of content/")
            if published:
                found.append(path)
    return sorted(found)


def is_regular_file(path: Path) -> bool:
    """A plain file, not a link, device or folder (lstat: links are not followed)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _load_yaml(text: str, path: Path, line_offset: int, root: Path, what: str = "front matter") -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        # Where the broken construct began (an unclosed bracket) beats where YAML gave up.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise BuildError(location(path, line, root), f"{what} is not valid YAML ({problem})",
                         "fix the indentation or quoting on that line") from None
    if not isinstance(data, dict):
        raise BuildError(location(path, line_offset + 1, root), f"{what} must be a mapping of keys to values",
                         "write it as 'key: value' lines")
    return data


def _reject_unknown(data: dict[str, Any], allowed: set[str], path: Path, root: Path, what: str) -> None:
    for key in data:
        if key not in allowed:
            raise BuildError(location(path, _line_of_key(read_text(path, root), key), root),
                             f"unknown key '{key}' in {what}", f"allowed keys: {', '.join(sorted(allowed))}")


def _line_of_key(text: str, key: str, offset: int = 0) -> int | None:
    for i, line in enumerate(text.split("\n"), 1):
        if re.match(rf"^{re.escape(str(key))}\s*:", line):
            return i + offset
    return None


def _line_containing_text(text: str, needle: str, offset: int = 0) -> int | None:
    for i, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return i + offset
    return None


def key_line(lesson: Lesson, key: str) -> int | None:
    return _line_of_key(lesson.source.read_text(encoding="utf-8-sig"), key)


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
    keys: set[str] = set()
    for i, ref in enumerate(meta.get("references", [])):
        if not (isinstance(ref, dict) and "text" in ref and set(ref) <= {"text", "url", "key"}):
            raise BuildError(location(source, _line_of_key(text, "references", 1), root),
                             f"reference {i + 1} must be a mapping with 'text' and optional 'url' and 'key'",
                             "write '- text: ...', '  url: ...' and '  key: ...'")
        url = ref.get("url")
        if url is not None:
            from generator.sanitize import url_problem

            problem = "it is not text" if not isinstance(url, str) else url_problem(url, link=True)
            if problem:
                where = (_line_containing_text(text, f"url: {url}", 1) if isinstance(url, str) else None) \
                    or _line_of_key(text, "references", 1)
                raise BuildError(location(source, where, root), f"reference url {str(url)[:80]!r}: {problem}",
                                 "give a full https:// address, or a path of the site relative to the lesson page")
        key = ref.get("key")
        if key is not None:
            where = _line_containing_text(text, f"key: {key}", 1) or _line_of_key(text, "references", 1)
            if not (isinstance(key, str) and re.fullmatch(r"[\w:-]+", key)):
                raise BuildError(location(source, where, root), f"reference key {key!r} is not a single word",
                                 "use letters, digits, '-', '_' or ':', like kingma2015")
            if key in keys:
                again = [i + 2 for i, line in enumerate(text.split("\n")) if f"key: {key}" in line][-1:] or [where]
                raise BuildError(location(source, again[0], root), f"reference key '{key}' is used twice",
                                 "give each reference its own key")
            keys.add(key)
    if any(not isinstance(item, str) or not item.strip() for item in meta.get("learn", [])):
        raise BuildError(location(source, _line_of_key(text, "learn", 1), root),
                         "every 'learn' item must be a non-empty string", "write each as '- one thing learned'")
    meta.setdefault("learn", [])
    meta["next_reasons"] = {}
    numbers = []
    for item in meta.get("next", []):
        if isinstance(item, dict):
            if set(item) - {"lesson", "why"} or "lesson" not in item or not isinstance(item.get("why", ""), str):
                raise BuildError(location(source, _line_of_key(text, "next", 1), root),
                                 f"'next' entry {item!r} is malformed",
                                 "write each as '- {lesson: \"02\", why: \"one line\"}'")
            number, why = item["lesson"], item.get("why", "")
        else:
            number, why = item, ""
        number = f"{int(number):02d}" if str(number).isdigit() else str(number)
        numbers.append(number)
        if why.strip():
            meta["next_reasons"][number] = why.strip()
    meta["next"] = numbers
    for key, (kind, required, _) in FRONT_MATTER.items():  # optional keys really are optional
        if not required and kind is list:
            meta.setdefault(key, [])


def find_embeds(lesson: Lesson, root: Path) -> list[Embed]:
    """Every `::: kind name key=value | caption` line of the body, outside fenced code."""
    embeds = []
    in_fence = False
    for offset, line in enumerate(lesson.body.split("\n")):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if in_fence:
            continue
        if line.startswith(":::") and len(line) > MAX_EMBED_LINE:
            raise BuildError(location(lesson.source, lesson.body_line + offset, root),
                             f"embed line is {len(line)} characters long, over the limit of {MAX_EMBED_LINE}",
                             "shorten its arguments or caption")
        match = EMBED_LINE.match(line)
        if match:
            embeds.append(parse_embed(match["kind"], match["rest"] or "", lesson.source, lesson.body_line + offset,
                                      root))
    return embeds


def parse_embed(kind: str, rest: str, source: Path, line: int, root: Path) -> Embed:
    where = location(source, line, root)
    if kind not in EMBED_KINDS:
        raise BuildError(where, f"unknown embed kind '{kind}'", f"use one of: {', '.join(EMBED_KINDS)}")
    # The caption follows the first '|' that stands alone: '::: code | caption' has no name.
    spec, caption = (CAPTION_BAR.split(rest, maxsplit=1) + [""])[:2]
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
