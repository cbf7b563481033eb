"""Stage 5, pages: Markdown through Jinja into the static site.

Input:  the Series, the manifest of what earlier stages produced (widget data and
        figures, videos), the site configuration and `templates/`.
Output: a complete site folder: one page per lesson, the index, 404.html, static
        assets, and copies (never links) of exported data, videos and the
        files runs saved (published as <lesson>/downloads/<run>/<file>).

Pages are cheap to render, so this stage redoes all of them whenever anything the
site depends on changed; `build` skips it entirely when nothing did.
"""
from __future__ import annotations

import html
import json
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markdown
import markupsafe

from generator import feeds, fonts, search, theme, thumbnails, webvtt
from generator.errors import BuildError, did_you_mean, location
from generator.export import ExportedWidget
from generator.lessons import Embed, Lesson, PlannedLesson, Series, is_regular_file
from generator.links import check_local_links, check_reference_urls
from generator.markdown_ext import (CitationExtension, EmbedExtension, FactExtension, MathError, MathExtension,
                                    ProseError, footnotes_to_sidenotes, heading_text_to_id)
from generator.safety import artifact_problem, inside
from generator.sanitize import SanitizeExtension, UnsafeHTML
from generator.snippets import highlight_code, list_regions, read_region
from generator.styles import THEME_BOOT_SCRIPT, csp, minify_css, script_hash, stylesheet
from generator.training import artifacts_folder, measures_file

WORDS_PER_MINUTE = 200
# A page larger than this is a mistake (a runaway format or embed), not a lesson.
MAX_PAGE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class SiteConfig:
    """How the site is published: the build's options (base path, site URL, quality,
    videos, folders) and the commit it is built from, with that commit's date."""

    options: Any                  # build.BuildOptions
    commit: str = "unversioned"
    commit_date: str = ""         # the commit's date (ISO), not the clock's

    @classmethod
    def of(cls, options, commit: tuple[str, str]) -> "SiteConfig":
        return cls(options, *commit)

    def __getattr__(self, name: str):  # base_path, site_url, quality, videos, root, templates
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.options, name)


@dataclass
class LessonAssets:
    """What earlier stages produced for one lesson."""

    widgets: dict[str, ExportedWidget] = field(default_factory=dict)
    videos: dict[str, dict[str, dict[str, Path]]] = field(default_factory=dict)  # scene -> theme -> kind -> path
    records: dict[str, Path] = field(default_factory=dict)


def breakable_url(url: str) -> markupsafe.Markup:
    """A URL as link text that may wrap only after a slash or before a dot, never mid-word."""
    escaped = html.escape(url)
    escaped = re.sub(r"(//|/)(?!$)", r"\1<wbr>", escaped)
    escaped = re.sub(r"(?<=\w)([.?#&=_-])(?=\w)", r"<wbr>\1", escaped)
    return markupsafe.Markup(escaped)


