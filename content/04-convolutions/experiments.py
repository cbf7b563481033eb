"""Lesson 04's runs: a convolution by hand, then a dense network against a small CNN on
scikit-learn's 8×8 handwritten digits, scored on clean and on shifted test digits.

Why this set-up (measured on seeds 0-4 and 100-104, torch 2.13, one thread per run):
- The CNN is conv(1→8, 3×3) → ReLU → 2×2 max-pool → conv(8→16, 3×3) → ReLU → the largest
  value of each of the 16 maps → a dense read-out to 10 classes: 1,418 parameters. One conv
  layer with a dense read-out over the pooled map (tried first) kept little more than the
  dense network under shifts, because that read-out is tied to positions just as a dense layer is.
- The dense network has one hidden layer of 64 ReLU units (4,810 parameters). On clean
  digits the two differ by at most 1.9 points (seed 103), and each is ahead on some seeds of
  either set, so the page claims "within 3%" and no winner.
- Shifts (mean over the four directions): the CNN keeps at least 20.6 points more than the
  dense network at 1 pixel and 24.2 at 2 pixels on every seed; the page claims 15 and 20.
  At 1 pixel the CNN loses more vertically than sideways on nine seeds of ten, not on seed 4,
  so the page only compares directions at 2 pixels (vertical lower on every seed, by 0.16 at
  the least).
- Both train full-batch with Adam at lr 0.01 for 400 epochs and keep the weights of the
  epoch with the lowest validation loss; the test set is scored once, at the end.
- The whole build's training (both networks and the hand convolution) takes about
  10 CPU-seconds.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from generator.authoring import fit, run

SHIFTS = range(-3, 4)          # pixels; the accuracy table runs over these, on each axis
EXAMPLE_SHIFTS = range(-2, 3)  # the opening figure offers these on each axis
INK_MAX = 16                   # load_digits counts ink dots per 4×4 block: 0 to 16
CHOSEN_CLASS = 3               # the digit whose feature maps the lesson looks at
# Claims the page makes over seeds, measured on seeds 0-4 and 100-104 (see the docstring);
# recorded as facts so the page states them, and tested on fresh runs of every seed.
CLEAN_GAP_BOUND = 0.03         # |CNN - dense| test accuracy on unshifted digits
MARGIN_1PX = 0.15              # CNN minus dense accuracy at a 1-pixel shift, at least
MARGIN_2PX = 0.2               # and at a 2-pixel shift


# --------------------------------------------------------------------------- the data
def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten digits: 8×8 images of ink 0-16, scaled to 0-1."""
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.images / INK_MAX).astype(np.float32), data.target.astype(np.int64)


