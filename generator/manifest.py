"""The fast answer to "nothing changed": a list of what the last build read.

A full build that ends with a current site leaves `build/manifest.json`: the size and
modification time of every file under content/, templates/, scenes/ and the generator
package (and of every file a code embed shows), the build's options, the commit, the
Python version,
the installed distributions (every *.dist-info folder name, so any library upgrade
counts) and the ffmpeg binary. The next build compares it with a fresh listing first;
if nothing differs it says "up to date" without importing a stage or parsing a file.

Anything that differs (even a file saved without a change) sends the build down the
ordinary path, where content hashes decide what is really stale; that build writes a
new manifest, so the next no-op is fast again. The listing is taken before the build
reads anything: a file saved while a build runs is seen as changed by the next one.

Standard library only: importing this module must stay cheap.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

MANIFEST_SCHEMA = "build-manifest/1"
WATCHED = ("content", "templates", "scenes")   # in the project; and the generator package itself
PACKAGE = Path(__file__).parent


def _listing(root: Path, extra: list[str]) -> dict[str, list[int]]:
    """Relative path -> [size, mtime_ns] of every watched file and every extra one."""
    found: dict[str, list[int]] = {}

    def walk(folder: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            if entry.name == "__pycache__":
                continue
            if entry.is_dir(follow_symlinks=False):
                walk(entry.path)
            else:
                stat = entry.stat(follow_symlinks=False)
                found[os.path.relpath(entry.path, root)] = [stat.st_size, stat.st_mtime_ns]

    for name in WATCHED:
        walk(str(root / name))
    walk(str(PACKAGE))
    found.update(_stats(root, extra))
    return found


def _stats(root: Path, relatives) -> dict[str, list[int]]:
    """Relative path -> [size, mtime_ns] of the named files ([-1, -1] for one that is missing)."""
    found = {}
    for relative in relatives:
        try:
            stat = (root / relative).stat()
            found[relative] = [stat.st_size, stat.st_mtime_ns]
        except OSError:
            found[relative] = [-1, -1]
    return found


def _distributions() -> list[str]:
    names = set()
    for folder in sys.path:
        if folder.endswith("-packages") and os.path.isdir(folder):
            names.update(n for n in os.listdir(folder) if n.endswith(".dist-info"))
    return sorted(names)


def _ffmpeg() -> str:
    binary = shutil.which("ffmpeg")
    if binary is None:
        return "absent"
    stat = Path(binary).resolve().stat()
    return f"{Path(binary).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def _commit(root: Path) -> tuple[str, str]:
    from generator.build import git_commit

    return git_commit(root)


def snapshot(options, extra: list[str] = ()) -> dict:
    """Everything the no-op answer depends on, as of now."""
    return {
        "schema": MANIFEST_SCHEMA,
        "options": {"quality": options.quality, "base_path": options.base_path, "site_url": options.site_url,
                    "videos": options.videos},
        "python": sys.version,
        "distributions": _distributions(),
        "ffmpeg": _ffmpeg(),
        "commit": list(_commit(options.root)),
        "site": os.readlink(options.site) if options.site.is_symlink() else None,
        "extra": sorted(extra),
        "files": _listing(options.root, list(extra)),
    }


def path(options) -> Path:
    return options.out / "manifest.json"


def check(options) -> tuple[bool, dict]:
    """(whether a full build's last manifest matches the project as it is now, the listing
    as it is now). A lesson build is never answered from the manifest."""
    try:
        previous = json.loads(path(options).read_text())
    except (OSError, ValueError):
        previous = {}
    taken = snapshot(options, previous.get("extra", []))
    site_there = options.site.is_symlink() and options.site.resolve().is_dir()
    return options.lesson is None and site_there and taken == previous, taken


def record(options, taken: dict, extra: list[str]) -> None:
    """Keep the listing taken when the build started (plus the code embeds' files) as the
    manifest of the site now published."""
    from generator.cache import write_atomic

    taken = dict(taken)
    taken["site"] = os.readlink(options.site) if options.site.is_symlink() else None
    taken["extra"] = sorted(extra)
    # Only the embeds' files that the first listing missed are listed now: a file saved
    # while the build ran must keep its earlier stamp, so the next build sees it as changed.
    late = [relative for relative in extra if relative not in taken["files"]]
    taken["files"] = {**taken["files"], **_stats(options.root, late)}
    write_atomic(path(options), json.dumps(taken, sort_keys=True))
