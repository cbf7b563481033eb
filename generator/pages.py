"""Stage 4, pages: Markdown through Jinja into the static site.

Input:  the Series, the manifest of what earlier stages produced (widget data and
        figures, videos), the site configuration and `templates/`.
Output: a complete site folder: one page per lesson, the index, 404.html, static
        assets, and copies (never links) of exported data, videos and the
        files runs saved (published as <lesson>/downloads/<run>/<file>).

Pages are cheap to render, so this stage redoes all of them whenever anything the
site depends on changed; `build` skips it entirely when nothing did.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import os
import re
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markdown
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound

from generator import theme
from generator.errors import BuildError, location
from generator.export import ExportedWidget
from generator.lessons import Embed, Lesson, PlannedLesson, Series, is_regular_file
from generator.training import artifacts_folder
from generator.markdown_ext import (EmbedExtension, FactError, FactExtension, MathError, MathExtension,
                                    heading_text_to_id)

WORDS_PER_MINUTE = 200
# A page larger than this is a mistake (a runaway format or embed), not a lesson.
MAX_PAGE_BYTES = 20 * 1024 * 1024
REGION_START = re.compile(r"#\s*\[start:(?P<name>[\w-]+)\]")
REGION_END = re.compile(r"#\s*\[end:(?P<name>[\w-]+)\]")

# The head script that sets the theme before first paint. Its hash goes into the page's
# Content-Security-Policy, which otherwise allows scripts from the site itself only.
THEME_BOOT_SCRIPT = (
    "(function(){var t;try{t=localStorage.getItem('theme')}catch(e){}"
    "if(t!=='light'&&t!=='dark'){t=matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light'}"
    "document.documentElement.dataset.theme=t})();"
)


@dataclass(frozen=True)
class SiteConfig:
    base_path: str = "/"          # where the site is served from, e.g. "/my-repo/"
    commit: str = "unversioned"   # the commit the site was built from
    commit_date: str = ""         # that commit's date (ISO), not the clock's
    quality: str = "publish"


@dataclass
class LessonAssets:
    """What earlier stages produced for one lesson."""

    widgets: dict[str, ExportedWidget] = field(default_factory=dict)
    videos: dict[str, dict[str, dict[str, Path]]] = field(default_factory=dict)  # scene -> theme -> kind -> path
    records: dict[str, Path] = field(default_factory=dict)


def csp(script_hashes: list[str]) -> str:
    scripts = " ".join(["'self'", *[f"'sha256-{h}'" for h in script_hashes]])
    return (f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; "
            "media-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'none'")


def script_hash(source: str) -> str:
    return base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()


# --------------------------------------------------------------------------- code snippets
def read_region(path: Path, region: str | None) -> str:
    """A file's text, or only the lines between `# [start:NAME]` and `# [end:NAME]`."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if region is None:
        kept = [line for line in lines if not (REGION_START.search(line) or REGION_END.search(line))]
        return "\n".join(kept).strip("\n") + "\n"
    start = next((i for i, line in enumerate(lines) if (m := REGION_START.search(line)) and m["name"] == region), None)
    end = next((i for i, line in enumerate(lines) if (m := REGION_END.search(line)) and m["name"] == region), None)
    if start is None or end is None or end < start:
        raise KeyError(region)
    body = [line for line in lines[start + 1:end] if not (REGION_START.search(line) or REGION_END.search(line))]
    return textwrap.dedent("\n".join(body)).strip("\n") + "\n"


def list_regions(path: Path) -> list[str]:
    return [m["name"] for m in REGION_START.finditer(path.read_text(encoding="utf-8"))]


def highlight_code(code: str, filename: str | None = None, language: str | None = None) -> str:
    try:
        lexer = get_lexer_by_name(language) if language else get_lexer_for_filename(filename or "x.txt")
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    block = highlight(code, lexer, HtmlFormatter(cssclass="highlight", wrapcode=True))
    # Long lines scroll sideways; a focusable <pre> lets keyboard users scroll it too (WCAG 2.1.1).
    return block.replace("<pre>", '<pre tabindex="0">', 1)


def code_css() -> str:
    """Pygments token colours for both themes, scoped by the page's theme attribute.

    Only token rules are kept: the block's background and layout come from site.css,
    so code sits on the palette's own code background.
    """
    parts = []
    for name in theme.THEMES:
        formatter = HtmlFormatter(style=theme.CODE_STYLES[name], cssclass="highlight")
        scopes = [f':root[data-theme="{name}"]']
        rules = _token_rules(formatter, scopes[0])
        parts.append(rules)
        # Without JavaScript there is no data-theme: follow the system setting.
        fallback = _token_rules(formatter, ":root:not([data-theme])")
        parts.append(fallback if name == "light" else f"@media (prefers-color-scheme: dark) {{\n{fallback}\n}}")
    return "\n".join(parts) + "\n"


