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


class HybridFindsTheSwing(ThemedScene):
    def construct(self) -> None:
        c = self.c
        hybrid, data_only = (load_record(r) for r in RECORDS)
        const = hybrid["constants"]
        grid, truth = np.array(const["grid"]), np.array(const["truth"])
        steps = np.array(hybrid["snapshots"]["step"], dtype=float)
        assert data_only["snapshots"]["step"] == hybrid["snapshots"]["step"], "both runs must share snapshot steps"

        title = label("Data alone, and data with physics", size=34).to_corner(UL, buff=0.35)
        panels = []
        for i, (rec, name, token) in enumerate([(data_only, "data only", "validation"),
                                               (hybrid, "data and physics", "model")]):
            axes = Axes(x_range=[0, 1, 0.2], y_range=[-U_RANGE, U_RANGE, 0.8], x_length=6.0, y_length=3.4,
                        axis_config={"color": c["muted"], "include_tip": False, "stroke_width": 2})
            axes.move_to([-3.5 + 7.0 * i, 0.45, 0])
            window = Rectangle(width=axes.c2p(const["data_end"], 0)[0] - axes.c2p(0, 0)[0], height=3.4,
                               stroke_width=0, fill_color=c["surface"], fill_opacity=1)
            window.align_to(axes, LEFT).align_to(axes, DOWN)
            exact = DashedVMobject(VMobject(stroke_color=c["truth"], stroke_width=4).set_points_smoothly(
                [axes.c2p(t, u) for t, u in zip(grid, truth)]), num_dashes=50)
            dots = VGroup(*[Dot(axes.c2p(t, u), radius=0.06, color=c["train"])
                            for t, u in zip(const["t_obs"], const["u_obs"])])
            name_text = label(name, size=30, color=token).next_to(axes, UP, buff=0.15)
            ticks = VGroup(label("0", size=26, color="muted").next_to(axes.c2p(0, -U_RANGE), DOWN, buff=0.12),
                           label(f"{const['data_end']:g}", size=26, color="muted")
                           .next_to(axes.c2p(const["data_end"], -U_RANGE), DOWN, buff=0.12),
                           label("t = 1", size=26, color="muted").next_to(axes.c2p(1, -U_RANGE), DOWN, buff=0.12))
            panels.append({"axes": axes, "window": window, "exact": exact, "dots": dots, "name": name_text,
                           "ticks": ticks, "token": token, "predictions": np.array(rec["snapshots"]["prediction"])})

        self.chapter("The measurements")
        self.say(f"{len(const['t_obs'])} measurements, all in the shaded window. The dashed curve is the exact solution.")
        self.play(FadeIn(title), *[FadeIn(VGroup(p["window"], p["axes"], p["ticks"], p["name"])) for p in panels])
        self.play(*[Create(p["exact"]) for p in panels], *[FadeIn(p["dots"]) for p in panels], run_time=1.5)
        self.wait(2.0)

        progress = ValueTracker(0.0)

        def curve(panel):
            s = progress.get_value()
            i = min(int(s), len(steps) - 2)
            frac = s - i
            values = np.clip(panel["predictions"][i] * (1 - frac) + panel["predictions"][i + 1] * frac,
                             -U_RANGE, U_RANGE)
            return VMobject(stroke_color=c[panel["token"]], stroke_width=5).set_points_as_corners(
                [panel["axes"].c2p(t, u) for t, u in zip(grid, values)])

        curves = [always_redraw(lambda p=p: curve(p)) for p in panels]
        counter = always_redraw(lambda: label(
            f"step {round(float(np.interp(progress.get_value(), np.arange(len(steps)), steps))):>5,}",
            size=30, mono=True).to_corner(UR, buff=0.4))
        self.chapter("Training")
        self.say("Both networks start from random weights and train for the same number of Adam steps.")
        self.play(*[FadeIn(k) for k in curves], FadeIn(counter))
        self.wait(1.0)

        # The first tenth of the snapshots: both fit the measurements.
        early = float(np.searchsorted(steps, 300))
        self.say("Both curves move to the measurements first.")
        self.play(progress.animate.set_value(early), run_time=SWEEP_SECONDS * 0.3, rate_func=linear)
        self.say("Past the window, the physics keeps the right network swinging; the left one has nothing to go on.")
        self.play(progress.animate.set_value(len(steps) - 1), run_time=SWEEP_SECONDS * 0.7, rate_func=linear)
        self.wait(1.0)

        outside = grid > const["data_end"]
        errs = [float(np.sqrt(np.mean((p["predictions"][-1][outside] - truth[outside]) ** 2))) for p in panels]
        verdicts = VGroup(*[label(f"error after the window: {e:.3f}", size=28, color=p["token"])
                            .next_to(p["axes"], DOWN, buff=0.6) for p, e in zip(panels, errs)])
        self.chapter("The error after the window")
        self.say(f"Root-mean-square error after the window: {errs[0]:.2f} with data only, {errs[1]:.3f} with physics.")
        self.play(FadeIn(verdicts))
        self.wait(4.0)