# --------------------------------------------------------------------------- the stage
class PageRenderer:
    def __init__(self, root: Path, templates: Path, series: Series, assets: dict[str, LessonAssets],
                 config: SiteConfig):
        self.root = root
        self.templates = templates
        self.series = series
        self.assets = assets
        self.config = config
        # Compiled templates are kept between builds (keyed by their source): compiling them
        # is a good part of a prose edit's rebuild.
        compiled = config.out / "cache" / "jinja"
        compiled.mkdir(parents=True, exist_ok=True)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled)),
            autoescape=jinja2.select_autoescape(["html"]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._facts: dict[str, dict[str, Any]] = {}
        css = stylesheet(templates)

        def page_css(prefix: str, extra: str = "") -> str:
            """The styles of a page at `prefix` from the site root: the stylesheet, whose font
            URLs must be relative to the page once inline, then `extra` (its widgets' CSS)."""
            return css.replace('url("../', f'url("{prefix}static/') + extra

        self.env.globals.update(site=series, config=config, theme_boot_script=THEME_BOOT_SCRIPT, page_css=page_css,
                                page_csp=lambda prefix, extra="": csp([script_hash(THEME_BOOT_SCRIPT)],
                                                                      [script_hash(page_css(prefix, extra))]))
        self.env.filters["breakable_url"] = breakable_url
        self.env.filters["clock"] = clock
        self.bodies: dict[str, str] = {}  # slug -> rendered body, for check_local_links
        self.cited: dict[str, set[str]] = {}  # slug -> reference keys its prose cites

    # ---- one lesson
    def lesson_html(self, lesson: Lesson) -> tuple[str, list[dict[str, Any]]]:
        """The lesson body as HTML, and its table of contents."""
        assets = self.assets.get(lesson.slug, LessonAssets())
        md = markdown.Markdown(
            extensions=[
                "fenced_code", "tables", "attr_list", "footnotes", "sane_lists",
                "toc", MathExtension(), FactExtension(lambda run, fact: self.fact(lesson, assets, run, fact)),
                CitationExtension(lambda key: self.citation(lesson, key)),
                EmbedExtension(lesson.embeds, lesson.body_line, lambda e: self.embed_html(lesson, assets, e)),
                SanitizeExtension(lesson.body),
            ],
            extension_configs={"toc": {"permalink": "#", "permalink_title": "Link to this section",
                                       "slugify": heading_text_to_id, "toc_depth": "2-3"}},
        )
        try:
            body = md.convert(lesson.body)
        except MathError as exc:
            line = _unclosed_block_line(lesson) if exc.token == "$$" else _line_containing(lesson.source, exc.token)
            raise BuildError(location(lesson.source, line, self.root), str(exc), "fix the TeX") from None
        except (ProseError, UnsafeHTML) as exc:
            line = _line_containing(lesson.source, exc.token)
            raise BuildError(location(lesson.source, line, self.root), exc.problem, exc.fix) from None
        self.check_every_reference_cited(lesson)
        body = self._highlight_fences(body)
        body = footnotes_to_sidenotes(body)
        body = prose_only_for_search(body)
        return body, getattr(md, "toc_tokens", [])

    def citation(self, lesson: Lesson, key: str) -> tuple[int, str]:
        """The number of the reference a `[@key]` citation names (its place in the list), and its text."""
        references = lesson.meta.get("references", [])
        keys = [ref.get("key") for ref in references]
        if key not in keys:
            known = ", ".join(k for k in keys if k) or "none"
            raise ProseError(f"@{key}", f"citation [@{key}] names no reference",
                            f"give a reference 'key: {key}' in the front matter, or use one of: {known}")
        self.cited.setdefault(lesson.slug, set()).add(key)
        return keys.index(key) + 1, str(references[keys.index(key)].get("text", ""))

    def check_every_reference_cited(self, lesson: Lesson) -> None:
        """A reference the prose never cites is one the reader cannot tie to a claim: an error
        at the front-matter line of the reference."""
        cited = self.cited.get(lesson.slug, set())
        lines = lesson.source.read_text(encoding="utf-8-sig").split("\n")[:lesson.body_line]
        for number, ref in enumerate(lesson.meta.get("references", []), 1):
            key = ref.get("key")
            if key in cited:
                continue
            text = str(ref.get("text", ""))
            key_line = next((i for i, t in enumerate(lines, 1)
                             if key and re.search(rf"\bkey:\s*['\"]?{re.escape(key)}\b", t)), None)
            line = key_line or next((i for i, t in enumerate(lines, 1) if text and text[:40] in t), None)
            if not key:
                raise BuildError(location(lesson.source, line, self.root),
                                 f"reference {number} has no key, so the prose cannot cite it",
                                 "give it 'key: NAME' and cite it with [@NAME] where the text relies on it")
            raise BuildError(location(lesson.source, line, self.root),
                             f"reference '{key}' is never cited in the text",
                             f"cite it with [@{key}] where the text relies on it, or drop it")

    def fact(self, lesson: Lesson, assets: LessonAssets, run: str, name: str) -> object:
        """A named result recorded by one of the lesson's runs, for `[[run.fact]]` in prose."""
        token = f"[[{run}.{name}"
        if run not in assets.records:
            known = ", ".join(sorted(assets.records)) or "none"
            raise ProseError(token, f"[[{run}.{name}]] names run '{run}', which experiments.py does not declare"
                            f"{did_you_mean(run, assets.records)}",
                            f"declared runs: {known}")
        key = f"{lesson.slug}/{run}"
        if key not in self._facts:  # facts and measures (rec.measure) read alike
            record = assets.records[run]
            measures = measures_file(record)
            self._facts[key] = {**json.loads(record.read_text()).get("facts", {}),
                                **(json.loads(measures.read_text()) if measures.is_file() else {})}
        facts = self._facts[key]
        if name not in facts:
            raise ProseError(token, f"run '{run}' recorded no fact '{name}'{did_you_mean(name, facts)}",
                             f"its facts: {', '.join(sorted(facts)) or 'none'}; add it with rec.fact(...) or "
                             "rec.measure(...)")
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
                widget=exported, caption=live_only_instructions(embed.caption), data_url=f"data/{exported.embed_id}.json",
                figure_size=png_size(exported.figures["light"]),
                module_url=widget_url(exported.widget, "widget.js"),
                figure_url={name: f"data/{exported.embed_id}-{name}.png" for name in exported.figures},
                prefix="../")
        if embed.kind == "video" and not self.config.videos:
            return self.env.get_template("partials/video-placeholder.html").render(
                scene=embed.name, caption=embed.caption)
        if embed.kind == "video":
            variants = assets.videos[embed.name]  # build.render_videos checked the embed
            urls = {t: {kind: f"../video/{Path(p).name}" for kind, p in variants[t].items()} for t in theme.THEMES}
            # Cue texts are the same in both themes: the light files give the chapters and transcript.
            chapters = webvtt.read(variants["light"]["chapters"]) if "chapters" in variants["light"] else []
            return self.env.get_template("partials/video.html").render(
                scene=embed.name, caption=embed.caption, light=urls["light"], dark=urls["dark"],
                title=embed.caption or embed.name, chapters=chapters if len(chapters) > 1 else [],
                transcript=[text for _, _, text in webvtt.read(variants["light"]["captions"])])
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
            page_url=f"{self.config.site_url}{lesson.slug}/" if self.config.site_url else "",
            social_card=(f"{self.config.site_url}{lesson.slug}/{feeds.CARD_NAME}"
                         if self.config.site_url and lesson.number in self.thumbnails() else ""),
            widget_css="".join(minify_css(w.css.read_text(encoding="utf-8"))
                               for w in used_widgets(self.assets.get(lesson.slug)) if w.css is not None),
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

    def render_index(self, thumbnails: dict[str, dict[str, dict[str, str]]]) -> str:
        """The index; `thumbnails` is thumbnails.write_thumbnails()'s answer."""
        entries = sorted([*self.series.lessons, *self.series.planned], key=lambda item: item.number)
        return self.env.get_template("index.html").render(entries=entries, prefix="", thumbnails=thumbnails)

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

    def render_search(self) -> str:
        return self.env.get_template("search.html").render(prefix="")


