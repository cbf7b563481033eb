"""Sharded builds: `build --shard K/N` on N machines, then `merge` on one.

A shard runs its share of the stale jobs (generator/schedule.py: shard_units) into the
build's cache as usual, then copies the entries it made into a folder of their own,
build/shard-K-of-N/, laid out like build/cache (stage/name/key/ with latest.json and the
remembered duration beside them). That folder is all a CI job has to hand on.

`merge` copies every shard's entries into build/cache (each one checked against the
checksums in its entry.json first) and then builds as usual: every job a shard did is a
cache hit, whatever no shard did (a split that disagreed, the exports) is done there, and
the site is published exactly as a single build would publish it.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from generator.cache import Cache, entry_damage
from generator.errors import BuildError

BESIDE = ("latest.json", "seconds.json")  # what a name's folder holds besides its entries


def save_shard(cache: Cache, made: list[Path], target: Path) -> None:
    """Copy the entry folders `made` (inside cache.root) to `target`, replacing what was there."""
    staging = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for folder in made:
        relative = folder.relative_to(cache.root)
        shutil.copytree(folder, staging / relative)
        for name in BESIDE:
            if (folder.parent / name).is_file():
                shutil.copy2(folder.parent / name, staging / relative.parent / name)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)


def merge_into(cache: Cache, shard_folders: list[Path]) -> int:
    """Copy every intact entry of the shard caches into `cache`. Returns how many were new."""
    added = 0
    for shard in shard_folders:
        if not shard.is_dir():
            raise BuildError(str(shard), "shard cache is missing",
                             "give the folders that 'build --shard K/N' wrote (build/shard-K-of-N)")
        for marker in sorted(shard.glob("*/*/*/entry.json")):
            entry = marker.parent
            if any(p.is_symlink() for p in [entry, *entry.rglob("*")]):
                raise BuildError(str(entry), "shard cache entry contains a symbolic link", "rebuild that shard")
            damage = entry_damage(entry)
            if damage:
                raise BuildError(str(entry), f"shard cache entry is damaged ({damage})", "rebuild that shard")
            target = cache.root / entry.relative_to(shard)
            if not target.is_dir():
                staging = target.with_name(f".tmp-merge-{target.name}-{os.getpid()}")
                shutil.rmtree(staging, ignore_errors=True)
                shutil.copytree(entry, staging)
                os.replace(staging, target)
                added += 1
            for name in BESIDE:  # the newest entry of this name, and how long it took
                if (entry.parent / name).is_file():
                    shutil.copy2(entry.parent / name, target.parent / name)
    return added
