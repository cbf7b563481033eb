"""k-fold cross-validation, round by round: the validation fold moves along the row while the
other folds train, and each round's recorded score drops into place; then the scores'
mean and spread. Every number is read from the cv_folds record. Captions are kept short:
at 390 px one line holds about sixty characters, and a second would cover the number line."""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, UL, UP, Create, Dot, FadeIn, FadeOut, Line, Rectangle, VGroup, Write

from common import ThemedScene, label, load_record, num

SCENE = "KFoldRotation"
RECORDS = ["02-a-first-model-with-scikit-learn/cv_folds"]

TEXT = 30            # on-screen text: at least 1/20 of the frame height (8 units) per em
BOX_W, BOX_H, GAP = 2.5, 1.6, 0.17
# Everything stays in the upper two thirds of the frame: the browser draws captions at the
# bottom, and higher still while the player's controls show.
ROW_Y = 1.95         # the fold boxes
ROLE_Y = 0.75        # "train" / "validate" under each box
SCORE_Y = 0.1        # each round's score under its fold
AXIS_Y = -0.6        # the closing number line: its labels end near y = -1.2, above a phone's paused controls


class KFoldRotation(ThemedScene):
    def construct(self) -> None:
        self.read_folds()
        self.show_the_folds()
        for r in range(self.k):
            self.score_round(r)
        self.clear_the_roles()
        self.spread_the_scores_on_a_line()
        self.report_mean_and_spread()

    def read_folds(self) -> None:
        rec = load_record(RECORDS[0])
        self.fold_of = np.array(rec["constants"]["fold_of_sample"])
        self.malignant = np.array(rec["constants"]["label"]) == 0
        self.scores = rec["constants"]["scores"]
        self.k = len(self.scores)
        self.xs = [(i - (self.k - 1) / 2) * (BOX_W + GAP) for i in range(self.k)]

    def show_the_folds(self) -> None:
        c, k, fold_of = self.c, self.k, self.fold_of
        sizes = [int((fold_of == f).sum()) for f in range(k)]
        bad = [int((self.malignant & (fold_of == f)).sum()) for f in range(k)]
        title = label(f"{k}-fold cross-validation", size=34).to_corner(UL, buff=0.45)
        self.boxes = VGroup()
        for i, x in enumerate(self.xs):
            box = Rectangle(width=BOX_W, height=BOX_H).set_stroke(c["border"], width=3)
            box.set_fill(c["surface"], opacity=1).move_to([x, ROW_Y, 0])
            name = label(f"fold {i + 1}", size=TEXT).move_to([x, ROW_Y + 0.45, 0])
            # The count on two lines: "114 tumours" on one is wider than the box at this size.
            count = VGroup(label(str(sizes[i]), size=TEXT, color="muted").move_to([x, ROW_Y - 0.05, 0]),
                           label("tumours", size=TEXT, color="muted").move_to([x, ROW_Y - 0.45, 0]))
            self.boxes.add(VGroup(box, name, count))

        self.chapter("The folds")
        self.say(f"{len(fold_of)} tumours, shuffled and cut into {k} folds of {min(sizes)} or {max(sizes)}.")
        self.play(FadeIn(title), *[FadeIn(b, shift=0.3 * DOWN) for b in self.boxes], run_time=1.5)
        self.wait(1.0)
        self.say(f"Stratified: each fold holds {min(bad)} or {max(bad)} malignant tumours.")
        self.wait(2.5)
        self.roles = VGroup(*[label("", size=TEXT) for _ in range(k)])
        self.score_texts = VGroup()

    def score_round(self, r: int) -> None:
        """Round r: fold r validates, the others train, and its recorded score drops in."""
        c, k, scores = self.c, self.k, self.scores
        fills, new_roles = [], VGroup()
        for i, group in enumerate(self.boxes):
            validating = i == r
            colour = c["validation"] if validating else c["train"]
            fills.append(group[0].animate.set_fill(colour, opacity=0.28 if validating else 0.16)
                         .set_stroke(colour, width=5 if validating else 3))
            new_roles.add(label("validate" if validating else "train", size=TEXT,
                                color="validation" if validating else "train").move_to([self.xs[i], ROLE_Y, 0]))
        if r == 0:
            self.chapter("Round by round")
        self.say(f"Round {r + 1}: fit on the other {k - 1} folds, score fold {r + 1}.")
        self.play(*fills, FadeOut(self.roles), FadeIn(new_roles), run_time=0.9)
        self.roles = new_roles
        score = label(f"{num(scores[r])}", size=TEXT + 4, color="validation").move_to([self.xs[r], SCORE_Y, 0])
        self.wait(0.6)
        self.say(f"Round {r + 1}: fold {r + 1} scores an accuracy of {num(scores[r])}.")
        self.play(FadeIn(score, shift=0.3 * DOWN), run_time=0.7)
        self.score_texts.add(score)
        self.wait(1.2)

    # ------------------------------------------------------------ the spread of the scores
    def at(self, v: float) -> float:
        """The x of accuracy v on the closing number line."""
        span = 9.0
        return -span / 2 + (v - self.lo) / (self.hi - self.lo) * span

    def clear_the_roles(self) -> None:
        c = self.c
        self.play(*[g[0].animate.set_fill(c["surface"], opacity=1).set_stroke(c["border"], width=3)
                    for g in self.boxes], FadeOut(self.roles), run_time=0.6)

    def spread_the_scores_on_a_line(self) -> None:
        c, at, scores = self.c, self.at, self.scores
        self.lo = np.floor(min(scores) * 50) / 50 - 0.02
        self.hi = min(1.0, np.ceil(max(scores) * 50) / 50) + 0.0
        axis = Line([at(self.lo), AXIS_Y, 0], [at(self.hi), AXIS_Y, 0], color=c["muted"], stroke_width=3)
        ticks = VGroup()
        for v in np.arange(self.lo, self.hi + 1e-9, 0.02):
            ticks.add(Line([at(v), AXIS_Y - 0.08, 0], [at(v), AXIS_Y + 0.08, 0], color=c["muted"], stroke_width=3))
            ticks.add(label(f"{v:.2f}", size=TEXT, color="muted").move_to([at(v), AXIS_Y - 0.42, 0]))
        name = label("accuracy", size=TEXT, color="muted").next_to(axis, LEFT, buff=0.3)
        self.chapter("Mean and spread")
        self.say(f"{self.k} scores, one per fold, from {num(min(scores))} to {num(max(scores))}.")
        self.play(Create(axis), FadeIn(ticks), FadeIn(name), run_time=0.8)
        dots = VGroup(*[Dot([at(s), AXIS_Y, 0], radius=0.11, color=c["validation"]) for s in scores])
        self.play(*[t.animate.scale(0.8).move_to(d.get_center() + 0.42 * UP).set_opacity(0) for t, d in
                    zip(self.score_texts, dots)], *[FadeIn(d) for d in dots], run_time=1.2)

    def report_mean_and_spread(self) -> None:
        c, at = self.c, self.at
        mean, std = float(np.mean(self.scores)), float(np.std(self.scores))
        bracket = VGroup(
            Line([at(mean - std), AXIS_Y + 0.45, 0], [at(mean + std), AXIS_Y + 0.45, 0], color=c["highlight"],
                 stroke_width=5),
            Line([at(mean - std), AXIS_Y + 0.3, 0], [at(mean - std), AXIS_Y + 0.6, 0], color=c["highlight"],
                 stroke_width=5),
            Line([at(mean + std), AXIS_Y + 0.3, 0], [at(mean + std), AXIS_Y + 0.6, 0], color=c["highlight"],
                 stroke_width=5),
            Dot([at(mean), AXIS_Y + 0.45, 0], radius=0.12, color=c["highlight"]),
        )
        summary = label(f"mean {num(mean)}, standard deviation {num(std)}", size=TEXT + 2, color="highlight")
        summary.move_to([0, AXIS_Y + 1.0, 0])
        self.say(f"Report both: mean {num(mean)}, standard deviation {num(std)}.")
        self.remove(*self.score_texts)
        self.play(FadeIn(bracket), Write(summary), run_time=1.2)
        self.wait(3.5)
