"""The site's one stylesheet and the Content-Security-Policy that lets it and the theme
script in: the palette's CSS variables for both themes, the code colours, site.css and
print.css, minified, to be inlined in every page."""
from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from pygments.formatters import HtmlFormatter

from generator import theme


# The head script that sets the theme before first paint. Its hash goes into the page's
# Content-Security-Policy, which otherwise allows scripts from the site itself only.
THEME_BOOT_SCRIPT = (
    "(function(){var t;try{t=localStorage.getItem('theme')}catch(e){}"
    "if(t!=='light'&&t!=='dark'){t=matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light'}"
    "document.documentElement.dataset.theme=t})();"
)


def csp(script_hashes: list[str], style_hashes: list[str] = ()) -> str:
    # 'wasm-unsafe-eval' lets the search page compile Pagefind's WebAssembly index reader
    # (pagefind/, served from the site itself); it allows no JavaScript eval().
    scripts = " ".join(["'self'", "'wasm-unsafe-eval'", *[f"'sha256-{h}'" for h in script_hashes]])
    # The one stylesheet is inlined in every page (no render-blocking request); its hash lets it in.
    styles = " ".join(["'self'", *[f"'sha256-{h}'" for h in style_hashes]])
    return (f"default-src 'self'; script-src {scripts}; style-src {styles}; img-src 'self' data:; "
            "media-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'none'")


def script_hash(source: str) -> str:
    return base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()


def code_css() -> str:
    """Pygments token rules, written once: each colour is a custom property set per theme.

    Only token rules are kept: the block's background and layout come from site.css, so
    code sits on the palette's own code background. The properties are defined by
    theme_css(), so code follows the page theme with the rest of the palette.
    """
    rules = _code_rules()
    pairs = _code_color_pairs(rules)
    by_declaration: dict[str, list[str]] = {}
    for cls, themes in rules.items():
        light, dark = themes.get("light", {}), themes.get("dark", {})
        decls = []
        if light.get("color") or dark.get("color"):
            decls.append(f"color: var({pairs[(light.get('color'), dark.get('color'))]})")
        for prop in ("font-style", "font-weight"):
            if light.get(prop) and light.get(prop) == dark.get(prop):
                decls.append(f"{prop}: {light[prop]}")
        if decls:
            by_declaration.setdefault("; ".join(decls), []).append(f".highlight .{cls}")
    return "\n".join(f"{', '.join(selectors)} {{ {decl} }}" for decl, selectors in by_declaration.items()) + "\n"


def _code_rules() -> dict[str, dict[str, dict[str, str]]]:
    """token class -> theme -> {property: value}, from each theme's Pygments style."""
    rules: dict[str, dict[str, dict[str, str]]] = {}
    for name in theme.THEMES:
        formatter = HtmlFormatter(style=theme.CODE_STYLES[name], cssclass="highlight")
        for m in re.finditer(r"^\.highlight \.([\w-]+) \{ (.*?) \}", formatter.get_style_defs(".highlight"), re.M):
            props = dict(tuple(part.split(":", 1)) for part in m[2].split(";") if ":" in part)
            props = {k.strip(): v.strip() for k, v in props.items() if k.strip() != "background-color"}
            rules.setdefault(m[1], {})[name] = props
    return rules


def _code_color_pairs(rules) -> dict[tuple[str | None, str | None], str]:
    """Each distinct (light colour, dark colour) of the code styles -> a property name."""
    pairs: dict[tuple[str | None, str | None], str] = {}
    for themes in rules.values():
        pair = (themes.get("light", {}).get("color"), themes.get("dark", {}).get("color"))
        if any(pair) and pair not in pairs:
            pairs[pair] = f"--code-{len(pairs) + 1}"
    return pairs


def _code_variables(theme_name: str) -> str:
    index = 0 if theme_name == "light" else 1
    return " ".join(f"{prop}: {pair[index] or 'var(--text)'};" for pair, prop in _code_color_pairs(_code_rules()).items())


def theme_css() -> str:
    """The palette (and code colours) as custom properties: light by default, dark when the
    system asks for it and no choice was made (no data-theme: JavaScript off), or when chosen."""
    light = f"{theme.css_variables('light')} {_code_variables('light')}"
    dark = f"{theme.css_variables('dark')} {_code_variables('dark')}"
    return (f":root {{ color-scheme: light; {light} }}\n"
            f"@media (prefers-color-scheme: dark) {{ :root:not([data-theme=\"light\"]) {{ color-scheme: dark; {dark} }} }}\n"
            f':root[data-theme="dark"] {{ color-scheme: dark; {dark} }}\n'
            f"@media print {{ :root, :root[data-theme] {{ color-scheme: light; {light} }} }}\n")


def stylesheet(templates: Path) -> str:
    """The site's one stylesheet: palette, code colours, layout, and the print rules.

    Pages carry it inline (about 4 KB gzipped), so the first paint waits for no second
    request; comments and runs of blank space are dropped (the sources in
    templates/static/css/ keep them).
    """
    css_dir = templates / "static" / "css"
    parts = [theme_css(), code_css(), (css_dir / "site.css").read_text(encoding="utf-8")]
    if (css_dir / "print.css").is_file():
        parts.append("@media print {\n" + (css_dir / "print.css").read_text(encoding="utf-8") + "\n}")
    return minify_css("\n".join(parts))


def minify_css(css: str) -> str:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"\s+", " ", css)
    css = re.sub(r"\s*([{};,>])\s*", r"\1", css)
    return css.replace(";}", "}").strip() + "\n"