def _token_rules(formatter: HtmlFormatter, scope: str) -> str:
    selector = f"{scope} .highlight"
    lines = formatter.get_style_defs(selector).split("\n")
    return "\n".join(line for line in lines
                     if line.startswith(selector + " .") and "background" not in line.split("{")[1][:12])


def theme_css() -> str:
    light, dark = theme.css_variables("light"), theme.css_variables("dark")
    return (f":root {{ color-scheme: light; {light} }}\n"
            f"@media (prefers-color-scheme: dark) {{ :root:not([data-theme]) {{ color-scheme: dark; {dark} }} }}\n"
            f':root[data-theme="light"] {{ color-scheme: light; {light} }}\n'
            f':root[data-theme="dark"] {{ color-scheme: dark; {dark} }}\n')


# --------------------------------------------------------------------------- the stage
class PageRenderer:
    def __init__(self, root: Path, templates: Path, series: Series, assets: dict[str, LessonAssets],
                 config: SiteConfig):
        self.root = root
        self.templates = templates
        self.series = series
        self.assets = assets
        self.config = config
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            autoescape=jinja2.select_autoescape(["html"]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._facts: dict[str, dict[str, Any]] = {}
        self.env.globals.update(site=series, config=config, csp=csp([script_hash(THEME_BOOT_SCRIPT)]),
                                theme_boot_script=THEME_BOOT_SCRIPT)
        self.bodies: dict[str, str] = {}  # slug -> rendered body, for check_local_links

    # ---- one lesson
    def lesson_html(self, lesson: Lesson) -> tuple[str, list[dict[str, Any]]]:
        """The lesson body as HTML, and its table of contents."""
        assets = self.assets.get(lesson.slug, LessonAssets())
        md = markdown.Markdown(
            extensions=[
                "fenced_code", "tables", "attr_list", "footnotes", "sane_lists",
                "toc", MathExtension(), FactExtension(lambda run, fact: self.fact(lesson, assets, run, fact)),
                EmbedExtension(lesson.embeds, lesson.body_line, lambda e: self.embed_html(lesson, assets, e)),
            ],
            extension_configs={"toc": {"permalink": "#", "permalink_title": "Link to this section",
                                       "slugify": heading_text_to_id, "toc_depth": "2-3"}},
        )
        try:
            body = md.convert(lesson.body)
        except MathError as exc:
            line = _unclosed_block_line(lesson) if exc.token == "$$" else _line_containing(lesson.source, exc.token)
            raise BuildError(location(lesson.source, line, self.root), str(exc), "fix the TeX") from None
        except FactError as exc:
            line = _line_containing(lesson.source, exc.token)
            raise BuildError(location(lesson.source, line, self.root), exc.problem, exc.fix) from None
        body = self._highlight_fences(body)
        return body, getattr(md, "toc_tokens", [])

    def fact(self, lesson: Lesson, assets: LessonAssets, run: str, name: str) -> object:
        """A named result recorded by one of the lesson's runs, for `[[run.fact]]` in prose."""
        token = f"[[{run}.{name}"
        if run not in assets.records:
            known = ", ".join(sorted(assets.records)) or "none"
            raise FactError(token, f"[[{run}.{name}]] names run '{run}', which experiments.py does not declare",
                            f"declared runs: {known}")
        key = f"{lesson.slug}/{run}"
        if key not in self._facts:
            self._facts[key] = json.loads(assets.records[run].read_text()).get("facts", {})
        facts = self._facts[key]
        if name not in facts:
            raise FactError(token, f"run '{run}' recorded no fact '{name}'",
                            f"its facts: {', '.join(sorted(facts)) or 'none'}; add it with rec.fact(...)")
        return facts[name]

    def _highlight_fences(self, body: str) -> str:
        """Fenced code from Python-Markdown, highlighted by Pygments with theme classes."""

        def replace(m: re.Match) -> str:
            code = html.unescape(m["code"])
            return highlight_code(code, language=m["lang"] or "text")

        return re.sub(r'<pre><code(?: class="language-(?P<lang>[\w+-]+)")?>(?P<code>.*?)</code></pre>',
                      replace, body, flags=re.S)

    def embed_html(self, lesson: Lesson, assets: LessonAssets, embed: Embed) -> str:
        where = location(lesson.source, embed.line, self.root)
        if embed.kind == "widget":
            from generator.export import embed_id

            exported = assets.widgets[embed_id(embed)]
            return self.env.get_template("partials/widget.html").render(
                widget=exported, caption=embed.caption, data_url=f"data/{exported.embed_id}.json",
                figure_size=png_size(exported.figures["light"]),
                module_url=widget_url(exported.widget, "widget.js"),
                figure_url={t: f"data/{exported.embed_id}-{t}.png" for t in theme.THEMES},
                prefix="../")
        if embed.kind == "video":
            variants = assets.videos[embed.name]  # build.render_videos checked the embed
            urls = {t: {kind: f"../video/{Path(p).name}" for kind, p in variants[t].items()} for t in theme.THEMES}
            return self.env.get_template("partials/video.html").render(
                scene=embed.name, caption=embed.caption, light=urls["light"], dark=urls["dark"],
                title=embed.caption or embed.name)
        if embed.kind == "code":
            return self.code_embed(lesson, embed)
        raise BuildError(where, f"unknown embed kind '{embed.kind}'", "use widget, video or code")

    def code_embed(self, lesson: Lesson, embed: Embed) -> str:
        where = location(lesson.source, embed.line, self.root)
        unknown = set(embed.args) - {"region", "lang"}
        if unknown:
            raise BuildError(where, f"code embed has unknown argument(s) {sorted(unknown)}", "use region= or lang=")
        if not embed.name:
            raise BuildError(where, "'::: code' needs a file name", "write '::: code PATH region=NAME | caption'")
        path = (self.root / embed.name).resolve()
        if not path.is_file() or self.root.resolve() not in path.parents:
            raise BuildError(where, f"code embed names '{embed.name}', which is not a file in the project",
                             "give a path relative to the project root")
        region = embed.args.get("region")
        try:
            code = read_region(path, region)
        except UnicodeDecodeError:
            raise BuildError(where, f"code embed names '{embed.name}', which is not UTF-8 text",
                             "embed a source file; offer other files as downloads") from None
        except KeyError:
            raise BuildError(where, f"'{embed.name}' has no region '{region}'",
                             f"regions there: {', '.join(list_regions(path)) or 'none'}") from None
        label = embed.name + (f" · {region}" if region else "")
        caption = html.escape(embed.caption) if embed.caption else ""
        return (f'<figure class="code-snippet"><figcaption><span class="code-file">{html.escape(label)}</span>'
                f'{" — " + caption if caption else ""}</figcaption>'
                f'{highlight_code(code, filename=path.name, language=embed.args.get("lang"))}</figure>')

    def render_lesson(self, lesson: Lesson) -> str:
        page = self._render_lesson(lesson)
        if len(page) > MAX_PAGE_BYTES:
            raise BuildError(location(lesson.source, None, self.root),
                             f"the page would be {len(page) // 1024} KB, over the limit of "
                             f"{MAX_PAGE_BYTES // 1024} KB", "look for a runaway fact format or embed")
        return page

    def _render_lesson(self, lesson: Lesson) -> str:
        body, toc = self.lesson_html(lesson)
        self.bodies[lesson.slug] = body
        words = len(re.sub(r"<[^>]+>", " ", body).split())
        ordered = self.series.lessons
        i = ordered.index(lesson)
        return self.env.get_template("lesson.html").render(
            lesson=lesson, body=body, toc=toc, prefix="../",
            reading_minutes=max(1, math.ceil(words / WORDS_PER_MINUTE)),
            previous=ordered[i - 1] if i > 0 else None,
            following=ordered[i + 1] if i + 1 < len(ordered) else None,
            next_lessons=[self.series.by_number(n) for n in lesson.meta.get("next", [])],
            contents=self.contents(lesson),
            widget_styles=[widget_url(w, "widget.css") for w in used_widgets(self.assets.get(lesson.slug))
                           if w.css is not None],
        )

    def contents(self, lesson: Lesson) -> list[dict[str, str]]:
        """'What's in here': every interactive figure and video of the lesson, with its anchor."""
        from generator.export import embed_id

        items = []
        for embed in lesson.embeds:
            if embed.kind == "widget":
                items.append({"kind": "Interactive figure", "anchor": f"widget-{embed_id(embed)}",
                              "text": _first_sentence(embed.caption) or embed.name})
            elif embed.kind == "video":
                items.append({"kind": "Video", "anchor": f"video-{embed.name}",
                              "text": _first_sentence(embed.caption) or embed.name})
        return items

    def render_index(self) -> str:
        entries = sorted([*self.series.lessons, *self.series.planned], key=lambda item: item.number)
        return self.env.get_template("index.html").render(entries=entries, prefix="", thumbnails=self.thumbnails())

    def thumbnails(self) -> dict[str, dict[str, str]]:
        """Lesson number -> theme -> poster URL, for lessons naming a poster scene."""
        thumbs = {}
        for lesson in self.series.lessons:
            scene = lesson.meta.get("poster")
            videos = self.assets.get(lesson.slug, LessonAssets()).videos
            if scene and scene in videos:
                thumbs[lesson.number] = {t: f"video/{videos[scene][t]['poster'].name}" for t in theme.THEMES}
        return thumbs

    def render_404(self) -> str:
        base = self.config.base_path
        return self.env.get_template("404.html").render(prefix=base)


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height in pixels, from its header (for the img tag's layout box)."""
    header = path.read_bytes()[16:24]
    return int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")


def widget_url(widget, filename: str) -> str:
    """Where a widget's own file is published, relative to a lesson page: a built-in's
    under static/widgets/, a lesson's own beside its page."""
    if widget.lesson is None:
        return f"../static/widgets/{widget.name}/{filename}"
    return f"widgets/{widget.name}/{filename}"


def used_widgets(assets: "LessonAssets | None") -> list:
    """The widgets a lesson embeds, each once, in order of first use."""
    seen = {}
    for exported in (assets.widgets.values() if assets else []):
        seen.setdefault(exported.widget.folder, exported.widget)
    return list(seen.values())


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]


def _line_containing(path: Path, token: str) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").split("\n"), 1):
        if token in line:
            return number
    return None


def _unclosed_block_line(lesson: Lesson) -> int | None:
    """The line of a `$$` that opens a display-math block no later `$$` closes (outside code fences)."""
    opened, in_fence = None, False
    for offset, line in enumerate(lesson.body.split("\n")):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and line.strip() == "$$":
            opened = None if opened is not None else lesson.body_line + offset
    return opened


def is_planned(item: Lesson | PlannedLesson) -> bool:
    return isinstance(item, PlannedLesson)


def write_site(out: Path, root: Path, templates: Path, series: Series, assets: dict[str, LessonAssets],
               config: SiteConfig, progress) -> None:
    """Render every page and copy every asset into `out` (an empty staging folder)."""
    renderer = PageRenderer(root, templates, series, assets, config)
    renderer.env.tests["planned"] = is_planned
    static_out = out / "static"
    shutil.copytree(templates / "static", static_out)
    (static_out / "css" / "theme.css").write_text(theme_css())
    (static_out / "css" / "code.css").write_text(code_css())
    (out / ".nojekyll").write_text("")
    for i, lesson in enumerate(series.lessons, 1):
        progress.item("pages", lesson.slug, i, len(series.lessons))
        folder = out / lesson.slug
        folder.mkdir(parents=True)
        lesson_assets = assets.get(lesson.slug, LessonAssets())
        (folder / "index.html").write_text(renderer.render_lesson(lesson), encoding="utf-8")
        for asset in lesson.assets:  # images an author keeps beside lesson.md
            _copy(asset, folder / asset.relative_to(lesson.folder))
        for widget in used_widgets(lesson_assets):  # only the page's part: widget.js and widget.css
            target = (out / "static" if widget.lesson is None else folder) / "widgets" / widget.name
            for path in (widget.js, widget.css):
                if path is not None:
                    _copy(path, target / path.name)
        for exported in lesson_assets.widgets.values():
            _copy(exported.data, folder / "data" / f"{exported.embed_id}.json")
            for name, figure in exported.figures.items():
                _copy(figure, folder / "data" / f"{exported.embed_id}-{name}.png")
        for run_name, record in lesson_assets.records.items():  # files runs saved, e.g. weights
            files = artifacts_folder(record)
            for path in sorted(files.iterdir()) if files.is_dir() else []:
                if not is_regular_file(path):
                    raise BuildError(location(lesson.experiments, None, root),
                                     f"run '{run_name}' saved '{path.name}', which is not a regular file",
                                     "write the file itself with rec.artifact(...), never a link")
                _copy(path, folder / "downloads" / run_name / path.name)
        for variants in lesson_assets.videos.values():
            for files in variants.values():
                for path in files.values():
                    _copy(Path(path), out / "video" / Path(path).name)
    (out / "index.html").write_text(renderer.render_index(), encoding="utf-8")
    (out / "404.html").write_text(renderer.render_404(), encoding="utf-8")
    # Only now does `out` hold every file the site will have.
    for lesson in series.lessons:
        check_local_links(lesson, renderer.bodies[lesson.slug], out, config.base_path, root)
        check_reference_urls(lesson, out, config.base_path, root)


# href= and src= in Markdown's output and in raw HTML, with double, single or no quotes.
LOCAL_URL = re.compile(r"""\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.I)


def check_local_links(lesson: Lesson, body: str, site: Path, base_path: str, root: Path) -> None:
    """Every relative link and image of a lesson body must name a file the site contains.

    `site` is the finished staging folder; the page is `site/<slug>/index.html`. A broken
    one is reported at the lesson.md line where its URL is written.
    """
    lines = lesson.source.read_text(encoding="utf-8-sig").split("\n")
    for raw in dict.fromkeys(html.unescape("".join(groups)) for groups in LOCAL_URL.findall(body)):
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


def _copy(source: Path, target: Path) -> None:
    """Copy a file into the site: never a link, so the site shares no inode with the cache or content."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return
    shutil.copyfile(source, target)

