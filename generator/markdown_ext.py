"""Python-Markdown extensions the lessons use: math and embeds.

Math: `$...$` inline and `$$` blocks become MathML at build time (latex2mathml), so
the page needs no client-side math library, only a math font.
Embeds: `::: kind name key=value | caption` lines, already parsed with their line
numbers by `lessons.find_embeds`, are replaced by the HTML a callback returns.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable

from latex2mathml.converter import convert as latex_to_mathml
from markdown import Extension, Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor

from generator.lessons import Embed
from generator.sanitize import escape, trusted

INLINE_MATH = r"(?<![\\$\w])\$(?=\S)(?P<tex>[^$\n]+?)(?<=\S)\$(?![\w$])"


class MathError(ValueError):
    """Bad TeX. `token` is text of the source line to point at ('$$' for an unclosed block)."""

    def __init__(self, message: str, token: str):
        self.token = token
        super().__init__(message)


def to_mathml(tex: str, display: bool) -> str:
    token = next((line.strip() for line in tex.split("\n") if line.strip()), tex)
    shown = tex if len(tex) <= 60 else tex[:57] + "..."
    unbalanced = unbalanced_brace(tex)
    if unbalanced:  # latex2mathml quietly closes what is left open
        raise MathError(f"cannot typeset ${shown}$: {unbalanced}", token)
    try:
        return latex_to_mathml(tex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises many types for bad TeX, often with no message
        reason = str(exc) or re.sub(r"(?<!^)(?=[A-Z])", " ", type(exc).__name__.removesuffix("Error")).lower()
        raise MathError(f"cannot typeset ${shown}$: {reason}", token) from None


def unbalanced_brace(tex: str) -> str:
    """'' if every { has its }, else what is wrong (escaped \\{ and \\} do not count)."""
    depth = 0
    for match in re.finditer(r"\\.|[{}]", tex):
        if match[0] == "{":
            depth += 1
        elif match[0] == "}":
            depth -= 1
            if depth < 0:
                return "a '}' closes no '{'"
    return f"{depth} '{{' never closed" if depth else ""


class InlineMath(InlineProcessor):
    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's name)
        placeholder = trusted(self.md, to_mathml(m["tex"], display=False))
        return placeholder, m.start(0), m.end(0)


class BlockMath(Preprocessor):
    """A `$$` line opens and a `$$` line closes display math; `$$ ... $$` on one line works too."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(lines):
            one_line = re.fullmatch(r"\s*\$\$(.+)\$\$\s*", lines[i])
            if one_line:  # `$$ ... $$` on a single line
                out += ["", trusted(self.md, f'<div class="math-display">{to_mathml(one_line[1], True)}</div>'), ""]
                i += 1
            elif lines[i].strip() == "$$":
                end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "$$"), None)
                if end is None:
                    raise MathError("a '$$' block is never closed", "$$")
                tex = " ".join(line.strip() for line in lines[i + 1:end])
                out += ["", trusted(self.md, f'<div class="math-display">{to_mathml(tex, True)}</div>'), ""]
                i = end + 1
            else:
                out.append(lines[i])
                i += 1
        return out


FACT = r"\[\[(?P<run>[\w-]+)\.(?P<fact>\w+)(?::(?P<format>[^\]]+))?\]\]"
# Widths and precisions above this are mistakes, and would make pages of any size.
MAX_FORMAT_NUMBER = 100


class ProseError(ValueError):
    """A `[[run.fact]]` or `[@key]` citation in the prose that cannot be filled in; the page
    stage reports it at its line of lesson.md."""

    def __init__(self, token: str, problem: str, fix: str):
        self.token, self.problem, self.fix = token, problem, fix
        super().__init__(problem)