# A sentence that tells the reader to work a control; without the live figure there is none.
INSTRUCTION = re.compile(r"\b(drag|press|click|tap|pick|choose|scrub|slide|hover|move the|switch)\w*\b", re.I)


def live_only_instructions(caption: str) -> markupsafe.Markup:
    """A widget caption, its instruction sentences marked to show only with the live figure
    (site.css hides them without JavaScript and in print, where the static image stands in)."""
    sentences = re.split(r"(?<=[.!?])\s+", caption.strip()) if caption else []
    parts = [f'<span class="live-only">{html.escape(s)}</span>' if INSTRUCTION.search(s) else html.escape(s)
             for s in sentences]
    return markupsafe.Markup(" ".join(parts))


def prose_only_for_search(body: str) -> str:
    """Keep code, equations, section-link marks and video controls out of the search index,
    so a result's excerpt is prose ("by hand# Start with" was a heading and its link)."""
    body = re.sub(r'<div class="highlight"', '<div class="highlight" data-pagefind-ignore', body)
    body = re.sub(r'<a class="headerlink"', '<a class="headerlink" data-pagefind-ignore', body)
    return re.sub(r'<div class="math-display"', '<div class="math-display" data-pagefind-ignore', body)


def clock(seconds: float) -> str:
    """0:07, 1:02: a chapter's start as a reader reads it."""
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


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


def write_site(out: Path, series: Series, assets: dict[str, LessonAssets], config: SiteConfig, ctx) -> None:
    """Render every page and copy every asset into `out` (an empty staging folder)."""
    root, templates, progress, cache = ctx.root, config.templates, ctx.progress, ctx.cache
    renderer = PageRenderer(root, templates, series, assets, config)
    renderer.env.tests["planned"] = is_planned
    static_out = out / "static"
    shutil.copytree(templates / "static", static_out)
    shutil.rmtree(static_out / "css")  # inlined into every page (stylesheet())
    (out / ".nojekyll").write_text("")
    for i, lesson in enumerate(series.lessons, 1):
        progress.item("pages", lesson.slug, i, len(series.lessons))
        write_lesson(out, renderer, lesson, assets.get(lesson.slug, LessonAssets()), root)
    index_thumbnails = thumbnails.write_thumbnails(out, renderer.thumbnails(), cache)  # the posters are in out/video now
    (out / "index.html").write_text(renderer.render_index(index_thumbnails), encoding="utf-8")
    (out / "404.html").write_text(renderer.render_404(), encoding="utf-8")
    (out / "search.html").write_text(renderer.render_search(), encoding="utf-8")
    feeds.write_feeds(out, series, config, renderer.thumbnails())
    # Pages are final from here: the fonts keep the glyphs they use, the search indexes them.
    fonts.write_fonts(out, templates, cache)
    search.write_index(out)
    # Only now does `out` hold every file the site will have.
    for lesson in series.lessons:
        check_local_links(lesson, renderer.bodies[lesson.slug], out, config.base_path, root)
        check_reference_urls(lesson, out, config.base_path, root)


