"""Heavy-ball momentum on the valley's contours: each step is the last step, shrunk by β, plus
the gradient step, drawn as two arrows and their sum. Every point comes from the valley run."""
from __future__ import annotations

import numpy as np
from manim import DOWN, UP, UL, Arrow, Axes, Create, Dot, FadeIn, FadeOut, Text, VGroup, VMobject, linear

from common import ThemedScene, label, load_record

SCENE = "HeavyBall"
RECORDS = ["03-momentum-rmsprop-and-adam/valley"]

FIRST_ARROW, LAST_ARROW = 3, 10   # the steps drawn one at a time with their arrows (the first
                                  # few bounce so wide that their arrows would flatten the view)
TUNED = 1.0            # the race's multiplier for each optimiser's own tuned rate


class HeavyBall(ThemedScene):
    def construct(self) -> None:
        self.read_record()
        self.chapter("The valley")
        self.show_valley()
        self.chapter("Gradient descent")
        self.draw_plain_descent()
        self.chapter("Heavy ball")
        self.step_with_arrows()
        self.finish_heavy_ball()
        self.chapter("The count")
        self.compare_counts()

    def read_record(self) -> None:
        record = load_record(RECORDS[0])
        const, self.facts = record["constants"], record["facts"]
        names = const["optimisers"].split(",")
        race, k = np.asarray(const["race"]), const["multipliers"].index(TUNED)
        self.gd_path, self.hb_path = race[names.index("gd"), k], race[names.index("heavy_ball"), k]
        self.curvatures, self.start = np.asarray(const["curvatures"]), np.asarray(const["start"])

    def show_valley(self) -> None:
        # Tall enough for the path and for the arrows' corners (last step × β drawn from each point).
        path, beta = self.hb_path, self.facts["heavy_ball_beta"]
        corners = path[FIRST_ARROW:LAST_ARROW] + beta * np.diff(path[FIRST_ARROW - 1:LAST_ARROW], axis=0)
        x0, y_top = abs(self.start[0]), 1.1 * max(np.abs(path[:, 1]).max(), np.abs(corners[:, 1]).max())
        self.x_limits = (-1.15 * x0, 0.6 * x0)
        self.axes = Axes(x_range=[*self.x_limits, 1], y_range=[-y_top, y_top, 0.5], x_length=12.4, y_length=4.6,
                         axis_config={"color": self.c["muted"], "include_tip": False, "include_ticks": False}
                         ).move_to([0, 0.25, 0])
        start_loss = 0.5 * float(self.curvatures @ self.start ** 2)
        contours = VGroup(*[self.ellipse(start_loss * 10 ** -k) for k in range(4)])
        self.title = title = label("Momentum on a narrow valley", size=36).to_corner(UL, buff=0.3)
        names = VGroup(label("w1: shallow", size=30, color="muted").next_to(self.axes.x_axis, DOWN, buff=0.1)
                       .align_to(self.axes, np.array([1, 0, 0])),
                       label("w2: steep", size=30, color="muted").next_to(self.axes.y_axis, UP, buff=0.05))
        self.add(title)
        self.say(f"A valley {self.facts['condition']:.0f} times more curved across (w2) than along (w1). The minimum is at the star.")
        self.play(Create(self.axes), FadeIn(names), Create(contours), FadeIn(self.star()), run_time=2.5)
        self.wait(1.5)

    def draw_plain_descent(self) -> None:
        self.say(f"Gradient descent at its best rate, {self.facts['gd_lr']:.3g}: it bounces across the valley and crawls along it.")
        self.gd_line = self.path_line(self.gd_path, "muted")
        self.play(Create(self.gd_line), run_time=4, rate_func=linear)
        self.wait(1.5)

    def step_with_arrows(self) -> None:
        beta, lr = self.facts["heavy_ball_beta"], self.facts["heavy_ball_lr"]
        self.say(f"Heavy ball: each step is the last step times β = {beta:g}, plus the gradient step.")
        key = VGroup(label(f"last step × {beta:g}", size=30, color="highlight"), label("gradient step", size=30, color="train")
                     ).arrange(DOWN, aligned_edge=np.array([-1, 0, 0])).to_corner(np.array([1, 1, 0]), buff=0.3)
        self.play(self.gd_line.animate.set_stroke(opacity=0.35), FadeIn(key), run_time=0.5)
        self.key = key
        path = self.hb_path
        ball = Dot(self.axes.c2p(*path[FIRST_ARROW]), radius=0.09, color=self.c["model"])
        self.play(Create(self.path_line(path[:FIRST_ARROW + 1], "model")), run_time=1.5)
        self.play(FadeIn(ball), run_time=0.3)
        for t in range(FIRST_ARROW, LAST_ARROW):
            here, previous = path[t], path[t - 1]
            carried = beta * (here - previous)
            pushed = -lr * self.curvatures * here
            arrows = VGroup(self.arrow(here, here + carried, "highlight"),
                            self.arrow(here + carried, here + carried + pushed, "train"))
            self.play(FadeIn(arrows), run_time=0.6)
            self.play(ball.animate.move_to(self.axes.c2p(*path[t + 1])), FadeIn(self.path_line(path[t:t + 2], "model")),
                      FadeOut(arrows), run_time=0.6)
            if t == FIRST_ARROW + 2:
                self.say("Across the valley the two arrows point opposite ways and cancel; along it they add up.")
        self.ball = ball

    def finish_heavy_ball(self) -> None:
        rest = self.path_line(self.hb_path[LAST_ARROW:], "model")
        self.play(Create(rest), self.ball.animate.move_to(self.axes.c2p(*self.hb_path[-1])), run_time=3, rate_func=linear)
        self.wait(1)

    def compare_counts(self) -> None:
        f = self.facts
        self.say(f"To reach the tolerance: gradient descent {f['gd_steps']} steps, heavy ball {f['heavy_ball_steps']}.")
        counts = VGroup(label(f"gradient descent: {f['gd_steps']} steps", size=32, color="muted"),
                        label(f"heavy ball: {f['heavy_ball_steps']} steps", size=32, color="model")
                        ).arrange(DOWN, aligned_edge=np.array([-1, 0, 0])).to_corner(UL, buff=0.3)
        self.play(FadeOut(self.key), FadeOut(self.title), FadeIn(counts), run_time=1)
        self.wait(4)

    # ---------------------------------------------------------------- drawing helpers
    def ellipse(self, level: float) -> VGroup:
        """The level set L = level, cut to the axes' w1 range (a wide one leaves as two arcs)."""
        theta = np.linspace(0, 2 * np.pi, 241)
        a, b = np.sqrt(2 * level / self.curvatures)
        points = np.stack([a * np.cos(theta), b * np.sin(theta)], axis=1)
        inside = (points[:, 0] >= self.x_limits[0]) & (points[:, 0] <= self.x_limits[1])
        arcs, run = VGroup(), []
        for i, (point, keep) in enumerate(zip(points, inside)):
            if keep:
                run.append(self.axes.c2p(*point))
            if (not keep or i == len(points) - 1) and len(run) > 1:
                arcs.add(VMobject(stroke_color=self.c["border"], stroke_width=2).set_points_as_corners(run))
            if not keep:
                run = []
        return arcs

    def star(self) -> Text:
        return label("★", size=36, color="text").move_to(self.axes.c2p(0, 0))

    def path_line(self, path: np.ndarray, token: str) -> VMobject:
        return VMobject(stroke_color=self.c[token], stroke_width=4).set_points_as_corners(
            [self.axes.c2p(*p) for p in path])

    def arrow(self, tail: np.ndarray, head: np.ndarray, token: str) -> Arrow:
        return Arrow(self.axes.c2p(*tail), self.axes.c2p(*head), buff=0, color=self.c[token], stroke_width=5,
                     max_tip_length_to_length_ratio=0.3)
