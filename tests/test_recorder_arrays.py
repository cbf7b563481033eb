"""The Recorder keeps arrays of any shape and gives them back with that shape."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from generator.authoring import NonFiniteValue, Recorder, RunSpec


def round_trip(rec: Recorder) -> dict:
    spec = RunSpec("r", lambda rec, seed: None, 0, {}, "x.py", 1)
    return json.loads(json.dumps(rec.as_record(spec, 0)))


def test_arrays_of_any_shape_come_back_with_their_shape():
    rec = Recorder()
    path = np.arange(12, dtype=float).reshape(2, 3, 2)
    rec.constant(path=path, grid=torch.linspace(0, 1, 5))
    for step in range(3):
        rec.log(step, loss=torch.tensor(0.5 / (step + 1)), w=torch.full((2, 2), float(step)))
        rec.snapshot(step, weights=np.ones((4, 3)) * step)
    record = round_trip(rec)
    assert np.asarray(record["constants"]["path"]).shape == (2, 3, 2)
    assert np.array_equal(np.asarray(record["constants"]["path"]), path)
    assert np.asarray(record["series"]["w"]).shape == (3, 2, 2)
    assert np.asarray(record["snapshots"]["weights"]).shape == (3, 4, 3)
    assert record["series"]["loss"] == pytest.approx([0.5, 0.25, 0.5 / 3])  # float32 tensors


def test_one_dimensional_data_keeps_the_old_format():
    rec = Recorder()
    rec.constant(x=[1, 2], n=3, tag="a")
    rec.log(0, loss=0.25)
    rec.snapshot(0, prediction=torch.tensor([1.0, 2.0]), norm=2.0)
    record = round_trip(rec)
    assert record["constants"] == {"x": [1.0, 2.0], "n": 3, "tag": "a"}
    assert record["series"] == {"step": [0], "loss": [0.25]}
    assert record["snapshots"] == {"step": [0], "prediction": [[1.0, 2.0]], "norm": [[2.0]]}


def test_refuses_non_finite_ragged_and_changing_shapes():
    rec = Recorder()
    with pytest.raises(NonFiniteValue):
        rec.snapshot(4, w=np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError, match="regular shape"):
        rec.constant(w=[[1.0, 2.0], [3.0]])
    rec.log(0, w=np.zeros(2))
    with pytest.raises(ValueError, match="keep one shape"):
        rec.log(1, w=np.zeros(3))
