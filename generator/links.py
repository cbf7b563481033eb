"""A lesson's links checked against the built site: every relative link, image and
reference path must name a file the site contains, reported at its line of lesson.md."""
from __future__ import annotations

import os
from pathlib import Path

from generator.errors import BuildError, location
from generator.lessons import Lesson
from generator.sanitize import elements


# href= and src= in Markdown's output and in raw HTML, with double, single or no quotes.


def check_local_links(lesson: Lesson, body: str, site: Path, base_path: str, root: Path) -> None:
    """Every relative link and image of a lesson body must name a file the site contains.

    `site` is the finished staging folder; the page is `site/<slug>/index.html`. A broken
    one is reported at the lesson.md line where its URL is written.
    """
    lines = lesson.source.read_text(encoding="utf-8-sig").split("\n")
    # href= and src= of the elements (parsed, so text that merely reads "src=x" is not a link).
    urls = [value for _, attrs in elements(body) for name, value in attrs if name in ("href", "src")]
    for raw in dict.fromkeys(urls):
        if missing_site_file(raw, site, lesson.slug, base_path):
            line = next((i for i, text in enumerate(lines, 1) if i >= lesson.body_line and raw in text), None)
            raise BuildError(location(lesson.source, line, root),
                             f"'{raw}' points to no file of the built site",
                             f"fix the path; it is relative to the page {lesson.slug}/index.html, and only "
                             "lesson pages, their widget data, videos and static/ are published")


def check_reference_urls(lesson: Lesson, site: Path, base_path: str, root: Path) -> None:
    """A reference's url, when it is a path of this site, must name a file the site contains."""
    lines = lesson.source.read_text(encoding="utf-8-sig").split("\n")
    for ref in lesson.meta.get("references", []):
        url = str(ref.get("url") or "")
        if url and missing_site_file(url, site, lesson.slug, base_path):
            line = next((i for i, text in enumerate(lines[:lesson.body_line], 1) if url in text), None)
            raise BuildError(location(lesson.source, line, root),
                             f"reference url '{url}' points to no file of the built site",
                             "give a full https:// address, or a path of the site relative to the lesson page")


def missing_site_file(raw: str, site: Path, slug: str, base_path: str) -> bool:
    """True if the URL, read from page `<slug>/index.html`, is a path of this site naming no file of it."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not parts.path:
        return False  # another site, mailto:, data:, or an anchor on this page
    path = unquote(parts.path)
    if path.startswith("/"):  # absolute: only meaningful under the site's base path
        target = site / path[len(base_path):] if path.startswith(base_path) else None
    else:
        target = site / slug / path
    if target is not None:
        target = Path(os.path.normpath(target))
        if target.is_dir():
            target = target / "index.html"
    return (target is None or site.resolve() not in [target.resolve(), *target.resolve().parents]
            or not target.is_file())