def write_lesson(out: Path, renderer: PageRenderer, lesson: Lesson, lesson_assets: LessonAssets, root: Path,
                 replace: bool = False) -> None:
    """One lesson's page and every file it uses into the site folder `out`. With `replace`,
    files already there (a shared video, a built-in widget's script) are replaced."""
    def copy(source: Path, target: Path) -> None:  # every file lands inside the site folder, or nowhere
        (_replace if replace else _copy)(source, inside(target, out, location(lesson.source, None, root)))

    folder = out / lesson.slug
    folder.mkdir(parents=True)
    (folder / "index.html").write_text(renderer.render_lesson(lesson), encoding="utf-8")
    for asset in lesson.assets:  # images an author keeps beside lesson.md
        copy(asset, folder / asset.relative_to(lesson.folder))
    for widget in used_widgets(lesson_assets):  # only the page's part: widget.js and widget.css
        target = (out / "static" if widget.lesson is None else folder) / "widgets" / widget.name
        for path in (widget.js, widget.css):
            if path is not None:
                copy(path, target / path.name)
    for exported in lesson_assets.widgets.values():
        copy(exported.data_file, folder / "data" / f"{exported.embed_id}.json")
        for name, figure in exported.figures.items():
            copy(figure, folder / "data" / f"{exported.embed_id}-{name}.png")
    for run_name, record in lesson_assets.records.items():  # files runs saved, e.g. weights
        files = artifacts_folder(record)
        for path in sorted(files.iterdir()) if files.is_dir() else []:
            if not is_regular_file(path):
                raise BuildError(location(lesson.experiments, None, root),
                                 f"run '{run_name}' saved '{path.name}', which is not a regular file",
                                 "write the file itself with rec.artifact(...), never a link")
            if artifact_problem(path.name):  # only data is published beside the pages, never a script
                raise BuildError(location(lesson.experiments, None, root), f"run '{run_name}': "
                                 f"{artifact_problem(path.name)}", "save it under another name")
            copy(path, folder / "downloads" / run_name / path.name)
    for variants in lesson_assets.videos.values():
        for files in variants.values():
            for path in files.values():
                copy(Path(path), out / "video" / Path(path).name)


def write_one_lesson(out: Path, series: Series, lesson: Lesson, assets: dict[str, LessonAssets],
                     config: SiteConfig, ctx) -> None:
    """Replace one lesson in `out`, a copy of the previous site; leave every other file."""
    root, templates, progress, cache = ctx.root, config.templates, ctx.progress, ctx.cache
    renderer = PageRenderer(root, templates, series, assets, config)
    renderer.env.tests["planned"] = is_planned
    progress.item("pages", lesson.slug, 1, 1)
    shutil.rmtree(out / lesson.slug, ignore_errors=True)
    for old in (out / "video").glob(f"{lesson.slug}--*"):  # its own videos, some maybe gone since
        old.unlink()
    write_lesson(out, renderer, lesson, assets[lesson.slug], root, replace=True)
    # The new page may use characters the old subsets lack, and the search must index it.
    fonts.write_fonts(out, templates, cache)
    shutil.rmtree(out / search.OUTPUT, ignore_errors=True)
    search.write_index(out)
    check_local_links(lesson, renderer.bodies[lesson.slug], out, config.base_path, root)
    check_reference_urls(lesson, out, config.base_path, root)


def _replace(source: Path, target: Path) -> None:
    if target.exists():
        target.unlink()
    _copy(source, target)


def _copy(source: Path, target: Path) -> None:
    """Copy a file into the site: never a link, so the site shares no inode with the cache or content."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return
    shutil.copyfile(source, target)

