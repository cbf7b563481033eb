"""What a lesson's own HTML may put on a page: an allow-list, enforced with nh3.

lesson.md is Markdown, and Markdown lets an author write raw HTML (and attributes, with
attr_list). A lesson may come from a stranger, so everything the author wrote (raw
HTML, and the HTML their Markdown becomes) is run through nh3 with an allow-list of
harmless tags, attributes and URLs. The build's own HTML (math, facts, citations,
embeds) is stored with `trusted()` and left out of the check: it is made by code, not
written by the author.

Nothing is silently dropped: if the sanitiser would remove anything (a <script>, an
on...= handler, a javascript: or data: link, an image from another site), the build
stops with the lesson.md line. When it would remove nothing, the page is published as
Markdown wrote it, byte for byte.
"""
from __future__ import annotations

import html
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3
from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor

TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "a", "em", "strong", "b", "i", "u", "s", "del", "ins", "mark",
    "small", "sub", "sup", "code", "pre", "kbd", "samp", "var", "blockquote", "q", "cite", "abbr", "dfn", "time",
    "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "img", "figure", "figcaption", "div", "span", "details", "summary", "wbr", "bdi", "bdo", "ruby", "rt", "rp",
}
ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir", "role"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
    "details": {"open"},
}
# The one inline style Markdown writes (a table column's alignment), and only it.
ALIGNMENTS = {f"text-align: {side};" for side in ("left", "center", "right")}
TAG_ATTRIBUTE_VALUES = {"th": {"style": ALIGNMENTS}, "td": {"style": ALIGNMENTS}}
# Elements an HTML parser adds by itself (a table's body): not the author's.
IMPLIED = {"tbody"}
# Links may leave the site (a reader chooses to follow them); nothing else may.
LINK_SCHEMES = {"http", "https", "mailto"}


class UnsafeHTML(ValueError):
    """Something the author wrote that the sanitiser would drop. `token` is text of its line."""

    def __init__(self, token: str, problem: str, fix: str):
        self.token, self.problem, self.fix = token, problem, fix
        super().__init__(problem)


def is_local(url: str) -> bool:
    """A path of this site (relative, or an anchor): no scheme, no host."""
    parts = urlsplit(url.strip())
    return not parts.scheme and not parts.netloc and not url.strip().startswith("\\")


def url_problem(url: str, *, link: bool) -> str | None:
    """Why `url` cannot be published (in a link when `link`, else an image or source), or None."""
    parts = urlsplit(url.strip())
    if is_local(url):
        return None
    if link and parts.scheme.lower() in LINK_SCHEMES and (parts.netloc or parts.scheme.lower() == "mailto"):
        return None
    if link:
        return f"link to '{url[:80]}' is refused: only https://, http://, mailto: and paths of the site"
    return (f"'{url[:80]}' is not a file of this site; the published site makes no request to another "
            "site (and runs no javascript: or data: URL)")


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src" and url_problem(value, link=False):
        return None
    if element == "a" and attribute == "href" and url_problem(value, link=True):
        return None
    return value


def clean(fragment: str) -> str:
    """The fragment as nh3 keeps it under the allow-list."""
    return nh3.clean(fragment, tags=TAGS, attributes=ATTRIBUTES, tag_attribute_values=TAG_ATTRIBUTE_VALUES,
                     attribute_filter=_keep_attribute, url_schemes=LINK_SCHEMES, link_rel=None,
                     strip_comments=True)


class _Elements(HTMLParser):
    """Every element with its attributes, in order (text and comments are not elements)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, tuple(sorted((name, value or "") for name, value in attrs))))

    handle_startendtag = handle_starttag


def elements(fragment: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    parser = _Elements()
    parser.feed(fragment)
    parser.close()
    return parser.found


def first_dropped(fragment: str) -> tuple[str, str, str] | None:
    """(needle, problem, fix) for the first thing the sanitiser would drop, or None."""
    before, after = elements(fragment), elements(clean(fragment))
    shape = lambda found: Counter((t, tuple(n for n, _ in a)) for t, a in found if t not in IMPLIED)  # noqa: E731
    if shape(before) == shape(after):
        return None
    kept = Counter(t for t, _ in after)
    for tag, attrs in before:
        if tag not in TAGS or kept[tag] <= 0:
            return (f"<{tag}", f"raw HTML <{tag}> is not allowed in a lesson",
                    "use Markdown, or an embed (::: widget, ::: video) for anything interactive")
        kept[tag] -= 1
        for name, value in attrs:
            if name in ("href", "src") and url_problem(value, link=(name == "href")):
                return value, url_problem(value, link=(name == "href")), (
                    "write a link to another site as https://..." if name == "href"
                    else "keep images and files in the lesson folder and link them by a relative path")
            allowed = ATTRIBUTES["*"] | ATTRIBUTES.get(tag, set())
            if name not in allowed and not (name == "style" and value in TAG_ATTRIBUTE_VALUES.get(tag, {}).get(name, ())):
                return (name, f"attribute '{name}' on <{tag}> is not allowed in a lesson",
                        f"allowed on <{tag}>: {', '.join(sorted(allowed))}")
    # The sanitiser reads the HTML another way than a plain parser (a trick with comments or
    # unclosed tags): refuse it as a whole, pointing at an element only the sanitiser saw.
    extra = sorted((shape(after) - shape(before)).elements()) or [("", ())]
    return (f"<{extra[0][0]}", "raw HTML here does not survive the sanitiser unchanged",
            "write plain, well-formed HTML or Markdown")


# --------------------------------------------------------------------------- in Python-Markdown
def trusted(md: Markdown, html_text: str) -> str:
    """Stash HTML the build itself made (math, a fact, an embed): it is not checked."""
    placeholder = md.htmlStash.store(html_text)
    md.__dict__.setdefault("trusted_html", set()).add(md.htmlStash.html_counter - 1)
    return placeholder


class CheckAuthorHTML(Postprocessor):
    """Before raw HTML goes back in: the page with the build's own HTML left out, checked."""

    def __init__(self, md: Markdown, body: str):
        super().__init__(md)
        self.body_lines = body.split("\n")

    def run(self, text: str) -> str:
        stash = self.md.htmlStash
        keep = self.md.__dict__.get("trusted_html", set())
        authored = text
        for i in range(stash.html_counter):
            raw = "" if i in keep else stash.rawHtmlBlocks[i]
            raw = raw if isinstance(raw, str) else self.md.serializer(raw)
            placeholder = stash.get_placeholder(i)
            authored = authored.replace(f"<p>{placeholder}</p>", raw).replace(placeholder, raw)
        dropped = first_dropped(authored)
        if dropped:
            needle, problem, fix = dropped
            raise UnsafeHTML(self._line_with(needle), problem, fix)
        return text

    def _line_with(self, needle: str) -> str:
        """Text of the first body line that holds `needle` (to point at it), else the needle."""
        for candidate in (needle, html.escape(needle, quote=False)):
            for line in self.body_lines:
                if candidate.lower() in line.lower() and line.strip():
                    return line.strip()
        return needle


class SanitizeExtension(Extension):
    def __init__(self, body: str):
        super().__init__()
        self.body = body

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802
        # Above raw_html (30): the author's HTML is checked before it is put back.
        md.postprocessors.register(CheckAuthorHTML(md, self.body), "check_author_html", 35)


def escape(text: object) -> str:
    """Text for HTML (a string fact, a caption): nothing in it becomes markup."""
    return html.escape(str(text), quote=True)

