"""Load a checkpoint published with lesson 01 into a freshly built network.

Usage: python load_checkpoint.py model.pt [dropout]
The lesson shows the marked region; tests/test_lesson01_page.py runs it on every
published checkpoint and compares the predictions with the recorded ones.
"""
from __future__ import annotations

import sys

import torch

from experiments import over_large_mlp


def load(path: str, dropout: float = 0.0) -> torch.nn.Module:
    # [start:load]
    model = over_large_mlp(width=128, depth=5, dropout=dropout)  # the same shape, built from code
    weights = torch.load(path, weights_only=True)               # a dict: parameter name -> tensor
    model.load_state_dict(weights)                              # pour the numbers in
    model.eval()                                                # predicting, not training: dropout off
    # [end:load]
    return model


if __name__ == "__main__":
    network = load(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
    with torch.no_grad():
        print(network(torch.linspace(-1, 1, 5).reshape(-1, 1)).squeeze(1).tolist())