class InlineFact(InlineProcessor):
    """`[[run.best_epoch]]` or `[[run.best_val_loss:.3f]]`: a number from a run's record."""

    def __init__(self, pattern: str, md: Markdown, lookup: Callable[[str, str], object]):
        super().__init__(pattern, md)
        self.lookup = lookup

    def handleMatch(self, m, data):  # noqa: N802
        value = self.lookup(m["run"], m["fact"])
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            raise ProseError(m[0], f"{m['run']}.{m['fact']} is {value!r}, not a number the prose can state",
                            "change the run so it records a finite value (e.g. raise its step limit), "
                            "or rewrite the sentence without this fact")
        too_big = [n for n in re.findall(r"\d+", m["format"] or "") if int(n) > MAX_FORMAT_NUMBER]
        if too_big:
            raise ProseError(m[0], f"format '{m['format']}' asks for {too_big[0][:20]} characters or digits, "
                            f"over the limit of {MAX_FORMAT_NUMBER}", "use a format such as .3f or >8,d")
        try:
            text = format(value, m["format"] or "")
        except (TypeError, ValueError):
            raise ProseError(m[0], f"cannot format {m['run']}.{m['fact']} = {value!r} as '{m['format']}'",
                            "use a Python format spec such as .3f or ,d") from None
        # A string fact is text, never markup: a run cannot put HTML on the page.
        html = f'<span class="fact" data-fact="{m["run"]}.{m["fact"]}">{escape(text)}</span>'
        return trusted(self.md, html), m.start(0), m.end(0)


class FactExtension(Extension):
    def __init__(self, lookup: Callable[[str, str], object]):
        super().__init__()
        self.lookup = lookup

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802
        # Above links (160), which would otherwise read `[[...]]` as a reference.
        md.inlinePatterns.register(InlineFact(FACT, md, self.lookup), "run_fact", 175)


class MathExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802
        # After fenced code is stashed (25), so `$` inside code fences is left alone.
        md.preprocessors.register(BlockMath(md), "block_math", 24)
        # Above backticks (190) would break code spans; above escapes (180) keeps `\` intact.
        md.inlinePatterns.register(InlineMath(INLINE_MATH, md), "inline_math", 185)


class EmbedPreprocessor(Preprocessor):
    def __init__(self, md: Markdown, embeds: list[Embed], body_line: int, render: Callable[[Embed], str]):
        super().__init__(md)
        self.embeds = embeds
        self.body_line = body_line
        self.render = render

    def run(self, lines: list[str]) -> list[str]:
        lines = list(lines)
        for embed in self.embeds:
            index = embed.line - self.body_line
            html = self.render(embed)
            lines[index] = "\n" + trusted(self.md, html) + "\n"
        return "\n".join(lines).split("\n")


class EmbedExtension(Extension):
    def __init__(self, embeds: list[Embed], body_line: int, render: Callable[[Embed], str]):
        super().__init__()
        self.embeds, self.body_line, self.render = embeds, body_line, render

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802
        # After whitespace normalisation (30), which would strip the stash markers, and before
        # fenced code is stashed (25), while line numbers still match the source file.
        md.preprocessors.register(EmbedPreprocessor(md, self.embeds, self.body_line, self.render), "embeds", 29)


def heading_text_to_id(value: str, separator: str = "-") -> str:
    """Stable, readable anchors: 'Reading a curve' -> 'reading-a-curve'."""
    value = re.sub(r"<[^>]+>", "", value)
    value = re.sub(r"[^\w\s-]", "", value.lower()).strip()
    return re.sub(r"[\s_-]+", separator, value)




# --------------------------------------------------------------------------- citations
CITATION = r"\[(?P<keys>@[\w:-]+(?:\s*;\s*@[\w:-]+)*)\]"


