"""Gradient descent on the loss parabola: with b held at its best value, the loss of the
line fit is a parabola in w. The recorded runs of lesson 01 replay on it: a good
learning rate slides down and settles, a too-large one overshoots the minimum back and
forth. Every number on screen (the curve, each step's w, L, dL/dw, the rates) comes from
the two records."""
from __future__ import annotations

import math

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UL, UP, Arrow, Axes, Create, DashedLine, Dot, FadeIn, FadeOut, Line,
                   ValueTracker, VGroup, VMobject, always_redraw, linear, smooth)

from common import ThemedScene, label, load_record, num

SCENE = "GradientDescent"
RECORDS = ["01-why-the-weights-move/lr_good", "01-why-the-weights-move/lr_oscillate"]

# How each run is drawn: its palette token, what it does, and how the dot travels a step
# ("slide": along the curve; "jump": straight across, the chord a too-large step cuts).
RUNS = [
    {"id": RECORDS[0], "token": "truth", "name": "about right", "verdict": "settles", "move": "slide"},
    {"id": RECORDS[1], "token": "validation", "name": "too large", "verdict": "overshoots", "move": "jump"},
]
MAX_SHOWN_STEPS = 8       # steps replayed one at a time; the rest are fast-forwarded
STILL_MOVE = 0.05         # a step moving the dot less than this (scene units) is not worth its own beat
FAST_FORWARD_SECONDS = 2.5
TANGENT_LENGTH = 1.7
TEXT = 30                 # labels and numbers: at least 1/20 of the frame height per em (scenes/common.py)


def rate(v: float) -> str:
    return f"{v:g}"


