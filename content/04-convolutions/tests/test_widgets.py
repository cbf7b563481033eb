"""The opening figure runs the CNN in JavaScript: its scores must equal PyTorch's to 1e-5
on every digit and shift it ships. The JS runs in Node, on the exact JSON the widget
exports; PyTorch's scores come from the run's record and from a float64 rebuild here."""
from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

LESSON = Path(__file__).resolve().parent.parent
WIDGETS = LESSON / "widgets"


def widget_module(name: str):
    spec = importlib.util.spec_from_file_location(f"lesson04_{name.replace('-', '_')}", WIDGETS / name / "widget.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def record(run_seeds) -> dict:
    return run_seeds("networks", [0])[0]


@pytest.fixture(scope="module")
def shipped(record) -> dict:
    return widget_module("filter-explorer").export({"networks": record}, {"run": "networks"})


def run_js(widget: str, data: dict, harness: str, tmp_path: Path):
    """Run widget.js as an ES module in Node with `harness` appended; return what it prints."""
    node = shutil.which("node")
    assert node, "Node.js is needed to run the widget's JavaScript (make test installs it)"
    (tmp_path / "data.json").write_text(json.dumps(data))
    source = (WIDGETS / widget / "widget.js").read_text()
    script = source + "\nimport { readFileSync as __read } from 'node:fs';\n" + \
        f"const __data = JSON.parse(__read({json.dumps(str(tmp_path / 'data.json'))}, 'utf8'));\n" + harness
    done = subprocess.run([node, "--input-type=module"], input=script, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


JS_SCORES = """
const out = __data.examples.map((image) => __data.shifts.map((dy) => __data.shifts.map((dx) =>
  forward(__data, shiftImage(image, dx, dy)).scores)));
console.log(JSON.stringify(out));
"""


def test_js_forward_pass_equals_pytorch(shipped, record, tmp_path):
    js = np.asarray(run_js("filter-explorer", shipped, JS_SCORES, tmp_path))
    torch_scores = np.asarray(record["constants"]["example_scores"])     # (digit, dy, dx, class), float32 model
    assert js.shape == torch_scores.shape == (10, 5, 5, 10)
    assert np.abs(js - torch_scores).max() < 1e-5
    assert (js.argmax(-1) == torch_scores.argmax(-1)).all()


def test_js_forward_pass_equals_a_float64_pytorch_rebuild(shipped, record, tmp_path):
    """Independent of the record's scores: the shipped weights loaded into the lesson's
    nn.Sequential in float64, run on the shipped digits shifted by torch.roll and zeroing."""
    spec = importlib.util.spec_from_file_location("lesson04_experiments", LESSON / "experiments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    f = record["facts"]
    model = module.small_cnn(f["filters"], f["maps"]).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor(shipped["conv1_weight"])[:, None])
        model[0].bias.copy_(torch.tensor(shipped["conv1_bias"]))
        model[3].weight.copy_(torch.tensor(shipped["conv2_weight"]))
        model[3].bias.copy_(torch.tensor(shipped["conv2_bias"]))
        model[6].weight.copy_(torch.tensor(shipped["out_weight"]))
        model[6].bias.copy_(torch.tensor(shipped["out_bias"]))
    x = torch.tensor(shipped["examples"], dtype=torch.float64)[:, None]
    expected = np.zeros((len(x), len(shipped["shifts"]), len(shipped["shifts"]), 10))
    for a, dy in enumerate(shipped["shifts"]):
        for b, dx in enumerate(shipped["shifts"]):
            moved = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
            if dy > 0:
                moved[..., :dy, :] = 0
            if dy < 0:
                moved[..., dy:, :] = 0
            if dx > 0:
                moved[..., :, :dx] = 0
            if dx < 0:
                moved[..., :, dx:] = 0
            with torch.no_grad():
                expected[:, a, b] = model(moved).numpy()
    js = np.asarray(run_js("filter-explorer", shipped, JS_SCORES, tmp_path))
    assert np.abs(js - expected).max() < 1e-5


def test_python_figure_forward_agrees_with_js(shipped, tmp_path):
    module = widget_module("filter-explorer")
    harness = "console.log(JSON.stringify(__data.examples.map((image) => forward(__data, image))));"
    js = run_js("filter-explorer", shipped, harness, tmp_path)
    for image, out in zip(shipped["examples"], js):
        maps, scores = module.forward(shipped, image)
        assert np.abs(np.asarray(out["maps"]) - maps).max() < 1e-9
        assert np.abs(np.asarray(out["scores"]) - scores).max() < 1e-9


def test_alt_texts_state_the_data(shipped, record):
    text = widget_module("filter-explorer").describe(shipped)
    k = shipped["start"]
    label = shipped["labels"][k]
    predicted = int(np.argmax(record["constants"]["example_scores"][k][2][2]))
    assert f"A test digit {label}" in text and f"predicts {predicted} " in text
    accuracy = widget_module("shift-accuracy").export({"networks": record}, {"run": "networks", "axis": "horizontal"})
    alt = widget_module("shift-accuracy").describe(accuracy)
    assert f"{record['facts']['cnn_test']:.0%} unshifted" in alt
