"""Code shown on a page: a region of a file the build runs (between `# [start:NAME]` and
`# [end:NAME]`), highlighted by Pygments."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound


REGION_START = re.compile(r"#\s*\[start:(?P<name>[\w-]+)\]")
REGION_END = re.compile(r"#\s*\[end:(?P<name>[\w-]+)\]")


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


# The usual suffixes by name: finding a lexer by file name matches every lexer's patterns
# (about half a second, a prose edit's largest cost).
LEXER_BY_SUFFIX = {".py": "python", ".js": "javascript", ".mjs": "javascript", ".css": "css", ".html": "html",
                   ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".sh": "bash", ".md": "markdown",
                   ".toml": "toml", ".txt": "text"}


def highlight_code(code: str, filename: str | None = None, language: str | None = None) -> str:
    suffix = Path(filename or "x.txt").suffix.lower()
    language = language or LEXER_BY_SUFFIX.get(suffix)
    try:
        lexer = get_lexer_by_name(language) if language else get_lexer_for_filename(filename or "x.txt")
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    block = highlight(code, lexer, HtmlFormatter(cssclass="highlight", wrapcode=True))
    # The spaces that line trailing comments up in a column: phones drop them (site.css), so a
    # wrapped line keeps its comment next to the code instead of a screen-width gap away.
    block = re.sub(r'(?<=\S)( {2,})(?=<span class="c1?">)', r'<span class="code-gap">\1</span>', block)
    # Long lines scroll sideways; a focusable <pre> lets keyboard users scroll it too (WCAG 2.1.1).
    return block.replace("<pre>", '<pre tabindex="0">', 1)
