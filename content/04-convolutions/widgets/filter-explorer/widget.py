"""Pick a test digit (or paint one) and a shift: every first-layer filter's feature map and
the small CNN's prediction, computed in the page from the trained weights.

Reads: constants examples, example_labels, example_shifts, conv1_weight, conv1_bias,
conv2_weight, conv2_bias, out_weight, out_bias of the run; facts chosen_class.
"""
from __future__ import annotations

ARGS = {
    "run": {"type": "run", "help": "a run that records a small CNN's weights (conv1, conv2, out) and example digits"},
}

DATA = {
    "examples": "float[][][]",
    "labels": "int[]",
    "shifts": "int[]",
    "start": "int",
    "conv1_weight": "float[][][]",
    "conv1_bias": "float[]",
    "conv2_weight": "float[][][][]",
    "conv2_bias": "float[]",
    "out_weight": "float[][]",
    "out_bias": "float[]",
}


def export(records, args):
    rec = records[args["run"]]
    const = rec["constants"]
    # Weights go out at full precision: the page's forward pass must match PyTorch's.
    return {
        "examples": const["examples"],
        "labels": [int(v) for v in const["example_labels"]],
        "shifts": [int(v) for v in const["example_shifts"]],
        "start": rec["facts"]["chosen_class"],
        **{name: const[name] for name in ("conv1_weight", "conv1_bias", "conv2_weight", "conv2_bias",
                                          "out_weight", "out_bias")},
    }


def forward(data, image):
    """The CNN's forward pass in NumPy, for the fallback figure and the alt text."""
    import numpy as np

    x = np.asarray(image, dtype=np.float64)
    w1, b1 = np.asarray(data["conv1_weight"]), np.asarray(data["conv1_bias"])
    padded = np.pad(x, 1)
    maps = np.array([[[np.sum(k * padded[i:i + 3, j:j + 3]) for j in range(8)] for i in range(8)]
                     for k in w1]) + b1[:, None, None]
    maps = np.maximum(maps, 0)
    pooled = maps.reshape(len(w1), 4, 2, 4, 2).max(axis=(2, 4))
    w2, b2 = np.asarray(data["conv2_weight"]), np.asarray(data["conv2_bias"])
    padded = np.pad(pooled, ((0, 0), (1, 1), (1, 1)))
    maps2 = np.array([[[np.sum(k * padded[:, i:i + 3, j:j + 3]) for j in range(4)] for i in range(4)] for k in w2])
    features = np.maximum(maps2 + b2[:, None, None], 0).max(axis=(1, 2))
    scores = np.asarray(data["out_weight"]) @ features + np.asarray(data["out_bias"])
    return maps, scores


def describe(data):
    k = data["start"]
    maps, scores = forward(data, data["examples"][k])
    p = softmax(scores)
    strongest = int(maps.sum(axis=(1, 2)).argmax())
    return (f"A test digit {data['labels'][k]}, unshifted, and the {len(data['conv1_bias'])} feature maps of the "
            f"CNN's first layer for it; filter {strongest + 1} responds most in total. The network predicts "
            f"{int(p.argmax())} with probability {p.max():.0%}. On the page one picks any of "
            f"{len(data['examples'])} test digits, or paints one, and shifts it by up to "
            f"{max(data['shifts'])} pixels.")


def softmax(scores):
    import numpy as np

    e = np.exp(scores - np.max(scores))
    return e / e.sum()


def figure(data, palette):
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap

    k = data["start"]
    image = np.asarray(data["examples"][k])
    maps, scores = forward(data, image)
    p = softmax(scores)
    ink = LinearSegmentedColormap.from_list("ink", [palette["background"], palette["text"]])
    heat = LinearSegmentedColormap.from_list("heat", [palette["background"], palette["accent"]])
    signed = LinearSegmentedColormap.from_list("signed", [palette["validation"], palette["background"],
                                                          palette["train"]])
    n = len(maps)
    fig = plt.figure(figsize=(8.0, 4.2), layout="constrained")
    grid = fig.add_gridspec(3, n + 3)
    ax = fig.add_subplot(grid[0:2, 0:2])
    ax.imshow(image, cmap=ink, vmin=0, vmax=1)
    ax.set_title(f"test digit {data['labels'][k]}", fontsize=9)
    ax.set_axis_off()
    top = max(float(maps.max()), 1e-9)
    w1 = np.asarray(data["conv1_weight"])
    edge = float(np.abs(w1).max())
    for f in range(n):
        kernel_ax = fig.add_subplot(grid[0, f + 2])
        kernel_ax.imshow(w1[f], cmap=signed, vmin=-edge, vmax=edge)
        kernel_ax.set_title(f"filter {f + 1}", fontsize=8)
        kernel_ax.set_axis_off()
        map_ax = fig.add_subplot(grid[1, f + 2])
        map_ax.imshow(maps[f], cmap=heat, vmin=0, vmax=top)
        map_ax.set_axis_off()
    bars = fig.add_subplot(grid[2, :])
    bars.bar(range(10), p, color=[palette["accent"] if c == int(p.argmax()) else palette["muted"] for c in range(10)])
    bars.set_xticks(range(10))
    bars.set_ylim(0, 1)
    bars.set_ylabel("probability", fontsize=8)
    bars.set_xlabel("class", fontsize=8)
    return fig
