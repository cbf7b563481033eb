"""Watch the model find the function: the recorded 'overfit' run replayed. The prediction
curve moves through its snapshots over the data while the train and validation losses
are traced beside it, so the epoch where validation loss turns up is plain to see."""
from __future__ import annotations

import math

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UL, UP, UR, Axes, Circle, Create, DashedLine, DashedVMobject, Dot, FadeIn,
                   Line, ValueTracker, VGroup, VMobject, always_redraw, linear)

from common import ThemedScene, label, load_record

SCENE = "WatchTheFit"
RECORDS = ["01-why-the-weights-move/overfit"]

SWEEP_SECONDS = 22.0  # the whole training run, replayed at an even pace through the snapshots


def log_epoch(epoch: float) -> float:
    """Loss plot's x: epochs on a log scale (epoch 0 sits at 0)."""
    return math.log10(epoch + 1)


class WatchTheFit(ThemedScene):
    def construct(self) -> None:
        c = self.c
        rec = load_record(RECORDS[0])
        const, series, snaps = rec["constants"], rec["series"], rec["snapshots"]
        grid = np.array(const["grid"])
        steps = np.array(snaps["step"], dtype=float)
        predictions = np.array(snaps["prediction"])
        epochs = np.array(series["step"], dtype=float)
        train_loss, val_loss = np.array(series["train_loss"]), np.array(series["val_loss"])
        best = int(np.argmin(val_loss))
        best_epoch = int(epochs[best])

        # ---------------------------------------------------------------- the two panels
        data_y = np.concatenate([const["y_train"], const["y_val"], const["truth"]])
        y_lo, y_hi = math.floor(data_y.min() * 2 - 0.5) / 2, math.ceil(data_y.max() * 2 + 0.5) / 2
        axis_style = {"color": c["muted"], "include_tip": False, "stroke_width": 2}
        # Panels sit between the legend row and the caption band (kept free below y = −2.4).
        fit_axes = Axes(x_range=[-1, 1, 0.5], y_range=[y_lo, y_hi, 0.5], x_length=6.0, y_length=3.5,
                        axis_config=axis_style).move_to([-3.55, 0.1, 0])
        losses = np.concatenate([train_loss, val_loss])
        l_lo, l_hi = math.floor(math.log10(losses.min()) * 2) / 2, math.ceil(math.log10(losses.max()) * 2) / 2
        # y is log10(loss) - l_lo, so the axes cross at the bottom-left corner.
        loss_axes = Axes(x_range=[0, log_epoch(epochs[-1]), 1], y_range=[0, l_hi - l_lo, 0.5], x_length=4.6,
                         y_length=3.5, axis_config=axis_style, x_axis_config={"include_ticks": False},
                         y_axis_config={"include_ticks": False}).move_to([3.5, 0.1, 0])

        def fit_point(x: float, y: float):
            return fit_axes.c2p(x, min(max(y, y_lo), y_hi))  # a wild early curve stays in its panel

        def loss_point(epoch: float, loss: float):
            return loss_axes.c2p(log_epoch(epoch), min(max(math.log10(loss), l_lo), l_hi) - l_lo)

        # Tick labels drawn as Text (no LaTeX here): epochs 1, 10, 100... and losses 0.01, 0.1, 1.
        ticks = VGroup()
        for epoch in (10 ** k for k in range(0, 5) if 10 ** k <= epochs[-1]):
            mark = loss_axes.c2p(log_epoch(epoch), 0)
            ticks.add(Line(mark, mark + 0.1 * DOWN, color=c["muted"], stroke_width=2))
            ticks.add(label(f"{epoch:g}", size=24, color="muted").next_to(mark, DOWN, buff=0.14))
        for power in range(math.ceil(l_lo), math.floor(l_hi) + 1):
            mark = loss_axes.c2p(0, power - l_lo)
            ticks.add(Line(mark, mark + 0.1 * LEFT, color=c["muted"], stroke_width=2))
            ticks.add(label(f"{10.0 ** power:g}", size=24, color="muted").next_to(mark, LEFT, buff=0.14))
        for x in (-1, 0, 1):
            ticks.add(label(f"{x}".replace("-", "−"), size=24, color="muted")
                      .next_to(fit_axes.c2p(x, y_lo), DOWN, buff=0.14))
        fit_title = label("the model's prediction", size=24).next_to(fit_axes, UP, buff=0.2).align_to(fit_axes, LEFT)
        loss_title = label("loss (log scale)", size=24).next_to(loss_axes, UP, buff=0.2).align_to(loss_axes, LEFT)
        # Beside the axis's end, not under its ticks: below them is the caption band.
        epoch_axis_name = label("epoch", size=24, color="muted").next_to(loss_axes.x_axis, RIGHT, buff=0.15)

        title = label("Watch the model find the function", size=30).to_corner(UL, buff=0.4)
        truth = DashedVMobject(VMobject(stroke_color=c["truth"], stroke_width=4).set_points_smoothly(
            [fit_point(x, y) for x, y in zip(grid, const["truth"])]), num_dashes=60)
        train_dots = VGroup(*[Dot(fit_point(x, y), radius=0.065, color=c["train"])
                              for x, y in zip(const["x_train"], const["y_train"])])
        val_rings = VGroup(*[Circle(radius=0.065, color=c["validation"], stroke_width=3).move_to(fit_point(x, y))
                             for x, y in zip(const["x_val"], const["y_val"])])
        # One legend for both panels: a series keeps its colour in each.
        legend = self.legend([("dot", "train", "training"), ("ring", "validation", "validation"),
                              ("dash", "truth", "true function"), ("line", "model", "model")])
        legend.next_to(title, DOWN, buff=0.25).align_to(title, LEFT)

        self.say("Training points (filled), validation points (rings), the true function (dashed).")
        self.play(FadeIn(title), Create(fit_axes), FadeIn(fit_title), FadeIn(legend))
        self.play(Create(truth), FadeIn(train_dots), FadeIn(val_rings), run_time=1.5)
        self.wait(1.5)

        # ---------------------------------------------------------------- replaying the run
        # `progress` runs over snapshot indices; between two snapshots the curve and epoch
        # are interpolated, so the epoch advances log-like, matching the loss plot's axis.
        progress = ValueTracker(0.0)

        def epoch_now() -> float:
            return float(np.interp(progress.get_value(), np.arange(len(steps)), steps))

        def prediction_now() -> np.ndarray:
            s = progress.get_value()
            i = min(int(s), len(steps) - 2)
            t = s - i
            return predictions[i] * (1 - t) + predictions[i + 1] * t

        def trace(values: np.ndarray, color: str) -> VMobject:
            epoch = epoch_now()
            upto = int(np.searchsorted(epochs, epoch, side="right"))
            points = [loss_point(e, v) for e, v in zip(epochs[:upto], values[:upto])]
            points.append(loss_point(epoch, float(np.interp(epoch, epochs, values))))
            if len(points) < 2:
                points.append(points[0])
            return VMobject(stroke_color=c[color], stroke_width=3.5).set_points_as_corners(points)

        model = always_redraw(lambda: VMobject(stroke_color=c["model"], stroke_width=4.5).set_points_as_corners(
            [fit_point(x, y) for x, y in zip(grid, prediction_now())]))
        train_trace = always_redraw(lambda: trace(train_loss, "train"))
        val_trace = always_redraw(lambda: trace(val_loss, "validation"))
        counter = always_redraw(lambda: label(f"epoch {round(epoch_now()):>4}", size=26, mono=True)
                                .to_corner(UR, buff=0.45))

        self.say("Training starts from random weights: the prediction is almost flat.")
        self.play(FadeIn(model), FadeIn(counter), Create(loss_axes), FadeIn(ticks), FadeIn(loss_title),
                  FadeIn(epoch_axis_name))
        self.add(train_trace, val_trace)
        self.wait(1.5)

        # Up to the best validation epoch: the curve finds the shape, both losses fall.
        best_at = float(np.interp(best_epoch, steps, np.arange(len(steps))))
        share = best_at / (len(steps) - 1)
        self.say("The curve bends toward the points and both losses fall.")
        self.play(progress.animate.set_value(best_at), run_time=SWEEP_SECONDS * share, rate_func=linear)

        marker = DashedLine(loss_axes.c2p(log_epoch(best_epoch), 0), loss_axes.c2p(log_epoch(best_epoch), l_hi - l_lo),
                            color=c["highlight"], stroke_width=2.5, dash_length=0.1)
        best_dot = Dot(loss_point(best_epoch, val_loss[best]), radius=0.08, color=c["highlight"])
        best_text = label(f"best validation\nepoch {best_epoch}", size=24, color="highlight")
        best_text.next_to(marker.get_top(), RIGHT, buff=0.15).shift(0.3 * DOWN)
        overshoot = best_text.get_right()[0] - (loss_axes.get_right()[0] + 0.2)
        if overshoot > 0:  # a late best epoch: keep the label on screen, left of the line
            best_text.next_to(marker.get_top(), LEFT, buff=0.15).shift(0.3 * DOWN)
        self.say(f"Epoch {best_epoch}: the validation loss is at its lowest. This is the best model.")
        self.play(Create(marker), FadeIn(best_dot), FadeIn(best_text))
        self.wait(2.5)

        # After it: training loss keeps falling while validation loss rises.
        self.say("From here the training loss goes on down, with spikes, while the validation loss rises: "
                 "the curve bends to fit the noise.")
        self.play(progress.animate.set_value(len(steps) - 1), run_time=SWEEP_SECONDS * (1 - share), rate_func=linear)
        self.wait(3.5)

    def legend(self, items: list[tuple[str, str, str]]) -> VGroup:
        """A one-line legend: (glyph kind, palette token, text) per entry."""
        c = self.c
        entries = VGroup()
        for kind, token, text in items:
            if kind == "dot":
                glyph = Dot(radius=0.07, color=c[token])
            elif kind == "ring":
                glyph = Circle(radius=0.07, color=c[token], stroke_width=3)
            elif kind == "dash":
                glyph = DashedLine(ORIGIN_LEFT, ORIGIN_RIGHT, color=c[token], stroke_width=4, dash_length=0.08)
            else:
                glyph = Line(ORIGIN_LEFT, ORIGIN_RIGHT, color=c[token], stroke_width=4)
            entries.add(VGroup(glyph, label(text, size=24, color="muted")).arrange(RIGHT, buff=0.12))
        return entries.arrange(RIGHT, buff=0.4)


ORIGIN_LEFT, ORIGIN_RIGHT = np.array([-0.2, 0, 0]), np.array([0.2, 0, 0])
