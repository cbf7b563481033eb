"""Watch the model find the function: the recorded 'overfit' run replayed. The prediction
curve moves through its snapshots over the data while the train and validation losses
are traced beside it, so the epoch where validation loss turns up is plain to see."""
from __future__ import annotations

import math

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UL, UP, UR, Axes, Circle, Create, DashedLine, DashedVMobject, Dot, FadeIn,
                   Line, ValueTracker, VGroup, VMobject, always_redraw, linear)

from common import ThemedScene, label, load_record, log_step

SCENE = "WatchTheFit"
RECORDS = ["01-why-the-weights-move/overfit"]

SWEEP_SECONDS = 22.0  # the whole training run, replayed at an even pace through the snapshots
TEXT = 30             # labels and numbers: at least 1/20 of the frame height per em (scenes/common.py)


class WatchTheFit(ThemedScene):
    def construct(self) -> None:
        self.read_run()
        self.build_panels()
        self.show_the_data()
        self.start_training()
        self.train_to_the_best_epoch()
        self.mark_the_best_epoch()
        self.train_past_the_best_epoch()

    # ---------------------------------------------------------------- the record
    def read_run(self) -> None:
        rec = load_record(RECORDS[0])
        self.const, series, snaps = rec["constants"], rec["series"], rec["snapshots"]
        self.grid = np.array(self.const["grid"])
        self.snapshot_epochs = np.array(snaps["step"], dtype=float)
        self.predictions = np.array(snaps["prediction"])
        self.epochs = np.array(series["step"], dtype=float)
        self.train_loss, self.val_loss = np.array(series["train_loss"]), np.array(series["val_loss"])
        self.best = int(np.argmin(self.val_loss))
        self.best_epoch = int(self.epochs[self.best])

    # ---------------------------------------------------------------- the two panels
    def build_panels(self) -> None:
        c, const = self.c, self.const
        data_y = np.concatenate([const["y_train"], const["y_val"], const["truth"]])
        self.y_lo, self.y_hi = math.floor(data_y.min() * 2 - 0.5) / 2, math.ceil(data_y.max() * 2 + 0.5) / 2
        axis_style = {"color": c["muted"], "include_tip": False, "stroke_width": 2}
        # Panels sit between the legend row and the caption band (kept free below y = −2.4).
        self.fit_axes = Axes(x_range=[-1, 1, 0.5], y_range=[self.y_lo, self.y_hi, 0.5], x_length=5.8, y_length=3.3,
                             axis_config=axis_style).move_to([-3.6, -0.05, 0])
        losses = np.concatenate([self.train_loss, self.val_loss])
        self.l_lo = math.floor(math.log10(losses.min()) * 2) / 2
        self.l_hi = math.ceil(math.log10(losses.max()) * 2) / 2
        # y is log10(loss) - l_lo, so the axes cross at the bottom-left corner.
        self.loss_axes = Axes(x_range=[0, log_step(self.epochs[-1]), 1], y_range=[0, self.l_hi - self.l_lo, 0.5],
                              x_length=4.0, y_length=3.3, axis_config=axis_style,
                              x_axis_config={"include_ticks": False},
                              y_axis_config={"include_ticks": False}).move_to([3.2, -0.05, 0])
        self.ticks = self.tick_labels()
        fit_axes, loss_axes = self.fit_axes, self.loss_axes
        self.fit_title = label("the model's prediction", size=TEXT).next_to(fit_axes, UP, buff=0.2) \
            .align_to(fit_axes, LEFT)
        self.loss_title = label("loss (log scale)", size=TEXT).next_to(loss_axes, UP, buff=0.2).align_to(loss_axes, LEFT)
        # Beside the axis's end, not under its ticks: below them is the caption band.
        self.epoch_axis_name = label("epoch", size=TEXT, color="muted").next_to(loss_axes.x_axis, RIGHT, buff=0.15)

    def fit_point(self, x: float, y: float):
        return self.fit_axes.c2p(x, min(max(y, self.y_lo), self.y_hi))  # a wild early curve stays in its panel

    def loss_point(self, epoch: float, loss: float):
        return self.loss_axes.c2p(log_step(epoch), min(max(math.log10(loss), self.l_lo), self.l_hi) - self.l_lo)

    def tick_labels(self) -> VGroup:
        """Tick labels drawn as Text (no LaTeX here): epochs 1, 10, 100... and losses 0.01, 0.1, 1."""
        c, loss_axes, l_lo = self.c, self.loss_axes, self.l_lo
        ticks = VGroup()
        for epoch in (10 ** k for k in range(0, 5) if 10 ** k <= self.epochs[-1]):
            mark = loss_axes.c2p(log_step(epoch), 0)
            ticks.add(Line(mark, mark + 0.1 * DOWN, color=c["muted"], stroke_width=2))
            ticks.add(label(f"{epoch:g}", size=TEXT, color="muted").next_to(mark, DOWN, buff=0.14))
        for power in range(math.ceil(l_lo), math.floor(self.l_hi) + 1):
            mark = loss_axes.c2p(0, power - l_lo)
            ticks.add(Line(mark, mark + 0.1 * LEFT, color=c["muted"], stroke_width=2))
            ticks.add(label(f"{10.0 ** power:g}", size=TEXT, color="muted").next_to(mark, LEFT, buff=0.14))
        for x in (-1, 0, 1):
            ticks.add(label(f"{x}".replace("-", "−"), size=TEXT, color="muted")
                      .next_to(self.fit_axes.c2p(x, self.y_lo), DOWN, buff=0.14))
        return ticks

    # ---------------------------------------------------------------- the story
    def show_the_data(self) -> None:
        c, const, fit_point = self.c, self.const, self.fit_point
        title = label("Watch the model find the function", size=30).to_corner(UL, buff=0.4)
        truth = DashedVMobject(VMobject(stroke_color=c["truth"], stroke_width=4).set_points_smoothly(
            [fit_point(x, y) for x, y in zip(self.grid, const["truth"])]), num_dashes=60)
        train_dots = VGroup(*[Dot(fit_point(x, y), radius=0.065, color=c["train"])
                              for x, y in zip(const["x_train"], const["y_train"])])
        val_rings = VGroup(*[Circle(radius=0.065, color=c["validation"], stroke_width=3).move_to(fit_point(x, y))
                             for x, y in zip(const["x_val"], const["y_val"])])
        # One legend for both panels: a series keeps its colour in each.
        legend = self.legend([("dot", "train", "training"), ("ring", "validation", "validation"),
                              ("dash", "truth", "truth"), ("line", "model", "model")])
        legend.next_to(title, DOWN, buff=0.25).align_to(title, LEFT)

        self.chapter("The data")
        self.say("Training points (filled), validation points (rings), the true function (dashed).")
        self.play(FadeIn(title), Create(self.fit_axes), FadeIn(self.fit_title), FadeIn(legend))
        self.play(Create(truth), FadeIn(train_dots), FadeIn(val_rings), run_time=1.5)
        self.wait(1.5)

    # `progress` runs over snapshot indices; between two snapshots the curve and epoch
    # are interpolated, so the epoch advances log-like, matching the loss plot's axis.
    def epoch_now(self) -> float:
        return float(np.interp(self.progress.get_value(), np.arange(len(self.snapshot_epochs)), self.snapshot_epochs))

    def prediction_now(self) -> np.ndarray:
        s = self.progress.get_value()
        i = min(int(s), len(self.snapshot_epochs) - 2)
        t = s - i
        return self.predictions[i] * (1 - t) + self.predictions[i + 1] * t

    def trace(self, values: np.ndarray, color: str) -> VMobject:
        epoch, epochs = self.epoch_now(), self.epochs
        upto = int(np.searchsorted(epochs, epoch, side="right"))
        points = [self.loss_point(e, v) for e, v in zip(epochs[:upto], values[:upto])]
        points.append(self.loss_point(epoch, float(np.interp(epoch, epochs, values))))
        if len(points) < 2:
            points.append(points[0])
        return VMobject(stroke_color=self.c[color], stroke_width=3.5).set_points_as_corners(points)

    def start_training(self) -> None:
        c = self.c
        self.progress = ValueTracker(0.0)
        model = always_redraw(lambda: VMobject(stroke_color=c["model"], stroke_width=4.5).set_points_as_corners(
            [self.fit_point(x, y) for x, y in zip(self.grid, self.prediction_now())]))
        train_trace = always_redraw(lambda: self.trace(self.train_loss, "train"))
        val_trace = always_redraw(lambda: self.trace(self.val_loss, "validation"))
        counter = always_redraw(lambda: label(f"epoch {round(self.epoch_now()):>4}", size=TEXT, mono=True)
                                .to_corner(UR, buff=0.45))

        self.chapter("Training starts")
        self.say("Training starts from random weights: the prediction is almost flat.")
        self.play(FadeIn(model), FadeIn(counter), Create(self.loss_axes), FadeIn(self.ticks), FadeIn(self.loss_title),
                  FadeIn(self.epoch_axis_name))
        self.add(train_trace, val_trace)
        self.wait(1.5)

    def train_to_the_best_epoch(self) -> None:
        """Up to the best validation epoch: the curve finds the shape, both losses fall."""
        steps = self.snapshot_epochs
        best_at = float(np.interp(self.best_epoch, steps, np.arange(len(steps))))
        self.share = best_at / (len(steps) - 1)
        self.say("The curve bends toward the points and both losses fall.")
        self.play(self.progress.animate.set_value(best_at), run_time=SWEEP_SECONDS * self.share, rate_func=linear)

    def mark_the_best_epoch(self) -> None:
        c, loss_axes, best_epoch = self.c, self.loss_axes, self.best_epoch
        marker = DashedLine(loss_axes.c2p(log_step(best_epoch), 0),
                            loss_axes.c2p(log_step(best_epoch), self.l_hi - self.l_lo),
                            color=c["highlight"], stroke_width=2.5, dash_length=0.1)
        best_dot = Dot(self.loss_point(best_epoch, self.val_loss[self.best]), radius=0.08, color=c["highlight"])
        # Above the loss panel, under the epoch counter: inside the plot the curves, which the
        # record decides, would run through it; the colour ties it to the line and the dot.
        best_text = label(f"best: epoch {best_epoch}", size=TEXT, color="highlight")
        best_text.to_edge(RIGHT, buff=0.45).set_y(self.fit_title.get_y() + 0.6)
        self.chapter("The best epoch")
        self.say(f"Epoch {best_epoch}: the validation loss is at its lowest. This is the best model.")
        self.play(Create(marker), FadeIn(best_dot), FadeIn(best_text))
        self.wait(2.5)

    def train_past_the_best_epoch(self) -> None:
        """After it: training loss keeps falling while validation loss rises."""
        self.chapter("Overfitting")
        self.say("From here the training loss goes on down, with spikes, while the validation loss rises: "
                 "the curve bends to fit the noise.")
        self.play(self.progress.animate.set_value(len(self.snapshot_epochs) - 1),
                  run_time=SWEEP_SECONDS * (1 - self.share), rate_func=linear)
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
            entries.add(VGroup(glyph, label(text, size=TEXT, color="muted")).arrange(RIGHT, buff=0.12))
        return entries.arrange(RIGHT, buff=0.4)


ORIGIN_LEFT, ORIGIN_RIGHT = np.array([-0.2, 0, 0]), np.array([0.2, 0, 0])
