"""Layer forward pass: one neuron computes w·x + b and a ReLU, then a layer does it for
several neurons at once as a matrix-vector product. All numbers are fixed here."""
from __future__ import annotations

from manim import (DOWN, LEFT, RIGHT, UL, UP, Arrow, Axes, Create, Dot, FadeIn, FadeOut, Group, Line,
                   RoundedRectangle, SurroundingRectangle, VGroup, Write)

from common import ThemedScene, bracketed, label, node

SCENE = "LayerForwardPass"
RECORDS: list[str] = []

# One neuron.
W, B = 0.75, -0.5
X_FIRST, X_SECOND = 2.0, -1.0
# A layer of two neurons over three inputs: z = W x + b, y = ReLU(z).
LAYER_W = [[0.5, -0.5, 1.0], [1.0, 0.5, 0.5]]
LAYER_X = [1.0, 2.0, -1.0]
LAYER_B = [0.5, -0.5]
TEXT = 30  # labels and numbers: at least 1/20 of the frame height per em (scenes/common.py)


def fmt(v: float) -> str:
    """Numbers as the scene prints them, with a real minus sign."""
    return f"{v:.2f}".rstrip("0").rstrip(".").replace("-", "−") if v % 1 else f"{v:.1f}".replace("-", "−")


def paren(v: float) -> str:
    return f"({fmt(v)})" if v < 0 else fmt(v)


def relu(v: float) -> float:
    return max(0.0, v)


def swap(old, new) -> list:
    """Cross-fade one label into another (morphing glyphs of different text looks broken)."""
    return [FadeOut(old), FadeIn(new)]


