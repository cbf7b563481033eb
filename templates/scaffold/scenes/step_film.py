"""The lesson's own scene: the recorded weights walk down the bowl, one dot per step."""
import numpy as np
from manim import UP, Axes, Create, Dot, FadeIn, VMobject

from common import ThemedScene, label, load_record

SCENE = "StepFilm"
RECORDS = ["__SLUG__/descent"]


class StepFilm(ThemedScene):
    def construct(self) -> None:
        record = load_record("__SLUG__/descent")
        path = np.asarray(record["series"]["w"])   # shape (steps + 1, 2), as recorded
        loss = record["series"]["loss"]
        title = label("Gradient descent on a bowl", size=32).to_edge(UP)
        # Above the caption band: the bottom fifth of the frame is where captions show.
        axes = Axes(x_range=[-2, 2, 1], y_range=[-1.5, 1.5, 1], x_length=7, y_length=3.6,
                    axis_config={"color": self.c["muted"]}).shift(UP * 0.4)
        self.add(title, axes)
        self.chapter("The path")
        self.say(f"The run starts at a loss of {loss[0]:.3g}.")
        self.play(FadeIn(Dot(axes.c2p(*path[0]), color=self.c["highlight"])), run_time=0.5)
        line = VMobject(color=self.c["train"]).set_points_as_corners([axes.c2p(a, b) for a, b in path])
        self.say(f"After {len(path) - 1} steps of SGD the loss is {loss[-1]:.3g}.")
        self.play(Create(line), run_time=2)
        self.wait(0.5)