def split(images: np.ndarray, labels: np.ndarray, seed: int):
    """60% training, 20% validation, 20% test, each with the same share of every digit."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(labels))
    rest, test = train_test_split(rows, test_size=0.2, stratify=labels, random_state=seed)
    train, val = train_test_split(rest, test_size=0.25, stratify=labels[rest], random_state=seed)
    return train, val, test


# [start:shift]
def shift(images: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """Move every image dx pixels right and dy down. What crosses the edge is lost;
    the strip left behind is blank (0)."""
    out = torch.zeros_like(images)
    h, w = images.shape[-2:]
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        images[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out
# [end:shift]


# --------------------------------------------------------------------------- by hand
# [start:by-hand]
def conv_by_hand(image: np.ndarray, kernel: np.ndarray, bias: float = 0.0) -> np.ndarray:
    """Slide a 3×3 kernel over an image padded with one ring of zeros: at each place,
    multiply the nine pixels under the kernel by its nine weights and add them up."""
    padded = np.pad(image, 1)
    out = np.zeros(image.shape)
    for i in range(image.shape[0]):
        for j in range(image.shape[1]):
            out[i, j] = np.sum(kernel * padded[i:i + 3, j:j + 3]) + bias
    return out
# [end:by-hand]


# Bright on the left, dark on the right: a kernel that answers left edges of strokes.
EDGE_KERNEL = np.array([[1.0, 0.0, -1.0], [1.0, 0.0, -1.0], [1.0, 0.0, -1.0]])


@run(seed=0, example=0)
def by_hand(rec, *, seed: int, example: int) -> None:
    """The hand convolution against torch's conv2d: on one digit with the edge kernel, then
    on every digit with a random kernel drawn from the seed."""
    images, labels = digits()
    image = images[example]
    # [start:against-torch]
    mine = conv_by_hand(image, EDGE_KERNEL)
    theirs = F.conv2d(torch.tensor(image, dtype=torch.float64)[None, None],   # (batch, channel, 8, 8)
                      torch.tensor(EDGE_KERNEL)[None, None], padding=1)[0, 0].numpy()
    difference = np.abs(mine - theirs).max()
    # [end:against-torch]
    kernel = np.random.default_rng(seed).normal(size=(3, 3))
    every = F.conv2d(torch.tensor(images, dtype=torch.float64)[:, None], torch.tensor(kernel)[None, None],
                     padding=1)[:, 0].numpy()
    worst = max(np.abs(conv_by_hand(img, kernel) - out).max() for img, out in zip(images, every))
    flipped = conv_by_hand(image, EDGE_KERNEL[::-1, ::-1])   # a textbook convolution flips the kernel
    rec.constant(image=image, kernel=EDGE_KERNEL, output=mine, label=int(labels[example]))
    rec.fact(difference=float(difference), worst_difference=float(worst), images=len(images),
             tolerance=1e-6, kernel_size=3, label=int(labels[example]),
             flipped_difference=float(np.abs(flipped - mine).max()),
             flipped_is_negated=bool(np.allclose(flipped, -mine)),
             out_min=float(mine.min()), out_max=float(mine.max()))


# --------------------------------------------------------------------------- two networks
# [start:networks]
def dense_network(hidden: int) -> nn.Sequential:
    """The 64 pixels as one flat vector, one hidden layer, ten scores."""
    return nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))


class LargestValue(nn.Module):
    """Global max pooling: each feature map becomes one number, its largest value."""

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        return maps.amax(dim=(2, 3))


def small_cnn(filters: int, maps: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, filters, kernel_size=3, padding=1),     # 8×8 image -> `filters` maps of 8×8
        nn.ReLU(),
        nn.MaxPool2d(2),                                     # -> 4×4: the largest of each 2×2 block
        nn.Conv2d(filters, maps, kernel_size=3, padding=1),  # -> `maps` maps of 4×4
        nn.ReLU(),
        LargestValue(),                                      # -> `maps` numbers, wherever they were
        nn.Linear(maps, 10),                                 # the dense read-out: ten scores
    )
# [end:networks]


# [start:receptive-field]
def receptive_fields(size: int, layers: list[tuple[str, int, int, int]]) -> list[dict]:
    """Output size and receptive field after each layer (Dumoulin & Visin 2016).

    A layer with kernel k, stride s and padding p maps a size i to (i + 2p - k) // s + 1.
    Its units see k - 1 more steps of the layer below than one unit does, and a step there
    is `jump` input pixels; striding multiplies the jump by s."""
    field, jump, rows = 1, 1, []
    for name, k, s, p in layers:
        size = (size + 2 * p - k) // s + 1
        field = field + (k - 1) * jump
        jump = jump * s
        rows.append({"layer": name, "size": size, "field": field, "jump": jump})
    return rows
# [end:receptive-field]


CNN_LAYERS = [("conv1", 3, 1, 1), ("pool", 2, 2, 0), ("conv2", 3, 1, 1)]   # (name, kernel, stride, padding)


def readable_filters(weight: np.ndarray, bias: np.ndarray) -> dict:
    """The few first-layer filters with a plain reading, found by rule, not by eye:
    the one that most weighs the top row against the two below (a top-edge detector), the
    one that most weighs the left column against the right (like the hand-made kernel), and
    how many subtract more than they add but have a positive bias (on over blank paper)."""
    size = np.abs(weight).mean(axis=(1, 2))
    top = (weight[:, 1:, :].mean(axis=(1, 2)) - weight[:, 0, :].mean(axis=1)) / size
    side = (weight[:, :, 0].mean(axis=1) - weight[:, :, 2].mean(axis=1)) / size
    return {"top_edge_filter": int(top.argmax()) + 1, "side_edge_filter": int(side.argmax()) + 1,
            "blank_filters": int(((weight.sum(axis=(1, 2)) < 0) & (bias > 0)).sum())}


def parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def train_keep_best(model: nn.Module, x, y, x_val, y_val, epochs: int, lr: float):
    """Full-batch Adam; keep the weights of the epoch with the lowest validation loss.
    Returns that epoch and the training and validation loss after every epoch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    best = {"loss": float("inf"), "epoch": 0, "state": None}
    history = {"train_loss": [], "val_loss": []}

    def after_epoch(epoch: int) -> bool:
        with torch.no_grad():
            history["train_loss"].append(F.cross_entropy(model(x), y).item())
            history["val_loss"].append(F.cross_entropy(model(x_val), y_val).item())
        if history["val_loss"][-1] < best["loss"]:
            best.update(loss=history["val_loss"][-1], epoch=epoch,
                        state={k: v.clone() for k, v in model.state_dict().items()})
        return False

    fit(model, optimizer, F.cross_entropy, x, y, epochs, after_epoch=after_epoch)
    model.load_state_dict(best["state"])
    model.eval()
    return best["epoch"], history


