"""Search across the lessons: a Pagefind index written into the finished site.

Input:  a site folder whose pages are final. Lesson pages mark their text with
        `data-pagefind-body`, so only lessons are indexed (not the index or 404 page).
Output: site/pagefind/: the index in fragments and the small reader (pagefind.js and its
        WebAssembly) that static/js/search.js loads. Everything stays on the site's own
        origin, so search works offline from the built folder and under the page's CSP.

Pagefind comes from PyPI (`pagefind[bin]` ships the binary in a wheel; nothing is
downloaded at build time).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from generator.errors import BuildError

OUTPUT = "pagefind"


def fingerprints() -> dict[str, str]:
    """What the index depends on besides the pages: Pagefind's version."""
    from generator.sources import installed_version

    return {"version:pagefind": installed_version("pagefind_bin")}


def write_index(site: Path) -> None:
    try:
        from pagefind_bin import get_executable

        binary = [str(get_executable())]  # the binary itself: a Python wrapper would add half a second
    except (ImportError, FileNotFoundError):
        binary = [sys.executable, "-m", "pagefind"]
    command = [*binary, "--site", str(site), "--output-subdir", OUTPUT, "--silent"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError("search", f"Pagefind could not run ({exc})", "reinstall with make setup") from None
    if result.returncode != 0 or not (site / OUTPUT / "pagefind.js").is_file():
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise BuildError("search", f"Pagefind failed to index the site: {detail[0]}",
                         "check that pagefind[bin] is installed (make setup) and the pages are valid HTML")
    # Pagefind also writes its ready-made interfaces; the site has its own (static/js/search.js).
    for unused in (site / OUTPUT).glob("pagefind-*ui.*"):
        unused.unlink()
    (site / OUTPUT / "pagefind-highlight.js").unlink(missing_ok=True)
