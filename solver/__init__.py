"""backprop-solver: worked solutions for backpropagation exercises.

The pipeline, one module or package per stage, data flowing one way:

    spec (parse + validate) -> trace (numbers) -> derive (symbols)
        -> document (a format-neutral document, written as LaTeX) -> compile (PDF)

Graph problems take the same stages with solver.graph for trace and derive.

The command line (``backprop``, solver/cli.py) and the Python API (solver/api.py,
docs/api.md) are thin layers on top:

    >>> import backprop_solver as bp
    >>> s = bp.solve("problems/seed001_q1_sigmoid_sgd.yaml")
    >>> s.kind, s.title
    ('layered', '5-3-2 sigmoid network, one SGD step')

The source folder is ``solver/``; it installs as the package ``backprop_solver``.
Importing it loads nothing heavy: NumPy, SymPy and the rest come with the first solve.
"""

from .api import InputError, Solution, Verification, solve, verify

__version__ = "0.1.0"
__all__ = ["InputError", "Solution", "Verification", "solve", "verify"]
