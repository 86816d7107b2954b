"""The render stage: a solved problem in, a document out, written in one format.

- ``model``: the format-neutral document (blocks, text, mathematics, matrices, drawings)
  and :func:`~solver.document.model.fmt`, the one number formatter;
- ``layered`` and ``graph``: the worked solution of each kind of problem as a document;
- ``notation``: the symbol presets of ``display.notation``;
- ``latex``: the LaTeX writer (the house style is ``templates/preamble.tex``).
"""

from .html import write as write_html
from .latex import escape, preamble, write
from .model import fmt


def layered_tex(trace, derivations):
    """The LaTeX source of a layered problem's worked solution."""
    from .layered import build
    return write(build(trace, derivations))


def graph_tex(solution):
    """The LaTeX source of a solved graph problem's worked solution."""
    from .graph import build
    return write(build(solution))


__all__ = ["escape", "fmt", "graph_tex", "layered_tex", "preamble", "write", "write_html"]
