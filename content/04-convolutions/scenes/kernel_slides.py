"""A 3×3 kernel slides over a handwritten digit and builds its feature map: the padded
digit, the kernel, one row step by step with each sum, then the rest of the map row by
row. Every number is read from the by_hand record."""
from __future__ import annotations

import numpy as np
from manim import DOWN, UP, Create, FadeIn, FadeOut, ManimColor, Square, VGroup, interpolate_color

from common import ThemedScene, label, load_record

SCENE = "KernelSlides"
RECORDS = ["04-convolutions/by_hand"]

TEXT = 30          # at least 1/20 of the frame height per em
CELL = 0.45        # one pixel, in scene units
TOP = 2.9          # top edge of the grids; their bottom stays above the caption band
SLOW_ROW = 3       # the row stepped through one position at a time (it crosses both sides of the 0)


def grid(values: np.ndarray, colour, centre_x: float, cell: float = CELL) -> VGroup:
    """Squares coloured by colour(value), laid out like the array, top edge at TOP."""
    rows, cols = values.shape
    squares = VGroup()
    for i in range(rows):
        for j in range(cols):
            square = Square(side_length=cell, stroke_width=1).set_fill(colour(values[i, j]), opacity=1)
            squares.add(square.move_to([centre_x + (j - (cols - 1) / 2) * cell, TOP - (i + 0.5) * cell, 0]))
    return squares


class KernelSlides(ThemedScene):
    def construct(self) -> None:
        self.read_record()
        self.show_digit()
        self.show_kernel()
        self.slide_one_row()
        self.fill_the_rest()
        self.read_the_map()

    def read_record(self) -> None:
        rec = load_record(RECORDS[0])
        self.image = np.asarray(rec["constants"]["image"])
        self.kernel = np.asarray(rec["constants"]["kernel"])
        self.output = np.asarray(rec["constants"]["output"])
        self.digit = rec["constants"]["label"]
        self.top = float(np.abs(self.output).max())

    def shade(self, a: str, b: str, t: float) -> ManimColor:
        return interpolate_color(ManimColor(self.c[a]), ManimColor(self.c[b]), float(np.clip(t, 0, 1)))

    def signed(self, v: float) -> ManimColor:
        return self.shade("background", "train", v / self.top) if v >= 0 else self.shade("background", "validation",
                                                                                         -v / self.top)

    def show_digit(self) -> None:
        self.chapter("The digit")
        padded = np.pad(self.image, 1)
        self.pixels = grid(padded, lambda v: self.shade("background", "text", v), -4.2)
        for k, square in enumerate(self.pixels):
            square.set_stroke(self.c["border"] if 0 < k // 10 < 9 and 0 < k % 10 < 9 else self.c["muted"])
        self.say(f"A handwritten {self.digit}, 8 by 8 pixels: more ink, stronger shade.")
        self.play(FadeIn(self.pixels), FadeIn(label("digit", size=TEXT, color="muted").next_to(self.pixels, UP, 0.15)))
        self.say("Zeros around it let the kernel sit on the edge pixels too.")
        self.wait(2.5)

    def show_kernel(self) -> None:
        self.chapter("The kernel")
        cells = grid(self.kernel, lambda v: self.signed(v * self.top / 2), 0.0, cell=0.8)
        numbers = VGroup(*[label(f"{v:g}", size=TEXT).move_to(s) for s, v in zip(cells, self.kernel.flat)])
        self.kernel_view = VGroup(cells.set_stroke(self.c["border"]), numbers)
        self.window = Square(side_length=3 * CELL, color=self.c["highlight"], stroke_width=6)
        self.say("The kernel: ones on the left, minus ones on the right.")
        self.play(FadeIn(self.kernel_view), FadeIn(label("kernel", size=TEXT, color="muted").next_to(cells, UP, 0.15)),
                  Create(self.window.move_to(self.pixels[0:3].get_center() + DOWN * CELL)))
        self.wait(2.5)

    def place(self, i: int, j: int) -> None:
        """Move the window to output (i, j) and fill that cell of the map."""
        self.window.move_to(self.pixels[(i + 1) * 10 + j + 1].get_center())
        self.cells[i * 8 + j].set_fill(self.signed(self.output[i, j]), opacity=1)

    def slide_one_row(self) -> None:
        self.chapter("Sliding")
        blank = np.zeros_like(self.output)
        self.cells = grid(blank, lambda v: self.c["surface"], 4.2).set_stroke(self.c["border"])
        self.say("Nine products, added: one cell of the feature map.")
        self.play(FadeIn(self.cells), FadeIn(label("feature map", size=TEXT, color="muted").next_to(self.cells, UP, 0.15)))
        total = label("", size=TEXT)
        for j in range(8):
            value = self.output[SLOW_ROW, j]
            new = label(f"sum = {value:+.2f}", size=TEXT, color="highlight").next_to(self.kernel_view, DOWN, 0.4)
            if j == 1:
                self.say("Blank left, ink right: a negative sum (red).")
            if j == 3:
                self.say("Ink left, blank right: a positive sum (blue).")
            self.play(self.window.animate.move_to(self.pixels[(SLOW_ROW + 1) * 10 + j + 1].get_center()),
                      FadeOut(total), FadeIn(new), run_time=0.5)
            self.place(SLOW_ROW, j)
            total = new
            self.wait(0.35)
        self.remove(total)

    def fill_the_rest(self) -> None:
        self.chapter("The feature map")
        self.say("The same nine weights at all 64 positions.")
        for i in [r for r in range(8) if r != SLOW_ROW]:
            self.play(self.window.animate.move_to(self.pixels[(i + 1) * 10 + 8].get_center()),
                      *[self.cells[i * 8 + j].animate.set_fill(self.signed(self.output[i, j]), opacity=1)
                        for j in range(8)], run_time=0.5)
        self.wait(0.5)

    def read_the_map(self) -> None:
        self.say("Red: left sides of strokes. Blue: right sides.")
        self.play(FadeOut(self.window))
        self.wait(3.0)
