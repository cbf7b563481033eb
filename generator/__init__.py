"""A static site generator for animated machine-learning explainers.

The build runs in one direction: lessons -> training -> export -> render -> pages.
Each stage is a module of this package with explicit inputs and outputs; `build`
strings them together and `cli` is the command line.
"""
