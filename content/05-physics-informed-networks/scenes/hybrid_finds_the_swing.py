"""The network trained on data and physics finds the swing, beside the one trained on data
alone. Both replay their recorded snapshots over the same measurements; only the first
learns what happens after the data window ends. Every curve comes from the two records."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, UL, UP, UR, Axes, Create, DashedVMobject, Dot, FadeIn, Rectangle, ValueTracker,
                   VGroup, VMobject, always_redraw, linear)

from common import ThemedScene, label, load_record

SCENE = "HybridFindsTheSwing"
RECORDS = ["05-physics-informed-networks/hybrid", "05-physics-informed-networks/data_only"]

SWEEP_SECONDS = 16.0   # the whole run, replayed at an even pace through the snapshots
U_RANGE = 1.6          # the plots show -1.6 <= u <= 1.6; a wilder curve is clipped to it
PLOT_HEIGHT = 2.7      # low enough that the verdicts under the plots stay above a phone's paused player controls


class HybridFindsTheSwing(ThemedScene):
    def construct(self) -> None:
        self.read_runs()
        self.panels = [self.panel(i, rec, name, token) for i, (rec, name, token) in
                       enumerate([(self.data_only, "data only", "validation"), (self.hybrid, "data and physics", "model")])]
        self.show_the_measurements()
        self.start_both_networks()
        self.train_past_the_window()
        self.compare_after_the_window()

    def read_runs(self) -> None:
        self.hybrid, self.data_only = (load_record(r) for r in RECORDS)
        self.const = self.hybrid["constants"]
        self.grid, self.truth = np.array(self.const["grid"]), np.array(self.const["truth"])
        self.snapshot_steps = np.array(self.hybrid["snapshots"]["step"], dtype=float)
        assert self.data_only["snapshots"]["step"] == self.hybrid["snapshots"]["step"], \
            "both runs must share snapshot steps"
        self.title = label("Data alone, and data with physics", size=34).to_corner(UL, buff=0.35)

    def panel(self, i: int, rec: dict, name: str, token: str) -> dict:
        """The i-th plot: its axes, the shaded data window, the exact solution, the measurements."""
        c, const = self.c, self.const
        axes = Axes(x_range=[0, 1, 0.2], y_range=[-U_RANGE, U_RANGE, 0.8], x_length=5.6, y_length=PLOT_HEIGHT,
                    axis_config={"color": c["muted"], "include_tip": False, "stroke_width": 2})
        axes.move_to([-3.45 + 6.9 * i, 0.75, 0])
        window = Rectangle(width=axes.c2p(const["data_end"], 0)[0] - axes.c2p(0, 0)[0], height=PLOT_HEIGHT,
                           stroke_width=0, fill_color=c["surface"], fill_opacity=1)
        window.align_to(axes, LEFT).align_to(axes, DOWN)
        exact = DashedVMobject(VMobject(stroke_color=c["truth"], stroke_width=4).set_points_smoothly(
            [axes.c2p(t, u) for t, u in zip(self.grid, self.truth)]), num_dashes=50)
        dots = VGroup(*[Dot(axes.c2p(t, u), radius=0.06, color=c["train"])
                        for t, u in zip(const["t_obs"], const["u_obs"])])
        name_text = label(name, size=30, color=token).next_to(axes, UP, buff=0.15)
        ticks = VGroup(label("0", size=30, color="muted").next_to(axes.c2p(0, -U_RANGE), DOWN, buff=0.12),
                       label(f"{const['data_end']:g}", size=30, color="muted")
                       .next_to(axes.c2p(const["data_end"], -U_RANGE), DOWN, buff=0.12),
                       label("t = 1", size=30, color="muted").next_to(axes.c2p(1, -U_RANGE), DOWN, buff=0.12))
        return {"axes": axes, "window": window, "exact": exact, "dots": dots, "name": name_text,
                "ticks": ticks, "token": token, "predictions": np.array(rec["snapshots"]["prediction"])}

    def show_the_measurements(self) -> None:
        panels = self.panels
        self.chapter("The measurements")
        self.say(f"{len(self.const['t_obs'])} measurements, all in the shaded window. "
                 "The dashed curve is the exact solution.")
        self.play(FadeIn(self.title), *[FadeIn(VGroup(p["window"], p["axes"], p["ticks"], p["name"]))
                                        for p in panels])
        self.play(*[Create(p["exact"]) for p in panels], *[FadeIn(p["dots"]) for p in panels], run_time=1.5)
        self.wait(2.0)

    def curve(self, panel: dict) -> VMobject:
        """The panel's prediction at the replay's current moment, between two snapshots."""
        s = self.progress.get_value()
        i = min(int(s), len(self.snapshot_steps) - 2)
        frac = s - i
        values = np.clip(panel["predictions"][i] * (1 - frac) + panel["predictions"][i + 1] * frac,
                         -U_RANGE, U_RANGE)
        return VMobject(stroke_color=self.c[panel["token"]], stroke_width=5).set_points_as_corners(
            [panel["axes"].c2p(t, u) for t, u in zip(self.grid, values)])

    def start_both_networks(self) -> None:
        steps = self.snapshot_steps
        self.progress = ValueTracker(0.0)
        curves = [always_redraw(lambda p=p: self.curve(p)) for p in self.panels]
        counter = always_redraw(lambda: label(
            f"step {round(float(np.interp(self.progress.get_value(), np.arange(len(steps)), steps))):>5,}",
            size=30, mono=True).to_corner(UR, buff=0.4))
        self.chapter("Training")
        self.say("Both networks start from random weights and train for the same number of Adam steps.")
        self.play(*[FadeIn(k) for k in curves], FadeIn(counter))
        self.wait(1.0)

    def train_past_the_window(self) -> None:
        # The first tenth of the snapshots: both fit the measurements.
        early = float(np.searchsorted(self.snapshot_steps, 300))
        self.say("Both curves move to the measurements first.")
        self.play(self.progress.animate.set_value(early), run_time=SWEEP_SECONDS * 0.3, rate_func=linear)
        self.say("Past the window, the physics keeps the right network swinging; the left one has nothing to go on.")
        self.play(self.progress.animate.set_value(len(self.snapshot_steps) - 1), run_time=SWEEP_SECONDS * 0.7,
                  rate_func=linear)
        self.wait(1.0)

    def compare_after_the_window(self) -> None:
        outside, truth = self.grid > self.const["data_end"], self.truth
        errs = [float(np.sqrt(np.mean((p["predictions"][-1][outside] - truth[outside]) ** 2))) for p in self.panels]
        verdicts = VGroup(*[label(f"error after the window: {e:.3f}", size=30, color=p["token"])
                            .next_to(p["axes"], DOWN, buff=0.5) for p, e in zip(self.panels, errs)])
        self.chapter("After the window")
        self.say(f"Root-mean-square error after the window: {errs[0]:.2f} with data only, {errs[1]:.3f} with physics.")
        self.play(FadeIn(verdicts))
        self.wait(4.0)
