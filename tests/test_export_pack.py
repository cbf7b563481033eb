"""Long float arrays of a widget's data are published packed (generator/export.py, pack):
smaller under gzip, and given back exactly, by Python's `unpack` and by the page's
static/js/mount.js, which widgets receive their data through."""
from __future__ import annotations

import gzip
import json
import math
import random
import shutil
import subprocess
from pathlib import Path

from generator.export import PACK_MIN_VALUES, pack, unpack
from generator.widget_api import rounded

ROOT = Path(__file__).resolve().parent.parent
SPEC = {"grid": "float[]", "frames": "float[][]", "steps": "int[]", "label": "str",
        "runs": [{"curve": "float[]", "note": "str"}]}


def sample(seed: int, rows: int = 40, width: int = 201) -> dict:
    """Data shaped like a stepped-through training run: smooth curves, rounded as widgets do."""
    rng = random.Random(seed)
    grid = [i / (width - 1) for i in range(width)]
    omega, phase = rng.uniform(5, 15), rng.uniform(0, 1)
    target = [math.exp(-2 * t) * math.cos(omega * t + phase) for t in grid]
    frames = [[u * (1 - math.exp(-(r + 1) / 8)) for u in target] for r in range(rows)]  # a fit that settles
    return {"grid": rounded(grid, 4), "frames": rounded(frames, 3), "steps": list(range(rows)), "label": "a",
            "runs": [{"curve": rounded([rng.gauss(0, 1) for _ in range(1500)], 2), "note": "noise"}]}


def dumps(data) -> str:
    return json.dumps(data, separators=(",", ":"))


def test_packing_gives_back_the_exact_numbers_and_is_smaller():
    for seed in (3, 17, 2024):
        data = sample(seed)
        packed = pack(data, SPEC)
        assert "$delta" in packed["frames"] and packed["frames"]["rows"] == 40
        assert "$delta" in packed["runs"][0]["curve"]
        assert unpack(json.loads(dumps(packed))) == data
        # Smooth curves shrink to well under half; noise (the "runs" curve) gains little.
        plain, small = (len(gzip.compress(dumps(d["frames"]).encode(), mtime=0)) for d in (data, packed))
        assert small < plain * 0.5, (seed, plain, small)


def test_what_packing_would_not_help_or_could_not_give_back_stays_as_it_is():
    data = sample(5)
    short = {"grid": data["grid"], "frames": data["frames"][:2], "steps": list(range(2000)), "label": "x", "runs": []}
    assert len(short["grid"]) + 2 * len(short["grid"]) < PACK_MIN_VALUES
    assert pack(short, SPEC) == short                      # short arrays, and int[] however long
    unrounded = {"grid": [math.sqrt(i) for i in range(2000)]}
    assert pack(unrounded, SPEC) == unrounded              # no decimal to count units in
    ragged = {"frames": [[0.5] * 600, [0.25] * 601]}
    assert pack(ragged, SPEC) == ragged                    # rows of different lengths


def test_the_page_unpacks_what_python_packs(tmp_path):
    """mount.js's unpack, run in Node, returns the numbers export() wrote."""
    node = shutil.which("node")
    assert node, "Node.js is needed to run the site's JavaScript (make test installs it)"
    for name in ("mount.js", "chart.js"):
        shutil.copy(ROOT / "templates" / "static" / "js" / name, tmp_path / name)
    (tmp_path / "package.json").write_text('{"type": "module"}')
    data = sample(99)
    (tmp_path / "packed.json").write_text(dumps(pack(data, SPEC)))
    script = ("import { readFileSync } from 'node:fs'; import { unpack } from './mount.js';\n"
              "process.stdout.write(JSON.stringify(unpack(JSON.parse(readFileSync('packed.json', 'utf8')))));")
    (tmp_path / "run.js").write_text(script)
    done = subprocess.run([node, "run.js"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == data
