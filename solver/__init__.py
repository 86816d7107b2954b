"""backprop-solver: worked solutions for backpropagation exercises.

The pipeline, one module per stage, data flowing one way:

    spec (parse + validate) -> trace (numbers) -> derive (symbols) -> render (LaTeX) -> compile (PDF)

``solver.cli`` is the command line on top. This package imports nothing heavy at start-up.
"""

__version__ = "0.1.0"