class InlineCitation(InlineProcessor):
    """`[@kingma2015]` or `[@kingma2015; @srivastava2014]`: numbered links to the references.

    `lookup(key)` returns the reference's number (1-based, its place in the front matter's
    list) and its text, or raises ProseError for a key no reference carries. Each number
    carries the reference's text in a note that shows on hover and on keyboard focus
    (site.css), so the reader need not jump to the list.
    """

    def __init__(self, pattern: str, md: Markdown, lookup: Callable[[str], tuple[int, str]]):
        super().__init__(pattern, md)
        self.lookup = lookup
        self.count = 0  # numbers the notes: their ids are unique on the page

    def handleMatch(self, m, data):  # noqa: N802
        keys = [k.strip().lstrip("@") for k in m["keys"].split(";")]
        links = []
        for key in keys:
            number, text = self.lookup(key)
            self.count += 1
            note = f"cite-note-{self.count}"
            links.append(f'<span class="cite"><a href="#ref-{escape(key)}" aria-label="reference {number}" '
                         f'aria-describedby="{note}">{number}</a><span class="cite-note" role="tooltip" '
                         f'id="{note}" data-pagefind-ignore>{escape(text)}</span></span>')
        html = f'<span class="citation">[{", ".join(links)}]</span>'
        return trusted(self.md, html), m.start(0), m.end(0)


BAD_CITATION = r"\[@[^\]\n]*\](?![(\[])"


class BadCitation(InlineProcessor):
    """`[@]`, `[@../x]`, `[@a"><b>]`: a citation whose key is no single word."""

    def handleMatch(self, m, data):  # noqa: N802
        raise ProseError(m[0], f"citation {m[0][:60]} is not a reference key",
                         "write [@key] or [@key1; @key2], each key letters, digits, '-', '_' or ':'")


class CitationExtension(Extension):
    def __init__(self, lookup: Callable[[str], tuple[int, str]]):
        super().__init__()
        self.lookup = lookup

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802
        # Above links (160), which would otherwise read `[@key]` as a reference link.
        md.inlinePatterns.register(InlineCitation(CITATION, md, self.lookup), "citation", 174)
        # Anything else in [@...] (not a link's text) was meant as a citation: never left as text.
        md.inlinePatterns.register(BadCitation(BAD_CITATION, md), "bad_citation", 173)


# --------------------------------------------------------------------------- margin notes
FOOTNOTE_BLOCK = re.compile(r'\n?<div class="footnote">\s*<hr />\s*<ol>(?P<items>.*?)</ol>\s*</div>', re.S)
FOOTNOTE_ITEM = re.compile(r'<li id="fn:(?P<id>[^"]+)">(?P<body>.*?)</li>', re.S)
FOOTNOTE_REF = re.compile(r'<sup id="fnref\d*:(?P<id>[^"]+)"><a class="footnote-ref" href="#fn:[^"]+">'
                          r'(?P<number>\d+)</a></sup>')
BACKREF = re.compile(r'(&#160;)?<a class="footnote-backref"[^>]*>.*?</a>', re.S)


def footnotes_to_sidenotes(body: str) -> str:
    """Markdown footnotes (`[^name]`) become margin notes beside the sentence that cites them.

    The note is a <span> inside the paragraph, right after its number, so it stays phrasing
    content: CSS floats it into the right margin on wide screens and shows it as an indented
    block under the line on phones. The end-of-page footnote list is dropped.
    """
    block = FOOTNOTE_BLOCK.search(body)
    if not block:
        return body
    notes = {}
    for item in FOOTNOTE_ITEM.finditer(block["items"]):
        paragraphs = re.findall(r"<p>(.*?)</p>", BACKREF.sub("", item["body"]), flags=re.S)
        notes[item["id"]] = "<br>".join(p.strip() for p in paragraphs)
    body = body[:block.start()] + body[block.end():]
    seen: set[str] = set()

    def replace(m: re.Match) -> str:
        key, number = m["id"], m["number"]
        ref = (f'<sup class="sidenote-ref" id="snref-{number}"><a href="#sn-{number}" '
               f'aria-label="margin note {number}">{number}</a></sup>')
        if key in seen:  # a note cited twice is written out once
            return ref
        seen.add(key)
        return (ref + f'<span class="sidenote" id="sn-{number}" role="note">'
                f'<span class="sidenote-number">{number}</span> {notes.get(key, "")}</span>')

    return FOOTNOTE_REF.sub(replace, body)
