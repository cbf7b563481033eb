"""The single palette of the product.

The same tokens become CSS custom properties (pages), Manim colours (videos) and
matplotlib styles (static figures), so a chart, a video and the page always match.
Change a colour here and every output that uses it is rebuilt, because each stage
hashes `palette_fingerprint()` into its cache keys.
"""
from __future__ import annotations

import hashlib
import json

THEMES = ("light", "dark")

# Colours were picked for contrast: text and the series colours used for lines reach
# WCAG AA (4.5:1) against their background in both themes.
PALETTE: dict[str, dict[str, str]] = {
    "light": {
        "background": "#fbfaf7",
        "surface": "#f1efe9",
        "text": "#1d1f24",
        "muted": "#555b66",
        "border": "#d4d0c6",
        "accent": "#1f5fbf",
        "train": "#1f5fbf",       # training points and training loss
        "validation": "#b3401d",  # validation points and validation loss
        "model": "#6b2fa3",       # the network's prediction
        "truth": "#2c7a3f",       # the true function
        "highlight": "#a86400",   # markers: current epoch, best epoch, current point
        "grid": "#e2ded4",
        "code_background": "#f3f1ea",
    },
    "dark": {
        "background": "#15171c",
        "surface": "#1f222a",
        "text": "#e8e6e1",
        "muted": "#a4a9b3",
        "border": "#3a3f4b",
        "accent": "#7cb1ff",
        "train": "#7cb1ff",
        "validation": "#ff9a76",
        "model": "#d3a6ff",
        "truth": "#7fd494",
        "highlight": "#ffc85c",
        "grid": "#2b2f38",
        "code_background": "#1b1e25",
    },
}

# Pygments styles for code blocks, one per theme.
CODE_STYLES = {"light": "a11y-light", "dark": "a11y-dark"}  # accessible-pygments: WCAG AA contrast


def tokens(theme: str) -> dict[str, str]:
    if theme not in PALETTE:
        raise ValueError(f"unknown theme {theme!r}; expected one of {THEMES}")
    return PALETTE[theme]


def css_variables(theme: str) -> str:
    """'--background: #fbfaf7; ...' for one theme (underscores become hyphens)."""
    return " ".join(f"--{name.replace('_', '-')}: {value};" for name, value in tokens(theme).items())


def palette_fingerprint() -> str:
    """A hash of every colour and code style, for cache keys."""
    blob = json.dumps({"palette": PALETTE, "code": CODE_STYLES}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def matplotlib_style(theme: str) -> dict[str, object]:
    """rcParams that draw a figure in the page's palette."""
    t = tokens(theme)
    return {
        "figure.facecolor": t["background"],
        "axes.facecolor": t["background"],
        "savefig.facecolor": t["background"],
        "axes.edgecolor": t["border"],
        "axes.labelcolor": t["text"],
        "axes.titlecolor": t["text"],
        "text.color": t["text"],
        "xtick.color": t["muted"],
        "ytick.color": t["muted"],
        "grid.color": t["grid"],
        "legend.facecolor": t["surface"],
        "legend.edgecolor": t["border"],
        "axes.prop_cycle": __import__("cycler").cycler(
            color=[t["train"], t["validation"], t["model"], t["truth"], t["highlight"]]
        ),
        "font.size": 10,
    }


def manim_colors(theme: str) -> dict[str, str]:
    """The palette as Manim expects it: the same hex strings, keyed by token name."""
    return dict(tokens(theme))
