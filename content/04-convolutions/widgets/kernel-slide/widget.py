"""A 3×3 kernel sliding over a digit one position at a time: the window, the nine products
and the feature map filling in, cell by cell.

Reads: constants image, kernel, output, label of the run.
"""
from __future__ import annotations

ARGS = {
    "run": {"type": "run", "help": "a run that records constants image (8×8), kernel (3×3), output (8×8) and label"},
}

DATA = {
    "image": "float[][]",
    "kernel": "float[][]",
    "output": "float[][]",
    "label": "int",
}


def export(records, args):
    const = records[args["run"]]["constants"]
    return {"image": const["image"], "kernel": const["kernel"], "output": const["output"], "label": int(const["label"])}


def describe(data):
    import numpy as np

    out = np.asarray(data["output"])
    hi = np.unravel_index(out.argmax(), out.shape)
    lo = np.unravel_index(out.argmin(), out.shape)
    return (f"A handwritten {data['label']}, 8 by 8 pixels, and the feature map a 3 by 3 edge kernel makes from it "
            f"by sliding over all {out.size} positions. The largest value, {out.max():.2f}, is at row {hi[0] + 1}, "
            f"column {hi[1] + 1}, where ink lies to the left of blank; the smallest, {out.min():.2f}, at row "
            f"{lo[0] + 1}, column {lo[1] + 1}, where blank lies to the left of ink.")


def figure(data, palette):
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.patches import Rectangle

    image, kernel, out = (np.asarray(data[k]) for k in ("image", "kernel", "output"))
    ink = LinearSegmentedColormap.from_list("ink", [palette["background"], palette["text"]])
    signed = LinearSegmentedColormap.from_list("signed", [palette["validation"], palette["background"],
                                                          palette["train"]])
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(8.0, 3.0), layout="constrained",
                                  gridspec_kw={"width_ratios": [8, 3, 8]})
    a.imshow(image, cmap=ink, vmin=0, vmax=1)
    a.add_patch(Rectangle((1.5, 1.5), 3, 3, fill=False, edgecolor=palette["highlight"], linewidth=2.5))
    a.set_title(f"digit {data['label']}, the kernel's window", fontsize=9)
    edge = float(np.abs(kernel).max())
    b.imshow(kernel, cmap=signed, vmin=-edge, vmax=edge)
    for (i, j), v in np.ndenumerate(kernel):
        b.text(j, i, f"{v:g}", ha="center", va="center", color=palette["text"], fontsize=10)
    b.set_title("kernel", fontsize=9)
    top = float(np.abs(out).max())
    c.imshow(out, cmap=signed, vmin=-top, vmax=top)
    c.add_patch(Rectangle((2.5, 2.5), 1, 1, fill=False, edgecolor=palette["highlight"], linewidth=2.5))
    c.set_title("feature map", fontsize=9)
    for ax in (a, b, c):
        ax.set_xticks([])
        ax.set_yticks([])
    return fig
