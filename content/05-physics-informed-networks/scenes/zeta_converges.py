"""The damping ζ learned as one more parameter: its estimate moves from the starting guess
to the true value while the network's curve settles onto the measurements. Every number
and curve comes from the recorded inverse run."""
from __future__ import annotations

import math

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UL, UP, UR, Axes, Create, DashedLine, DashedVMobject, Dot, FadeIn, ValueTracker,
                   VGroup, VMobject, always_redraw, linear)

from common import ThemedScene, label, load_record, log_step

SCENE = "ZetaConverges"
RECORDS = ["05-physics-informed-networks/inverse"]

SWEEP_SECONDS = 16.0
U_RANGE = 1.6


class ZetaConverges(ThemedScene):
    def construct(self) -> None:
        self.read_run()
        self.build_panels()
        self.show_the_measurements()
        self.show_the_starting_guess()
        self.train_and_watch_zeta()
        self.say_how_close_it_ends()

    def read_run(self) -> None:
        rec = load_record(RECORDS[0])
        self.const, series, snaps, self.facts = rec["constants"], rec["series"], rec["snapshots"], rec["facts"]
        self.steps = np.array(series["step"], dtype=float)
        self.zeta = np.array(series["zeta"])
        self.true_zeta = self.const["zeta"]
        self.snap_steps = np.array(snaps["step"], dtype=float)
        self.predictions = np.array(snaps["prediction"])
        self.grid, self.truth = np.array(self.const["grid"]), np.array(self.const["truth"])
        self.z_hi = math.ceil(self.zeta.max() * 20) / 20

    def build_panels(self) -> None:
        c, steps, z_hi = self.c, self.steps, self.z_hi
        self.title = label("Learning the damping ζ", size=34).to_corner(UL, buff=0.35)
        axis_style = {"color": c["muted"], "include_tip": False, "stroke_width": 2}
        self.zeta_axes = Axes(x_range=[0, log_step(steps[-1]), 1], y_range=[0, z_hi, 0.05], x_length=5.6,
                              y_length=3.4, axis_config=axis_style,
                              x_axis_config={"include_ticks": False}).move_to([-3.1, 0.25, 0])
        self.fit_axes = Axes(x_range=[0, 1, 0.2], y_range=[-U_RANGE, U_RANGE, 0.8], x_length=5.4, y_length=3.4,
                             axis_config=axis_style).move_to([3.75, 0.25, 0])
        self.zeta_title = label("estimate of ζ", size=30, color="model").next_to(self.zeta_axes, UP, buff=0.15)
        self.fit_title = label("the network's curve", size=30).next_to(self.fit_axes, UP, buff=0.15)
        self.ticks = VGroup()
        for step in (1, 10, 100, 1000):
            if step <= steps[-1]:
                self.ticks.add(label(f"{step:,}", size=30, color="muted")
                               .next_to(self.zeta_axes.c2p(log_step(step), 0), DOWN, buff=0.12))
        self.ticks.add(label("step (log scale)", size=30, color="muted").next_to(self.zeta_axes, DOWN, buff=0.5))
        for k in range(1, round(z_hi / 0.1) + 1):  # a label every other tick: two lines of text a tick apart crowd
            value = round(0.1 * k, 2)
            self.ticks.add(label(f"{value:g}", size=30, color="muted")
                           .next_to(self.zeta_axes.c2p(0, value), LEFT, buff=0.12))

    def show_the_measurements(self) -> None:
        c, const, fit_axes, true_zeta = self.c, self.const, self.fit_axes, self.true_zeta
        self.truth_line = DashedLine(self.zeta_axes.c2p(0, true_zeta),
                                     self.zeta_axes.c2p(log_step(self.steps[-1]), true_zeta),
                                     color=c["truth"], stroke_width=3)
        # Above the line at its left end: the estimate starts well above it and comes down onto
        # the line only at the right.
        self.truth_text = label(f"true ζ = {true_zeta:g}", size=30, color="truth") \
            .next_to(self.truth_line, UP, buff=0.1).align_to(self.truth_line, LEFT).shift(0.25 * RIGHT)
        exact = DashedVMobject(VMobject(stroke_color=c["truth"], stroke_width=4).set_points_smoothly(
            [fit_axes.c2p(t, u) for t, u in zip(self.grid, self.truth)]), num_dashes=50)
        dots = VGroup(*[Dot(fit_axes.c2p(t, u), radius=0.045, color=c["train"])
                        for t, u in zip(const["t_obs"], const["u_obs"])])

        self.chapter("The measurements")
        self.say(f"{len(const['t_obs'])} measurements over the whole window, and the equation with ζ unknown.")
        self.play(FadeIn(self.title), Create(fit_axes), FadeIn(self.fit_title), FadeIn(dots), Create(exact))
        self.wait(1.5)

    def show_the_starting_guess(self) -> None:
        zeta = self.zeta
        self.say(f"ζ starts at {zeta[0]:g}, {zeta[0] / self.true_zeta:.0f} times the true value (dashed).")
        self.play(Create(self.zeta_axes), FadeIn(self.ticks), FadeIn(self.zeta_title), Create(self.truth_line),
                  FadeIn(self.truth_text))
        self.wait(1.5)

    # `progress` is log10(step + 1), so early steps get their share of time.
    def step_now(self) -> float:
        return 10 ** self.progress.get_value() - 1

    def zeta_trace(self) -> VMobject:
        now, steps, zeta = self.step_now(), self.steps, self.zeta
        upto = int(np.searchsorted(steps, now, side="right"))
        points = [self.zeta_axes.c2p(log_step(s), z) for s, z in zip(steps[:upto], zeta[:upto])]
        points.append(self.zeta_axes.c2p(log_step(now), float(np.interp(now, steps, zeta))))
        if len(points) < 2:
            points.append(points[0])
        return VMobject(stroke_color=self.c["model"], stroke_width=5).set_points_as_corners(points)

    def fit_curve(self) -> VMobject:
        i = int(np.searchsorted(self.snap_steps, self.step_now(), side="right")) - 1
        values = np.clip(self.predictions[max(i, 0)], -U_RANGE, U_RANGE)
        return VMobject(stroke_color=self.c["model"], stroke_width=5).set_points_as_corners(
            [self.fit_axes.c2p(t, u) for t, u in zip(self.grid, values)])

    def train_and_watch_zeta(self) -> None:
        self.progress = ValueTracker(0.0)
        trace, curve = always_redraw(self.zeta_trace), always_redraw(self.fit_curve)
        readout = always_redraw(lambda: label(f"ζ = {float(np.interp(self.step_now(), self.steps, self.zeta)):.4f}",
                                              size=30, mono=True, color="model").to_corner(UR, buff=0.4))
        self.add(trace, curve, readout)
        self.chapter("Learning ζ")
        self.say(f"{self.facts['steps']:,} Adam steps move the weights and ζ together; L-BFGS finishes.")
        self.play(self.progress.animate.set_value(log_step(self.steps[-1])), run_time=SWEEP_SECONDS,
                  rate_func=linear)

    def say_how_close_it_ends(self) -> None:
        zeta, true_zeta = self.zeta, self.true_zeta
        error = 100 * abs(zeta[-1] - true_zeta) / true_zeta
        self.say(f"Settled after {self.facts['finish_iterations']} L-BFGS iterations: ζ = {zeta[-1]:.4f}, "
                 f"{error:.1f}% from the true {true_zeta:g}.")
        self.wait(4.0)