class LayerForwardPass(ThemedScene):
    def construct(self) -> None:
        self.one_neuron()
        self.one_layer()

    # ------------------------------------------------------------------ part 1
    def one_neuron(self) -> None:
        c = self.c
        title = label("One neuron", size=34).to_corner(UL, buff=0.5)
        row = 1.75  # the neuron diagram's line; the caption band below y = −2.4 stays empty
        x_node = node(fmt(X_FIRST), radius=0.6).move_to([-5.2, row, 0])
        x_name = label("input x", size=TEXT, color="muted").next_to(x_node, DOWN, buff=0.2)
        neuron = node("z", radius=0.55, color="model").move_to([-1.6, row, 0])
        bias = label(f"b = {fmt(B)}", size=TEXT, color="muted").next_to(neuron, DOWN, buff=0.2)
        edge = Arrow(x_node.get_right(), neuron.get_left(), buff=0.05, color=c["border"], stroke_width=4)
        weight = label(f"w = {fmt(W)}", size=TEXT, color="accent").next_to(edge, UP, buff=0.15)
        box = RoundedRectangle(corner_radius=0.15, width=1.5, height=0.8, color=c["highlight"], stroke_width=3)
        box.set_fill(c["surface"], opacity=1).move_to([1.4, row, 0])
        box_text = label("ReLU", size=TEXT).move_to(box)
        to_box = Arrow(neuron.get_right(), box.get_left(), buff=0.05, color=c["border"], stroke_width=4)
        y_node = node("y", color="train").move_to([4.2, row, 0])
        to_y = Arrow(box.get_right(), y_node.get_left(), buff=0.05, color=c["border"], stroke_width=4)

        self.chapter("One neuron")
        self.say("One neuron: an input x, a weight w and a bias b.")
        self.play(FadeIn(title), FadeIn(x_node), FadeIn(x_name))
        self.play(Create(edge), FadeIn(weight), FadeIn(neuron), FadeIn(bias))
        self.wait(1)

        rule = label("z = w · x + b", size=TEXT).move_to([-6.2, -0.05, 0], aligned_edge=LEFT)
        self.say("The neuron first computes z = w times x plus b.")
        self.play(Write(rule))
        z = W * X_FIRST + B
        sums = label(f"z = {fmt(W)} · {paren(X_FIRST)} + {paren(B)} = {fmt(z)}", size=TEXT, mono=True)
        sums.next_to(rule, DOWN, buff=0.35, aligned_edge=LEFT)
        self.play(FadeIn(sums, shift=0.2 * DOWN))
        self.wait(1.5)

        # A small ReLU graph: the output is z when z > 0 and 0 otherwise.
        axes = Axes(x_range=[-2, 2, 1], y_range=[-0.5, 2, 1], x_length=3.4, y_length=2.2,
                    axis_config={"color": c["muted"], "include_tip": False, "stroke_width": 2})
        axes.move_to([4.6, -0.9, 0])
        graph = axes.plot(relu, x_range=[-2, 2], color=c["highlight"], stroke_width=4, use_smoothing=False)
        graph_name = label("ReLU(z) = max(0, z)", size=TEXT, color="muted").next_to(axes, UP, buff=0.15)
        z_tag = label("z", size=TEXT, color="muted").next_to(axes.x_axis, RIGHT, buff=0.1)
        dot = Dot(axes.c2p(z, relu(z)), radius=0.09, color=c["model"])
        output = label(f"y = ReLU(z) = max(0, {fmt(z)}) = {fmt(relu(z))}", size=TEXT, mono=True)
        output.next_to(sums, DOWN, buff=0.35, aligned_edge=LEFT)
        self.chapter("The activation")
        self.say("Then the activation: ReLU keeps a positive z and turns a negative z into 0.")
        self.play(Create(to_box), FadeIn(box), FadeIn(box_text), Create(axes), Create(graph),
                  FadeIn(graph_name), FadeIn(z_tag))
        self.play(FadeIn(dot), FadeIn(output, shift=0.2 * DOWN))
        self.play(Create(to_y), FadeIn(y_node))
        y_value = node(fmt(relu(z)), color="train").move_to(y_node)
        self.play(*swap(y_node, y_value))
        self.wait(2)

        # A second input whose z is negative: ReLU outputs 0.
        z2 = W * X_SECOND + B
        x_node2 = node(fmt(X_SECOND), radius=0.6).move_to(x_node)
        sums2 = label(f"z = {fmt(W)} · {paren(X_SECOND)} + {paren(B)} = {fmt(z2)}", size=TEXT, mono=True)
        sums2.move_to(sums, aligned_edge=LEFT)
        output2 = label(f"y = ReLU(z) = max(0, {fmt(z2)}) = {fmt(relu(z2))}", size=TEXT, mono=True)
        output2.move_to(output, aligned_edge=LEFT)
        y_value2 = node(fmt(relu(z2)), color="train").move_to(y_node)
        self.say(f"With x = {fmt(X_SECOND)}, z is negative, so the output is 0.")
        self.play(*swap(x_node, x_node2))
        self.play(*swap(sums, sums2))
        self.play(dot.animate.move_to(axes.c2p(z2, relu(z2))), *swap(output, output2), *swap(y_value, y_value2))
        self.wait(2.5)
        self.play(FadeOut(Group(*self.mobjects)))

    # ------------------------------------------------------------------ part 2
    def one_layer(self) -> None:
        c = self.c
        title = label("A layer: three inputs, two neurons", size=34).to_corner(UL, buff=0.4)
        inputs = VGroup(*[node(fmt(v), radius=0.55).move_to([-6.3, 2.0 - 1.2 * i, 0])
                          for i, v in enumerate(LAYER_X)])
        neurons = VGroup(*[node(f"z{i + 1}", radius=0.5, color="model").move_to([-4.75, 1.4 - 1.2 * i, 0])
                           for i in range(2)])
        edges = [[Line(x.get_right(), n.get_left(), color=c["border"], stroke_width=3) for x in inputs]
                 for n in neurons]
        edge_group = VGroup(*[e for row in edges for e in row])
        self.chapter("A layer")
        self.say("A layer: every input feeds every neuron, each with its own weight.")
        self.play(FadeIn(title), FadeIn(inputs))
        self.play(Create(edge_group), FadeIn(neurons))

        # z = W x + b with the actual numbers, laid out as a matrix-vector product.
        z = [sum(w * x for w, x in zip(row, LAYER_X)) + b for row, b in zip(LAYER_W, LAYER_B)]
        matrix = bracketed([[fmt(v) for v in row] for row in LAYER_W], size=TEXT, col_gap=0.3)
        vector = bracketed([[fmt(v)] for v in LAYER_X], size=TEXT)
        bias = bracketed([[fmt(v)] for v in LAYER_B], size=TEXT)
        result = bracketed([[fmt(v)] for v in z], size=TEXT)
        dot, plus, equals = label("·", size=30), label("+", size=30), label("=", size=30)
        product = VGroup(matrix, dot, vector, plus, bias, equals, result).arrange(RIGHT, buff=0.18)
        product.to_edge(RIGHT, buff=0.3).set_y(1.25)
        names = VGroup(*[label(t, size=TEXT, color="muted").next_to(m, UP, buff=0.2)
                         for t, m in ((("W"), matrix), ("x", vector), ("b", bias), ("z", result))])
        for name in names:  # one baseline for all four names
            name.set_y(product.get_top()[1] + 0.35)
        self.chapter("The weight matrix")
        self.say("All the weights form a matrix W: z = W x + b.")
        self.play(FadeIn(VGroup(matrix, dot, vector, plus, bias, equals)), FadeIn(names[:3]))
        self.wait(1)

        # Row by row: each neuron's weighted sum is one row of W times x, plus its bias. One sum
        # line at a time, high enough that a phone's player controls (the bottom third of the
        # frame while paused) leave it in sight; the result vector keeps every z.
        shown = None
        for i, (row, b) in enumerate(zip(LAYER_W, LAYER_B)):
            row_box = SurroundingRectangle(matrix[0][i], color=c["highlight"], buff=0.08)
            x_box = SurroundingRectangle(vector[0], color=c["highlight"], buff=0.08)
            b_box = SurroundingRectangle(bias[0][i], color=c["highlight"], buff=0.08)
            terms = " + ".join(f"{paren(w)}·{paren(x)}" for w, x in zip(row, LAYER_X))
            line = label(f"z{i + 1} = {terms} + {paren(b)} = {fmt(z[i])}", size=TEXT, mono=True)
            line.move_to([-6.85, -1.3, 0], aligned_edge=LEFT)
            lit = VGroup(*edges[i]).copy().set_color(c["highlight"]).set_stroke(width=5)
            self.say(f"Neuron {i + 1}: row {i + 1} of W times x, plus b{i + 1}, gives z{i + 1} = {fmt(z[i])}.")
            self.play(Create(row_box), Create(x_box), Create(b_box), Create(lit))
            self.play(FadeIn(line, shift=0.2 * DOWN), FadeIn(result[0][i]),
                      *([FadeIn(result[1:]), FadeIn(names[3])] if i == 0 else [FadeOut(shown)]))
            self.wait(1.5)
            self.play(FadeOut(row_box), FadeOut(x_box), FadeOut(b_box), FadeOut(lit))
            shown = line

        # The activation, element by element.
        y = [relu(v) for v in z]
        output = bracketed([[fmt(v)] for v in y], size=TEXT, color="train")
        output_group = VGroup(label("y = ReLU(z) =", size=TEXT), output).arrange(RIGHT, buff=0.25)
        output_group.next_to(product, DOWN, buff=0.35).align_to(result, RIGHT)
        outputs = VGroup(*[node(fmt(v), radius=0.5, color="train").move_to(n.get_center() + 1.6 * RIGHT)
                           for v, n in zip(y, neurons)])
        arrows = VGroup(*[Arrow(n.get_right(), o.get_left(), buff=0.05, color=c["border"], stroke_width=3)
                          for n, o in zip(neurons, outputs)])
        self.say("ReLU acts on each z: the negative one becomes 0. These are the layer's outputs.")
        self.play(FadeIn(output_group))
        self.play(Create(arrows), FadeIn(outputs))
        self.wait(3)
