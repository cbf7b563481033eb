"""Content-addressed cache for every stage's outputs.

An output is identified by (stage, name) and keyed by a hash of exactly its inputs,
given as a mapping `label -> fingerprint` (a file's content hash, a library version, a
seed...). An entry is a folder `build/cache/<stage>/<name>/<key>/`; it is filled under a
temporary name and renamed into place only when complete, so an entry cut short by a
crash is never seen as fresh. The inputs of the newest entry are kept beside it so the
build can say *why* something was rebuilt.

Each entry's `entry.json` lists a checksum of every file in it; a lookup verifies them,
so an entry damaged after it was made (a truncated record, a deleted figure) is thrown
away and rebuilt, with a one-line warning, instead of being published.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from generator.safety import inside

_HASH_MEMO: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (memoised on path, size and mtime within one process)."""
    stat = path.stat()
    memo_key = (str(path), stat.st_size, stat.st_mtime_ns)
    if memo_key not in _HASH_MEMO:
        _HASH_MEMO[memo_key] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return _HASH_MEMO[memo_key]


def text_digest(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:16]


def key_of(inputs: dict[str, str]) -> str:
    """The cache key of an output: a hash of its labelled inputs, order-independent."""
    return text_digest(json.dumps(inputs, sort_keys=True))


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write to a temporary sibling and rename, so readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)


@dataclass(frozen=True)
class Entry:
    """One complete cache entry: a folder of output files."""

    stage: str
    name: str
    key: str
    folder: Path

    def file(self, filename: str) -> Path:
        return self.folder / filename


class Cache:
    def __init__(self, root: Path):
        self.root = root
        self.used: set[Path] = set()

    def _name_dir(self, stage: str, name: str) -> Path:
        return self.root / stage / name.replace("/", "__")

    def lookup(self, stage: str, name: str, inputs: dict[str, str]) -> Entry | None:
        """The fresh, intact entry for these inputs, or None if it must be (re)built."""
        key = key_of(inputs)
        folder = self._name_dir(stage, name) / key
        if not (folder / "entry.json").is_file():
            return None
        damage = entry_damage(folder)
        if damage:
            print(f"warning: cache entry {stage}/{name} is damaged ({damage}); rebuilding it", file=sys.stderr)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        self.used.add(folder)
        return Entry(stage, name, key, folder)

    def remove_leftovers(self) -> int:
        """Delete `.tmp-*` folders that killed builds left behind. Only call it holding the build lock."""
        removed = 0
        for name_dir in _real_dirs(self.root, depth=2):
            for leftover in name_dir.glob(".tmp-*"):
                if leftover.is_symlink():
                    leftover.unlink()
                else:
                    shutil.rmtree(leftover, ignore_errors=True)
                removed += 1
        return removed

    def why(self, stage: str, name: str, inputs: dict[str, str], notes: dict[str, str] | None = None) -> str:
        """A short reason this output is stale: which labelled inputs changed (each with
        its note, if `notes` has one: the record fields that changed)."""
        latest = self._name_dir(stage, name) / "latest.json"
        try:
            previous = json.loads(latest.read_text())["inputs"]
        except (OSError, ValueError, KeyError):
            return "not built before"
        changed = sorted(
            label for label in set(inputs) | set(previous) if inputs.get(label) != previous.get(label)
        )
        if not changed:
            return "previous output missing or incomplete"
        notes = notes or {}
        labels = [f"{label} ({notes[label]})" if label in notes else label for label in changed]
        shown = ", ".join(labels[:4]) + (f" and {len(labels) - 4} more" if len(labels) > 4 else "")
        return f"changed: {shown}"

    def entry_folder(self, stage: str, name: str, inputs: dict[str, str]) -> Path:
        """Where the entry for these inputs is (or would be), without checking it."""
        return self._name_dir(stage, name) / key_of(inputs)

    def previous(self, stage: str, name: str) -> Path | None:
        """The folder of the newest entry made for (stage, name), if it still exists."""
        try:
            key = json.loads((self._name_dir(stage, name) / "latest.json").read_text())["key"]
        except (OSError, ValueError, KeyError):
            return None
        folder = self._name_dir(stage, name) / key
        return folder if folder.is_dir() else None

    def begin(self, stage: str, name: str, inputs: dict[str, str]) -> "PendingEntry":
        """A temporary folder to write outputs into; `commit()` makes it an entry."""
        key = key_of(inputs)
        name_dir = self._name_dir(stage, name)
        tmp = inside(name_dir / f".tmp-{key}-{os.getpid()}", self.root, what=f"cache entry {stage}/{name}")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        return PendingEntry(self, stage, name, key, inputs, tmp, name_dir / key)

    def prune(self) -> int:
        """Delete entries and leftovers this build did not use. Returns how many."""
        removed = 0
        for entry_dir in _real_dirs(self.root, depth=3):
            if entry_dir not in self.used:
                shutil.rmtree(entry_dir, ignore_errors=True)
                removed += 1
        return removed


def _real_dirs(folder: Path, depth: int) -> list[Path]:
    """Folders `depth` levels below `folder`, reached without following a symbolic link:
    a link in the cache must never let pruning delete what it points to."""
    level = [folder] if folder.is_dir() and not folder.is_symlink() else []
    for _ in range(depth):
        level = [child for parent in level for child in sorted(parent.iterdir())
                 if child.is_dir() and not child.is_symlink()]
    return level


def folder_checksums(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file in an entry folder, except entry.json itself."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file() and path.name != "entry.json"}


def entry_damage(folder: Path) -> str:
    """What is wrong with a complete-looking entry ('' if nothing): its files must match entry.json."""
    try:
        listed = json.loads((folder / "entry.json").read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return "entry.json is unreadable or lists no checksums"
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != "entry.json"}
    for relative, digest in sorted(listed.items()):
        path = folder / relative
        if path.is_symlink() or not path.is_file():
            return f"{relative} is missing"
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            return f"{relative} changed since it was made"
    extra = sorted(present - set(listed))
    return f"{extra[0]} was added after it was made" if extra else ""


@dataclass
class PendingEntry:
    cache: Cache
    stage: str
    name: str
    key: str
    inputs: dict[str, str]
    folder: Path
    final: Path

    def file(self, filename: str) -> Path:
        return self.folder / filename

    def commit(self) -> Entry:
        meta = {"stage": self.stage, "name": self.name, "key": self.key, "inputs": self.inputs,
                "files": folder_checksums(self.folder)}
        (self.folder / "entry.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        if self.final.exists():  # another process finished the same work first
            shutil.rmtree(self.folder)
        else:
            os.replace(self.folder, self.final)
        write_atomic(self.final.parent / "latest.json", json.dumps(meta, indent=1, sort_keys=True))
        self.cache.used.add(self.final)
        return Entry(self.stage, self.name, self.key, self.final)

    def abandon(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def remembered_seconds(cache: Cache, stage: str, name: str) -> float | None:
    """How long (stage, name) took when it was last made, if a build recorded it."""
    try:
        return float(json.loads((cache._name_dir(stage, name) / "seconds.json").read_text())["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember_seconds(cache: Cache, stage: str, name: str, seconds: float) -> None:
    """Keep a job's duration beside its entries (outside them: it is no input and no
    output), so the next build can start the longest jobs first."""
    write_atomic(cache._name_dir(stage, name) / "seconds.json", json.dumps({"seconds": round(seconds, 3)}))