@run(seed=0, hidden=64, filters=8, maps=16, epochs=400, lr=0.01)
def networks(rec, *, seed: int, hidden: int, filters: int, maps: int, epochs: int, lr: float) -> None:
    images, labels = digits()
    train, val, test = split(images, labels, seed)
    x, y = torch.tensor(images), torch.tensor(labels)
    as_maps = lambda rows: x[rows][:, None]   # (N, 1, 8, 8): one input channel

    dense = dense_network(hidden)
    dense_epoch, dense_history = train_keep_best(dense, x[train], y[train], x[val], y[val], epochs, lr)
    cnn = small_cnn(filters, maps)
    cnn_epoch, cnn_history = train_keep_best(cnn, as_maps(train), y[train], as_maps(val), y[val], epochs, lr)
    for epoch in range(epochs):
        rec.log(epoch + 1, **{f"{net}_{name}": history[name][epoch] for net, history in
                              (("dense", dense_history), ("cnn", cnn_history)) for name in history})

    # The test set, touched once: every network on every shift along each axis.
    x_test, y_test = as_maps(test), y[test]
    table = {}
    for net_name, net in (("dense", dense), ("cnn", cnn)):
        table[net_name] = {
            "horizontal": [accuracy(net, shift(x_test, s, 0), y_test) for s in SHIFTS],
            "vertical": [accuracy(net, shift(x_test, 0, s), y_test) for s in SHIFTS],
        }
    at = {s: i for i, s in enumerate(SHIFTS)}

    def mean_at(net_name: str, size: int, axes=("horizontal", "vertical")) -> float:
        """Accuracy averaged over the shifts of `size` pixels in both directions of the axes."""
        return float(np.mean([table[net_name][a][at[s]] for a in axes for s in (size, -size)]))

    # How much ink a shift pushes off the frame, over the test digits.
    ink = x_test.sum(dim=(1, 2, 3))
    lost = {(axis, s): (1 - shift(x_test, *((s, 0) if axis == "horizontal" else (0, s))).sum(dim=(1, 2, 3)) / ink)
            for axis in ("horizontal", "vertical") for s in SHIFTS}
    ink_lost = {axis: [float(lost[axis, s].mean()) for s in SHIFTS] for axis in ("horizontal", "vertical")}

    # Equivariance of the first convolution: shift then convolve, against convolve then shift.
    conv1 = cnn[0]
    with torch.no_grad():
        blank_right = (x_test[..., :, -1].sum(dim=(1, 2)) == 0)   # no ink in the rightmost column
        a = conv1(shift(x_test, 1, 0))[..., 1:]                    # skip the strip the shift left blank
        b = conv1(x_test)[..., :-1]
        gap = (a - b).abs().amax(dim=(1, 2, 3))
    rec.constant(shifts=list(SHIFTS), ink_lost_horizontal=ink_lost["horizontal"], ink_lost_vertical=ink_lost["vertical"],
                 **{f"{net_name}_{axis}": table[net_name][axis] for net_name in table for axis in table[net_name]})

    # What the opening figure ships: the CNN's weights and one test digit of each class,
    # with PyTorch's scores for each at every shift the figure offers.
    chosen = [int(test[(labels[test] == k)][0]) for k in range(10)]
    with torch.no_grad():
        scores = [[[cnn(shift(x[i][None, None], dx, dy))[0].tolist() for dx in EXAMPLE_SHIFTS]
                   for dy in EXAMPLE_SHIFTS] for i in chosen]
    rec.constant(examples=x[chosen], example_labels=labels[chosen].tolist(), example_shifts=list(EXAMPLE_SHIFTS),
                 example_scores=scores,
                 conv1_weight=cnn[0].weight.detach()[:, 0], conv1_bias=cnn[0].bias.detach(),
                 conv2_weight=cnn[3].weight.detach(), conv2_bias=cnn[3].bias.detach(),
                 out_weight=cnn[6].weight.detach(), out_bias=cnn[6].bias.detach())
    with torch.no_grad():
        chosen_maps = F.relu(conv1(x[chosen[CHOSEN_CLASS]][None, None]))[0]
    rec.constant(chosen_maps=chosen_maps)
    rec.fact(**readable_filters(cnn[0].weight.detach()[:, 0].numpy(), cnn[0].bias.detach().numpy()))

    rec.fact(
        samples=len(labels), pixels=int(images[0].size), ink_max=INK_MAX,
        train_rows=len(train), val_rows=len(val), test_rows=len(test),
        hidden=hidden, filters=filters, maps=maps, epochs=epochs, lr=lr,
        dense_params=parameters(dense), cnn_params=parameters(cnn),
        conv1_params=parameters(cnn[0]), conv2_params=parameters(cnn[3]), readout_params=parameters(cnn[6]),
        param_ratio=parameters(dense) / parameters(cnn),
        dense_best_epoch=dense_epoch, cnn_best_epoch=cnn_epoch,
        dense_test=table["dense"]["horizontal"][at[0]], cnn_test=table["cnn"]["horizontal"][at[0]],
        dense_shift1=mean_at("dense", 1), cnn_shift1=mean_at("cnn", 1),
        dense_shift2=mean_at("dense", 2), cnn_shift2=mean_at("cnn", 2),
        dense_shift1_h=mean_at("dense", 1, ("horizontal",)), cnn_shift1_h=mean_at("cnn", 1, ("horizontal",)),
        dense_shift1_v=mean_at("dense", 1, ("vertical",)), cnn_shift1_v=mean_at("cnn", 1, ("vertical",)),
        dense_shift2_h=mean_at("dense", 2, ("horizontal",)), cnn_shift2_h=mean_at("cnn", 2, ("horizontal",)),
        dense_shift2_v=mean_at("dense", 2, ("vertical",)), cnn_shift2_v=mean_at("cnn", 2, ("vertical",)),
        ink_lost1_h=float(np.mean([ink_lost["horizontal"][at[s]] for s in (1, -1)])),
        ink_lost1_v=float(np.mean([ink_lost["vertical"][at[s]] for s in (1, -1)])),
        ink_lost2_h=float(np.mean([ink_lost["horizontal"][at[s]] for s in (2, -2)])),
        ink_lost2_v=float(np.mean([ink_lost["vertical"][at[s]] for s in (2, -2)])),
        equivariant_digits=int(blank_right.sum()),
        equivariance_gap=float(gap[blank_right].max()),
        edge_digits=int((~blank_right).sum()),
        edge_gap=float(gap[~blank_right].max()) if (~blank_right).any() else 0.0,
        chosen_class=CHOSEN_CLASS, examples=len(chosen),
        clean_gap_bound=CLEAN_GAP_BOUND, margin1=MARGIN_1PX, margin2=MARGIN_2PX, one_digit=1 / len(test),
    )
    for row in receptive_fields(8, CNN_LAYERS):
        rec.fact(**{f"{row['layer']}_size": row["size"], f"{row['layer']}_field": row["field"],
                    f"{row['layer']}_jump": row["jump"]})
