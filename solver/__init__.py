"""backprop-solver: worked solutions for backpropagation exercises.

The pipeline, one module or package per stage, data flowing one way:

    spec (parse + validate) -> trace (numbers) -> derive (symbols)
        -> document (a format-neutral document, written as LaTeX) -> compile (PDF)

Graph problems take the same stages with solver.graph for trace and derive.

``solver.cli`` is the command line on top. This package imports nothing heavy at start-up.
"""

__version__ = "0.1.0"