class GradientDescent(ThemedScene):
    def construct(self) -> None:
        self.read_runs()
        self.build_axes()
        self.show_the_parabola()
        self.replay_each_run()
        self.compare_the_rates()

    def read_runs(self) -> None:
        self.runs = []
        for spec in RUNS:
            rec = load_record(spec["id"])
            s = rec["series"]
            self.runs.append({**spec, "const": rec["constants"], "facts": rec["facts"],
                              "step": [int(v) for v in s["step"]],
                              "w": np.array(s["w"]), "loss": np.array(s["loss"]), "grad": np.array(s["grad"])})
        # The sweep varies only the rate: both records hold the same parabola.
        self.const = self.runs[0]["const"]

    def loss_at(self, w: float) -> float:
        c2, c1, c0 = self.const["c2"], self.const["c1"], self.const["c0"]
        return c2 * w * w + c1 * w + c0

    def point(self, w: float, loss: float):
        return self.axes.c2p(w - self.w_lo, loss)

    # ---------------------------------------------------------------- axes sized to the runs
    def build_axes(self) -> None:
        c, point = self.c, self.point
        all_w = np.concatenate([r["w"] for r in self.runs])
        all_loss = np.concatenate([r["loss"] for r in self.runs])
        w_lo, w_hi = self.w_lo, self.w_hi = math.floor(all_w.min() - 0.3), math.ceil(all_w.max() + 0.3)
        l_hi = self.l_hi = math.ceil(all_loss.max() * 1.12)
        l_tick = 2 if l_hi <= 12 else 5
        axis_style = {"color": c["muted"], "include_tip": False, "stroke_width": 2}
        # x is w − w_lo so the L axis stands at the left edge, not through w = 0.
        # Above the caption band (y < −2.4 stays empty while captions show).
        self.axes = Axes(x_range=[0, w_hi - w_lo, 1], y_range=[0, l_hi, l_tick], x_length=5.9, y_length=4.0,
                         axis_config=axis_style, x_axis_config={"include_ticks": False},
                         y_axis_config={"include_ticks": False}).move_to([-3.35, 0.25, 0])
        self.ticks = VGroup()
        for w in range(w_lo, w_hi + 1):
            mark = point(w, 0)
            self.ticks.add(Line(mark, mark + 0.1 * DOWN, color=c["muted"], stroke_width=2))
            self.ticks.add(label(str(w).replace("-", "−"), size=TEXT, color="muted").next_to(mark + 0.1 * DOWN, DOWN, buff=0.08))
        for loss in range(0, l_hi + 1, l_tick):
            mark = point(w_lo, loss)
            self.ticks.add(Line(mark, mark + 0.1 * LEFT, color=c["muted"], stroke_width=2))
            self.ticks.add(label(str(loss), size=TEXT, color="muted").next_to(mark, LEFT, buff=0.12))
        self.w_name = label("w", size=TEXT, color="muted").next_to(self.axes.x_axis.get_right(), RIGHT, buff=0.2)
        self.l_name = label("loss L(w)", size=TEXT, color="muted").next_to(self.axes.y_axis.get_top(), UP, buff=0.15) \
            .align_to(self.axes.y_axis, LEFT)

    def show_the_parabola(self) -> None:
        c, point, l_hi, w_star = self.c, self.point, self.l_hi, self.const["w_star"]
        # The parabola over the view, clipped where it leaves the top of the axes.
        ws = np.linspace(self.w_lo, self.w_hi, 240)
        ws = ws[[self.loss_at(w) <= l_hi for w in ws]]
        curve = VMobject(stroke_color=c["accent"], stroke_width=4.5).set_points_smoothly(
            [point(w, self.loss_at(w)) for w in ws])
        bottom = DashedLine(point(w_star, 0), point(w_star, l_hi * 0.55), color=c["muted"], stroke_width=2,
                            dash_length=0.1)
        bottom_text = label(f"lowest at\nw* = {num(w_star, 2)}", size=TEXT, color="muted") \
            .next_to(bottom.get_top(), UP, buff=0.1)
        title = label("Gradient descent on the loss curve", size=34).to_corner(UL, buff=0.35)

        # The readout panel, right of the axes.
        self.panel_left = self.axes.get_right()[0] + 0.75
        self.rule = label("step: w ← w − lr × dL/dw", size=TEXT, color="muted")
        self.rule.move_to([self.panel_left, 2.75, 0], aligned_edge=LEFT)

        self.chapter("The loss as a function of w")
        self.say(f"With b fixed at {num(self.const['b'], 2)}, the loss as a function of the weight w is a parabola.")
        self.play(FadeIn(title), Create(self.axes), FadeIn(self.ticks), FadeIn(self.w_name), FadeIn(self.l_name))
        self.play(Create(curve), run_time=1.5)
        self.play(Create(bottom), FadeIn(bottom_text))
        self.wait(1.0)

    def replay_each_run(self) -> None:
        legend = VGroup()
        for index, run in enumerate(self.runs):
            if index > 0:
                # The earlier run's readout makes way; its path stays, dimmed, for comparison.
                self.play(FadeOut(self.readout), path.animate.fade(0.3), run_time=0.6)
            self.chapter(f"Learning rate {rate(run['const']['lr'])}")
            self.readout, path = self.replay(run, self.point, self.loss_at, self.panel_left,
                                             self.rule if index == 0 else None)
            entry = VGroup(Dot(radius=0.08, color=self.c[run["token"]]),
                           label(f"lr {rate(run['const']['lr'])}: {run['verdict']}", size=TEXT,
                                 color=run["token"])).arrange(RIGHT, buff=0.15)
            legend.add(entry)
            legend.arrange(DOWN, aligned_edge=LEFT, buff=0.2).move_to([self.panel_left, -0.6, 0], aligned_edge=UL)
            self.play(FadeIn(entry), run_time=0.6)

    def compare_the_rates(self) -> None:
        """Closing comparison, read from the records: the same settle count the lesson's
        prose states (first step from which w stays within the tolerance of w*)."""
        tolerance = self.runs[0]["facts"]["settle_tolerance"]
        lines = ["steps to settle"]
        lines += [f"lr {rate(run['const']['lr'])}: {run['facts']['settle_steps']} steps" for run in self.runs]
        summary = label("\n".join(lines), size=TEXT, color="text", line_spacing=0.8)
        summary.move_to([self.panel_left, 2.05, 0], aligned_edge=UL)
        self.chapter("Comparing the rates")
        self.say(f"Both reach the bottom. Within {tolerance:g} of w* for good: " + ", ".join(lines[1:]) + ".")
        self.play(FadeOut(self.readout), FadeIn(summary))
        self.wait(3.0)

    def replay(self, run: dict, point, loss_at, panel_left: float, rule) -> tuple[VGroup, VGroup]:
        """Play one record on the parabola; returns (its readout, its path on the curve)."""
        c = self.c
        colour = c[run["token"]]
        lr = run["const"]["lr"]
        ws, losses, grads, steps = run["w"], run["loss"], run["grad"], run["step"]
        last = len(ws) - 1
        progress = ValueTracker(0.0)

        def at() -> tuple[int, float]:
            t = progress.get_value()
            i = min(int(math.floor(t + 1e-9)), last)
            return i, (t - i if i < last else 0.0)

        def w_now() -> float:
            i, f = at()
            return ws[i] if f == 0 else ws[i] + (ws[i + 1] - ws[i]) * smooth(f)

        def dot_position():
            i, f = at()
            if f == 0:
                return point(ws[i], losses[i])
            if run["move"] == "slide":
                return point(w_now(), loss_at(w_now()))
            f = smooth(f)
            return point(ws[i], losses[i]) * (1 - f) + point(ws[i + 1], losses[i + 1]) * f

        def trail() -> VGroup:
            i, _ = at()
            marks = VGroup(*[Dot(point(ws[k], losses[k]), radius=0.045, color=colour) for k in range(i + 1)])
            if run["move"] == "slide":  # the stretch of curve travelled so far
                travelled = np.linspace(ws[0], w_now(), 60)
                marks.add(VMobject(stroke_color=colour, stroke_width=8, stroke_opacity=0.8)
                          .set_points_smoothly([point(w, loss_at(w)) for w in travelled]))
            else:  # the zig-zag of chords is the picture of overshooting
                path = [point(ws[k], losses[k]) for k in range(i + 1)] + [dot_position()]
                marks.add(VMobject(stroke_color=colour, stroke_width=2.5, stroke_opacity=0.7)
                          .set_points_as_corners(path))
            return marks

        floor_y = point(0, 0)[1]

        def tangent() -> VMobject:
            # The slope drawn is the recorded dL/dw, not one recomputed from the curve.
            i, _ = at()
            here = point(ws[i], losses[i])
            ahead = point(ws[i] + 1.0, losses[i] + grads[i]) - here
            direction = ahead / np.linalg.norm(ahead)
            if direction[1] > 0:
                direction = -direction  # `direction` now points downhill
            downhill = TANGENT_LENGTH / 2
            if direction[1] < -1e-9:  # near the bottom: stop at the w axis, not below it
                downhill = min(downhill, (here[1] - floor_y) / -direction[1])
            return Line(here - direction * TANGENT_LENGTH / 2, here + direction * downhill,
                        color=c["model"], stroke_width=4)

        def step_arrow() -> VMobject:
            # The update −lr·dL/dw as a move along w, drawn at the current loss's height.
            i, _ = at()
            start = point(ws[i], losses[i])
            end = point(ws[i] - lr * grads[i], losses[i]) if i < last else start
            if np.linalg.norm(end - start) < 0.4:
                # Too short to read: an invisible stand-in, so the mobject stays an Arrow.
                return Arrow(start, start + RIGHT, color=colour).set_opacity(0)
            return Arrow(start, end, buff=0.12, color=colour, stroke_width=4, max_tip_length_to_length_ratio=0.35,
                         max_stroke_width_to_length_ratio=8)

        texts: dict[int, VGroup] = {}

        def readout() -> VGroup:
            # Built once per step: setting Text every frame would dominate the render time.
            i, _ = at()
            if i in texts:
                return texts[i]
            rows = [("step", str(steps[i])), ("w", num(ws[i])), ("L(w)", num(losses[i])),
                    ("dL/dw", num(grads[i]))]
            group = VGroup()
            for r, (name, value) in enumerate(rows):
                y = 1.4 - r * 0.55
                group.add(label(name, size=TEXT, color="muted", mono=True).move_to([panel_left, y, 0],
                                                                                    aligned_edge=LEFT))
                # right-aligned values keep the decimal points in one column
                group.add(label(value, size=TEXT, mono=True).move_to([panel_left + 3.4, y, 0], aligned_edge=RIGHT))
            texts[i] = group
            return group

        header = label(f"lr {rate(lr)}: {run['name']}", size=TEXT, color=run["token"])
        header.move_to([panel_left, 2.05, 0], aligned_edge=LEFT)
        dot = always_redraw(lambda: Dot(dot_position(), radius=0.11, color=colour))
        marks = always_redraw(trail)
        slope = always_redraw(tangent)
        arrow = always_redraw(step_arrow)
        numbers = always_redraw(readout)

        self.say(f"Learning rate {rate(lr)}: start at w = {num(ws[0], 2)}. The tangent's slope is dL/dw "
                 f"= {num(grads[0], 2)}; each step moves w by −{rate(lr)} × dL/dw.")
        intro = [FadeIn(header), FadeIn(numbers), FadeIn(dot), FadeIn(slope), FadeIn(arrow)]
        if rule is not None:
            intro.append(FadeIn(rule))
        self.add(marks)  # first, so the tangent, arrow and dot draw over the path
        self.play(*intro)
        self.wait(1.5)

        # One beat per step while the steps are visible, shortening as the eye gets used to it.
        shown = 0
        while shown < min(MAX_SHOWN_STEPS, last):
            move = np.linalg.norm(point(ws[shown + 1], losses[shown + 1]) - point(ws[shown], losses[shown]))
            if move < STILL_MOVE:
                break
            if shown == 1:
                crossing = (ws[1] - ws[0]) * (ws[2] - ws[1]) < 0
                self.say(f"Learning rate {rate(lr)}: "
                         + ("every step jumps past the bottom, and w swings from side to side."
                            if crossing else "the slope flattens near the bottom, so the steps shrink."))
            self.play(progress.animate.set_value(shown + 1), run_time=max(0.8, 1.5 * 0.85 ** shown),
                      rate_func=linear)
            self.wait(0.35)
            shown += 1

        self.say(f"Fast-forward to step {steps[last]}: w = {num(ws[last])}, L = {num(losses[last])}.")
        self.play(FadeOut(slope), FadeOut(arrow), run_time=0.4)
        self.remove(slope, arrow)
        self.play(progress.animate.set_value(last), run_time=FAST_FORWARD_SECONDS, rate_func=linear)
        self.wait(1.2)
        for mob in (numbers, dot, marks):  # freeze the final state so it can be dimmed or faded
            mob.clear_updaters()
        return VGroup(header, numbers), VGroup(marks, dot)
